"""A bounded transcript of a conversation, attached to escalations for the advisor.

Built from Rasa tracker events passed as plain dicts (``{"event": "user", "text": ...,
"timestamp": ...}``), so ``bot`` stays free of Rasa. Only the latest messages are kept,
each shortened, within a total size: the advisor needs the gist, and the ticket row must
stay small.
"""

from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List

from bot.core.text import shorten

MAX_MESSAGES = 30
MAX_MESSAGE_CHARS = 400
MAX_TOTAL_CHARS = 6000

_SPEAKERS = {"user": "user", "bot": "bot"}


def build_transcript(
    events: Iterable[Dict[str, Any]],
    max_messages: int = MAX_MESSAGES,
    max_message_chars: int = MAX_MESSAGE_CHARS,
    max_total_chars: int = MAX_TOTAL_CHARS,
) -> List[Dict[str, str]]:
    """The latest user and bot messages, oldest first, within the caps."""
    messages = []
    for event in events:
        who = _SPEAKERS.get(event.get("event", ""))
        text = (event.get("text") or "").strip()
        if who is None or not text:
            continue
        text = shorten(text, max_message_chars)
        messages.append({"at": _iso(event.get("timestamp")), "who": who, "text": text})
    kept: List[Dict[str, str]] = []
    total = 0
    for message in reversed(messages[-max_messages:]):
        total += len(message["text"])
        if total > max_total_chars:
            break
        kept.append(message)
    return list(reversed(kept))


def _iso(timestamp: Any) -> str:
    try:
        return datetime.fromtimestamp(float(timestamp), tz=timezone.utc).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""
