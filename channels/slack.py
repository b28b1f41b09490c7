"""The Slack channel: ``POST /webhooks/slack/webhook`` for events and button clicks.

Every request must carry Slack's signature (``SLACK_SIGNING_SECRET``, 5-minute window), else
401 and nothing happens. An event is answered 200 at once and handled in the background (Slack
wants its 200 within 3 s); the reply goes out with ``chat.postMessage`` (``SLACK_BOT_TOKEN``,
``SLACK_API_URL``) into the DM or the thread. A second delivery of one event (a retry, on any
replica) is recorded once, so it is answered once. Off (404) while either variable is unset.
The pure parts are in ``bot.channels.slack`` and ``bot.integrations.slack``.
"""

import asyncio
import json
import logging
import os
from dataclasses import replace
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import slack
from bot.channels.inbound import Accepted, accept, not_registered, unreadable
from bot.core import clock
from bot.integrations.http import RemoteError
from bot.integrations.slack import SlackClient, configured_client
from channels import runtime
from channels.http import body_bytes, in_store, refused_body

log = logging.getLogger(__name__)


class SlackOutput(OutputChannel):
    """Posts each reply into the conversation's DM or thread (in a worker thread)."""

    @classmethod
    def name(cls) -> str:
        return "slack"

    def __init__(self, client: SlackClient, address: Dict[str, Any]) -> None:
        self.client = client
        self.address = address

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.post(text)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self.post(text, buttons)

    async def post(self, text: str, buttons: Optional[List[Dict[str, Any]]] = None) -> None:
        fallback, blocks = slack.render(text, buttons or [])
        await asyncio.to_thread(self.client.post_message, self.address["channel"], fallback, blocks,
                                self.address.get("thread_ts"))


class SlackInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("closebot_slack", __name__)
        runtime.install(bp)
        secret = os.environ.get("SLACK_SIGNING_SECRET") or ""
        client = configured_client() if secret else None
        if client is not None:
            runtime.register_sender("slack", lambda address, text: SlackOutput(client, address).post(text))
        tasks: Set[asyncio.Task] = set()  # held until done (the loop keeps only weak references)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if client is None:
                return response.json({"error": "the Slack channel is not configured"}, status=404)
            try:
                raw = body_bytes(request)
            except Exception as exc:  # noqa: BLE001 - every refusal has its status
                return refused_body(exc)
            if not slack.verify(secret, request.headers.get("x-slack-request-timestamp"),
                                request.headers.get("x-slack-signature"), raw, clock.now()):
                return response.json({"error": "invalid signature"}, status=401)
            message = _message(request, raw)
            if isinstance(message, HTTPResponse):
                return message
            if message is not None:
                runtime.ensure_action_token(request.app)
                task = asyncio.create_task(self._handle(message, client, on_new_message))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            return response.text("")

        return bp

    async def _handle(self, message: slack.SlackMessage, client: SlackClient,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Record the message once, then answer it (a failure is logged, never raised)."""
        try:
            inbound = message.inbound
            with_email = replace(inbound, email=_email_lookup(client, inbound.channel_user_id))
            accepted: Optional[Accepted] = await in_store(accept, with_email)
            if accepted is None:
                return  # a retry or a second delivery of the same event: answered already
            output = SlackOutput(client, inbound.address)
            if accepted.user_id is None:
                await output.post(not_registered("Slack", inbound.channel_user_id))
                return
            refusal = unreadable(message.text)
            if refusal is not None:
                await output.post(refusal)
                return
            await on_new_message(UserMessage(message.text, output, inbound.conversation_key, input_channel="slack",
                                             message_id=accepted.message_id))
        except Exception:  # noqa: BLE001 - one failed message must not take the channel down
            log.exception("Slack message %s not handled", message.inbound.external_id)


def _message(request: Request, raw: bytes) -> Any:
    """The message in a verified request; an HTTPResponse to send back at once; or None."""
    if raw.startswith(b"payload="):
        payload = slack.form_payload(raw)
        return slack.parse_click(payload) if payload else None
    try:
        envelope = json.loads(raw or b"null")
    except ValueError:
        return response.json({"error": "malformed request body"}, status=400)
    if not isinstance(envelope, dict):
        return None
    if envelope.get("type") == "url_verification":
        return response.json({"challenge": envelope.get("challenge")})
    if envelope.get("type") == "event_callback":
        return slack.parse_event(envelope)
    return None


def _email_lookup(client: SlackClient, user_id: str) -> Callable[[], Optional[str]]:
    def email() -> Optional[str]:
        try:
            return client.user_email(user_id)
        except RemoteError as exc:
            log.warning("no e-mail for Slack user %s: %s", user_id, exc)
            return None

    return email
