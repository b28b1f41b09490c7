"""What follows from each ticket event: the audit row, the requester's notice, the outbox row.

``publish`` runs the handlers of an event, in the order listed in ``HANDLERS``, inside the
caller's transaction: the change, its audit row, the notice and the remote delivery commit or
roll back together. A new reaction is one handler function and its entries in ``HANDLERS``.
"""

from typing import Any, Callable, Dict, Tuple, Type

from sqlalchemy.orm import Session

from bot.core.text import capitalised, shorten
from bot.outbox import store as outbox
from bot.people import inbox
from bot.people.directory import name_of
from bot.store import audit
from bot.store.models import TicketConversation
from bot.tickets.events import (
    CommentAdded,
    EscalationAnswered,
    StatusChanged,
    TicketAssigned,
    TicketCreated,
    TicketEscalated,
    TicketEvent,
    TicketResolved,
)

#: A reaction: called with the session and the event it is registered for.
Handler = Callable[[Session, Any], None]

#: Notices quote a note or comment up to this length (the ticket has all of it).
QUOTED_CHARS = 200
ANSWER_CHARS = 300


def publish(session: Session, event: TicketEvent) -> None:
    """Run every reaction to ``event`` now, in the caller's transaction."""
    for handler in HANDLERS[type(event)]:
        handler(session, event)


# ---- the audit log ---------------------------------------------------------------------------


def audit_created(session: Session, e: TicketCreated) -> None:
    audit.record(session, e.actor, "ticket_create", e.ticket.company_id,
                 {"number": e.ticket.number, "category": e.ticket.category, "priority": e.ticket.priority})


def audit_status(session: Session, e: StatusChanged) -> None:
    audit.record(session, e.actor, "ticket_status", e.ticket.company_id,
                 {"number": e.ticket.number, "from": e.old_status, "to": e.ticket.status})


def audit_assigned(session: Session, e: TicketAssigned) -> None:
    audit.record(session, e.actor, "ticket_assign", e.ticket.company_id,
                 {"number": e.ticket.number, "from": e.old_assignee, "to": e.ticket.assignee_id})


def audit_comment(session: Session, e: CommentAdded) -> None:
    audit.record(session, e.actor, "ticket_comment", e.ticket.company_id, {"number": e.ticket.number})


def audit_resolved(session: Session, e: TicketResolved) -> None:
    audit.record(session, e.actor, "ticket_resolve", e.ticket.company_id,
                 {"number": e.ticket.number, "from": e.old_status, "to": e.ticket.status})


def audit_escalated(session: Session, e: TicketEscalated) -> None:
    audit.record(session, e.actor, "ticket_escalate", e.ticket.company_id,
                 {"number": e.ticket.number, "group": e.group, "created": e.created,
                  "transcript_messages": e.transcript_messages, "priority": e.ticket.priority})


def audit_answered(session: Session, e: EscalationAnswered) -> None:
    audit.record(session, e.actor, "escalation_answer", e.ticket.company_id, {"number": e.ticket.number})


# ---- the requester's inbox (only news made by someone else) ----------------------------------------


def _tell_requester(session: Session, e: TicketEvent, body: str) -> None:
    if e.ticket.requester_id and e.ticket.requester_id != e.actor:
        inbox.notify(session, e.ticket.requester_id, body, e.ticket.number)


def tell_status(session: Session, e: StatusChanged) -> None:
    if e.ticket.status != e.old_status:
        _tell_requester(session, e, f"{e.ticket.number} is now {e.ticket.status.replace('_', ' ')} "
                                    f"({name_of(session, e.actor)}).")


def tell_assigned(session: Session, e: TicketAssigned) -> None:
    if e.ticket.assignee_id != e.old_assignee:
        _tell_requester(session, e, f"{name_of(session, e.ticket.assignee_id)} is now handling "
                                    f"{e.ticket.number}.")


def tell_comment(session: Session, e: CommentAdded) -> None:
    if e.tell_requester:
        _tell_requester(session, e, f"{capitalised(name_of(session, e.actor))} commented on "
                                    f"{e.ticket.number}: {shorten(e.body, QUOTED_CHARS)}")


def tell_resolved(session: Session, e: TicketResolved) -> None:
    _tell_requester(session, e, f"✅ {e.ticket.number} is {e.ticket.status} by {name_of(session, e.actor)}: "
                                f"{shorten(e.note, QUOTED_CHARS)}")


def tell_answered(session: Session, e: EscalationAnswered) -> None:
    _tell_requester(session, e, f"💬 Finance advisor {name_of(session, e.actor)} answered {e.ticket.number}: "
                                f"{shorten(e.answer, ANSWER_CHARS)}")


# ---- the remote ticket system (nothing when tickets stay local) -------------------------------------


# ---- where its news goes --------------------------------------------------------------------------


def remember_conversation(session: Session, e: TicketCreated) -> None:
    if e.conversation:
        session.add(TicketConversation(ticket_id=e.ticket.id, conversation_key=e.conversation))


def queue_create(session: Session, e: TicketCreated) -> None:
    outbox.on_created(session, e.ticket)  # same transaction: no ticket without its delivery


def queue_status(session: Session, e: StatusChanged) -> None:
    if e.ticket.status != e.old_status:
        outbox.on_changed(session, e.ticket, outbox.STATUS, {"status": e.ticket.status})


def queue_assigned(session: Session, e: TicketAssigned) -> None:
    if e.ticket.assignee_id == e.old_assignee:
        return
    if e.ticket.status != e.old_status:
        outbox.on_changed(session, e.ticket, outbox.STATUS, {"status": e.ticket.status})
    assignee = e.ticket.assignee_id
    outbox.on_changed(session, e.ticket, outbox.COMMENT,
                      {"body": f"Assigned to {name_of(session, assignee)} ({assignee})."})


def queue_comment(session: Session, e: CommentAdded) -> None:
    outbox.on_changed(session, e.ticket, outbox.COMMENT, {"body": f"{name_of(session, e.actor)}: {e.body}"})


def queue_resolved(session: Session, e: TicketResolved) -> None:
    outbox.on_changed(session, e.ticket, outbox.STATUS, {"status": e.ticket.status, "note": e.note})


HANDLERS: Dict[Type[TicketEvent], Tuple[Handler, ...]] = {
    TicketCreated: (audit_created, remember_conversation, queue_create),
    StatusChanged: (audit_status, tell_status, queue_status),
    TicketAssigned: (audit_assigned, tell_assigned, queue_assigned),
    CommentAdded: (audit_comment, queue_comment, tell_comment),
    TicketResolved: (audit_resolved, tell_resolved, queue_resolved),
    TicketEscalated: (audit_escalated,),
    EscalationAnswered: (audit_answered, tell_answered),
}

