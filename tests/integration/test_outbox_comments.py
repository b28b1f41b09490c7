"""Comments reach ServiceNow and Jira exactly once through the outbox, over real HTTP to the fakes.

A comment whose answer was lost (the remote stored it, the client timed out) or whose worker
died mid-delivery is looked up by its row's tag before being sent again; a first attempt sends
without looking; two comments with the same text are two comments.
"""

from dataclasses import dataclass
from typing import Any, Callable, Iterator, List

import pytest

from bot.integrations.http import RemoteError
from bot.integrations.ticketing.base import RemoteRef, RemoteTicketRequest
from bot.integrations.ticketing.jira import JiraBackend
from bot.integrations.ticketing.servicenow import ServiceNowBackend
from bot.outbox import store
from bot.outbox.delivery import DELIVERED, RETRY
from bot.store.models import Ticket
from bot.tickets import service as tickets
from tests.fakes.http_server import FakeService, Request
from tests.fakes.jira import FakeJira
from tests.fakes.servicenow import FakeServiceNow
from tests.fakes.settings import fast_http
from tests.outbox_support import COMMENT_TAG, Clock, open_ticket, rows, untagged, use_vendor, worker


@dataclass
class Vendor:
    """One remote system as these tests drive it: its fake, its backend, how to read it back."""

    name: str
    fake: FakeService
    backend: Any
    notes: Callable[[str], List[str]]  # the comments on one remote ticket, oldest first
    is_post: Callable[[Request], bool]  # the request that writes a comment
    is_lookup: Callable[[Request], bool]  # the request that looks for a tagged comment

    def posts(self) -> int:
        return sum(1 for r in self.fake.requests if self.is_post(r))

    def lookups(self) -> int:
        return sum(1 for r in self.fake.requests if self.is_lookup(r))


def servicenow() -> Vendor:
    fake = FakeServiceNow().start()
    return Vendor(
        "servicenow", fake, ServiceNowBackend(fake.settings(http=fast_http(read_timeout=0.3)), fake.basic_env()),
        fake.work_notes,
        lambda r: r.method == "PATCH" and "work_notes" in (r.json() or {}),
        lambda r: r.method == "GET" and r.path.endswith("/table/sys_journal_field"),
    )


def jira() -> Vendor:
    fake = FakeJira().start()
    return Vendor(
        "jira", fake, JiraBackend(fake.settings(http=fast_http(read_timeout=0.3)), fake.env()), fake.comments,
        lambda r: r.method == "POST" and r.path.endswith("/comment"),
        lambda r: r.method == "GET" and r.path.endswith("/comment"),
    )


@pytest.fixture(params=[servicenow, jira], ids=["servicenow", "jira"])
def vendor(request, monkeypatch, tmp_path) -> Iterator[Vendor]:
    """Tickets go to this vendor (the outbox is on), with fast outbox settings."""
    yield from use_vendor(request.param(), monkeypatch, tmp_path)


def ahead() -> Clock:
    """A test clock an hour ahead: rows written now (stamped with the real time) are due at once."""
    clock = Clock()
    clock.advance(3600)
    return clock


def linked_ticket(session, vendor: Vendor, clock: Clock) -> Ticket:
    """A ticket whose create is delivered (a remote ticket exists), so comments can follow."""
    ticket = open_ticket(session)
    assert worker(session, vendor.backend, clock).run_pass()[DELIVERED] == 1
    return ticket


def remote_number(session, ticket: Ticket, vendor: Vendor) -> str:
    link = store.link_of(session, ticket.id, vendor.name)
    assert link is not None
    return link.remote_number


def comment(session, ticket: Ticket, text: str) -> None:
    tickets.add_comment(session, ticket.number, text, author_id="u-li")
    session.commit()


def test_a_first_attempt_posts_a_tagged_comment_without_looking(demo_session, vendor) -> None:
    clock = ahead()
    ticket = linked_ticket(demo_session, vendor, clock)
    comment(demo_session, ticket, "bank called back")
    assert worker(demo_session, vendor.backend, clock).run_pass()[DELIVERED] == 1
    [note] = vendor.notes(remote_number(demo_session, ticket, vendor))
    assert COMMENT_TAG.search(note) and untagged([note]) == ["Li Wei: bank called back"]
    assert (vendor.posts(), vendor.lookups()) == (1, 0)


def test_a_comment_whose_answer_was_lost_is_not_posted_again(demo_session, vendor) -> None:
    clock = ahead()
    ticket = linked_ticket(demo_session, vendor, clock)
    comment(demo_session, ticket, "bank called back")
    w = worker(demo_session, vendor.backend, clock)
    vendor.fake.delay_next(1.0, match=vendor.is_post, after=True)  # stored, then the answer is too late
    assert w.run_pass()[RETRY] == 1
    number = remote_number(demo_session, ticket, vendor)
    assert len(vendor.notes(number)) == 1 and "timed out" in rows(demo_session)[-1].last_error

    clock.advance(60)
    assert w.run_pass()[DELIVERED] == 1
    assert untagged(vendor.notes(number)) == ["Li Wei: bank called back"]
    assert (vendor.posts(), vendor.lookups()) == (1, 1)
    assert rows(demo_session)[-1].state == "delivered"


def test_a_comment_left_by_a_dead_worker_is_found_by_the_next(demo_session, vendor) -> None:
    """The worker claimed the row, the remote stored the comment, the worker died: no attempt
    was recorded, only its lease, which runs out; the next worker must look before posting."""
    clock = ahead()
    ticket = linked_ticket(demo_session, vendor, clock)
    comment(demo_session, ticket, "bank called back")
    row = rows(demo_session)[-1]
    dead = worker(demo_session, vendor.backend, clock, lease_seconds=5)
    assert store.take(demo_session, row.id, dead.owner, clock.now, 5) is False  # a fresh claim
    link = store.link_of(demo_session, ticket.id, vendor.name)
    vendor.backend.add_comment(RemoteRef(vendor.name, link.remote_id, link.remote_number, link.url),
                               row.payload["body"], key=row.idempotency_key)  # what the dead worker sent
    survivor = worker(demo_session, vendor.backend, clock)
    assert survivor.run_pass().attempted == 0  # the lease still runs
    clock.advance(6)
    assert survivor.run_pass()[DELIVERED] == 1
    assert untagged(vendor.notes(link.remote_number)) == ["Li Wei: bank called back"]
    assert (vendor.posts(), vendor.lookups()) == (1, 1)
    [again] = [r for r in rows(demo_session) if r.id == row.id]
    assert (again.state, again.attempts) == ("delivered", 1)


def test_two_comments_with_the_same_text_are_both_posted(demo_session, vendor) -> None:
    """The lookup matches a row's own tag, never the text: a repeated remark is not a duplicate."""
    clock = ahead()
    ticket = linked_ticket(demo_session, vendor, clock)
    comment(demo_session, ticket, "still stuck")
    comment(demo_session, ticket, "still stuck")
    w = worker(demo_session, vendor.backend, clock)
    vendor.fake.delay_next(1.0, match=vendor.is_post, after=True)  # the first is stored, its answer lost
    assert w.run_pass()[RETRY] == 1  # the second waits behind the first
    clock.advance(60)
    assert w.run_pass()[DELIVERED] == 2
    link = store.link_of(demo_session, ticket.id, vendor.name)
    notes = vendor.notes(link.remote_number)
    assert untagged(notes) == ["Li Wei: still stuck", "Li Wei: still stuck"] and len(set(notes)) == 2
    assert (vendor.posts(), vendor.lookups()) == (2, 1)  # only the retried row looked

    ref = RemoteRef(vendor.name, link.remote_id, link.remote_number, link.url)
    vendor.backend.add_comment(ref, "Li Wei: still stuck", key="another-row", maybe_sent=True)
    assert untagged(vendor.notes(link.remote_number)) == ["Li Wei: still stuck"] * 3


def test_taking_a_row_says_whether_a_lease_ran_out(demo_session, vendor) -> None:
    clock = ahead()
    ticket = linked_ticket(demo_session, vendor, clock)
    comment(demo_session, ticket, "x")
    row = rows(demo_session)[-1]
    assert store.take(demo_session, row.id, "a", clock.now, 5) is False
    assert store.take(demo_session, row.id, "b", clock.now, 5) is None  # a's lease runs
    clock.advance(5)
    assert store.take(demo_session, row.id, "b", clock.now, 5) is True
    assert rows(demo_session)[-1].lease_owner == "b"


# -- ServiceNow's journal lookup at its edges ------------------------------------------------
@pytest.fixture
def sn() -> Iterator[FakeServiceNow]:
    with FakeServiceNow(empty_404=True) as fake:  # "no record" answers 404, as on a v1 instance
        yield fake


def test_servicenow_no_record_404_means_not_sent_yet(sn) -> None:
    backend = ServiceNowBackend(sn.settings(), sn.basic_env())
    ref = backend.create(RemoteTicketRequest(
        correlation_id="c-1", local_number="CLS-1", summary="GL blocked", description="d",
        category="general_ledger", priority=2, status="new", company="C100"))
    backend.add_comment(ref, "posted once", key="row-1", maybe_sent=True)
    backend.add_comment(ref, "posted once", key="row-1", maybe_sent=True)
    [note] = sn.work_notes(ref.number)
    assert note.startswith("posted once\n\n[closebot ref ") and COMMENT_TAG.search(note)
    [journal] = [e for e in sn.journal if e["element_id"] == ref.remote_id]
    assert (journal["element"], journal["name"]) == ("work_notes", "incident")


def test_servicenow_journal_refused_says_what_to_grant_and_posts_nothing(sn) -> None:
    backend = ServiceNowBackend(sn.settings(), sn.basic_env())
    ref = backend.create(RemoteTicketRequest(
        correlation_id="c-1", local_number="CLS-1", summary="GL blocked", description="d",
        category="general_ledger", priority=2, status="new", company="C100"))
    sn.fail_next(403, {"error": {"message": "Operation Failed", "detail": "ACL restricts the record retrieval"},
                       "status": "failure"}, match=lambda r: r.path.endswith("/sys_journal_field"))
    with pytest.raises(RemoteError) as refused:
        backend.add_comment(ref, "maybe twice", key="row-1", maybe_sent=True)
    assert refused.value.status == 403 and not refused.value.transient
    assert "sys_journal_field" in str(refused.value) and "read access" in str(refused.value)
    assert sn.work_notes(ref.number) == []
    assert sn.basic_env()["SERVICENOW_PASSWORD"] not in str(refused.value)
