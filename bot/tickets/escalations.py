"""Escalations to the finance advisors: hand a ticket over with the conversation, answer it.

"Escalate to a finance advisor" either opens a ticket for the close or upgrades the
requester's open ticket for it (one step more urgent, the advisors' group attached),
carrying the latest diagnosis and a bounded transcript. An advisor's answer becomes a
ticket comment and a notification for the requester.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from bot.core import clock
from bot.core.errors import NotFoundError
from bot.core.vocabulary import OPEN_TICKET_STATUSES
from bot.diagnosis.result import Diagnosis
from bot.store.models import Company, Escalation, Ticket
from bot.tickets import service as tickets
from bot.tickets.events import EscalationAnswered, TicketEscalated
from bot.tickets.reactions import publish

ADVISOR_GROUP = "finance_advisor"


@dataclass(frozen=True)
class EscalationOutcome:
    ticket: Ticket
    escalation: Escalation
    created_ticket: bool
    already_escalated: bool


def open_ticket_for_close(
    session: Session, requester_id: str, company_id: str, period: Optional[str]
) -> Optional[Ticket]:
    """The requester's most recent open ticket for this company and period, if any."""
    stmt = (
        select(Ticket)
        .where(Ticket.requester_id == requester_id, Ticket.company_id == company_id,
               Ticket.status.in_(OPEN_TICKET_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    if period:
        stmt = stmt.where(Ticket.period == period)
    return session.scalar(stmt)


def escalate(
    session: Session,
    *,
    actor_id: str,
    company_id: str,
    diagnosis: Optional[Diagnosis],
    transcript: List[Dict[str, str]],
    ticket: Optional[Ticket] = None,
    note: Optional[str] = None,
    idempotency_key: Optional[str] = None,
    group: str = ADVISOR_GROUP,
    conversation: Optional[str] = None,
) -> EscalationOutcome:
    """Escalate ``ticket`` (or the actor's open ticket for the close, or a new one)."""
    period = diagnosis.period if diagnosis else None
    created = False
    if ticket is None:
        ticket = open_ticket_for_close(session, actor_id, company_id, period)
    if ticket is None:
        ticket = tickets.create_ticket(
            session, requester_id=actor_id, company_id=company_id, diagnosis=diagnosis, period=period,
            note=note or "escalated to a finance advisor", idempotency_key=idempotency_key,
            conversation=conversation,
        )
        created = True
    existing = session.scalar(
        select(Escalation).where(Escalation.ticket_id == ticket.id, Escalation.group_role == group)
    )
    already = existing is not None and existing.answered_at is None
    escalation = existing or Escalation(ticket_id=ticket.id, group_role=group)
    escalation.escalated_by = actor_id
    escalation.escalated_at = clock.now()
    escalation.note = note
    escalation.diagnosis = diagnosis.to_dict() if diagnosis else ticket.diagnosis
    escalation.transcript = transcript
    escalation.answer = escalation.answered_by = escalation.answered_at = None
    if existing is None:
        session.add(escalation)
    if not created and not already:
        ticket.priority = max(1, ticket.priority - 1)
    if ticket.status == "resolved":
        ticket.status = "in_progress"
    ticket.updated_at = clock.now()
    session.flush()
    publish(session, TicketEscalated(ticket, actor_id, group=group, created=created,
                                     transcript_messages=len(transcript)))
    return EscalationOutcome(ticket, escalation, created, already)


@dataclass(frozen=True)
class EscalationView:
    number: str
    company: str
    period: Optional[str]
    priority: int
    requester: str
    escalated_by: str
    summary: str
    answered: bool


def list_escalations(
    session: Session, group: str = ADVISOR_GROUP, include_answered: bool = False, limit: int = 10
) -> List[EscalationView]:
    """The group's escalations: unanswered first, then by close deadline and priority."""
    stmt = (
        select(Escalation, Ticket)
        .join(Ticket, Ticket.id == Escalation.ticket_id)
        .join(Company, Company.id == Ticket.company_id)
        .where(Escalation.group_role == group)
        .order_by(
            case((Escalation.answered_at.is_(None), 0), else_=1),
            Company.close_deadline.is_(None),
            Company.close_deadline,
            Ticket.priority,
            Escalation.escalated_at,
        )
        .limit(limit)
    )
    if not include_answered:
        stmt = stmt.where(Escalation.answered_at.is_(None))
    return [
        EscalationView(t.number, t.company_id, t.period, t.priority, t.requester_id,
                       e.escalated_by, t.summary, e.answered_at is not None)
        for e, t in session.execute(stmt)
    ]


def get_escalation(session: Session, number: str, group: str = ADVISOR_GROUP) -> Tuple[Ticket, Escalation]:
    ticket = tickets.get_ticket(session, number)
    escalation = session.scalar(
        select(Escalation).where(Escalation.ticket_id == ticket.id, Escalation.group_role == group)
    )
    if escalation is None:
        raise NotFoundError(f"{ticket.number} was not escalated to the finance advisors")
    return ticket, escalation


def answer(session: Session, number: str, *, advisor_id: str, text: str) -> Tuple[Ticket, Escalation]:
    """Record the advisor's answer: on the escalation, as a ticket comment, to the requester."""
    text = (text or "").strip()
    if not text:
        raise ValueError("an answer needs some text")
    ticket, escalation = get_escalation(session, number)
    escalation.answer = text
    escalation.answered_by = advisor_id
    escalation.answered_at = clock.now()
    tickets.add_comment(session, ticket.number, f"Finance advisor answer: {text}", author_id=advisor_id,
                        tell_requester=False)
    publish(session, EscalationAnswered(ticket, advisor_id, answer=text))
    return ticket, escalation

