"""Every ticket command, given a number in a foreign helpdesk's format, acts on that ticket and on
no other; a number the store does not hold changes nothing and lists the caller's open tickets;
a command that names no ticket uses the one in focus."""

from datetime import datetime, timezone
from typing import Dict, Tuple

import pytest
from sqlalchemy import func, select

from bot.conversation import advisors, employee, helpdesk, transcript, view
from bot.conversation.reply import Reply
from bot.conversation.targets import Said
from bot.store.models import Escalation, Ticket, TicketComment, TicketResolution
from bot.tickets import service as tickets

FOCUS = "CLS-000002"  # the ticket the conversation was last about


def text(reply: Reply) -> str:
    return "\n".join(reply.texts)


@pytest.fixture
def store(demo_session):
    focus = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", note="in focus")
    assert focus.number == FOCUS
    demo_session.add(Ticket(number="HD-30415", requester_id="u-mei", company_id="C100", period="2026-11",
                            category="other", status="new", priority=3, summary="imported from the helpdesk",
                            created_at=datetime(2026, 11, 20, tzinfo=timezone.utc)))
    demo_session.commit()
    return demo_session


def snapshot(session) -> Dict[str, Tuple]:
    """Everything a command can change, per ticket."""
    session.expire_all()
    out = {}
    for t in session.scalars(select(Ticket)).all():
        counts = [session.scalar(select(func.count()).select_from(model).where(model.ticket_id == t.id))
                  for model in (TicketComment, TicketResolution, Escalation)]
        out[t.number] = (t.status, t.assignee_id, t.priority, t.updated_at, *counts)
    return out


def changed(before: Dict[str, Tuple], after: Dict[str, Tuple]) -> set:
    return {n for n in after if before.get(n) != after[n]}


def in_focus(session, who: str) -> None:
    """The conversation was last about FOCUS: the server keeps it in the user's view."""
    kept = view.load(session, "", who)
    kept.focus_ticket(FOCUS)
    view.save(session, kept)


def _command(who: str, run):
    def command(session, number: str) -> Reply:
        in_focus(session, who)
        return run(session, number)
    return command


COMMANDS = {
    "status": _command("u-mei", lambda s, n: employee.ticket_status(s, "u-mei", Said(f"status of {n}?"))),
    "assign": _command("u-hana", lambda s, n: helpdesk.assign(s, "u-hana", Said(f"assign {n} to li.wei"))),
    "set status": _command("u-hana", lambda s, n: helpdesk.set_status(s, "u-hana", Said(f"put {n} on hold"))),
    "comment": _command("u-mei", lambda s, n: _form(s, "u-mei", n, "comment", "called",
                                                    lambda: helpdesk.comment(s, "u-mei", None, "called"))),
    "resolve": _command("u-hana", lambda s, n: _form(s, "u-hana", n, "resolve", "done",
                                                     lambda: helpdesk.resolve(s, "u-hana", None, "done"))),
    "escalate": _command("u-mei", lambda s, n: advisors.escalate(
        s, "u-mei", idempotency_key=f"e-{n}", said=Said(f"escalate {n} to a finance advisor"))),
}


def _form(session, who: str, number: str, change: str, note: str, finish) -> Reply:
    """A form command: the check names the ticket, then the form acts on the one it fixed (kept
    on the server), with the note the user typed."""
    command = f"{change} {number}: {note}"
    transcript.record_user(session, "", who, None, command)
    checked = helpdesk.check_change(session, who, Said(command), change)
    if not checked.slots.get("may_proceed"):
        return checked
    return finish()


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("written", ["HD-30415", "hd 30415", "#HD30415"])
def test_a_foreign_number_acts_on_that_ticket_only(store, command: str, written: str) -> None:
    before = snapshot(store)
    reply = COMMANDS[command](store, written)
    store.commit()
    assert "HD-30415" in text(reply)
    assert changed(before, snapshot(store)) <= {"HD-30415"}, text(reply)
    if command != "status":
        assert changed(before, snapshot(store)) == {"HD-30415"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_number_not_held_changes_nothing_and_lists_open_tickets(store, command: str) -> None:
    before = snapshot(store)
    reply = COMMANDS[command](store, "HD-99999")
    store.commit()
    assert "I can't find ticket HD-99999" in text(reply)
    assert changed(before, snapshot(store)) == set()


def test_the_requesters_open_tickets_are_offered(store) -> None:
    reply = employee.ticket_status(store, "u-mei", "status of HD-99999")
    assert "I can't find ticket HD-99999. Your open ones: " in text(reply)
    assert {b.title for b in reply.buttons} == {"CLS-000002", "HD-30415"}


def test_a_command_naming_no_ticket_uses_the_one_in_focus(store) -> None:
    before = snapshot(store)
    in_focus(store, "u-hana")
    reply = helpdesk.set_status(store, "u-hana", Said("put it on hold"))
    store.commit()
    assert f"{FOCUS} is now waiting" in text(reply)
    assert changed(before, snapshot(store)) == {FOCUS}


def test_the_queue_keeps_every_filter(store) -> None:
    tickets.create_ticket(store, requester_id="u-sam", company_id="C200", note="C200's")
    store.commit()
    c200 = text(helpdesk.queue(store, "u-hana", "whats in the queue for c200"))
    assert "C200" in c200 and "C100" not in c200
    waiting = text(helpdesk.queue(store, "u-hana", "waiting tickets for C100"))
    assert "No close tickets (waiting, C100)" in waiting
    unknown = text(helpdesk.queue(store, "u-hana", "queue for C999"))
    assert "I don't know a company C999" in unknown and "CLS-" not in unknown
