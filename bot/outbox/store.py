"""Outbox rows: written with the ticket change, claimed under a lease, finished once.

Every write here joins the caller's transaction except ``claim`` and the ``finish_*``
functions, which are single conditional UPDATEs whose row count says whether this worker
still owns the row. That check is what keeps two workers (threads, processes, hosts) from
delivering the same row, on SQLite and PostgreSQL alike, without any table lock.
"""

import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Set

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.core import clock
from bot.diagnosis.result import Diagnosis
from bot.integrations.ticketing.base import RemoteTicketRequest
from bot.outbox.config import remote_system
from bot.store.models import OutboxEntry, Ticket, TicketLink, User

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATES = (PENDING, DELIVERED, FAILED)
CREATE, STATUS, COMMENT = "create", "status", "comment"

#: How much of a remote error is kept for operators (the remote's own words, never secrets).
ERROR_WIDTH = 500


# ---- writing (inside the caller's transaction) ---------------------------------------------


def new_correlation_id() -> str:
    """A ticket's correlation id: random, so a ticket number reused after a scenario reload
    can never find the remote ticket of an older namesake."""
    return f"closebot-{uuid.uuid4().hex}"


def create_row(session: Session, ticket_id: int, system: str) -> Optional[OutboxEntry]:
    return session.scalar(select(OutboxEntry).where(
        OutboxEntry.ticket_id == ticket_id, OutboxEntry.system == system,
        OutboxEntry.operation == CREATE))


def on_created(session: Session, ticket: Ticket, system: Optional[str] = None) -> Optional[OutboxEntry]:
    """Queue the remote create of a new ticket (nothing when tickets stay local)."""
    system = system or remote_system()
    if system is None:
        return None
    existing = create_row(session, ticket.id, system)
    if existing is not None:
        return existing
    correlation_id = new_correlation_id()
    row = OutboxEntry(
        ticket_id=ticket.id, system=system, operation=CREATE,
        payload=asdict(create_request(session, ticket, correlation_id)),
        correlation_id=correlation_id, idempotency_key=f"{system}:{ticket.id}:create",
        state=PENDING, attempts=0, next_attempt_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def on_changed(session: Session, ticket: Ticket, operation: str, payload: Dict[str, Any],
               system: Optional[str] = None) -> Optional[OutboxEntry]:
    """Queue a status change or comment for a ticket that is (or will be) in the remote system.

    Tickets never sent there (opened while tickets were local) are left alone: there is no
    remote ticket to change.
    """
    if operation not in (STATUS, COMMENT):
        raise ValueError(f"unknown outbox operation {operation!r}")
    system = system or remote_system()
    if system is None:
        return None
    create = create_row(session, ticket.id, system)
    if create is None:
        return None
    row = OutboxEntry(
        ticket_id=ticket.id, system=system, operation=operation, payload=payload,
        correlation_id=create.correlation_id,
        idempotency_key=f"{create.correlation_id}:{operation}:{uuid.uuid4().hex[:16]}",
        state=PENDING, attempts=0, next_attempt_at=clock.now(),
    )
    session.add(row)
    return row


def create_request(session: Session, ticket: Ticket, correlation_id: str) -> RemoteTicketRequest:
    """The ticket as the remote system receives it: our summary, the root causes, the people."""
    requester = session.get(User, ticket.requester_id) if ticket.requester_id else None
    who = f"{requester.name} ({requester.id})" if requester is not None else ticket.requester_id
    lines = [ticket.summary, "",
             f"Closebot ticket {ticket.number} for {ticket.company_id} {ticket.period or ''}".rstrip()
             + f", requested by {who}."]
    if ticket.diagnosis:
        roots = Diagnosis.from_dict(ticket.diagnosis).root_causes
        if roots:
            lines.append("Root causes found by Closebot:")
        for b in roots:
            refs = f" [{', '.join(b.refs)}]" if b.refs else ""
            lines.append(f"- {b.kind.replace('_', ' ')} ({b.module}){refs}: {b.summary} Fix: {b.fix}")
    return RemoteTicketRequest(
        correlation_id=correlation_id, local_number=ticket.number, summary=ticket.summary[:160],
        description="\n".join(lines), category=ticket.category, priority=ticket.priority,
        status=ticket.status, company=ticket.company_id, period=ticket.period,
        requester=ticket.requester_id, labels=["closebot", ticket.category],
    )


# ---- claiming and finishing (each commits on its own) --------------------------------------


def due(session: Session, system: str, now: datetime, limit: int = 20, ignore_backoff: bool = False,
        exclude: Optional[Set[int]] = None, ticket_id: Optional[int] = None) -> List[int]:
    """Ids of rows a worker may take now, oldest first.

    A row waits while an earlier row of the same ticket is undelivered (a status change
    must not overtake the create), and while another worker's lease on it runs.
    """
    earlier = aliased(OutboxEntry)
    blocked = exists().where(
        earlier.ticket_id == OutboxEntry.ticket_id, earlier.system == OutboxEntry.system,
        earlier.id < OutboxEntry.id, earlier.state != DELIVERED,
    )
    stmt = (
        select(OutboxEntry.id)
        .where(OutboxEntry.state == PENDING, OutboxEntry.system == system, _lease_free(now), ~blocked)
        .order_by(OutboxEntry.id)
        .limit(limit)
    )
    if not ignore_backoff:
        stmt = stmt.where(OutboxEntry.next_attempt_at <= now)
    if exclude:
        stmt = stmt.where(OutboxEntry.id.not_in(sorted(exclude)))
    if ticket_id is not None:
        stmt = stmt.where(OutboxEntry.ticket_id == ticket_id)
    return list(session.scalars(stmt))


def _lease_free(now: datetime) -> Any:
    return or_(OutboxEntry.lease_expires_at.is_(None), OutboxEntry.lease_expires_at <= now)


def claim(session: Session, entry_id: int, owner: str, now: datetime, lease_seconds: float) -> bool:
    """Take the row for ``lease_seconds``; False when another worker holds it or it is done."""
    return take(session, entry_id, owner, now, lease_seconds) is not None


def take(session: Session, entry_id: int, owner: str, now: datetime, lease_seconds: float) -> Optional[bool]:
    """Claim the row: None when another worker holds it or it is done, else whether the row was
    taken over from a lease that ran out.

    A lease that ran out means a worker died (or hung) mid-delivery, maybe after the remote
    stored the change: the next delivery must check before sending again. Two conditional
    UPDATEs (never-leased first, then expired) tell the cases apart without reading first.
    """
    values = {"lease_owner": owner, "lease_expires_at": now + timedelta(seconds=lease_seconds)}
    pending = and_(OutboxEntry.id == entry_id, OutboxEntry.state == PENDING)
    taken_over = False
    for free in (OutboxEntry.lease_owner.is_(None),
                 and_(OutboxEntry.lease_owner.is_not(None), _lease_free(now))):
        result = session.execute(update(OutboxEntry).where(pending, free).values(**values)
                                 .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            session.commit()
            return taken_over
        taken_over = True
    session.commit()
    return None


def _owned(entry_id: int, owner: str) -> Any:
    return and_(OutboxEntry.id == entry_id, OutboxEntry.lease_owner == owner, OutboxEntry.state == PENDING)


def renew(session: Session, entry_id: int, owner: str, now: datetime, lease_seconds: float) -> bool:
    """Extend this worker's lease to ``now + lease_seconds`` and commit; False when the row is no
    longer ours (the lease ran out and another worker took the row, or it was finished)."""
    result = session.execute(
        update(OutboxEntry).where(_owned(entry_id, owner))
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def finish_delivered(session: Session, entry_id: int, owner: str, now: datetime) -> bool:
    """Mark the row delivered in the caller's transaction; False if the lease was lost."""
    result = session.execute(
        update(OutboxEntry).where(_owned(entry_id, owner))
        .values(state=DELIVERED, delivered_at=now, attempts=OutboxEntry.attempts + 1,
                last_error=None, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish_retry(session: Session, entry_id: int, owner: str, next_at: datetime, error: str) -> bool:
    """Put the row back for a later attempt, in the caller's transaction."""
    result = session.execute(
        update(OutboxEntry).where(_owned(entry_id, owner))
        .values(attempts=OutboxEntry.attempts + 1, next_attempt_at=next_at,
                last_error=error[:ERROR_WIDTH], lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish_failed(session: Session, entry_id: int, owner: str, error: str) -> bool:
    """Give up on the row (the remote refused it); an operator requeues it after fixing the cause."""
    result = session.execute(
        update(OutboxEntry).where(_owned(entry_id, owner))
        .values(state=FAILED, attempts=OutboxEntry.attempts + 1, last_error=error[:ERROR_WIDTH],
                lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def requeue_failed(session: Session, now: datetime, system: Optional[str] = None) -> int:
    """Failed rows become due again now (``outbox flush --retry-failed``); the error is kept
    until the next attempt replaces it."""
    stmt = update(OutboxEntry).where(OutboxEntry.state == FAILED)
    if system:
        stmt = stmt.where(OutboxEntry.system == system)
    result = session.execute(stmt.values(state=PENDING, next_attempt_at=now)
                             .execution_options(synchronize_session=False))
    return result.rowcount


def count_undelivered(session: Session, system: Optional[str] = None) -> int:
    stmt = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state != DELIVERED)
    if system:
        stmt = stmt.where(OutboxEntry.system == system)
    return session.scalar(stmt) or 0


def link_of(session: Session, ticket_id: int, system: str) -> Optional[TicketLink]:
    return session.scalar(select(TicketLink).where(TicketLink.ticket_id == ticket_id,
                                                   TicketLink.system == system))
