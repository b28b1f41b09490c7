"""Microsoft Teams (Bot Framework): ``POST /webhooks/teams/webhook``.

A thin adapter over ``bot.channels.teams`` (the checks, parsing, rendering) and
``bot.integrations.botframework`` (keys, token, connector). Off (404) unless TEAMS_APP_ID and
TEAMS_APP_PASSWORD are set. A request whose token fails any check is answered 401 and nothing
else happens. A genuine message is answered 200 at once and handled in a background task:
accepted once (a redelivered activity id is dropped, across restarts and replicas), the speaker
found in the directory, handed to Rasa, and the replies posted through the connector in a worker
thread (no blocking HTTP call on the event loop). Ticket news reaches the conversation through
the registered ``teams`` sender.
"""

import asyncio
import logging
import os
import weakref
from typing import Any, Awaitable, Callable, Dict, Optional, Set

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import teams
from bot.channels.inbound import accept, not_registered, unreadable
from bot.integrations.botframework import Connector, SigningKeys, TokenClient
from bot.integrations.http import RemoteError
from channels import runtime
from channels.http import in_store, json_body, refused_body

log = logging.getLogger(__name__)

#: Told when the roster could not say who someone is (Teams unreachable); nothing was recorded.
IDENTITY_UNAVAILABLE = ("I couldn't check who you are with Microsoft Teams just now, so I haven't read "
                        "your message. Please send it again in a minute.")


class TeamsOutput(OutputChannel):
    """Posts each reply, as Rasa produces it, in reply to the activity (in a worker thread)."""

    @classmethod
    def name(cls) -> str:
        return "teams"

    def __init__(self, connector: Connector, message: teams.TeamsMessage) -> None:
        self.connector = connector
        self.message = message

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        await self.post(message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.post({"text": text})

    async def post(self, reply: Dict[str, Any]) -> None:
        for activity in teams.render([reply]):
            await asyncio.to_thread(self.connector.send, self.message.service_url, self.message.conversation_id,
                                    teams.reply_activity(activity, self.message))


class TeamsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "teams"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls(teams.TeamsConfig.from_env(os.environ))

    def __init__(self, config: Optional[teams.TeamsConfig]) -> None:
        self.config = config
        if config is None:
            log.info("Teams channel off: TEAMS_APP_ID and TEAMS_APP_PASSWORD are not both set")
            return
        log.info("Teams channel on: app %s, tenant %s", config.app_id,
                 config.tenant_id or "none (the multi-tenant token endpoint)")
        self.keys = SigningKeys(config.openid_metadata_url)
        self.connector = Connector(TokenClient(config.token_url, config.app_id, config.app_password))
        self._tasks: Set[asyncio.Task] = set()  # held until done (the loop keeps only weak references)
        self._order: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("closebot_teams", __name__)
        if self.config is None:
            @bp.route("/webhook", methods=["POST"])
            async def off(request: Request) -> HTTPResponse:
                return response.json({"error": "the Teams channel is not configured"}, status=404)

            return bp

        runtime.install(bp)
        runtime.register_sender(self.name(), self.send_notice)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                activity = json_body(request)
            except Exception as exc:  # noqa: BLE001 - every refusal has its status
                return refused_body(exc)
            if not isinstance(activity, dict):
                return response.json({"error": "an activity is a JSON object"}, status=400)
            refusal = await self._refusal(request.headers.get("authorization"), activity)
            if refusal is not None:
                return refusal
            message = teams.parse_activity(activity)
            if message is not None:
                task = asyncio.create_task(self._handle(message, on_new_message, request.app))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return response.empty(status=200)

        return bp

    async def _refusal(self, authorization: Optional[str], activity: Dict[str, Any]) -> Optional[HTTPResponse]:
        """None for a genuine request from the Bot Framework for this bot (and tenant)."""
        assert self.config is not None
        try:
            await asyncio.to_thread(teams.verify, authorization, activity, self.config.app_id, self.keys.key)
        except teams.Refused as exc:
            log.warning("Teams request refused: %s", exc)
            return response.json({"error": "unauthorized"}, status=401)
        except RemoteError as exc:
            log.error("cannot check Teams requests: %s", exc)
            return response.json({"error": "cannot verify the request now"}, status=503)
        tenant = teams.tenant_of(activity)
        if self.config.tenant_id and tenant and tenant.lower() != self.config.tenant_id.lower():
            log.warning("Teams activity from tenant %s refused (single tenant %s)", tenant, self.config.tenant_id)
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def _handle(self, message: teams.TeamsMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      app: Sanic) -> None:
        """One message, in arrival order within its conversation; never raises (a background task)."""
        order = self._order.get(message.conversation_id)
        if order is None:
            order = self._order[message.conversation_id] = asyncio.Lock()
        output = TeamsOutput(self.connector, message)
        try:
            async with order:
                try:
                    accepted = await in_store(accept, teams.inbound(message, lambda: self._email(message)))
                except RemoteError as exc:
                    log.warning("Teams roster lookup for %s failed: %s", message.user_id, exc)
                    await output.post({"text": IDENTITY_UNAVAILABLE})
                    return
                if accepted is None:
                    return  # the same activity again: answered already
                if accepted.user_id is None:
                    await output.post({"text": not_registered("Teams", message.channel_user_label)})
                    return
                refusal = unreadable(message.text)
                if refusal is not None:
                    await output.post({"text": refusal})
                    return
                runtime.ensure_action_token(app)
                await on_new_message(UserMessage(message.text, output, message.key, input_channel=self.name(),
                                                 message_id=accepted.message_id))
        except Exception:  # noqa: BLE001 - one failed message must not take the channel down
            log.exception("Teams activity %s in %s not handled", message.activity_id, message.key)

    def _email(self, message: teams.TeamsMessage) -> Optional[str]:
        """The sender's e-mail from the conversation roster (runs in the store's worker thread)."""
        try:
            member = self.connector.member(message.service_url, message.conversation_id, message.user_id)
        except RemoteError as exc:
            if exc.transient:
                raise  # nothing recorded: the sender is asked to try again
            log.warning("Teams roster has no entry for %s: %s", message.user_id, exc)
            return None
        return teams.roster_email(member)

    async def send_notice(self, address: Dict[str, Any], text: str) -> None:
        """Ticket news into a Teams conversation (the ``teams`` sender of ``NoticePusher``)."""
        await asyncio.to_thread(self.connector.send, address["serviceUrl"], address["conversationId"],
                                teams.notice_activity(address, text))
