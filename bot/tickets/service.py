"""Close tickets: create (idempotently), read, list, assign, update status, comment, resolve.

Each change publishes one event (:mod:`bot.tickets.events`); the audit row, the requester's
notice and the remote delivery follow from it (:mod:`bot.tickets.reactions`).
"""

from datetime import datetime
from typing import List, Optional, Sequence

from sqlalchemy import case, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import clock
from bot.core.errors import NotFoundError
from bot.core.vocabulary import DONE_TICKET_STATUSES, OPEN_TICKET_STATUSES, TICKET_CATEGORIES, TICKET_STATUSES
from bot.diagnosis.result import Blocker, Diagnosis
from bot.nlp.normalize import resolve_ticket_number
from bot.store.db import begin_write
from bot.store.models import Company, Ticket, TicketComment, TicketConversation, TicketResolution, User
from bot.tickets.content import category_for, priority_for, summary_for
from bot.tickets.events import CommentAdded, StatusChanged, TicketAssigned, TicketCreated, TicketResolved
from bot.tickets.reactions import publish
from bot.tickets.views import TicketView, view

NUMBER_PREFIX = "CLS-"


#: pg_advisory_xact_lock key that serialises ticket numbering (any constant unique to this use).
TICKET_NUMBER_LOCK = 0x434C53  # "CLS"


def _lock_numbering(session: Session) -> None:
    """Let one transaction at a time pick a number on PostgreSQL, until it commits.

    Without it, parallel writers (several action server workers or threads) all read the same
    highest number, and all but one lose the unique race on every retry. The lock is held for
    the rest of a short transaction. On SQLite, ``begin_write`` takes the one write lock, and
    keeps the savepoint around the insert inside the transaction (so the ticket, its audit row
    and its outbox row commit or roll back together).
    """
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TICKET_NUMBER_LOCK})


def _next_number(session: Session) -> str:
    seq = session.scalar(select(func.max(Ticket.id))) or 0
    while True:
        seq += 1
        number = f"{NUMBER_PREFIX}{seq:06d}"
        if session.scalar(select(Ticket.id).where(Ticket.number == number)) is None:
            return number


def find_by_key(session: Session, idempotency_key: str) -> Optional[Ticket]:
    return session.scalar(select(Ticket).where(Ticket.idempotency_key == idempotency_key))


def create_ticket(
    session: Session,
    *,
    requester_id: str,
    company_id: str,
    diagnosis: Optional[Diagnosis] = None,
    period: Optional[str] = None,
    note: Optional[str] = None,
    idempotency_key: Optional[str] = None,
    category: Optional[str] = None,
    focus: Optional[Blocker] = None,
    conversation: Optional[str] = None,
    now: Optional[datetime] = None,
) -> Ticket:
    """Open a ticket with the diagnosis attached; the same idempotency key yields the same ticket.

    ``focus`` is the blocker the requester is asking about (e.g. an outage, making the ticket
    an incident): it sets the category, the summary and the priority. ``conversation`` is the
    chat conversation it is opened from: the requester hears its news there.

    The key is what makes "create the same ticket twice from one conversation turn" safe:
    a retried action or a double click finds the first ticket instead of opening another.
    """
    if idempotency_key:
        existing = find_by_key(session, idempotency_key)
        if existing is not None:
            return existing
    company = session.get(Company, company_id)
    if company is None:
        raise NotFoundError(f"unknown company {company_id!r}")
    now = now or clock.now()
    category = category or (focus.kind if focus is not None else category_for(diagnosis))
    if category not in TICKET_CATEGORIES:
        raise ValueError(f"unknown ticket category {category!r}")
    _lock_numbering(session)
    for _attempt in range(5):
        ticket = Ticket(
            number=_next_number(session),
            requester_id=requester_id,
            company_id=company_id,
            period=period or (diagnosis.period if diagnosis else None),
            category=category,
            status="new",
            priority=priority_for(diagnosis, company.close_deadline, now, focus),
            summary=summary_for(diagnosis, note, focus),
            created_at=now,
            updated_at=now,
            idempotency_key=idempotency_key,
            diagnosis=diagnosis.to_dict() if diagnosis else None,
        )
        try:
            with session.begin_nested():
                session.add(ticket)
        except IntegrityError:
            # Another writer took this number or this key at the same moment.
            if idempotency_key:
                existing = find_by_key(session, idempotency_key)
                if existing is not None:
                    return existing
            continue
        publish(session, TicketCreated(ticket, requester_id, conversation=conversation))
        return ticket
    raise RuntimeError("could not allocate a ticket number")


def open_in_conversation(session: Session, conversation: str, *, requester_id: str, company_id: str,
                         period: Optional[str], category: str) -> Optional[Ticket]:
    """The requester's open ticket of this category for this close, opened in this conversation:
    asking again (a retry after a slow answer, a second click) finds it instead of a twin."""
    return session.scalar(
        select(Ticket)
        .join(TicketConversation, TicketConversation.ticket_id == Ticket.id)
        .where(TicketConversation.conversation_key == conversation, Ticket.requester_id == requester_id,
               Ticket.company_id == company_id, Ticket.period == period, Ticket.category == category,
               Ticket.status.in_(OPEN_TICKET_STATUSES))
        .order_by(Ticket.id)
        .limit(1)
    )


def get_ticket(session: Session, number: str) -> Ticket:
    """The ticket as typed: "CLS-000002", "cls-2" and "#CLS2" name the same one."""
    number = resolve_ticket_number(number)
    ticket = session.scalar(select(Ticket).where(func.upper(Ticket.number) == number.upper()))
    if ticket is None:
        raise NotFoundError(f"no ticket {number}")
    return ticket


def list_tickets(
    session: Session,
    *,
    requester_id: Optional[str] = None,
    company_id: Optional[str] = None,
    statuses: Optional[Sequence[str]] = None,
    limit: Optional[int] = None,
    assignee_id: Optional[str] = None,
    unassigned: bool = False,
) -> List[TicketView]:
    """Tickets ordered for triage: open before done, then by close deadline, then priority.

    Filters combine: ``assignee_id`` keeps one person's tickets, ``unassigned`` the ones
    nobody has picked up yet.
    """
    open_first = case((Ticket.status.in_(OPEN_TICKET_STATUSES), 0), else_=1)
    stmt = (
        select(Ticket)
        .join(Company, Company.id == Ticket.company_id)
        .order_by(
            open_first,
            Company.close_deadline.is_(None),
            Company.close_deadline,
            Ticket.priority,
            Ticket.created_at,
        )
    )
    if requester_id:
        stmt = stmt.where(Ticket.requester_id == requester_id)
    if company_id:
        stmt = stmt.where(Ticket.company_id == company_id)
    if statuses:
        stmt = stmt.where(Ticket.status.in_(list(statuses)))
    if assignee_id:
        stmt = stmt.where(Ticket.assignee_id == assignee_id)
    if unassigned:
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    if limit:
        stmt = stmt.limit(limit)
    return [view(t) for t in session.scalars(stmt)]


def update_status(session: Session, number: str, status: str, *, actor: Optional[str]) -> Ticket:
    if status not in TICKET_STATUSES:
        raise ValueError(f"status must be one of {', '.join(TICKET_STATUSES)}")
    ticket = get_ticket(session, number)
    old = ticket.status
    ticket.status = status
    ticket.updated_at = clock.now()
    publish(session, StatusChanged(ticket, actor, old_status=old))
    return ticket


def add_comment(session: Session, number: str, body: str, *, author_id: Optional[str],
                tell_requester: bool = True) -> Ticket:
    """Add a comment; ``tell_requester=False`` when the requester hears of it another way."""
    ticket = get_ticket(session, number)
    ticket.comments.append(TicketComment(author_id=author_id, body=body))
    ticket.updated_at = clock.now()
    publish(session, CommentAdded(ticket, author_id, body=body, tell_requester=tell_requester))
    return ticket


def assign(session: Session, number: str, assignee_id: str, *, actor: Optional[str]) -> Ticket:
    """Give the ticket to someone; a new ticket moves to in progress once someone owns it."""
    ticket = get_ticket(session, number)
    if session.get(User, assignee_id) is None:
        raise NotFoundError(f"no user {assignee_id!r} in the directory")
    old, old_status = ticket.assignee_id, ticket.status
    ticket.assignee_id = assignee_id
    if ticket.status == "new":
        ticket.status = "in_progress"
    ticket.updated_at = clock.now()
    publish(session, TicketAssigned(ticket, actor, old_assignee=old, old_status=old_status))
    return ticket


def resolve(session: Session, number: str, note: str, *, actor: Optional[str],
            status: str = "resolved") -> Ticket:
    """Resolve (or close) a ticket with a note saying what was done; the note is kept."""
    if status not in DONE_TICKET_STATUSES:
        raise ValueError(f"a ticket is resolved with one of {', '.join(DONE_TICKET_STATUSES)}")
    note = (note or "").strip()
    if not note:
        raise ValueError("a resolution note is required")
    ticket = get_ticket(session, number)
    old = ticket.status
    ticket.status = status
    ticket.updated_at = clock.now()
    session.add(TicketResolution(ticket_id=ticket.id, resolved_by=actor, note=note, status=status))
    publish(session, TicketResolved(ticket, actor, old_status=old, note=note))
    return ticket


def latest_resolution(session: Session, ticket: Ticket) -> Optional[TicketResolution]:
    return session.scalar(
        select(TicketResolution)
        .where(TicketResolution.ticket_id == ticket.id)
        .order_by(TicketResolution.id.desc())
        .limit(1)
    )
