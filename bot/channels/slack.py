"""Slack without a web framework: request signatures, which events are messages to Closebot, and
how a reply reads in Slack (mrkdwn escaped, Block Kit buttons).

Conversations: one per direct message (``slack:{team}:{channel}``) and one per thread in a
channel (``slack:{team}:{channel}:{thread_ts}``), where Closebot answers when mentioned. Bot
messages, edits and every other subtype are ignored. Everything Closebot sends is escaped, so
a note that says ``<!channel>`` or ``<https://evil|bank>`` cannot ping a channel or disguise a
link when it is echoed.
"""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs

from bot.channels.inbound import Inbound
from bot.channels.keys import SLACK, conversation_key

#: Slack's replay window: a request signed more than this long ago (or ahead) is refused.
MAX_AGE_SECONDS = 5 * 60
#: Block Kit limits (section text, button text and value, buttons per actions block).
SECTION_CHARS, BUTTON_CHARS, VALUE_CHARS, BUTTONS = 3000, 75, 2000, 25

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def verify(secret: str, timestamp: Optional[str], signature: Optional[str], body: bytes, now: datetime) -> bool:
    """Slack's ``v0`` signature over ``v0:{timestamp}:{raw body}``, within the 5-minute window."""
    if not secret or not timestamp or not signature:
        return False
    try:
        age = abs(now.timestamp() - int(timestamp))
    except ValueError:
        return False
    if age > MAX_AGE_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())


@dataclass(frozen=True)
class SlackMessage:
    """A message for Closebot: where it came from (``inbound``) and what it says."""

    inbound: Inbound
    text: str


def parse_event(envelope: Dict[str, Any]) -> Optional[SlackMessage]:
    """The message an ``event_callback`` carries, or None for anything Closebot ignores."""
    event = envelope.get("event") or {}
    team = str(envelope.get("team_id") or event.get("team") or "")
    user, channel = event.get("user"), event.get("channel")
    if event.get("bot_id") or event.get("subtype") or not user or not channel or not team:
        return None  # bots (itself included), edits, deletions, joins and other subtypes
    text = _MENTION.sub("", str(event.get("text") or "")).strip()
    external = str(envelope.get("event_id") or "")
    if event.get("type") == "message" and event.get("channel_type") == "im":
        key = conversation_key(SLACK, team, channel)
        address = {"channel": channel, **({"thread_ts": event["thread_ts"]} if event.get("thread_ts") else {})}
    elif event.get("type") == "app_mention":
        thread = str(event.get("thread_ts") or event.get("ts") or "")
        key = conversation_key(SLACK, team, channel, thread)
        address = {"channel": channel, "thread_ts": thread}
    else:
        return None
    return SlackMessage(Inbound(SLACK, external, key, str(user), address), text)


def parse_click(payload: Dict[str, Any]) -> Optional[SlackMessage]:
    """A Block Kit button click: the button's value, said in the conversation it was offered in."""
    if payload.get("type") != "block_actions" or not payload.get("actions"):
        return None
    action = payload["actions"][0]
    user = (payload.get("user") or {}).get("id")
    team = (payload.get("team") or {}).get("id") or (payload.get("user") or {}).get("team_id")
    container = payload.get("container") or {}
    message = payload.get("message") or {}
    channel = container.get("channel_id") or (payload.get("channel") or {}).get("id")
    value = action.get("value")
    if not user or not team or not channel or not isinstance(value, str):
        return None
    if channel.startswith("D"):  # a direct message: one conversation however it is threaded
        key = conversation_key(SLACK, team, channel)
        thread = container.get("thread_ts") or message.get("thread_ts")
        address = {"channel": channel, **({"thread_ts": thread} if thread else {})}
    else:
        thread = container.get("thread_ts") or message.get("thread_ts") or container.get("message_ts")
        if not thread:
            return None
        key = conversation_key(SLACK, team, channel, thread)
        address = {"channel": channel, "thread_ts": thread}
    external = f"click:{action.get('action_ts') or payload.get('trigger_id')}:{action.get('action_id')}"
    return SlackMessage(Inbound(SLACK, external, key, str(user), address), value)


# ---- what Closebot sends ---------------------------------------------------------------------------


def escape(text: str) -> str:
    """Text as mrkdwn shows it literally: ``&``, ``<`` and ``>`` escaped (no ping, no hidden link)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(text: str, buttons: Sequence[Dict[str, Any]] = ()) -> Tuple[str, List[Dict[str, Any]]]:
    """``(fallback text, blocks)`` for ``chat.postMessage``: the text in sections of at most
    3,000 characters, then the buttons (payload as the value)."""
    safe = escape(text)
    blocks: List[Dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": part}}
                                    for part in _parts(safe, SECTION_CHARS)]
    elements = []
    for n, button in enumerate(buttons[:BUTTONS]):
        value = str(button.get("payload") or "")
        if len(value) > VALUE_CHARS:
            continue  # cannot be sent back whole: better no button than a wrong one
        title = str(button.get("title") or value)
        elements.append({"type": "button", "action_id": f"closebot-{n}", "value": value,
                         "text": {"type": "plain_text", "text": title[:BUTTON_CHARS], "emoji": True}})
    if elements:
        blocks.append({"type": "actions", "elements": elements})
    return safe[:SECTION_CHARS] or " ", blocks


def _parts(text: str, width: int) -> List[str]:
    """``text`` in pieces of at most ``width`` characters, cut at line ends where possible."""
    parts: List[str] = []
    while len(text) > width:
        cut = text.rfind("\n", 0, width)
        cut = cut if cut > 0 else width
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text] if text else parts or [" "]


def form_payload(body: bytes) -> Optional[Dict[str, Any]]:
    """The JSON of an interactivity request (``payload=`` in a form body), or None."""
    values = parse_qs(body.decode("utf-8", errors="replace")).get("payload")
    if not values:
        return None
    try:
        payload = json.loads(values[0])
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None
