"""The web chat without a web framework: who the page speaks for, and what a reply looks like there.

Identity comes only from a token the deployment hands the page (``closebot webchat token``, or
its own portal signing with the same secret): HS256 under ``CLOSEBOT_WEBCHAT_SECRET``, with
``sub`` the directory user id (``email`` optional, for the contract's e-mail fallback),
``aud`` ``closebot-webchat`` (a token made for another use of the secret is no chat token),
``iat`` and ``exp``. Whatever the page puts in a request body is never taken as the speaker.
One conversation per person: ``web:{sub}``, kept whole.
"""

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional

import jwt

from bot.channels.bearer import Refused, bearer_token
from bot.channels.inbound import Inbound
from bot.channels.keys import WEB, conversation_key

SECRET_VARIABLE = "CLOSEBOT_WEBCHAT_SECRET"
ALGORITHM = "HS256"
AUDIENCE = "closebot-webchat"
#: HS256 keys shorter than the hash are guessable offline from one token (RFC 7518 3.2).
MIN_SECRET_CHARS = 32
DEFAULT_HOURS = 12
#: A token that lives longer than this is refused, whoever signed it: a leaked link must expire.
MAX_HOURS = 7 * 24
LEEWAY_SECONDS = 60
MAX_SUBJECT_CHARS = 64  # users.id
MAX_TITLE_CHARS, MAX_PAYLOAD_CHARS = 80, 2000
MAX_CLIENT_ID_CHARS = 64
#: How the web chat is named to someone not in the directory (``inbound.not_registered``).
LABEL = "web chat"


@dataclass(frozen=True)
class WebChatConfig:
    """The web chat's settings, from the environment only."""

    secret: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Optional["WebChatConfig"]:
        """None (the channel is off) while the secret is unset; a short secret is an error."""
        secret = env.get(SECRET_VARIABLE) or ""
        if not secret:
            return None
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(f"{SECRET_VARIABLE} must be at least {MIN_SECRET_CHARS} characters "
                             f"(e.g. `openssl rand -hex 32`)")
        return cls(secret)


@dataclass(frozen=True)
class Visitor:
    """Who a verified token speaks for."""

    subject: str  #: the directory user id the deployment vouches for
    email: Optional[str] = None

    @property
    def key(self) -> str:
        return conversation_key(WEB, self.subject)


def issue(secret: str, user_id: str, now: datetime, hours: float = DEFAULT_HOURS,
          email: Optional[str] = None) -> str:
    """A token for ``user_id``, valid ``hours`` from ``now`` (what a deployment hands the page)."""
    if not user_id or len(user_id) > MAX_SUBJECT_CHARS:
        raise ValueError("a user id of 1 to 64 characters")
    if not 0 < hours <= MAX_HOURS:
        raise ValueError(f"a token lives more than 0 and at most {MAX_HOURS} hours")
    claims: Dict[str, Any] = {"sub": user_id, "aud": AUDIENCE, "iat": int(now.timestamp()),
                              "exp": int((now + timedelta(hours=hours)).timestamp())}
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, authorization: Optional[str], now: datetime) -> Visitor:
    """The visitor an ``Authorization: Bearer`` header vouches for, else ``Refused``."""
    token, header = bearer_token(authorization)
    if header.get("alg") != ALGORITHM:  # never "none", never a public-key algorithm
        raise Refused(f"token algorithm {header.get('alg')!r} not acceptable")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
            # the time claims are checked below against bot.core.clock, not the system clock
            options={"require": ["sub", "aud", "iat", "exp"], "verify_exp": False, "verify_iat": False,
                     "verify_nbf": False},
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Refused(f"token rejected: {exc}") from exc
    _check_time(claims, now)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT_CHARS:
        raise Refused("token names no user")
    email = claims.get("email")
    return Visitor(subject, email if isinstance(email, str) and "@" in email else None)


def _check_time(claims: Mapping[str, Any], now: datetime) -> None:
    moment = now.timestamp()
    try:
        issued, expires = float(claims["iat"]), float(claims["exp"])
    except (TypeError, ValueError) as exc:
        raise Refused("token time claims are not numbers") from exc
    if moment > expires + LEEWAY_SECONDS:
        raise Refused("token expired")
    if issued > moment + LEEWAY_SECONDS:
        raise Refused("token issued in the future")
    if expires - issued > MAX_HOURS * 3600:
        raise Refused(f"token lives longer than {MAX_HOURS} hours")


# ---- messages in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageMessage:
    """What the page sent: typed text, or a pressed button (its payload, and its title to show)."""

    text: str  #: what Rasa reads
    shown: str  #: what the history shows the person said
    client_id: str  #: the page's id of this message: sent twice (a retry), handled once


def parse_message(body: Any) -> Optional[PageMessage]:
    """The message in a request body, or None when it holds none. Only ``text``, ``payload``,
    ``title`` and ``id`` are read: a body naming a sender or user changes nothing."""
    if not isinstance(body, dict):
        return None
    client_id = body.get("id")
    if not isinstance(client_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,%d}" % MAX_CLIENT_ID_CHARS, client_id):
        client_id = uuid.uuid4().hex
    payload = body.get("payload")
    if isinstance(payload, str) and payload.strip():
        payload = payload.strip()[:MAX_PAYLOAD_CHARS]
        title = body.get("title")
        shown = title.strip()[:MAX_TITLE_CHARS] if isinstance(title, str) and title.strip() else payload
        return PageMessage(payload, shown, client_id)
    text = body.get("text")
    if not isinstance(text, str):
        return None
    return PageMessage(text, text, client_id)


def inbound(visitor: Visitor, message: PageMessage) -> Inbound:
    """The message for ``bot.channels.inbound.accept``: one conversation per person."""
    scoped = hashlib.sha256(f"{visitor.subject}\n{message.client_id}".encode()).hexdigest()
    email = visitor.email
    return Inbound(WEB, scoped, visitor.key, visitor.subject, address(visitor.subject),
                   email=(lambda: email) if email else None)


def address(subject: str) -> Dict[str, Any]:
    """Where ticket news for the conversation goes: the page's queue of this person."""
    return {"key": conversation_key(WEB, subject), "user": subject}


# ---- replies out ----------------------------------------------------------------------------------


def render(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Rasa's collected replies as the page shows them: plain text and buttons (title and
    payload, or an https link). The page sets them as text, never as HTML."""
    shown = []
    for message in messages:
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        buttons = []
        for button in message.get("buttons") or message.get("quick_replies") or []:
            if not isinstance(button, dict) or not button.get("title"):
                continue
            title = str(button["title"])[:MAX_TITLE_CHARS]
            url = button.get("url")
            if url is not None:  # a link: https only, never javascript: or data:
                if isinstance(url, str) and url.startswith("https://"):
                    buttons.append({"title": title, "url": url})
                continue
            payload = str(button.get("payload") or title)
            if len(payload) <= MAX_PAYLOAD_CHARS:
                buttons.append({"title": title, "payload": payload})
        if text.strip() or buttons:
            shown.append({"text": text, "buttons": buttons})
    return shown
