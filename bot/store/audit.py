"""The audit log: what the assistant did for whom, and in which conversation turn."""

from typing import Any, Dict, Optional

from sqlalchemy.orm import Session

from bot.store.models import AuditEntry, AuditTurn

_TURN = "closebot_turn"


def in_turn(session: Session, conversation: str, message_id: Optional[str]) -> None:
    """Mark ``session`` as serving one conversation turn: its audit rows name the turn.

    The analytics consumer reads a turn on the event broker and finds here what it did (a
    diagnosis with its blocker kinds, a ticket); without a message id there is nothing to link.
    """
    if message_id:
        session.info[_TURN] = (conversation, message_id)


def record(
    session: Session,
    actor: Optional[str],
    action: str,
    company_id: Optional[str] = None,
    detail: Optional[Dict[str, Any]] = None,
) -> None:
    """Add an audit row in the caller's transaction, so it commits with the work it describes."""
    entry = AuditEntry(actor=actor, action=action, company_id=company_id, detail=detail)
    session.add(entry)
    turn = session.info.get(_TURN)
    if turn is not None:
        session.add(AuditTurn(entry=entry, conversation_key=turn[0], message_id=turn[1]))
