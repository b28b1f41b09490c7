"""Ticket changes publish one event each; audit, inbox and outbox follow from it, atomically."""

from typing import List, Optional, Tuple

import pytest
from sqlalchemy import func, select

from bot.store.models import AuditEntry, Notification, OutboxEntry, Ticket
from bot.tickets import escalations
from bot.tickets import service as tickets
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
from bot.tickets.reactions import HANDLERS
from tests.outbox_support import write_config


@pytest.fixture
def heard(monkeypatch) -> List[Tuple[TicketEvent, str, Optional[str]]]:
    """A new reaction, added the way any reaction is: one handler, listed for every event. It
    notes each event with the ticket's status and assignee when it is published."""
    events: List[Tuple[TicketEvent, str, Optional[str]]] = []

    def note(session, event: TicketEvent) -> None:
        events.append((event, event.ticket.status, event.ticket.assignee_id))

    for event_type, handlers in list(HANDLERS.items()):
        monkeypatch.setitem(HANDLERS, event_type, (*handlers, note))
    return events


def _count(session, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    return session.scalar(stmt)


def test_every_change_publishes_one_event(demo_session, heard) -> None:
    ticket = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", note="help")
    tickets.assign(demo_session, ticket.number, "u-li", actor="u-hana")
    tickets.update_status(demo_session, ticket.number, "waiting", actor="u-li")
    tickets.add_comment(demo_session, ticket.number, "bank called back", author_id="u-li")
    escalations.escalate(demo_session, actor_id="u-mei", company_id="C100", diagnosis=None, transcript=[],
                         ticket=ticket)
    escalations.answer(demo_session, ticket.number, advisor_id="u-omar", text="post V-1 first")
    tickets.resolve(demo_session, ticket.number, "interface back", actor="u-li")
    events = [e for e, _, _ in heard]
    assert [type(e) for e in events] == [TicketCreated, TicketAssigned, StatusChanged, CommentAdded,
                                         TicketEscalated, CommentAdded, EscalationAnswered, TicketResolved]
    assigned, status, assignee = heard[1]
    assert (assigned.actor, assigned.old_assignee, assigned.old_status) == ("u-hana", None, "new")
    assert (status, assignee) == ("in_progress", "u-li")
    assert (heard[2][0].old_status, heard[2][1]) == ("in_progress", "waiting")
    assert events[5].tell_requester is False  # the advisor's answer tells the requester itself
    assert (events[7].old_status, heard[7][1], events[7].note) == ("waiting", "resolved", "interface back")
    assert all(e.ticket.number == ticket.number for e in events)


def test_the_requester_hears_of_changes_by_others_only(demo_session) -> None:
    ticket = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100")
    tickets.add_comment(demo_session, ticket.number, "still stuck", author_id="u-mei")
    tickets.update_status(demo_session, ticket.number, "new", actor="u-hana")  # no change: no news
    tickets.assign(demo_session, ticket.number, "u-li", actor="u-hana")
    escalations.escalate(demo_session, actor_id="u-mei", company_id="C100", diagnosis=None, transcript=[],
                         ticket=ticket)
    escalations.answer(demo_session, ticket.number, advisor_id="u-omar", text="post V-1 first")
    bodies = demo_session.scalars(select(Notification.body).where(Notification.user_id == "u-mei")
                                  .order_by(Notification.id)).all()
    assert bodies == [f"Li Wei is now handling {ticket.number}.",
                      f"💬 Finance advisor Omar Haddad answered {ticket.number}: post V-1 first"]
    actions = demo_session.scalars(select(AuditEntry.action).where(AuditEntry.company_id == "C100")
                                   .order_by(AuditEntry.id)).all()
    assert actions[-7:] == ["ticket_create", "ticket_comment", "ticket_status", "ticket_assign",
                            "ticket_escalate", "ticket_comment", "escalation_answer"]


def test_a_failing_reaction_rolls_the_change_back(demo_session, tmp_path, monkeypatch) -> None:
    # Tickets go to a remote system, so a change also queues an outbox row.
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "servicenow")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(write_config(tmp_path / "closebot.yml")))
    ticket = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100")
    demo_session.commit()
    before = (_count(demo_session, AuditEntry), _count(demo_session, Notification),
              _count(demo_session, OutboxEntry, ticket_id=ticket.id))

    def broken(session, event) -> None:
        raise RuntimeError("the new reaction is broken")

    monkeypatch.setitem(HANDLERS, TicketAssigned, (*HANDLERS[TicketAssigned], broken))
    with pytest.raises(RuntimeError):
        tickets.assign(demo_session, ticket.number, "u-li", actor="u-hana")
    demo_session.rollback()
    assert demo_session.get(Ticket, ticket.id).assignee_id is None
    assert (_count(demo_session, AuditEntry), _count(demo_session, Notification),
            _count(demo_session, OutboxEntry, ticket_id=ticket.id)) == before
    assert before[2] == 1  # the create was queued; the assignment's rows went with the rollback
