"""Microsoft Teams through the Bot Framework, with no web framework in it: the channel's
settings, the check of the connector's token, activities in, reply activities out.

The checks (shared/contracts/CHANNELS.md): a request carries ``Authorization: Bearer <JWT>``
signed (RS256) by a key the OpenID metadata's ``jwks_uri`` lists, issued by
``https://api.botframework.com`` for audience ``TEAMS_APP_ID``, within its ``nbf``..``exp``
with 5 minutes of clock skew, whose ``serviceurl`` claim is the activity's ``serviceUrl``.
Anything else is refused. The signature covers the token, not the activity: the serviceUrl
binding is what stops a valid token from steering replies (and our access token) elsewhere.

Who speaks: the directory user whose id is the sender's AAD object id (``from.aadObjectId``),
else the one whose e-mail the conversation roster gives for the sender. The roster is keyed by
the sender's Teams id (``from.id``, ``29:...``), which is why that id is used for the e-mail
lookup and nothing else: it is no directory id. A conversation id is kept whole, never parsed.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional

import jwt

from bot.channels.bearer import Refused, bearer_token
from bot.channels.inbound import Inbound
from bot.channels.keys import TEAMS, conversation_key
from bot.core import clock
from bot.integrations.botframework import DEFAULT_OPENID_METADATA_URL, DEFAULT_TOKEN_URL, MULTI_TENANT

ISSUER = "https://api.botframework.com"
ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 300
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
#: The key a button's value carries its payload under (Action.Submit ``data`` / messageBack ``value``).
PAYLOAD_KEY = "payload"
MAX_EXTERNAL_ID = 200  # inbound_messages.external_id

KeyLookup = Callable[[str], Optional[Dict[str, Any]]]
"""The JWK with this ``kid``, or None (``bot.integrations.botframework.SigningKeys.key``)."""


@dataclass(frozen=True)
class TeamsConfig:
    """The Teams channel's settings, from the environment only (secrets included)."""

    app_id: str
    app_password: str
    tenant_id: Optional[str]
    openid_metadata_url: str
    token_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Optional["TeamsConfig"]:
        """None (the channel is off) unless both TEAMS_APP_ID and TEAMS_APP_PASSWORD are set."""
        app_id = (env.get("TEAMS_APP_ID") or "").strip()
        password = env.get("TEAMS_APP_PASSWORD") or ""
        if not app_id or not password:
            return None
        tenant = (env.get("TEAMS_TENANT_ID") or "").strip() or None
        token_url = (env.get("TEAMS_TOKEN_URL") or "").strip() or DEFAULT_TOKEN_URL.format(
            tenant=tenant or MULTI_TENANT)
        metadata = (env.get("TEAMS_OPENID_METADATA_URL") or "").strip() or DEFAULT_OPENID_METADATA_URL
        return cls(app_id, password, tenant, metadata, token_url)


def verify(authorization: Optional[str], activity: Mapping[str, Any], app_id: str,
           keys: KeyLookup) -> Dict[str, Any]:
    """The token's claims when the request is genuine, else ``Refused``.

    ``keys`` may raise when no signing keys can be had at all (not the sender's fault).
    """
    token, header = bearer_token(authorization)
    kid = header.get("kid")
    if header.get("alg") not in ALGORITHMS or not isinstance(kid, str) or not kid:
        raise Refused(f"token algorithm {header.get('alg')!r} or key id not acceptable")
    jwk = keys(kid)
    if jwk is None:
        raise Refused("token signed with a key the metadata does not list")
    endorsements = jwk.get("endorsements")
    if isinstance(endorsements, list) and activity.get("channelId") not in endorsements:
        raise Refused(f"the signing key is not endorsed for channel {activity.get('channelId')!r}")
    try:
        key = jwt.PyJWK(jwk, algorithm="RS256")
        claims = jwt.decode(
            token, key, algorithms=ALGORITHMS, audience=app_id, issuer=ISSUER,
            # the time claims are checked below against bot.core.clock, not the system clock
            options={"require": ["exp", "iss", "aud"], "verify_exp": False, "verify_nbf": False,
                     "verify_iat": False},
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Refused(f"token rejected: {exc}") from exc
    _check_time(claims, clock.now())
    claimed = claims.get("serviceurl", claims.get("serviceUrl"))
    service_url = activity.get("serviceUrl")
    if not isinstance(claimed, str) or not isinstance(service_url, str) or not _same_url(claimed, service_url):
        raise Refused("the token's serviceUrl is not the activity's")
    return claims


def _check_time(claims: Mapping[str, Any], now: datetime) -> None:
    moment = now.timestamp()
    try:
        expires = float(claims["exp"])
        not_before = float(claims["nbf"]) if "nbf" in claims else None
    except (TypeError, ValueError) as exc:
        raise Refused("token time claims are not numbers") from exc
    if moment > expires + LEEWAY_SECONDS:
        raise Refused(f"token expired at {datetime.fromtimestamp(expires, timezone.utc).isoformat()}")
    if not_before is not None and moment < not_before - LEEWAY_SECONDS:
        raise Refused("token not valid yet")


def _same_url(a: str, b: str) -> bool:
    """serviceUrl values compare as the Bot Framework SDKs do: ignoring case and a final slash."""
    return a.rstrip("/").casefold() == b.rstrip("/").casefold()


def tenant_of(activity: Mapping[str, Any]) -> Optional[str]:
    """The tenant an activity says it comes from (``channelData.tenant.id``, ``conversation.tenantId``)."""
    channel_data = activity.get("channelData") if isinstance(activity.get("channelData"), dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    conversation = activity.get("conversation") if isinstance(activity.get("conversation"), dict) else {}
    found = tenant.get("id") or conversation.get("tenantId")
    return found if isinstance(found, str) and found else None


@dataclass(frozen=True)
class TeamsMessage:
    """A message activity, reduced to what Closebot uses."""

    activity_id: str
    service_url: str
    conversation_id: str
    user_id: str  #: ``from.id``: the sender in this conversation's roster
    aad_object_id: Optional[str]
    text: str  #: what the person said, or the payload of the button they pressed
    bot: Dict[str, Any]  #: ``recipient``: the bot as the conversation knows it

    @property
    def key(self) -> str:
        return conversation_key(TEAMS, self.conversation_id)

    @property
    def external_id(self) -> str:
        """The activity id, scoped to its conversation: Teams message ids are millisecond
        timestamps, unique in a conversation but not across all of them."""
        scope = hashlib.sha256(self.conversation_id.encode()).hexdigest()[:24]
        scoped = f"{self.activity_id}@{scope}"
        if len(scoped) <= MAX_EXTERNAL_ID:
            return scoped
        return hashlib.sha256(f"{self.conversation_id}\n{self.activity_id}".encode()).hexdigest()

    @property
    def address(self) -> Dict[str, Any]:
        """Where replies and ticket news for this conversation go."""
        return {"serviceUrl": self.service_url, "conversationId": self.conversation_id,
                "activityId": self.activity_id, "bot": self.bot}

    @property
    def channel_user_label(self) -> str:
        """The id to quote to someone not registered (what an admin adds to the directory)."""
        return self.aad_object_id or self.user_id


def parse_activity(activity: Mapping[str, Any]) -> Optional[TeamsMessage]:
    """The message in a (verified) activity, or None for anything else: other activity types, or
    one lacking the ids a reply needs. A message with no text (a picture alone) has text ``""``."""
    if activity.get("type") != "message":
        return None
    conversation = activity.get("conversation")
    sender = activity.get("from")
    if not isinstance(conversation, dict) or not isinstance(sender, dict):
        return None
    ids = (activity.get("id"), activity.get("serviceUrl"), conversation.get("id"), sender.get("id"))
    if not all(isinstance(v, str) and v for v in ids):
        return None
    bot = activity.get("recipient") if isinstance(activity.get("recipient"), dict) else {}
    text = _button_payload(activity.get("value"))
    if text is None:
        text = _without_bot_mentions(activity, str(bot.get("id") or ""))
    aad = sender.get("aadObjectId")
    return TeamsMessage(ids[0], ids[1], ids[2], ids[3], aad if isinstance(aad, str) and aad else None,
                        text, {k: bot[k] for k in ("id", "name") if isinstance(bot.get(k), str)})


def _button_payload(value: Any) -> Optional[str]:
    """A button press: the payload in the Action.Submit / messageBack value."""
    if isinstance(value, dict) and isinstance(value.get(PAYLOAD_KEY), str) and value[PAYLOAD_KEY].strip():
        return value[PAYLOAD_KEY].strip()
    return None


def _without_bot_mentions(activity: Mapping[str, Any], bot_id: str) -> str:
    """The text without ``<at>Closebot</at>`` (a channel message must mention the bot)."""
    text = activity.get("text") if isinstance(activity.get("text"), str) else ""
    for entity in activity.get("entities") or []:
        if (isinstance(entity, dict) and entity.get("type") == "mention"
                and isinstance(entity.get("mentioned"), dict) and entity["mentioned"].get("id") == bot_id
                and isinstance(entity.get("text"), str) and entity["text"]):
            text = text.replace(entity["text"], " ")
    return " ".join(text.replace("&nbsp;", " ").split())


def inbound(message: TeamsMessage, email: Callable[[], Optional[str]]) -> Inbound:
    """The message for ``bot.channels.inbound.accept``; ``email`` is asked only when the AAD
    object id is no directory id (it costs a roster call)."""
    return Inbound(TEAMS, message.external_id, message.key, message.aad_object_id or "", message.address,
                   email=email)


def roster_email(member: Mapping[str, Any]) -> Optional[str]:
    """The e-mail a roster entry gives: ``email``, else the ``userPrincipalName`` (an address too)."""
    for field in ("email", "userPrincipalName"):
        value = member.get(field)
        if isinstance(value, str) and "@" in value:
            return value.strip()
    return None


# ---- replies -----------------------------------------------------------------------------------


def render(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Rasa's collected replies as Bot Framework message activities.

    Text goes out as plain text (``textFormat: plain``), so a note a user typed cannot turn into
    a disguised link when Closebot repeats it. Buttons become an Adaptive Card of Action.Submit
    actions whose data carries the payload back (as a messageBack that shows the button title
    in the chat); a link button opens its URL.
    """
    activities = []
    for message in messages:
        text = message.get("text")
        activity: Dict[str, Any] = {"type": "message"}
        if isinstance(text, str) and text:
            activity.update(text=text, textFormat="plain")
        attachments = []
        offered = message.get("buttons") or message.get("quick_replies") or []
        buttons = [b for b in offered if isinstance(b, dict) and b.get("title")]
        if buttons:
            attachments.append(button_card(buttons))
        image = message.get("image")
        if isinstance(image, str) and image:
            attachments.append({"contentType": "application/vnd.microsoft.card.hero",
                                "content": {"images": [{"url": image}]}})
        if attachments:
            activity["attachments"] = attachments
        if len(activity) > 1:
            activities.append(activity)
    return activities


def button_card(buttons: List[Dict[str, Any]]) -> Dict[str, Any]:
    """An Adaptive Card of the buttons alone (the text is the activity's, in plain text)."""
    actions = []
    for button in buttons:
        title = str(button["title"])[:80]
        url = button.get("url")
        if isinstance(url, str) and url.startswith("https://"):
            actions.append({"type": "Action.OpenUrl", "title": title, "url": url})
            continue
        payload = str(button.get("payload") or title)
        actions.append({"type": "Action.Submit", "title": title, "data": {
            PAYLOAD_KEY: payload,
            "msteams": {"type": "messageBack", "displayText": title, "text": payload},
        }})
    return {"contentType": ADAPTIVE_CARD, "content": {
        "type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4", "body": [], "actions": actions,
    }}


def reply_activity(activity: Dict[str, Any], message: TeamsMessage) -> Dict[str, Any]:
    """An activity in reply to ``message``, in its conversation, from the bot."""
    return {**activity, "from": message.bot, "recipient": {"id": message.user_id},
            "conversation": {"id": message.conversation_id}, "replyToId": message.activity_id}


def notice_activity(address: Mapping[str, Any], text: str) -> Dict[str, Any]:
    """Ticket news pushed into a conversation (not a reply to any one message)."""
    return {"type": "message", "text": text, "textFormat": "plain", "from": address.get("bot") or {},
            "conversation": {"id": address["conversationId"]}}
