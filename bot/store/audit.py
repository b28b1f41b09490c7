"""The audit log: what the assistant did for whom."""

from typing import Any, Dict, Optional

from sqlalchemy.orm import Session

from bot.store.models import AuditEntry


def record(
    session: Session,
    actor: Optional[str],
    action: str,
    company_id: Optional[str] = None,
    detail: Optional[Dict[str, Any]] = None,
) -> None:
    """Add an audit row in the caller's transaction, so it commits with the work it describes."""
    session.add(AuditEntry(actor=actor, action=action, company_id=company_id, detail=detail))
