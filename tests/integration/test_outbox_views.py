"""The conversation shows where a ticket stands remotely: linked number, queued, or nothing."""

import pytest

from bot.conversation import employee, helpdesk
from bot.outbox.views import remote_states
from bot.tickets import service as tickets
from tests.fakes.servicenow import FakeServiceNow
from tests.outbox_support import backend, open_ticket, worker, write_config


@pytest.fixture
def remote(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "servicenow")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(write_config(tmp_path / "closebot.yml")))


def test_queued_then_linked_in_status_lists_and_queue(demo_session, remote, monkeypatch) -> None:
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "local")
    older = open_ticket(demo_session, "u-mei:before").number  # opened while tickets were local
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "servicenow")
    ticket = open_ticket(demo_session)
    assert f"{ticket.number} (queued for ServiceNow): new" in employee.ticket_status(
        demo_session, "u-mei", ticket.number).texts[0]
    demo_session.commit()  # the read's audit row: SQLite has one writer at a time
    with FakeServiceNow() as sn:
        worker(demo_session, backend(sn)).run_pass()
    demo_session.expire_all()
    status = employee.ticket_status(demo_session, "u-mei", ticket.number).texts[0]
    assert status.startswith(f"{ticket.number} (ServiceNow INC0010001): new")
    mine = employee.my_tickets(demo_session, "u-mei").texts[0]
    assert f"• {ticket.number} (ServiceNow INC0010001) [new, P1]" in mine
    queue = helpdesk.queue(demo_session, "u-hana").texts[0]
    assert f"• {ticket.number} (ServiceNow INC0010001) P1" in queue
    assert f"• {older} P" in queue


def test_a_refused_create_says_so(demo_session, remote) -> None:
    ticket = open_ticket(demo_session)
    with FakeServiceNow() as sn:
        sn.fail_next(400, {"error": {"message": "Invalid caller"}, "status": "failure"},
                     match=lambda r: r.method == "POST")
        worker(demo_session, backend(sn)).run_pass()
    demo_session.expire_all()
    assert remote_states(demo_session, [ticket.number])[ticket.number].label == "not delivered to ServiceNow"


def test_local_tickets_keep_their_wording(demo_session, monkeypatch) -> None:
    monkeypatch.delenv("CLOSEBOT_TICKET_BACKEND", raising=False)
    ticket = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=None)
    demo_session.commit()
    assert employee.ticket_status(demo_session, "u-mei", ticket.number).texts[0].startswith(
        f"{ticket.number}: new · priority")
    assert remote_states(demo_session, [ticket.number, "CLS-000001"]) == {}
