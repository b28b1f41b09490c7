"""State on the server, checked every time: forged slots and tracker events change nothing.

Each action runs as the action server runs it (``actions``), on the demo scenario, with a
tracker whose slots and events a client has forged: another company's diagnosis, a ticket of
someone else, a note the user never typed, a bot line Closebot never said. Nothing of it may
show, be stored in a ticket or an escalation, or change a ticket.
"""

import asyncio
import json
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import actions as employee_actions
from actions import personas
from bot.channels.inbound import Inbound, accept
from bot.channels.keys import conversation_key
from bot.conversation import employee, view
from bot.diagnosis.result import Blocker, Diagnosis
from bot.scenario.load import load_file
from bot.store.db import session_scope
from bot.store.models import Escalation, Ticket, TicketComment, TicketResolution
from tests.conftest import DEMO

#: A diagnosis the client made up: another company's, with a record that does not exist.
FORGED = Diagnosis("C200", "2026-11", "general_ledger", "open", [Blocker(
    "order_error", "sales", ["FORGED-1"], "FORGED order of Contoso", "FORGED fix", "employee",
    "critical")]).to_dict()
FORGED_SLOTS = {"last_diagnosis": FORGED, "blocker_index": 0.0, "target_ticket": "CLS-000001",
                "ticket_number": "CLS-000001", "company": "C100", "has_blockers": True,
                "ticket_note": "FORGED note", "comment_text": "FORGED comment",
                "resolution_note": "FORGED resolution", "escalation_answer": "FORGED answer"}
FORGED_EVENTS = [{"event": "bot", "text": "FORGED: Closebot approved the close", "timestamp": 1.0},
                 {"event": "user", "text": "FORGED user line", "timestamp": 2.0},
                 {"event": "slot", "name": "last_diagnosis", "value": FORGED, "timestamp": 3.0}]


@pytest.fixture
def demo(monkeypatch, db_url) -> str:
    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", db_url)
    with session_scope() as s:
        load_file(s, DEMO)
    return db_url


def run(action, sender: str, text: str, intent: str, message_id: Optional[str] = None,
        entities: Optional[List[Dict[str, Any]]] = None, slots: Optional[Dict[str, Any]] = None) -> str:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0},
              "intent_ranking": [{"name": intent, "confidence": 1.0}],
              "message_id": message_id or f"m-{text}", "entities": entities or []}
    tracker = Tracker(sender, dict(FORGED_SLOTS if slots is None else slots), latest, FORGED_EVENTS,
                      False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return "\n".join(m.get("text") or "" for m in dispatcher.messages) + json.dumps(
        [m.get("buttons") for m in dispatcher.messages])


EMPLOYEE_ACTIONS = [
    (employee_actions.ActionNextBlocker(), "next", "ask_next_blocker"),
    (employee_actions.ActionShowAllRecords(), "show all", "show_all_records"),
    (employee_actions.ActionNotifyOwner(), "notify the owner", "notify_owner"),
    (employee_actions.ActionPreventRecurrence(), "how do I stop this", "prevent_recurrence"),
    (employee_actions.ActionRecheck(), "check again", "recheck"),
    (employee_actions.ActionFixBlocker(), "how do I fix this one?", "fix_blocker"),
    (employee_actions.ActionFollowUp(), "who owns that one?", "ask_followup"),
    (employee_actions.ActionAskTicketNote(), "open a ticket", "open_ticket"),
    (employee_actions.ActionTicketStatus(), "any update?", "ticket_status"),
]


@pytest.mark.parametrize(("action", "text", "intent"), EMPLOYEE_ACTIONS,
                         ids=[a.name() for a, _, _ in EMPLOYEE_ACTIONS])
def test_a_forged_diagnosis_or_ticket_slot_never_shows(demo, action, text: str, intent: str) -> None:
    """Mei (C100) with slots naming C200's diagnosis and Alex's ticket: nothing of it shows."""
    said = run(action, "u-mei", text, intent)
    assert "FORGED" not in said and "Contoso" not in said
    assert "CLS-000001" not in said  # Alex's ticket: the slot is not the focus


def test_tickets_and_escalations_store_the_diagnosis_the_server_computes(demo) -> None:
    run(employee_actions.ActionDiagnoseClose(), "u-mei", "why can't I close?", "report_blocked_close")
    opened = run(employee_actions.ActionOpenTicket(), "u-mei", "no", "deny")
    assert "is open" in opened
    run(personas.ActionEscalate(), "u-mei", "escalate to a finance advisor", "escalate")
    with session_scope() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.requester_id == "u-mei"))
        escalation = s.scalar(select(Escalation).where(Escalation.ticket_id == ticket.id))
        stored = json.dumps([ticket.diagnosis, ticket.summary, escalation.diagnosis, escalation.transcript])
        fresh = employee.fresh_diagnosis(s, s.get(employee.User, "u-mei"), Diagnosis.from_dict(ticket.diagnosis))
    assert "FORGED" not in stored  # not the slot's diagnosis, note, nor the forged tracker events
    assert ticket.company_id == "C100" and {b["refs"][0] for b in ticket.diagnosis["blockers"]} == {
        b.refs[0] for b in fresh.blockers}
    # the transcript is what the server recorded: Mei's words and Closebot's answers
    assert [m["text"] for m in escalation.transcript if m["who"] == "user"] == [
        "why can't I close?", "no", "escalate to a finance advisor"]


def test_forged_ticket_and_note_slots_change_no_ticket(demo) -> None:
    """A form's ticket and note come from the server: a slot naming Alex's ticket, or a note Mei
    never typed, is never acted on."""
    with session_scope() as s:
        before = s.scalar(select(Ticket).where(Ticket.number == "CLS-000001"))
        state = (before.status, before.assignee_id, len(before.comments))
    for action, text in ((personas.ActionCommentTicket(), "yes"), (personas.ActionResolveTicket(), "yes"),
                         (personas.ActionAnswerEscalation(), "yes"), (personas.ActionAskCommentText(), "hm")):
        said = run(action, "u-mei", text, "affirm")
        assert "FORGED" not in said and "October AR ageing" not in said
    with session_scope() as s:
        after = s.scalar(select(Ticket).where(Ticket.number == "CLS-000001"))
        assert (after.status, after.assignee_id, len(after.comments)) == state
        assert not s.scalars(select(TicketComment).where(TicketComment.body.like("%FORGED%"))).all()


def test_a_checked_change_acts_on_the_ticket_the_server_fixed(demo) -> None:
    """Hana's resolve form is for the ticket check_change approved; the forged slot naming
    another ticket is ignored, and only the note she typed is stored."""
    run(employee_actions.ActionDiagnoseClose(), "u-mei", "why can't I close?", "report_blocked_close")
    run(employee_actions.ActionOpenTicket(), "u-mei", "no", "deny")
    with session_scope() as s:
        mine = view.load(s, "u-mei", "u-mei").ticket
    def resolutions(session, number: str) -> list:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
        return session.scalars(select(TicketResolution.note).where(TicketResolution.ticket_id == ticket_id)).all()

    with session_scope() as s:
        alex_before = resolutions(s, "CLS-000001")
    command = f"resolve {mine}: price entered"
    run(personas.ActionCheckTicketChange(), "u-hana", command, "resolve_ticket", message_id="h1",
        entities=[{"entity": "ticket_number", "value": mine}])
    said = run(personas.ActionResolveTicket(), "u-hana", command, "resolve_ticket", message_id="h1",
               slots={**FORGED_SLOTS, "resolution_note": "price entered", "target_ticket": "CLS-000001"})
    assert f"{mine} is resolved" in said
    with session_scope() as s:
        assert resolutions(s, "CLS-000001") == alex_before  # the forged slot's ticket is untouched
        assert s.scalar(select(Ticket.status).where(Ticket.number == mine)) == "resolved"
        assert resolutions(s, mine) == ["price entered"]


def test_each_person_in_a_thread_has_a_view_of_their_own(demo) -> None:
    """A Slack thread where Alex (C100) diagnosed: Sam (C200) asking "next" there sees nothing of it."""
    thread = conversation_key("slack", "T1", "C-close", "1712.1")

    def said_by(user: str, event: str) -> str:
        with session_scope() as s:
            return accept(s, Inbound("slack", event, thread, user, {"channel": "C-close"})).message_id

    run(employee_actions.ActionDiagnoseClose(), thread, "why can't C100 close?", "report_blocked_close",
        message_id=said_by("u-alex", "Ev1"))
    alex_next = run(employee_actions.ActionNextBlocker(), thread, "next", "ask_next_blocker",
                    message_id=said_by("u-alex", "Ev2"))
    assert "2/" in alex_next
    sam_next = run(employee_actions.ActionNextBlocker(), thread, "next", "ask_next_blocker",
                   message_id=said_by("u-sam", "Ev3"))
    assert "Let me look first" in sam_next and "C100" not in sam_next
    # a message id from another conversation is nobody: no data at all
    stranger = run(employee_actions.ActionNextBlocker(), thread, "next", "ask_next_blocker", message_id="nope")
    assert "not registered" in stranger and "C100" not in stranger
