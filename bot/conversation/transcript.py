"""The conversation as the server saw it: recorded per turn, attached to escalations.

Each turn an action handles, the verified user's message and Closebot's answers are kept
(``ConversationLine``); tracker events are never read for this, since a client can write them.
An escalation carries the latest lines, each shortened, within a total size: the advisor
needs the gist, and the ticket row must stay small. ``said_here`` lets a note taken from a
slot through only when the user really typed it in this conversation.
"""

from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import clock
from bot.core.text import shorten
from bot.store.db import begin_write
from bot.store.models import ConversationLine

MAX_MESSAGES = 30
#: Lines read back when checking a note or building a transcript.
RECENT_LINES = 200
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


def record_user(session: Session, conversation: str, user_id: str, message_id: Optional[str],
                text: Optional[str]) -> None:
    """Keep what the user said in this turn (once per message, however many actions run)."""
    text = (text or "").strip()
    if not user_id or not text:
        return
    if text.startswith("/"):  # a button's payload: say which, not the JSON
        text = f"[button: {shorten(text[1:].split('{')[0], 60)}]"
    if message_id and session.scalar(
            select(ConversationLine.id).where(ConversationLine.message_id == message_id,
                                              ConversationLine.speaker == "user").limit(1)):
        return
    begin_write(session)
    session.add(ConversationLine(conversation_key=conversation, user_id=user_id, message_id=message_id,
                                 speaker="user", text=text, at=clock.now()))


def record_answer(session: Session, conversation: str, user_id: str, message_id: Optional[str],
                  texts: Sequence[str]) -> None:
    """Keep what Closebot answered the user in this turn."""
    if not user_id:
        return
    for text in texts:
        if text and text.strip():
            begin_write(session)
            session.add(ConversationLine(conversation_key=conversation, user_id=user_id,
                                         message_id=message_id, speaker="bot", text=text, at=clock.now()))


def lines(session: Session, conversation: str, user_id: str, limit: int = RECENT_LINES) -> List[Dict[str, Any]]:
    """The user's latest lines in the conversation (and the answers to them), oldest first."""
    rows = session.scalars(
        select(ConversationLine)
        .where(ConversationLine.conversation_key == conversation, ConversationLine.user_id == user_id)
        .order_by(ConversationLine.id.desc()).limit(limit)
    ).all()
    return [{"event": r.speaker, "text": r.text, "timestamp": r.at.timestamp() if r.at else None}
            for r in reversed(rows)]


def conversation_transcript(session: Session, conversation: str, user_id: str) -> List[Dict[str, str]]:
    """The bounded transcript an escalation attaches: this user's part of the conversation."""
    return build_transcript(lines(session, conversation, user_id))


def said_here(session: Session, conversation: str, user_id: str, text: Optional[str]) -> Optional[str]:
    """``text`` when the user typed it (or typed a message containing it) in this conversation;
    None otherwise: a note forged into a slot never becomes ticket text."""
    wanted = (text or "").strip()
    if not wanted:
        return None
    for line in reversed(lines(session, conversation, user_id)):
        if line["event"] == "user" and wanted in line["text"]:
            return wanted
    return None
