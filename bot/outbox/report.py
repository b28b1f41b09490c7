"""What ``closebot outbox status`` tells an operator: counts, the oldest wait, what failed and why."""

from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.outbox import store
from bot.outbox.config import system_name
from bot.store.models import OutboxEntry, Ticket

#: Rows listed per section; the counts always cover everything.
LISTED = 10


def status(session: Session, backend: Optional[str], now: datetime) -> Dict[str, Any]:
    """The outbox at ``now`` as JSON-ready data (``backend``: the configured system, None = local)."""
    counts = {state: 0 for state in store.STATES}
    for state, n in session.execute(
            select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)):
        counts[state] = n
    pending = _rows(session, OutboxEntry.state == store.PENDING,
                    OutboxEntry.created_at, OutboxEntry.id)
    retrying = [r for r in pending if r["attempts"] > 0]
    in_flight = session.scalar(select(func.count()).select_from(OutboxEntry).where(
        OutboxEntry.state == store.PENDING, OutboxEntry.lease_expires_at > now))
    next_attempt = session.scalar(select(func.min(OutboxEntry.next_attempt_at)).where(
        OutboxEntry.state == store.PENDING))
    oldest = pending[0] if pending else None
    return {
        "backend": backend or "local",
        "counts": counts,
        "in_flight": in_flight,
        "oldest_pending": None if oldest is None else dict(
            oldest, age_seconds=round((now - datetime.fromisoformat(oldest["created_at"])).total_seconds(), 1)),
        "next_attempt_at": next_attempt.isoformat() if next_attempt else None,
        "retrying": retrying[:LISTED],
        "failed": _rows(session, OutboxEntry.state == store.FAILED, OutboxEntry.id)[:LISTED],
        "other_system": sorted({r["system"] for r in pending if backend and r["system"] != backend}),
    }


def _rows(session: Session, where: Any, *order: Any) -> List[Dict[str, Any]]:
    rows = session.execute(
        select(OutboxEntry, Ticket.number).join(Ticket, Ticket.id == OutboxEntry.ticket_id)
        .where(where).order_by(*order)
    )
    return [
        {"ticket": number, "operation": row.operation, "system": row.system, "attempts": row.attempts or 0,
         "created_at": row.created_at.isoformat(), "next_attempt_at": row.next_attempt_at.isoformat(),
         "leased_until": row.lease_expires_at.isoformat() if row.lease_expires_at else None,
         "last_error": row.last_error}
        for row, number in rows
    ]


def render(report: Dict[str, Any]) -> str:
    """The report for a terminal: one line of counts, then the oldest wait and each failure."""
    backend = report["backend"]
    counts = report["counts"]
    lines = [f"backend: {backend}" + ("" if backend == "local" else f" ({system_name(backend)})"),
             " · ".join(f"{state} {counts[state]}" for state in store.STATES)
             + (f" · in flight {report['in_flight']}" if report["in_flight"] else "")]
    oldest = report["oldest_pending"]
    if oldest:
        lines.append(f"oldest pending: {oldest['ticket']} {oldest['operation']} for {oldest['system']}, "
                     f"waiting {_age(oldest['age_seconds'])}, {oldest['attempts']} attempt(s)")
        lines.append(f"next attempt: {report['next_attempt_at']}")
    for row in report["retrying"]:
        lines.append(f"retrying: {row['ticket']} {row['operation']} ({row['attempts']} attempt(s), next "
                     f"{row['next_attempt_at']}): {row['last_error']}")
    for row in report["failed"]:
        lines.append(f"failed: {row['ticket']} {row['operation']} to {row['system']} "
                     f"({row['attempts']} attempt(s)): {row['last_error']}")
    if report["failed"]:
        lines.append("fix the cause, then `closebot outbox flush --retry-failed`")
    for system in report["other_system"]:
        lines.append(f"note: rows queued for {system} wait until {system} is the configured backend again")
    return "\n".join(lines)


def _age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
