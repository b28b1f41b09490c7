"""The ticket outbox on real SQLite, delivering through the ServiceNow backend to its fake.

Enqueueing shares the ticket's transaction; delivery is exactly once through outages, lost
answers, lost leases and concurrent workers; transient failures back off (and respect
Retry-After), refusals fail until an operator requeues them.
"""

import threading
import time

import pytest
from sqlalchemy import func, select

from bot.integrations.settings import OutboxSettings
from bot.outbox import store
from bot.outbox.delivery import DELIVERED, FAILED, LOST, RETRY, SKIPPED, backoff_seconds
from bot.outbox.inline import deliver_now
from bot.store.models import AuditEntry, Notification, OutboxEntry, Ticket, TicketLink
from bot.tickets import service as tickets
from tests.fakes.servicenow import FakeServiceNow
from tests.outbox_support import Clock, backend, creates, open_ticket, rows, untagged, worker, write_config

POST = {"match": lambda r: r.method == "POST"}


def failure(message: str) -> dict:
    return {"error": {"message": message, "detail": None}, "status": "failure"}


@pytest.fixture
def remote(monkeypatch, tmp_path) -> None:
    """Tickets go to ServiceNow (the outbox is on), with fast outbox settings."""
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "servicenow")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(write_config(tmp_path / "closebot.yml")))


@pytest.fixture
def sn():
    with FakeServiceNow() as fake:
        yield fake


def test_local_tickets_write_no_outbox_rows(demo_session, monkeypatch) -> None:
    monkeypatch.delenv("CLOSEBOT_TICKET_BACKEND", raising=False)
    ticket = open_ticket(demo_session)
    tickets.assign(demo_session, ticket.number, "u-li", actor="u-hana")
    tickets.add_comment(demo_session, ticket.number, "looking", author_id="u-li")
    tickets.resolve(demo_session, ticket.number, "bank is back", actor="u-li")
    demo_session.commit()
    assert rows(demo_session) == []
    assert deliver_now(demo_session, ticket) is None


def test_enqueue_shares_the_ticket_transaction(demo_session, remote) -> None:
    tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=None,
                          idempotency_key="u-mei:gone")
    assert [r.operation for r in demo_session.scalars(select(OutboxEntry))] == ["create"]
    demo_session.rollback()
    assert rows(demo_session) == []
    assert demo_session.scalar(select(Ticket).where(Ticket.idempotency_key == "u-mei:gone")) is None

    ticket = open_ticket(demo_session)
    again = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=None,
                                  idempotency_key="u-mei:m1")
    demo_session.commit()
    assert again.number == ticket.number
    [row] = rows(demo_session)
    assert (row.operation, row.state, row.system, row.attempts) == ("create", "pending", "servicenow", 0)
    assert row.correlation_id.startswith("closebot-")
    assert row.payload["correlation_id"] == row.correlation_id
    assert row.payload["local_number"] == ticket.number
    assert "bank-gateway" in row.payload["description"] and "Mei Chen" in row.payload["description"]


def test_down_then_up_delivers_once_with_growing_backoff(demo_session, remote, sn) -> None:
    ticket = open_ticket(demo_session)
    clock = Clock()
    w = worker(demo_session, backend(sn), clock)
    sn.down()
    delays = []
    for _ in range(4):
        assert w.run_pass()[RETRY] == 1
        row = rows(demo_session)[0]
        delays.append((row.next_attempt_at - clock.now).total_seconds())
        assert "cannot reach" in row.last_error or "gave up" in row.last_error
        assert w.run_pass().attempted == 0  # not due yet: nothing is sent
        clock.advance(delays[-1])
    assert delays == [1.0, 2.0, 4.0, 4.0]  # doubled per attempt, capped at max_delay_seconds

    sn.up()
    assert w.run_pass()[DELIVERED] == 1
    assert w.run_pass().attempted == 0
    [row] = rows(demo_session)
    assert (row.state, row.attempts, row.last_error) == ("delivered", 5, None)
    [incident] = sn.incidents
    assert incident["correlation_id"] == row.correlation_id and creates(sn) == 1
    link = demo_session.scalar(select(TicketLink))
    assert (link.ticket_id, link.system, link.remote_number) == (ticket.id, "servicenow", incident["number"])
    assert link.remote_id == incident["sys_id"]
    notice = demo_session.scalar(select(Notification).where(Notification.user_id == "u-mei"))
    assert notice.body == f"{ticket.number} is now {incident['number']} in ServiceNow."
    actions = list(demo_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("ticket_remote%"))))
    assert actions == ["ticket_remote_retry"] * 4 + ["ticket_remote_delivered"]


def test_retry_after_longer_than_the_backoff_is_respected(demo_session, remote, sn) -> None:
    open_ticket(demo_session)
    clock = Clock()
    w = worker(demo_session, backend(sn), clock)
    sn.fail_next(503, failure("Service Unavailable"), {"Retry-After": "30"}, **POST)
    assert w.run_pass()[RETRY] == 1
    row = rows(demo_session)[0]
    assert (row.next_attempt_at - clock.now).total_seconds() == 30.0
    assert "HTTP 503: Service Unavailable" in row.last_error
    clock.advance(29)
    assert w.run_pass().attempted == 0
    clock.advance(1)
    assert w.run_pass()[DELIVERED] == 1 and len(sn.incidents) == 1


def test_backoff_schedule() -> None:
    settings = OutboxSettings(base_delay_seconds=5, max_delay_seconds=60)
    assert [backoff_seconds(n, settings) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]
    assert backoff_seconds(1, settings, retry_after=90) == 90
    assert backoff_seconds(3, settings, retry_after=1) == 20


def test_refusal_fails_until_requeued_and_holds_back_later_changes(demo_session, remote, sn) -> None:
    ticket = open_ticket(demo_session)
    tickets.add_comment(demo_session, ticket.number, "still stuck", author_id="u-mei")
    demo_session.commit()
    clock = Clock()
    w = worker(demo_session, backend(sn), clock)
    sn.fail_next(400, failure("Invalid assignment group"), **POST)
    assert w.run_pass(ignore_backoff=True)[FAILED] == 1
    create, comment = rows(demo_session)
    assert (create.state, comment.state) == ("failed", "pending")
    assert create.last_error == "servicenow HTTP 400: Invalid assignment group"
    clock.advance(3600)
    assert w.run_pass(ignore_backoff=True).attempted == 0  # the comment waits for its ticket
    failed = demo_session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket_remote_failed"))
    assert failed.detail["status"] == 400 and failed.detail["number"] == ticket.number

    assert store.requeue_failed(demo_session, clock.now) == 1
    demo_session.commit()
    assert w.run_pass()[DELIVERED] == 2
    [incident] = sn.incidents
    assert untagged(sn.work_notes(incident["number"])) == ["Mei Chen: still stuck"]


def test_changes_follow_the_create_in_order(demo_session, remote, sn) -> None:
    ticket = open_ticket(demo_session)
    tickets.assign(demo_session, ticket.number, "u-li", actor="u-hana")
    tickets.add_comment(demo_session, ticket.number, "bank called back", author_id="u-li")
    tickets.resolve(demo_session, ticket.number, "interface restored", actor="u-li")
    demo_session.commit()
    assert [r.operation for r in rows(demo_session)] == ["create", "status", "comment", "comment", "status"]
    w = worker(demo_session, backend(sn))
    sn.down()
    assert w.run_pass(ignore_backoff=True)[RETRY] == 1  # only the create was tried
    sn.up()
    assert w.run_pass(ignore_backoff=True)[DELIVERED] == 5
    [incident] = sn.incidents
    assert (incident["state"], incident["close_notes"]) == ("6", "interface restored")
    assert untagged(sn.work_notes(incident["number"])) == ["Assigned to Li Wei (u-li).",
                                                           "Li Wei: bank called back"]
    states = [r.json()["state"] for r in sn.requests if r.method == "PUT"]
    assert states == ["2", "6"]  # in progress, then resolved


def test_a_value_the_remote_cannot_take_fails_at_once(demo_session, remote, sn) -> None:
    ticket = open_ticket(demo_session)
    tickets.update_status(demo_session, ticket.number, "waiting", actor="u-li")
    demo_session.commit()
    w = worker(demo_session, backend(sn))
    row = rows(demo_session)[1]
    row.payload = {"status": "on_fire"}  # a status no mapping knows
    demo_session.commit()
    outcomes = w.run_pass(ignore_backoff=True)
    assert (outcomes[DELIVERED], outcomes[FAILED]) == (1, 1)
    assert "unknown ticket status 'on_fire'" in rows(demo_session)[1].last_error


def test_two_workers_make_one_remote_ticket(demo_session, remote, sn) -> None:
    open_ticket(demo_session)
    [row] = rows(demo_session)
    sn.delay_next(0.3, **POST)  # a slow create: the other worker is trying meanwhile
    workers = [worker(demo_session, backend(sn)) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes = []

    def run(w) -> None:
        start.wait()
        outcomes.append(w.deliver_one(row.id))

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(outcomes) == [DELIVERED, SKIPPED]
    assert len(sn.incidents) == 1 and creates(sn) == 1
    assert demo_session.scalar(select(func.count()).select_from(TicketLink)) == 1


def test_crash_after_the_remote_answer_links_the_existing_ticket(demo_session, remote, sn,
                                                                 monkeypatch) -> None:
    """A worker dies after ServiceNow created the incident, before our commit: the next worker
    (once the lease runs out) finds it by correlation id instead of creating another.
    (tests/test_outbox_servicenow.py kills a real ``closebot outbox flush`` process.)"""
    open_ticket(demo_session)
    clock = Clock()
    dead = worker(demo_session, backend(sn), clock)

    def crash(*_args) -> None:
        raise SystemExit("killed between the remote's answer and the commit")

    monkeypatch.setattr(dead.deliverer, "_delivered", crash)
    with pytest.raises(SystemExit):
        dead.run_pass()
    assert len(sn.incidents) == 1 and rows(demo_session)[0].state == "pending"
    survivor = worker(demo_session, backend(sn), clock)
    assert survivor.run_pass().attempted == 0  # the dead worker's lease still runs
    clock.advance(31)
    assert survivor.run_pass()[DELIVERED] == 1
    assert len(sn.incidents) == 1 and creates(sn) == 1
    entry = demo_session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket_remote_delivered"))
    assert entry.detail["found_existing"] is True
    assert entry.detail["remote_number"] == sn.incidents[0]["number"]


def test_a_worker_whose_lease_ran_out_commits_nothing(demo_session, remote, sn) -> None:
    open_ticket(demo_session)
    clock = Clock()
    slow, fast = (worker(demo_session, backend(sn), clock) for _ in range(2))
    [row] = rows(demo_session)
    assert store.claim(demo_session, row.id, slow.owner, clock.now, 30)
    assert not store.claim(demo_session, row.id, fast.owner, clock.now, 30)
    clock.advance(31)
    assert fast.run_pass()[DELIVERED] == 1
    assert slow.deliverer.deliver(row.id) == LOST
    assert len(sn.incidents) == 1
    assert demo_session.scalar(select(func.count()).select_from(TicketLink)) == 1


def test_inline_attempt_links_at_once_when_the_remote_is_up(demo_session, remote, sn) -> None:
    ticket = open_ticket(demo_session)
    state = deliver_now(demo_session, ticket, worker(demo_session, backend(sn)))
    demo_session.commit()
    assert state.linked and state.label == f"ServiceNow {sn.incidents[0]['number']}"
    # the reply names the number, so the "is now INC…" notice is not shown again
    notice = demo_session.scalar(select(Notification).where(Notification.user_id == "u-mei"))
    assert notice.delivered_at is not None


def test_inline_attempt_queues_when_the_remote_is_down(demo_session, remote, sn) -> None:
    ticket = open_ticket(demo_session)
    sn.down()
    w = worker(demo_session, backend(sn))
    state = deliver_now(demo_session, ticket, w)
    demo_session.commit()
    assert state.queued and state.label == "queued for ServiceNow"
    [row] = rows(demo_session)
    assert (row.state, row.attempts) == ("pending", 1)
    sn.up()
    assert w.run_pass(ignore_backoff=True)[DELIVERED] == 1
    pending = demo_session.scalars(select(Notification.body).where(
        Notification.user_id == "u-mei", Notification.delivered_at.is_(None))).all()
    assert pending == [f"{ticket.number} is now {sn.incidents[0]['number']} in ServiceNow."]


def test_a_garbled_success_is_retried_not_failed(demo_session, remote, sn) -> None:
    open_ticket(demo_session)
    w = worker(demo_session, backend(sn))
    sn.fail_next(201, "<html>proxy error</html>", **POST)
    assert w.run_pass(ignore_backoff=True)[RETRY] == 1
    assert "malformed JSON" in rows(demo_session)[0].last_error


def test_the_polling_worker_delivers_and_stops_when_told(demo_session, remote, sn) -> None:
    w = worker(demo_session, backend(sn))
    stop = threading.Event()
    thread = threading.Thread(target=w.run_forever, args=(stop,))
    thread.start()
    try:
        ticket = open_ticket(demo_session)  # written while the worker is already polling
        deadline = time.monotonic() + 10
        while not sn.incidents and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert [i["correlation_id"] for i in sn.incidents] == [rows(demo_session)[0].correlation_id]
    assert ticket.number in sn.incidents[0]["description"]


def test_jira_gets_the_same_deliveries(demo_session, remote, monkeypatch) -> None:
    """The outbox knows no vendor: the same rows reach Jira as an issue, a comment, Done."""
    from bot.integrations.ticketing.jira import JiraBackend
    from bot.outbox.views import remote_states
    from tests.fakes.jira import FakeJira

    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "jira")
    ticket = open_ticket(demo_session)
    tickets.add_comment(demo_session, ticket.number, "bank called back", author_id="u-li")
    tickets.resolve(demo_session, ticket.number, "interface restored", actor="u-li")
    demo_session.commit()
    with FakeJira() as jira:
        assert worker(demo_session, JiraBackend(jira.settings(), jira.env())).run_pass()[DELIVERED] == 3
        [issue] = jira.issues
        assert jira.status(issue["key"]) == "Done"
        assert "Li Wei: bank called back" in untagged(jira.comments(issue["key"]))
    demo_session.expire_all()
    assert remote_states(demo_session, [ticket.number])[ticket.number].label == f"Jira {issue['key']}"
