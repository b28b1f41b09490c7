"""A worker stalled past its outbox lease never makes a second remote ticket, on ServiceNow and Jira.

One slow remote call can outlast a lease (four reads of 10 s plus three Retry-After waits of
30 s is 142 s), and then a second worker takes the row over. The worker renews its lease before
every remote call and gives the row up when the renewal finds another worker holds it, so the
stalled one never sends its create; the answer it was waiting for is never written either. The
stall is a request the fake holds until the test releases it, and the lease runs out on the
second worker's clock: nothing here depends on how fast the machine is.
"""

import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List

import pytest
from sqlalchemy import select

from bot.integrations.ticketing.jira import JiraBackend
from bot.integrations.ticketing.servicenow import ServiceNowBackend
from bot.outbox.delivery import DELIVERED, LOST
from bot.store.models import AuditEntry, TicketLink
from tests.fakes.http_server import FakeService, Hold, Request
from tests.fakes.jira import FakeJira
from tests.fakes.servicenow import FakeServiceNow
from tests.fakes.settings import fast_http
from tests.outbox_support import FAST_OUTBOX, Clock, open_ticket, rows, use_vendor, worker

LEASE = FAST_OUTBOX["lease_seconds"]
#: long enough that a held request is never timed out by the client: the test releases it
PATIENT = fast_http(read_timeout=60.0, retries=0)


@dataclass
class Vendor:
    """One remote system: its fake, its backend, its remote tickets, its create and lookup."""

    name: str
    fake: FakeService
    backend: Any
    numbers: Callable[[], List[str]]  # the remote tickets' numbers, in creation order
    is_create: Callable[[Request], bool]
    is_lookup: Callable[[Request], bool]  # the search by correlation id before a create

    def creates(self) -> int:
        return sum(1 for r in self.fake.requests if self.is_create(r))


def servicenow() -> Vendor:
    fake = FakeServiceNow().start()
    return Vendor(
        "servicenow", fake, ServiceNowBackend(fake.settings(http=PATIENT), fake.basic_env()),
        lambda: [i["number"] for i in fake.incidents],
        lambda r: r.method == "POST" and r.path.endswith("/table/incident"),
        lambda r: r.method == "GET" and "correlation_id=" in (r.arg("sysparm_query") or ""),
    )


def jira() -> Vendor:
    fake = FakeJira().start()
    return Vendor(
        "jira", fake, JiraBackend(fake.settings(http=PATIENT), fake.env()),
        lambda: [i["key"] for i in fake.issues],
        lambda r: r.method == "POST" and r.path == "/rest/api/3/issue",
        lambda r: r.path.endswith("/search/jql"),
    )


@pytest.fixture(params=[servicenow, jira], ids=["servicenow", "jira"])
def vendor(request, monkeypatch, tmp_path) -> Iterator[Vendor]:
    """Tickets go to this vendor (the outbox is on), with fast outbox settings."""
    yield from use_vendor(request.param(), monkeypatch, tmp_path)


def stalled_delivery(w: Any, entry_id: int, hold: Hold) -> "tuple[threading.Thread, List[str]]":
    """Start ``w`` delivering the row in a thread; returns once its request is held."""
    outcome: List[str] = []
    thread = threading.Thread(target=lambda: outcome.append(w.deliver_one(entry_id)), daemon=True)
    thread.start()
    assert hold.reached.wait(30), "the worker never reached the remote"
    return thread, outcome


def finish(thread: threading.Thread, hold: Hold) -> None:
    hold.release()
    thread.join(60)
    assert not thread.is_alive()


def past_the_lease() -> Clock:
    clock = Clock()
    clock.advance(LEASE + 1)
    return clock


def test_stalled_in_the_lookup_the_first_worker_never_creates(demo_session, vendor) -> None:
    """The stalled worker's lookup says "no such ticket"; meanwhile its lease ran out and a
    second worker created the ticket. The stalled one must not create it again."""
    open_ticket(demo_session)
    [row] = rows(demo_session)
    # the answer ("none yet") is decided when the lookup arrives, then held
    hold = vendor.fake.hold_next(match=vendor.is_lookup, after=True)
    thread, outcome = stalled_delivery(worker(demo_session, vendor.backend), row.id, hold)
    try:
        assert worker(demo_session, vendor.backend, past_the_lease()).run_pass()[DELIVERED] == 1
    finally:
        finish(thread, hold)

    assert outcome == [LOST]
    assert vendor.creates() == 1 and len(vendor.numbers()) == 1
    assert demo_session.scalars(select(TicketLink.remote_number)).all() == vendor.numbers()
    assert [(r.state, r.lease_owner) for r in rows(demo_session)] == [("delivered", None)]
    delivered = demo_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "ticket_remote_delivered")).all()
    assert [(e.detail["remote_number"], e.detail["found_existing"]) for e in delivered] == [
        (vendor.numbers()[0], False)]


def test_stalled_in_the_create_answer_the_ticket_is_linked_once(demo_session, vendor) -> None:
    """The remote made the ticket but its answer is stalled: the second worker finds it by
    correlation id and links it; the stalled worker, answered at last, writes nothing."""
    open_ticket(demo_session)
    [row] = rows(demo_session)
    hold = vendor.fake.hold_next(match=vendor.is_create, after=True)
    thread, outcome = stalled_delivery(worker(demo_session, vendor.backend), row.id, hold)
    try:
        assert worker(demo_session, vendor.backend, past_the_lease()).run_pass()[DELIVERED] == 1
    finally:
        finish(thread, hold)

    assert outcome == [LOST]
    assert vendor.creates() == 1 and len(vendor.numbers()) == 1
    assert demo_session.scalars(select(TicketLink.remote_number)).all() == vendor.numbers()
    [entry] = demo_session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket_remote_delivered"))
    assert entry.detail["found_existing"] is True


def test_a_worker_renews_its_lease_before_each_remote_call(demo_session, vendor) -> None:
    """A slow but alive worker keeps its row: each call starts with a fresh lease, so another
    worker cannot take the row while the first is between calls of one delivery."""
    open_ticket(demo_session)
    [row] = rows(demo_session)
    clock = Clock()
    taken_at = clock.now
    lookup = vendor.fake.hold_next(match=vendor.is_lookup)
    thread, outcome = stalled_delivery(worker(demo_session, vendor.backend, clock), row.id, lookup)
    create = vendor.fake.hold_next(match=vendor.is_create)
    try:
        assert rows(demo_session)[0].lease_expires_at == taken_at + _seconds(LEASE)
        clock.advance(LEASE - 5)  # the lookup was slow: most of the lease is gone
        lookup.release()
        assert create.reached.wait(30)
        # renewed right before the create, from the worker's clock at that moment
        assert rows(demo_session)[0].lease_expires_at == clock.now + _seconds(LEASE)
        later = Clock()
        later.now = taken_at + _seconds(LEASE + 1)  # past the first lease, inside the renewed one
        assert worker(demo_session, vendor.backend, later).run_pass().attempted == 0
    finally:
        lookup.release()
        finish(thread, create)
    assert outcome == [DELIVERED]
    assert vendor.creates() == 1


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)
