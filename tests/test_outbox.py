"""The ticket outbox on real SQLite against a remote desk on a real socket.

Enqueueing shares the ticket's transaction; delivery is exactly once through outages, lost
answers, lost leases and concurrent workers; transient failures back off (and respect
Retry-After), refusals fail until an operator requeues them.
"""

import threading
import time

import pytest
from sqlalchemy import func, select

from bot import tickets
from bot.integrations.settings import OutboxSettings
from bot.models import AuditEntry, Notification, OutboxEntry, Ticket, TicketLink
from bot.outbox import store
from bot.outbox.delivery import DELIVERED, FAILED, LOST, RETRY, SKIPPED, backoff_seconds
from bot.outbox.inline import deliver_now
from tests.fakes.ticket_desk import DeskBackend, FakeDesk
from tests.outbox_support import Clock, open_ticket, rows, worker, write_config


@pytest.fixture
def remote(monkeypatch, tmp_path) -> None:
    """Tickets go to a remote system (the outbox is on), with fast outbox settings."""
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "servicenow")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(write_config(tmp_path / "closebot.yml")))


@pytest.fixture
def desk():
    with FakeDesk() as fake:
        yield fake


def posts(desk: FakeDesk) -> int:
    return sum(1 for r in desk.requests if r.method == "POST" and r.path == "/tickets")


def test_local_tickets_write_no_outbox_rows(demo_session, monkeypatch) -> None:
    monkeypatch.delenv("CLOSEBOT_TICKET_BACKEND", raising=False)
    ticket = open_ticket(demo_session)
    tickets.assign(demo_session, ticket.number, "u-li", "u-hana")
    tickets.add_comment(demo_session, ticket.number, "looking", "u-li")
    tickets.resolve(demo_session, ticket.number, "bank is back", "u-li")
    demo_session.commit()
    assert rows(demo_session) == []
    assert deliver_now(demo_session, ticket) is None


def test_enqueue_shares_the_ticket_transaction(demo_session, remote) -> None:
    ticket = tickets.create_ticket(demo_session, "u-mei", "C100", None, idempotency_key="u-mei:gone")
    assert [r.operation for r in rows_pending(demo_session)] == ["create"]
    demo_session.rollback()
    assert rows(demo_session) == []
    assert demo_session.scalar(select(Ticket).where(Ticket.idempotency_key == "u-mei:gone")) is None

    ticket = open_ticket(demo_session)
    again = tickets.create_ticket(demo_session, "u-mei", "C100", None, idempotency_key="u-mei:m1")
    demo_session.commit()
    assert again.number == ticket.number
    [row] = rows(demo_session)
    assert (row.operation, row.state, row.system, row.attempts) == ("create", "pending", "servicenow", 0)
    assert row.correlation_id.startswith("closebot-")
    assert row.payload["correlation_id"] == row.correlation_id
    assert row.payload["local_number"] == ticket.number
    assert "bank-gateway" in row.payload["description"] and "Mei Chen" in row.payload["description"]


def rows_pending(session) -> list:
    return list(session.scalars(select(OutboxEntry)))


def test_down_then_up_delivers_once_with_growing_backoff(demo_session, remote, desk) -> None:
    ticket = open_ticket(demo_session)
    clock = Clock()
    w = worker(demo_session, DeskBackend(desk.url), clock)
    desk.down()
    delays = []
    for _ in range(4):
        assert w.run_pass()[RETRY] == 1
        row = rows(demo_session)[0]
        delays.append((row.next_attempt_at - clock.now).total_seconds())
        assert "cannot reach" in row.last_error
        assert w.run_pass().attempted == 0  # not due yet: nothing is sent
        clock.advance(delays[-1])
    assert delays == [1.0, 2.0, 4.0, 4.0]  # doubled per attempt, capped at max_delay_seconds

    desk.up()
    assert w.run_pass()[DELIVERED] == 1
    assert w.run_pass().attempted == 0
    [row] = rows(demo_session)
    assert (row.state, row.attempts, row.last_error) == ("delivered", 5, None)
    [remote_ticket] = desk.tickets
    assert remote_ticket["correlation_id"] == row.correlation_id and posts(desk) == 1
    link = demo_session.scalar(select(TicketLink))
    assert (link.ticket_id, link.system, link.remote_number) == (ticket.id, "servicenow", "DESK-1")
    notice = demo_session.scalar(select(Notification).where(Notification.user_id == "u-mei"))
    assert notice.body == f"{ticket.number} is now DESK-1 in ServiceNow."
    actions = list(demo_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("ticket_remote%"))))
    assert actions == ["ticket_remote_retry"] * 4 + ["ticket_remote_delivered"]


def test_retry_after_longer_than_the_backoff_is_respected(demo_session, remote, desk) -> None:
    open_ticket(demo_session)
    clock = Clock()
    w = worker(demo_session, DeskBackend(desk.url), clock)
    desk.fail_next(503, {"error": "maintenance"}, {"Retry-After": "30"}, match=lambda r: r.method == "POST")
    assert w.run_pass()[RETRY] == 1
    row = rows(demo_session)[0]
    assert (row.next_attempt_at - clock.now).total_seconds() == 30.0
    assert "HTTP 503: maintenance" in row.last_error
    clock.advance(29)
    assert w.run_pass().attempted == 0
    clock.advance(1)
    assert w.run_pass()[DELIVERED] == 1 and len(desk.tickets) == 1


def test_backoff_schedule() -> None:
    settings = OutboxSettings(base_delay_seconds=5, max_delay_seconds=60)
    assert [backoff_seconds(n, settings) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]
    assert backoff_seconds(1, settings, retry_after=90) == 90
    assert backoff_seconds(3, settings, retry_after=1) == 20


def test_refusal_fails_until_requeued_and_holds_back_later_changes(demo_session, remote, desk) -> None:
    ticket = open_ticket(demo_session)
    tickets.add_comment(demo_session, ticket.number, "still stuck", "u-mei")
    demo_session.commit()
    clock = Clock()
    w = worker(demo_session, DeskBackend(desk.url), clock)
    desk.fail_next(400, {"error": "assignment group is not valid"}, match=lambda r: r.method == "POST")
    assert w.run_pass(ignore_backoff=True)[FAILED] == 1
    create, comment = rows(demo_session)
    assert (create.state, comment.state) == ("failed", "pending")
    assert create.last_error == "servicenow HTTP 400: assignment group is not valid"
    clock.advance(3600)
    assert w.run_pass(ignore_backoff=True).attempted == 0  # the comment waits for its ticket
    failure = demo_session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket_remote_failed"))
    assert failure.detail["status"] == 400 and failure.detail["number"] == ticket.number

    assert store.requeue_failed(demo_session, clock.now) == 1
    demo_session.commit()
    assert w.run_pass()[DELIVERED] == 2
    [remote_ticket] = desk.tickets
    assert remote_ticket["comments"] == ["Mei Chen: still stuck"]


def test_changes_follow_the_create_in_order(demo_session, remote, desk) -> None:
    ticket = open_ticket(demo_session)
    tickets.assign(demo_session, ticket.number, "u-li", "u-hana")
    tickets.add_comment(demo_session, ticket.number, "bank called back", "u-li")
    tickets.resolve(demo_session, ticket.number, "interface restored", "u-li")
    demo_session.commit()
    assert [r.operation for r in rows(demo_session)] == ["create", "status", "comment", "comment", "status"]
    w = worker(demo_session, DeskBackend(desk.url))
    desk.down()
    assert w.run_pass(ignore_backoff=True)[RETRY] == 1  # only the create was tried
    desk.up()
    assert w.run_pass(ignore_backoff=True)[DELIVERED] == 5
    [remote_ticket] = desk.tickets
    assert remote_ticket["status"] == "resolved" and remote_ticket["note"] == "interface restored"
    assert remote_ticket["comments"] == ["Assigned to Li Wei (u-li).", "Li Wei: bank called back"]
    patches = [r.json()["status"] for r in desk.requests if r.method == "PATCH"]
    assert patches == ["in_progress", "resolved"]


def test_two_workers_make_one_remote_ticket(demo_session, remote, desk) -> None:
    open_ticket(demo_session)
    [row] = rows(demo_session)
    desk.delay_next(0.3, match=lambda r: r.method == "POST")  # a slow create: the other one is waiting
    workers = [worker(demo_session, DeskBackend(desk.url)) for _ in range(2)]
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
    assert len(desk.tickets) == 1 and posts(desk) == 1
    assert demo_session.scalar(select(func.count()).select_from(TicketLink)) == 1


def test_crash_after_the_remote_answer_links_the_existing_ticket(demo_session, remote, desk,
                                                                 monkeypatch) -> None:
    """A worker dies after the remote created the ticket, before our commit: the next worker
    (once the lease runs out) finds the ticket by correlation id instead of creating another."""
    open_ticket(demo_session)
    clock = Clock()
    dead = worker(demo_session, DeskBackend(desk.url), clock)

    def crash(*_args) -> None:
        raise SystemExit("killed between the remote's answer and the commit")

    monkeypatch.setattr(dead.deliverer, "_delivered", crash)
    with pytest.raises(SystemExit):
        dead.run_pass()
    assert len(desk.tickets) == 1 and rows(demo_session)[0].state == "pending"
    survivor = worker(demo_session, DeskBackend(desk.url), clock)
    assert survivor.run_pass().attempted == 0  # the dead worker's lease still runs
    clock.advance(31)
    assert survivor.run_pass()[DELIVERED] == 1
    assert len(desk.tickets) == 1 and posts(desk) == 1
    entry = demo_session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket_remote_delivered"))
    assert entry.detail["found_existing"] is True and entry.detail["remote_number"] == "DESK-1"


def test_a_worker_whose_lease_ran_out_commits_nothing(demo_session, remote, desk) -> None:
    open_ticket(demo_session)
    clock = Clock()
    slow, fast = (worker(demo_session, DeskBackend(desk.url), clock) for _ in range(2))
    [row] = rows(demo_session)
    assert store.claim(demo_session, row.id, slow.owner, clock.now, 30)
    assert not store.claim(demo_session, row.id, fast.owner, clock.now, 30)
    clock.advance(31)
    assert fast.run_pass()[DELIVERED] == 1
    assert slow.deliverer.deliver(row.id) == LOST
    assert len(desk.tickets) == 1
    assert demo_session.scalar(select(func.count()).select_from(TicketLink)) == 1


def test_inline_attempt_links_at_once_when_the_remote_is_up(demo_session, remote, desk) -> None:
    ticket = open_ticket(demo_session)
    state = deliver_now(demo_session, ticket, worker(demo_session, DeskBackend(desk.url)))
    demo_session.commit()
    assert state.linked and state.label == "ServiceNow DESK-1"
    # the reply names the number, so the "is now DESK-1" notice is not shown again
    notice = demo_session.scalar(select(Notification).where(Notification.user_id == "u-mei"))
    assert notice.delivered_at is not None


def test_inline_attempt_queues_when_the_remote_is_down(demo_session, remote, desk) -> None:
    ticket = open_ticket(demo_session)
    desk.down()
    w = worker(demo_session, DeskBackend(desk.url))
    state = deliver_now(demo_session, ticket, w)
    demo_session.commit()
    assert state.queued and state.label == "queued for ServiceNow"
    [row] = rows(demo_session)
    assert (row.state, row.attempts) == ("pending", 1)
    desk.up()
    assert w.run_pass(ignore_backoff=True)[DELIVERED] == 1
    pending = demo_session.scalars(select(Notification.body).where(
        Notification.user_id == "u-mei", Notification.delivered_at.is_(None))).all()
    assert pending == [f"{ticket.number} is now DESK-1 in ServiceNow."]


def test_a_garbled_success_is_retried_not_failed(demo_session, remote, desk) -> None:
    open_ticket(demo_session)
    w = worker(demo_session, DeskBackend(desk.url))
    desk.fail_next(201, "<html>proxy error</html>", match=lambda r: r.method == "POST")
    assert w.run_pass(ignore_backoff=True)[RETRY] == 1
    assert "malformed JSON" in rows(demo_session)[0].last_error


def test_the_polling_worker_delivers_and_stops_when_told(demo_session, remote, desk) -> None:
    w = worker(demo_session, DeskBackend(desk.url))
    stop = threading.Event()
    thread = threading.Thread(target=w.run_forever, args=(stop,))
    thread.start()
    try:
        ticket = open_ticket(demo_session)  # written while the worker is already polling
        deadline = time.monotonic() + 10
        while not desk.tickets and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert [t["local_number"] for t in desk.tickets] == [ticket.number]
