"""What the Rasa server process runs for every channel, once: the action server's token on
Rasa's calls to it, the request size cap, the pusher of ticket news to chat channels, a clear
answer when the action server is down (``channels.action_outage``), and no in-memory fallback
for a shared tracker store (``channels.tracker_store``)."""

import asyncio
import logging
import os
from typing import Any, Dict

from sanic import Blueprint, Sanic

from bot.channels.notices import NoticePusher, Sender
from channels import action_outage, tracker_store

log = logging.getLogger(__name__)

ACTION_TOKEN_VARIABLE = "CLOSEBOT_ACTION_TOKEN"
#: No request to the Rasa server may be larger (Sanic's default is 100 MB); channels cap lower.
MAX_REQUEST_BYTES = 8 * 1024 * 1024

#: channel name -> how to send it a message; filled by the channels that are switched on.
SENDERS: Dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    SENDERS[channel] = sender


def ensure_action_token(app: Sanic) -> None:
    """Make Rasa's calls to the action server carry ``Authorization: Bearer $CLOSEBOT_ACTION_TOKEN``.

    ``endpoints.yml`` cannot name a variable that may be unset (Rasa refuses to start), so the
    header is put on the loaded agent's action endpoint here, at start and before each message.
    """
    token = os.environ.get(ACTION_TOKEN_VARIABLE)
    agent = getattr(app.ctx, "agent", None)
    endpoint = getattr(agent, "action_endpoint", None)
    if not token or endpoint is None:
        return
    wanted = f"Bearer {token}"
    headers = dict(endpoint.headers or {})
    if headers.get("Authorization") != wanted:
        headers["Authorization"] = wanted
        endpoint.headers = headers


def install(blueprint: Blueprint) -> None:
    """Attach the once-per-process work to a channel's blueprint (several channels may call it)."""
    action_outage.install()

    @blueprint.listener("before_server_start")
    async def cap_requests(app: Sanic, _loop: Any) -> None:
        app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, MAX_REQUEST_BYTES)

    @blueprint.listener("after_server_start")
    async def start(app: Sanic, _loop: Any) -> None:
        ensure_action_token(app)
        agent = getattr(app.ctx, "agent", None)
        if agent is not None and tracker_store.refuse_fallback(agent.tracker_store):
            log.info("a failing tracker store fails the turn (no in-memory fallback)")
        if getattr(app.ctx, "closebot_pusher", None) is not None or not SENDERS:
            return
        stop = asyncio.Event()
        pusher = NoticePusher(SENDERS, poll_seconds=float(os.environ.get("CLOSEBOT_NOTICE_POLL_SECONDS", "2")))
        app.ctx.closebot_pusher = (stop, asyncio.create_task(pusher.run_forever(stop)))
        log.info("pushing ticket news to %s", ", ".join(sorted(SENDERS)))

    @blueprint.listener("before_server_stop")
    async def stop_pusher(app: Sanic, _loop: Any) -> None:
        running = getattr(app.ctx, "closebot_pusher", None)
        if running is not None:
            stop, task = running
            stop.set()
            await asyncio.wait([task], timeout=5)
            app.ctx.closebot_pusher = None
