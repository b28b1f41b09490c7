"""Shared pieces of the outbox tests: a settable clock, fast settings, the ServiceNow backend on
the fake, a ticket maker."""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, List

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.diagnosis.result import Blocker, Diagnosis
from bot.integrations.settings import OutboxSettings
from bot.integrations.ticketing.base import TicketBackend
from bot.integrations.ticketing.servicenow import ServiceNowBackend
from bot.outbox.worker import Worker
from bot.store.models import OutboxEntry, Ticket
from bot.tickets import service as tickets

FAST_OUTBOX = {"base_delay_seconds": 1.0, "max_delay_seconds": 4.0, "lease_seconds": 30.0,
               "poll_seconds": 0.05, "inline_timeout_seconds": 2.0}


class Clock:
    """A clock the test moves by hand, so backoff is checked without sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


#: test-fast HTTP to a fake: short timeouts, one retry without backoff, Retry-After capped at 1 s
FAST_HTTP = {"connect_timeout": 0.5, "read_timeout": 0.5, "retries": 1, "backoff_factor": 0.0,
             "max_retry_after": 1.0}


def write_config(path: Path, http: Any = None, **outbox: Any) -> Path:
    """A closebot.yml with fast outbox settings (``outbox`` overrides them) and fast HTTP to
    ServiceNow and Jira (``http`` overrides that), so the short test lease still outlasts the
    slowest call (``settings.check_lease``)."""
    fast = {"http": {**FAST_HTTP, **(http or {})}}
    path.write_text(yaml.safe_dump({"tickets": {
        "outbox": {**FAST_OUTBOX, **outbox}, "servicenow": fast, "jira": fast,
    }}))
    return path


def worker(session: Session, backend: TicketBackend, clock: Any = None, **outbox: Any) -> Worker:
    """A worker on the test's database with its own sessions (like another thread or process)."""
    factory = sessionmaker(bind=session.get_bind(), future=True, expire_on_commit=False)
    settings = OutboxSettings(**{**FAST_OUTBOX, **outbox})
    return Worker(backend, factory, settings, clock=clock) if clock else Worker(backend, factory, settings)


def backend(fake: Any) -> ServiceNowBackend:
    """The real ServiceNow backend pointed at the fake (fast HTTP, basic auth)."""
    return ServiceNowBackend(fake.settings(), fake.basic_env())


def creates(fake: Any) -> int:
    """POSTs that reached the fake: each one makes an incident."""
    return sum(1 for r in fake.requests if r.method == "POST")


def outage() -> Diagnosis:
    return Diagnosis(
        company="C100", period="2026-11", module="general_ledger", target_status="open",
        blockers=[Blocker("system_fault", "cash", ["bank-gateway"], "Bank gateway is down",
                          "wait or escalate to IT", "helpdesk", "critical")],
    )


def open_ticket(session: Session, key: str = "u-mei:m1") -> Ticket:
    ticket = tickets.create_ticket(session, requester_id="u-mei", company_id="C100", diagnosis=outage(),
                                   idempotency_key=key)
    session.commit()
    return ticket


#: the tag an outbox comment ends with (bot.integrations.ticketing.common.comment_tag)
COMMENT_TAG = re.compile(r"\n\n\[closebot ref [0-9a-f]{12}\]$")


def untagged(texts: List[str]) -> List[str]:
    """Comments as people wrote them: the outbox's trailing ``[closebot ref …]`` tag removed."""
    return [COMMENT_TAG.sub("", text) for text in texts]


def rows(session: Session) -> list:
    session.expire_all()
    return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def use_vendor(made: Any, monkeypatch: Any, tmp_path: Path) -> Iterator[Any]:
    """Route tickets to ``made`` (a test's vendor: its fake, backend and name) with the fast
    outbox settings, for a fixture to yield from; stops the backend and the fake after."""
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", made.name)
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(write_config(tmp_path / "closebot.yml")))
    yield made
    made.backend.close()
    made.fake.stop()
