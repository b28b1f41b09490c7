"""The web chat: ``GET /webchat`` (the page) and its API under ``/webhooks/webchat/``.

A thin adapter over ``bot.channels.webchat`` (the token, the page's messages, rendering) and
``bot.channels.webchat_history`` (what the page shows, kept on the server). Off (404) unless
``CLOSEBOT_WEBCHAT_SECRET`` is set. Every API call carries ``Authorization: Bearer <token>``;
without a valid one it is answered 401 and nothing else happens. The speaker is the token's
user, never a field of the body.

- ``POST /webhooks/webchat/message``: ``{"text": ...}`` or ``{"payload": ..., "title": ...}``
  (a button), with the page's ``id`` of the message (a resend is handled once); answers the
  turn's lines, the bot's replies with their buttons.
- ``GET /webhooks/webchat/history``: the conversation so far (the page after a reload).
- ``GET /webhooks/webchat/updates?after=<id>``: lines after the page's cursor, ticket news
  included (the ``web`` sender of the notice pusher queues it here for the page to pull).
"""

import asyncio
import base64
import hashlib
import logging
import os
import re
import weakref
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.channels import webchat, webchat_history
from bot.channels.identity import directory_user
from bot.channels.inbound import accept, not_registered, unreadable
from bot.channels.keys import WEB, conversation_key
from bot.core import clock
from bot.store.models import WebChatLine
from channels import runtime
from channels.http import in_store, json_body, refused_body

log = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("webchat.html")
#: A message is at most 4,000 characters; JSON escaping can make that six times as many bytes.
MAX_BODY_BYTES = 64 * 1024
NO_STORE = {"Cache-Control": "no-store"}


def page_headers(html: str) -> Dict[str, str]:
    """Headers that let only the page's own inline script and style run, and talk only to us."""

    def digest(tag: str) -> str:
        found = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.S)
        body = found.group(1) if found else ""
        return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"

    policy = (f"default-src 'none'; script-src {digest('script')}; style-src {digest('style')}; "
              "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
              "frame-ancestors 'self'")
    return {"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", **NO_STORE}


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        try:
            config = webchat.WebChatConfig.from_env(os.environ)
        except ValueError as exc:
            log.error("web chat off: %s", exc)
            config = None
        return cls(config)

    def __init__(self, config: Optional[webchat.WebChatConfig]) -> None:
        self.config = config
        self._order: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        log.info("web chat %s", "on: GET /webchat" if config else f"off: {webchat.SECRET_VARIABLE} is not set")

    def url_prefix(self) -> str:
        """Mounted at the root: the page is ``/webchat``; the API routes name their full paths."""
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("closebot_webchat", __name__)
        html = PAGE.read_text(encoding="utf-8")
        headers = page_headers(html)

        @bp.route("/webchat", methods=["GET"], name="webchat_page")
        @bp.route("/webhooks/webchat/", methods=["GET"], name="webchat_page_under_webhooks")
        async def page(request: Request) -> HTTPResponse:
            if self.config is None:
                return _off()
            return response.html(html, headers=headers)

        @bp.route("/webhooks/webchat/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            visitor = self._visitor(request)
            if isinstance(visitor, HTTPResponse):
                return visitor
            try:
                body = json_body(request, MAX_BODY_BYTES)
            except Exception as exc:  # noqa: BLE001 - every refusal has its status
                return refused_body(exc)
            said = webchat.parse_message(body)
            if said is None:
                return response.json({"error": "send {\"text\": ...} or a button's {\"payload\": ...}"},
                                     status=400)
            lines = await self._turn(visitor, said, on_new_message, request)
            return response.json(lines, headers=NO_STORE)

        @bp.route("/webhooks/webchat/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            visitor = self._visitor(request)
            if isinstance(visitor, HTTPResponse):
                return visitor
            return response.json(await in_store(_history, visitor), headers=NO_STORE)

        @bp.route("/webhooks/webchat/updates", methods=["GET"])
        async def updates(request: Request) -> HTTPResponse:
            visitor = self._visitor(request)
            if isinstance(visitor, HTTPResponse):
                return visitor
            try:
                after = max(0, int(request.args.get("after") or 0))
            except ValueError:
                return response.json({"error": "after is a line id"}, status=400)
            return response.json(await in_store(_updates, visitor, after), headers=NO_STORE)

        if self.config is not None:
            runtime.install(bp)
            runtime.register_sender(WEB, send_notice)
        return bp

    def _visitor(self, request: Request) -> Any:
        """The verified visitor, or the response that refuses the request (404 off, 401)."""
        if self.config is None:
            return _off()
        try:
            return webchat.verify(self.config.secret, request.headers.get("authorization"), clock.now())
        except webchat.Refused as exc:
            log.info("web chat request refused: %s", exc)
            return response.json({"error": "unauthorized"}, status=401, headers=NO_STORE)

    async def _turn(self, visitor: webchat.Visitor, said: webchat.PageMessage,
                    on_new_message: Callable[[UserMessage], Awaitable[Any]], request: Request) -> Dict[str, Any]:
        """One message, in order within the person's conversation: accepted once, answered, kept."""
        order = self._order.get(visitor.key)
        if order is None:
            order = self._order[visitor.key] = asyncio.Lock()
        async with order:
            accepted = await in_store(accept, webchat.inbound(visitor, said))
            if accepted is None:
                return {"messages": [], "duplicate": True}  # a resend: answered the first time
            if accepted.user_id is None:
                return _stranger(visitor)
            refusal = unreadable(said.text)
            if refusal is not None:
                replies = [{"text": refusal, "buttons": []}]
            else:
                runtime.ensure_action_token(request.app)
                collector = CollectingOutputChannel()
                await on_new_message(UserMessage(said.text, collector, visitor.key, input_channel=self.name(),
                                                 message_id=accepted.message_id))
                replies = webchat.render(collector.messages)
            lines = await in_store(webchat_history.record_turn, visitor.key, said.shown, replies)
            return {"messages": lines}


def _off() -> HTTPResponse:
    return response.json({"error": "the web chat is not configured"}, status=404)


def _stranger(visitor: webchat.Visitor) -> Dict[str, Any]:
    """Someone the deployment vouched for but the directory does not know: told so, shown nothing."""
    return {"registered": False,
            "messages": [{"id": 0, "who": "bot", "text": not_registered(webchat.LABEL, visitor.subject),
                          "buttons": []}]}


def _known(session: Session, visitor: webchat.Visitor) -> Optional[Any]:
    return directory_user(session, visitor.subject, visitor.email)


def _history(session: Session, visitor: webchat.Visitor) -> Dict[str, Any]:
    user = _known(session, visitor)
    if user is None:
        return _stranger(visitor)
    return {"registered": True, "user": {"name": user.name},
            "messages": webchat_history.history(session, visitor.key)}


def _updates(session: Session, visitor: webchat.Visitor, after: int) -> Dict[str, Any]:
    if _known(session, visitor) is None:
        return {"messages": []}
    return {"messages": webchat_history.since(session, visitor.key, after)}


async def send_notice(address: Dict[str, Any], text: str) -> None:
    """Ticket news for a web conversation: queued for the page to pull (``/updates``), and in its
    history after a reload. The ``web`` sender of ``bot.channels.notices.NoticePusher``."""
    user = address.get("user")
    if not isinstance(user, str) or not user:
        raise ValueError("a web conversation address names its user")
    await in_store(webchat_history.record, conversation_key(WEB, user), WebChatLine.NOTICE, text)
