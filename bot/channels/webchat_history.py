"""What a web chat page shows, kept on the server: a reload (or a second tab) rebuilds the page
from these lines, and ticket news waits here until the page pulls it.

The lines are the page's own record (with buttons), not the actions' transcript
(``bot.conversation.transcript``), which keeps only what an escalation needs.
"""

from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import clock
from bot.core.text import shorten
from bot.store.db import begin_write
from bot.store.models import WebChatLine

#: Lines a page gets back on load; older ones stay in the store.
HISTORY_LINES = 200
#: A line longer than this is kept shortened (the 4,000-character limit applies before NLU).
MAX_LINE_CHARS = 8000
MAX_BUTTONS = 25


def record(session: Session, key: str, speaker: str, text: str,
           buttons: Optional[Sequence[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """Keep one line of the conversation; returns it as the page gets it."""
    begin_write(session)
    line = WebChatLine(conversation_key=key, speaker=speaker, text=shorten(text or "", MAX_LINE_CHARS),
                       buttons=list(buttons or [])[:MAX_BUTTONS] or None, at=clock.now())
    session.add(line)
    session.flush()
    return shown(line)


def record_turn(session: Session, key: str, said: str, replies: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """What the person said and Closebot's rendered replies (``bot.channels.webchat.render``)."""
    lines = [record(session, key, WebChatLine.USER, said)]
    lines += [record(session, key, WebChatLine.BOT, r.get("text") or "", r.get("buttons")) for r in replies]
    return lines


def history(session: Session, key: str, limit: int = HISTORY_LINES) -> List[Dict[str, Any]]:
    """The conversation's latest lines, oldest first."""
    rows = session.scalars(select(WebChatLine).where(WebChatLine.conversation_key == key)
                           .order_by(WebChatLine.id.desc()).limit(limit)).all()
    return [shown(row) for row in reversed(rows)]


def since(session: Session, key: str, after: int, limit: int = HISTORY_LINES) -> List[Dict[str, Any]]:
    """The lines after the page's cursor ``after`` (news, and turns taken in another tab)."""
    rows = session.scalars(select(WebChatLine)
                           .where(WebChatLine.conversation_key == key, WebChatLine.id > after)
                           .order_by(WebChatLine.id).limit(limit)).all()
    return [shown(row) for row in rows]


def shown(line: WebChatLine) -> Dict[str, Any]:
    return {"id": line.id, "who": line.speaker, "text": line.text or "", "buttons": line.buttons or [],
            "at": line.at.isoformat(timespec="seconds") if line.at else None}
