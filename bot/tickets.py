"""Close tickets: create (idempotently), read, list, assign, update status, comment, resolve.

Every change is audited and, when someone other than the requester made it, queued as a
notification for the requester (bot.notifications).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import case, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit, notifications
from bot.db import begin_write
from bot.diagnosis.result import Blocker, Diagnosis
from bot.errors import NotFoundError
from bot.models import Company, Ticket, TicketComment, TicketResolution, User
from bot.nlp.normalize import resolve_ticket_number
from bot.outbox import store as outbox
from bot.vocabulary import (
    DONE_TICKET_STATUSES,
    OPEN_TICKET_STATUSES,
    TICKET_CATEGORIES,
    TICKET_STATUSES,
)

NUMBER_PREFIX = "CLS-"
SEVERITY_PRIORITY = {"critical": 1, "high": 2, "medium": 3, "low": 4}


@dataclass(frozen=True)
class TicketView:
    """A ticket as people and the CLI see it (the contract's ``tickets list --json`` row)."""

    number: str
    requester: str
    company: str
    period: Optional[str]
    category: str
    status: str
    priority: int
    summary: str
    assignee: Optional[str]
    created_at: str
    updated_at: Optional[str]
    comments: int

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


def view(ticket: Ticket) -> TicketView:
    return TicketView(
        number=ticket.number,
        requester=ticket.requester_id,
        company=ticket.company_id,
        period=ticket.period,
        category=ticket.category,
        status=ticket.status,
        priority=ticket.priority,
        summary=ticket.summary,
        assignee=ticket.assignee_id,
        created_at=ticket.created_at.isoformat(),
        updated_at=ticket.updated_at.isoformat() if ticket.updated_at else None,
        comments=len(ticket.comments),
    )


def category_for(diagnosis: Optional[Diagnosis]) -> str:
    """The kind of the top root cause, or ``other`` when there is nothing to blame."""
    if diagnosis and diagnosis.blockers:
        return diagnosis.root_causes[0].kind if diagnosis.root_causes else diagnosis.blockers[0].kind
    return "other"


def priority_for(diagnosis: Optional[Diagnosis], deadline: Optional[datetime], now: datetime,
                 focus: Optional[Blocker] = None) -> int:
    """1 (highest) .. 4 from the worst blocker severity (or the ``focus`` blocker's), one step
    more urgent inside 24 h of the close deadline."""
    if focus is not None:
        severities = [focus.severity]
    else:
        severities = [b.severity for b in diagnosis.blockers] if diagnosis else []
    priority = min((SEVERITY_PRIORITY[s] for s in severities), default=3)
    if deadline is not None and deadline - now <= timedelta(hours=24):
        priority -= 1
    return max(1, min(4, priority))


def summary_for(diagnosis: Optional[Diagnosis], note: Optional[str],
                focus: Optional[Blocker] = None) -> str:
    if diagnosis and diagnosis.blockers:
        top = focus or (diagnosis.root_causes[0] if diagnosis.root_causes else diagnosis.blockers[0])
        head = f"{diagnosis.company} {diagnosis.period} {diagnosis.module} blocked: {top.summary}"
    elif diagnosis:
        head = f"{diagnosis.company} {diagnosis.period} {diagnosis.module}: help requested"
    else:
        head = "Close help requested"
    return head if not note else f"{head} | Requester: {note}"


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
    requester_id: str,
    company_id: str,
    diagnosis: Optional[Diagnosis] = None,
    period: Optional[str] = None,
    note: Optional[str] = None,
    idempotency_key: Optional[str] = None,
    category: Optional[str] = None,
    now: Optional[datetime] = None,
    focus: Optional[Blocker] = None,
) -> Ticket:
    """Open a ticket with the diagnosis attached; the same idempotency key yields the same ticket.

    ``focus`` is the blocker the requester is asking about (e.g. an outage, making the ticket
    an incident): it sets the category, the summary and the priority.

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
    now = now or datetime.now(timezone.utc)
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
        audit.record(
            session, requester_id, "ticket_create", company_id,
            {"number": ticket.number, "category": category, "priority": ticket.priority},
        )
        outbox.on_created(session, ticket)  # same transaction: no ticket without its delivery
        return ticket
    raise RuntimeError("could not allocate a ticket number")


def get_ticket(session: Session, number: str) -> Ticket:
    """The ticket as typed: "CLS-000002", "cls-2" and "#CLS2" name the same one."""
    number = resolve_ticket_number(number)
    ticket = session.scalar(select(Ticket).where(func.upper(Ticket.number) == number.upper()))
    if ticket is None:
        raise NotFoundError(f"no ticket {number}")
    return ticket


def list_tickets(
    session: Session,
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


def update_status(session: Session, number: str, status: str, actor: Optional[str]) -> Ticket:
    if status not in TICKET_STATUSES:
        raise ValueError(f"status must be one of {', '.join(TICKET_STATUSES)}")
    ticket = get_ticket(session, number)
    old = ticket.status
    ticket.status = status
    ticket.updated_at = datetime.now(timezone.utc)
    audit.record(session, actor, "ticket_status", ticket.company_id,
                 {"number": ticket.number, "from": old, "to": status})
    if old != status:
        notifications.notify_requester(
            session, ticket, actor,
            f"{ticket.number} is now {status.replace('_', ' ')} ({display_name(session, actor)}).",
        )
        outbox.on_changed(session, ticket, outbox.STATUS, {"status": status})
    return ticket


def add_comment(
    session: Session, number: str, body: str, author_id: Optional[str], notify: bool = True
) -> Ticket:
    ticket = get_ticket(session, number)
    ticket.comments.append(TicketComment(author_id=author_id, body=body))
    ticket.updated_at = datetime.now(timezone.utc)
    audit.record(session, author_id, "ticket_comment", ticket.company_id, {"number": ticket.number})
    outbox.on_changed(session, ticket, outbox.COMMENT, {"body": f"{display_name(session, author_id)}: {body}"})
    if notify:
        notifications.notify_requester(
            session, ticket, author_id,
            f"{_capitalised(display_name(session, author_id))} commented on {ticket.number}: {shorten(body, 200)}",
        )
    return ticket


def assign(session: Session, number: str, assignee_id: str, actor: Optional[str]) -> Ticket:
    """Give the ticket to someone; a new ticket moves to in progress once someone owns it."""
    ticket = get_ticket(session, number)
    if session.get(User, assignee_id) is None:
        raise NotFoundError(f"no user {assignee_id!r} in the directory")
    old, old_status = ticket.assignee_id, ticket.status
    ticket.assignee_id = assignee_id
    if ticket.status == "new":
        ticket.status = "in_progress"
    ticket.updated_at = datetime.now(timezone.utc)
    audit.record(session, actor, "ticket_assign", ticket.company_id,
                 {"number": ticket.number, "from": old, "to": assignee_id})
    if old != assignee_id:
        notifications.notify_requester(
            session, ticket, actor,
            f"{display_name(session, assignee_id)} is now handling {ticket.number}.",
        )
        if ticket.status != old_status:
            outbox.on_changed(session, ticket, outbox.STATUS, {"status": ticket.status})
        outbox.on_changed(session, ticket, outbox.COMMENT,
                          {"body": f"Assigned to {display_name(session, assignee_id)} ({assignee_id})."})
    return ticket


def resolve(
    session: Session, number: str, note: str, actor: Optional[str], status: str = "resolved"
) -> Ticket:
    """Resolve (or close) a ticket with a note saying what was done; the note is kept."""
    if status not in DONE_TICKET_STATUSES:
        raise ValueError(f"a ticket is resolved with one of {', '.join(DONE_TICKET_STATUSES)}")
    note = (note or "").strip()
    if not note:
        raise ValueError("a resolution note is required")
    ticket = get_ticket(session, number)
    old = ticket.status
    ticket.status = status
    ticket.updated_at = datetime.now(timezone.utc)
    session.add(TicketResolution(ticket_id=ticket.id, resolved_by=actor, note=note, status=status))
    audit.record(session, actor, "ticket_resolve", ticket.company_id,
                 {"number": ticket.number, "from": old, "to": status})
    notifications.notify_requester(
        session, ticket, actor,
        f"✅ {ticket.number} is {status} by {display_name(session, actor)}: {shorten(note, 200)}",
    )
    outbox.on_changed(session, ticket, outbox.STATUS, {"status": status, "note": note})
    return ticket


def latest_resolution(session: Session, ticket: Ticket) -> Optional[TicketResolution]:
    return session.scalar(
        select(TicketResolution)
        .where(TicketResolution.ticket_id == ticket.id)
        .order_by(TicketResolution.id.desc())
        .limit(1)
    )


def display_name(session: Session, user_id: Optional[str]) -> str:
    """A person's name for messages ("Hana Kim"), their id if unknown, "the helpdesk" if none."""
    if not user_id:
        return "the helpdesk"
    user = session.get(User, user_id)
    return user.name if user is not None and user.name else user_id


def render_ticket_table(rows: Sequence[TicketView]) -> str:
    """A fixed-width table for terminals."""
    if not rows:
        return "No tickets."
    headers = ("number", "status", "prio", "company", "period", "category", "assignee", "summary")
    lines = [
        (r.number, r.status, str(r.priority), r.company, r.period or "-", r.category,
         r.assignee or "-", shorten(r.summary, 60))
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*headers), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def topic(summary: str, company: str, period: Optional[str]) -> str:
    """A ticket summary without the "C100 2026-11 general_ledger blocked: " the listing already says."""
    prefix = f"{company} {period or ''}".strip() + " "
    if not summary.startswith(prefix):
        return summary
    rest = summary[len(prefix):]
    head, sep, tail = rest.partition(" blocked: ")
    return tail if sep and " " not in head else rest


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
