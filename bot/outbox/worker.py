"""The outbox worker: passes over due rows, the ``outbox work`` loop, the action server thread.

Three front doors run the same ``Worker``: ``closebot outbox work`` (a loop that stops on
SIGTERM/SIGINT after the delivery in hand), a daemon thread the action server starts when a
remote backend is configured, and ``closebot outbox flush`` (everything pending, now).
"""

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional, Set

from sqlalchemy.orm import sessionmaker

from bot.core.clock import now
from bot.integrations.settings import ConfigError, OutboxSettings, Settings, current_settings
from bot.integrations.ticketing.base import TicketBackend
from bot.outbox import store
from bot.outbox.config import configured_backend
from bot.outbox.delivery import DELIVERED, SKIPPED, Clock, Deliverer, SessionFactory
from bot.store.db import get_engine

log = logging.getLogger(__name__)

#: Rows read per query; a pass keeps querying while it delivers something.
BATCH = 20


@dataclass
class PassResult:
    """What one pass did, by outcome (delivered, retry, failed, lost, skipped)."""

    outcomes: Counter = field(default_factory=Counter)

    @property
    def attempted(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome != SKIPPED)

    def __getitem__(self, outcome: str) -> int:
        return self.outcomes[outcome]


def sessions_for(url: Optional[str] = None) -> SessionFactory:
    """Sessions on the configured database (read now) or ``url``."""
    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)


class Worker:
    """Delivers the due rows of one backend's system."""

    def __init__(self, backend: TicketBackend, sessions: SessionFactory, settings: OutboxSettings,
                 owner: Optional[str] = None, clock: Clock = now) -> None:
        self.deliverer = Deliverer(backend, sessions, settings, owner, clock)
        self.sessions = sessions
        self.settings = settings
        self.clock = clock

    @property
    def owner(self) -> str:
        return self.deliverer.owner

    def run_pass(self, ignore_backoff: bool = False, ticket_id: Optional[int] = None) -> PassResult:
        """Deliver what is due now; a create delivered in this pass frees the ticket's next rows.

        Each row is attempted at most once per pass, so a remote that keeps failing ends the
        pass instead of looping in it (``ignore_backoff`` would otherwise retry at once).
        """
        result = PassResult()
        tried: Set[int] = set()
        while True:
            with self.sessions() as session:
                ids = store.due(session, self.deliverer.system, self.clock(), BATCH, ignore_backoff,
                                exclude=tried, ticket_id=ticket_id)
            if not ids:
                return result
            for entry_id in ids:
                tried.add(entry_id)
                result.outcomes[self.deliverer.claim_and_deliver(entry_id)] += 1

    def deliver_one(self, entry_id: int) -> str:
        return self.deliverer.claim_and_deliver(entry_id)

    def run_forever(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; a database or remote outage never ends the loop."""
        log.info("outbox worker %s delivering to %s", self.owner, self.deliverer.system)
        while not stop.is_set():
            try:
                busy = self.run_pass().outcomes[DELIVERED] > 0
            except Exception:  # noqa: BLE001 - keep the worker alive; the next poll retries
                log.exception("outbox pass failed; retrying in %ss", self.settings.poll_seconds)
                busy = False
            if not busy:
                stop.wait(self.settings.poll_seconds)
        log.info("outbox worker %s stopped", self.owner)


def configured_worker(settings: Optional[Settings] = None, url: Optional[str] = None,
                      sessions: Optional[SessionFactory] = None) -> Optional[Worker]:
    """A worker for the configured backend, or None when tickets stay local; its sessions are
    ``sessions``, or new ones on ``url`` (default: the configured database)."""
    settings = settings or current_settings()
    backend = configured_backend(settings)
    if backend is None:
        return None
    return Worker(backend, sessions or sessions_for(url), settings.tickets.outbox)


# ---- the action server's background thread -------------------------------------------------

_background: Optional[threading.Thread] = None
_background_stop = threading.Event()
_background_lock = threading.Lock()


def start_background() -> Optional[threading.Thread]:
    """Start (once per process) a daemon thread delivering the outbox, when a remote backend is
    configured. A configuration error is logged, not raised: the assistant keeps working and
    tickets keep queueing until the configuration is fixed."""
    global _background
    with _background_lock:
        if _background is not None and _background.is_alive():
            return _background
        try:
            worker = configured_worker()
        except ConfigError as exc:
            log.error("ticket outbox not started: %s", exc)
            return None
        except Exception:  # noqa: BLE001 - the assistant must start even if delivery cannot
            log.exception("ticket outbox not started")
            return None
        if worker is None:
            return None
        _background_stop.clear()
        _background = threading.Thread(target=worker.run_forever, args=(_background_stop,),
                                       name="closebot-outbox", daemon=True)
        _background.start()
        return _background


def stop_background(timeout: float = 10.0) -> None:
    global _background
    with _background_lock:
        _background_stop.set()
        if _background is not None:
            _background.join(timeout)
        _background = None
