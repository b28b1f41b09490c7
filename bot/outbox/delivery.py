"""Send one claimed outbox row to the remote system and record what happened.

The remote call runs outside any database transaction (a slow remote must not hold a
lock); the outcome is written in one commit that first re-checks the lease. Before each HTTP
request of a delivery the worker renews its lease, and stops (LOST, nothing sent, nothing
written) when another worker has taken the row over: a worker stalled past its lease (one call
can take 142 s with the default retries) never sends a create the other worker already sent.
The lease outlasts the slowest single call (``settings.check_lease``). For a create,
the remote is asked for the ticket by correlation id before anything is created, so a
worker that died after the remote's answer and before our commit cannot cause a duplicate.
A comment carries its row's idempotency key; when an earlier attempt may have reached the
remote (the row was attempted before, or taken over from a dead worker's lease) the backend
looks for the comment with that key before posting it.
"""

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

from sqlalchemy.orm import Session

from bot.core.clock import now
from bot.integrations.http import RemoteError, before_each_request
from bot.integrations.settings import OutboxSettings
from bot.integrations.ticketing.base import RemoteRef, RemoteTicketRequest, TicketBackend
from bot.outbox import store
from bot.outbox.config import system_name
from bot.people import inbox
from bot.store import audit
from bot.store.models import OutboxEntry, Ticket, TicketLink

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
Clock = Callable[[], datetime]

DELIVERED, RETRY, FAILED, LOST, SKIPPED = "delivered", "retry", "failed", "lost", "skipped"


def worker_id() -> str:
    """Who holds a lease: host, process and a random part (two workers in one process differ)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff_seconds(attempts: int, settings: OutboxSettings, retry_after: Optional[float] = None) -> float:
    """Delay before attempt ``attempts + 1``: base doubled per failed attempt, capped, or the
    remote's Retry-After when that asks for longer."""
    delay = min(settings.max_delay_seconds, settings.base_delay_seconds * 2 ** max(attempts - 1, 0))
    return max(delay, retry_after or 0.0)


@dataclass(frozen=True)
class _Job:
    """What one delivery needs, read before the remote call (no session is held during it)."""

    entry_id: int
    operation: str
    system: str
    payload: dict
    correlation_id: str
    idempotency_key: str
    attempts: int
    maybe_sent: bool  # an earlier attempt may have reached the remote
    ticket_id: int
    number: str
    requester_id: Optional[str]
    company_id: str
    link: Optional[RemoteRef]


class LeaseLost(Exception):
    """Another worker took the row over while this one was slow: it finishes the delivery."""


class PermanentProblem(Exception):
    """Our side cannot deliver this row as it stands (e.g. nothing to attach a change to)."""


class Deliverer:
    """Delivers rows of one system with one backend, under one worker id."""

    def __init__(self, backend: TicketBackend, sessions: SessionFactory, settings: OutboxSettings,
                 owner: Optional[str] = None, clock: Clock = now) -> None:
        self.backend = backend
        self.sessions = sessions
        self.settings = settings
        self.owner = owner or worker_id()
        self.clock = clock

    @property
    def system(self) -> str:
        return self.backend.system

    def claim_and_deliver(self, entry_id: int) -> str:
        """Claim the row and deliver it; SKIPPED when another worker has it or it is done."""
        with self.sessions() as session:
            taken = store.take(session, entry_id, self.owner, self.clock(), self.settings.lease_seconds)
        return SKIPPED if taken is None else self.deliver(entry_id, taken_over=taken)

    def deliver(self, entry_id: int, taken_over: bool = False) -> str:
        """Send a row this worker has claimed (``taken_over``: from an expired lease); the
        outcome is committed before returning."""
        job = self._read(entry_id, taken_over)
        if job is None:
            return LOST
        try:
            with before_each_request(lambda _method, _url: self._renew(job)):
                ref, found = self._send(job)
        except LeaseLost:
            log.warning("outbox row %s (%s %s): lease lost to another worker; nothing more sent",
                        job.entry_id, job.operation, job.number)
            return LOST
        except RemoteError as exc:
            # A garbled success answer (2xx, unreadable) may hide done work: retrying is safe,
            # since a create looks for the correlation id first.
            transient = exc.transient or (exc.status is not None and exc.status < 400)
            return self._failed(job, str(exc), transient, exc.retry_after, exc.status)
        except (PermanentProblem, ValueError) as exc:  # our data does not fit the remote: retrying won't help
            return self._failed(job, str(exc), False, None, None)
        except Exception as exc:  # noqa: BLE001 - a surprise (malformed answer, bug) is retried, not lost
            log.exception("outbox row %s (%s %s) failed unexpectedly", job.entry_id, job.operation, job.number)
            return self._failed(job, f"{type(exc).__name__}: {exc}", True, None, None)
        return self._delivered(job, ref, found)

    # -- steps ----------------------------------------------------------------------------------
    def _read(self, entry_id: int, taken_over: bool) -> Optional[_Job]:
        with self.sessions() as session:
            row = session.get(OutboxEntry, entry_id)
            if row is None or row.lease_owner != self.owner:
                return None
            ticket = session.get(Ticket, row.ticket_id)
            link = store.link_of(session, row.ticket_id, row.system)
            return _Job(
                entry_id=row.id, operation=row.operation, system=row.system, payload=dict(row.payload or {}),
                correlation_id=row.correlation_id, idempotency_key=row.idempotency_key,
                attempts=row.attempts or 0, maybe_sent=taken_over or (row.attempts or 0) > 0,
                ticket_id=row.ticket_id,
                number=ticket.number, requester_id=ticket.requester_id, company_id=ticket.company_id,
                link=None if link is None else RemoteRef(link.system, link.remote_id, link.remote_number,
                                                         link.url),
            )

    def _renew(self, job: _Job) -> None:
        """A fresh lease for the next remote call, or ``LeaseLost`` if the row is not ours now."""
        with self.sessions() as session:
            if not store.renew(session, job.entry_id, self.owner, self.clock(), self.settings.lease_seconds):
                raise LeaseLost(job.entry_id)

    def _send(self, job: _Job) -> "tuple[Optional[RemoteRef], bool]":
        """Do the remote work; returns the remote ticket (for a create) and whether it existed."""
        if job.system != self.system:
            raise PermanentProblem(f"queued for {job.system}, but this worker delivers to {self.system}")
        if job.operation == store.CREATE:
            if job.link is not None:
                return job.link, True
            found = self.backend.find_by_correlation(job.correlation_id)
            if found is not None:
                return found, True
            return self.backend.create(RemoteTicketRequest(**job.payload)), False
        if job.link is None:
            raise PermanentProblem(f"{job.number} has no {system_name(job.system)} ticket to change")
        if job.operation == store.STATUS:
            self.backend.update_status(job.link, job.payload["status"], job.payload.get("note"))
        elif job.operation == store.COMMENT:
            self.backend.add_comment(job.link, job.payload["body"], key=job.idempotency_key,
                                     maybe_sent=job.maybe_sent)
        else:
            raise PermanentProblem(f"unknown operation {job.operation!r}")
        return None, False

    def _delivered(self, job: _Job, ref: Optional[RemoteRef], found: bool) -> str:
        now = self.clock()
        with self.sessions() as session:
            if not store.finish_delivered(session, job.entry_id, self.owner, now):
                session.rollback()
                log.warning("outbox row %s: lease lost before the commit; another worker finishes it",
                            job.entry_id)
                return LOST
            detail = {"number": job.number, "system": job.system, "operation": job.operation,
                      "attempts": job.attempts + 1}
            if job.operation == store.CREATE and ref is not None:
                self._link(session, job, ref, now)
                detail.update(remote_number=ref.number, found_existing=found)
            audit.record(session, None, "ticket_remote_delivered", job.company_id, detail)
            session.commit()
        log.info("outbox: %s %s delivered to %s", job.number, job.operation, job.system)
        return DELIVERED

    def _link(self, session: Session, job: _Job, ref: RemoteRef, now: datetime) -> None:
        """Link the local ticket to the remote one and tell the requester its number."""
        if store.link_of(session, job.ticket_id, job.system) is None:
            session.add(TicketLink(ticket_id=job.ticket_id, system=job.system, remote_id=ref.remote_id,
                                   remote_number=ref.number, url=ref.url, linked_at=now))
        if job.requester_id:
            inbox.notify(
                session, job.requester_id, f"{job.number} is now {ref.number} in {system_name(job.system)}.",
                job.number, job.company_id, idempotency_key=link_notice_key(job.correlation_id),
            )

    def _failed(self, job: _Job, error: str, transient: bool, retry_after: Optional[float],
                status: Optional[int]) -> str:
        now = self.clock()
        with self.sessions() as session:
            detail = {"number": job.number, "system": job.system, "operation": job.operation,
                      "attempts": job.attempts + 1, "status": status, "error": error[:store.ERROR_WIDTH]}
            if transient:
                delay = backoff_seconds(job.attempts + 1, self.settings, retry_after)
                owned = store.finish_retry(session, job.entry_id, self.owner, now + timedelta(seconds=delay),
                                           error)
                detail["retry_in_seconds"] = round(delay, 3)
                action, outcome = "ticket_remote_retry", RETRY
            else:
                owned = store.finish_failed(session, job.entry_id, self.owner, error)
                action, outcome = "ticket_remote_failed", FAILED
            if not owned:
                session.rollback()
                return LOST
            audit.record(session, None, action, job.company_id, detail)
            session.commit()
        log.warning("outbox: %s %s to %s %s: %s", job.number, job.operation, job.system,
                    "will be retried" if transient else "failed", error)
        return outcome


def link_notice_key(correlation_id: str) -> str:
    """The idempotency key of the "CLS-n is now INC… in ServiceNow" notification."""
    return f"{correlation_id}:linked"
