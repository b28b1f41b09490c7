"""The outbox on the production database: a real PostgreSQL server, workers racing for rows."""

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.outbox.delivery import DELIVERED
from bot.scenario.load import load_file
from bot.store.db import get_engine
from bot.store.models import OutboxEntry, Ticket, TicketLink
from bot.tickets import service as tickets
from tests.conftest import DEMO
from tests.fakes.servicenow import FakeServiceNow
from tests.outbox_support import backend, open_ticket, outage, untagged, worker, write_config

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_url, monkeypatch, tmp_path):
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "servicenow")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(write_config(tmp_path / "closebot.yml")))
    factory = sessionmaker(bind=get_engine(pg_url), future=True, expire_on_commit=False)
    with factory() as session:
        load_file(session, DEMO)
        session.commit()
        yield session


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_rollback_takes_the_ticket_and_its_outbox_row(pg) -> None:
    before = count(pg, Ticket)
    tickets.create_ticket(pg, requester_id="u-mei", company_id="C100", diagnosis=outage(),
                          idempotency_key="u-mei:rolled-back")
    assert count(pg, OutboxEntry) == 1
    pg.rollback()
    assert (count(pg, Ticket), count(pg, OutboxEntry)) == (before, 0)


def test_racing_workers_deliver_each_ticket_once(pg) -> None:
    made = [open_ticket(pg, f"u-mei:race-{i}") for i in range(6)]
    for ticket in made:
        tickets.add_comment(pg, ticket.number, "more detail", author_id="u-mei")
    pg.commit()
    with FakeServiceNow() as sn:
        workers = [worker(pg, backend(sn)) for _ in range(4)]
        start = threading.Barrier(len(workers))
        delivered = []

        def run(w) -> None:
            start.wait()
            delivered.append(w.run_pass()[DELIVERED])

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        # a comment freed by another worker's create may be left for the next pass
        delivered.append(worker(pg, backend(sn)).run_pass()[DELIVERED])
        assert sum(delivered) == 12
        correlations = [i["correlation_id"] for i in sn.incidents]
        assert len(correlations) == len(set(correlations)) == 6
        assert all(untagged(sn.work_notes(i["number"])) == ["Mei Chen: more detail"] for i in sn.incidents)
    pg.expire_all()
    assert count(pg, TicketLink) == 6
    assert pg.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state != "delivered")) == 0
