"""The local REST channel: the terminal chat and the tests, on 127.0.0.1 only.

``POST /webhooks/rest/webhook`` with ``{"sender": "u-mei", "message": "..."}`` as Rasa's REST
channel, with the doors closed: only a loopback peer is answered (the sender id names the user,
so this channel must never face a network), channel conversation keys (``slack:...``) are
refused as senders, the client's ``input_channel`` and ``metadata`` are ignored, and a message
over 4,000 characters, or with nothing in it, is answered without reaching NLU.
"""

from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import unreadable
from bot.channels.keys import channel_of
from channels import runtime
from channels.http import is_loopback, json_body, refused_body


class LocalRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("closebot_rest", __name__)
        runtime.install(bp)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not is_loopback(request.ip):
                return response.json({"error": "the REST channel answers only on this machine"}, status=403)
            try:
                body = json_body(request)
            except Exception as exc:  # noqa: BLE001 - every refusal has its status
                return refused_body(exc)
            sender, text = (body or {}).get("sender"), (body or {}).get("message")
            if not isinstance(sender, str) or not sender or channel_of(sender) or not isinstance(text, str):
                return response.json({"error": "send a user id as 'sender' and a text as 'message'"},
                                     status=400)
            refusal = unreadable(text)
            if refusal is not None:
                return response.json([{"recipient_id": sender, "text": refusal}])
            runtime.ensure_action_token(request.app)
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name()))
            return response.json(collector.messages)

        return bp
