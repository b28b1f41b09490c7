"""Rasa's SQL tracker store without Rasa's silent fallbacks to an in-memory store.

Rasa keeps going when the configured tracker store fails: at start ``SQLTrackerStore`` retries
forever (a server that never becomes ready, with a warning every 5 s), and while serving its
``FailSafeTrackerStore`` answers a failed read with a *new* conversation and keeps a failed
write in the process's memory. With several replicas that splits a conversation in two, and
nobody notices. ``endpoints.production.yml`` names this class instead
(``type: channels.tracker_store.SharedSQLTrackerStore``, the same keys as ``type: SQL``):

- its connections are checked before use (``pool_pre_ping``), so dropped ones are replaced;
- at start it waits for the database at most ``CLOSEBOT_TRACKER_STORE_WAIT_SECONDS``
  (default 30), then raises: Rasa's server stops with exit status 1 and the log says why;
- ``refuse_fallback`` (called by ``channels.runtime`` once the agent is loaded) makes a failed
  read or write raise instead, so that turn fails (the channel answers an error) and the
  conversation stays whole in PostgreSQL.
"""

import logging
import os
import time
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_engine_kwargs

log = logging.getLogger(__name__)

WAIT_VARIABLE = "CLOSEBOT_TRACKER_STORE_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 30.0


class TrackerStoreUnavailable(ConnectionError):
    """The shared tracker store cannot be used: the server must not serve without it."""


class SharedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that refuses to start when its database does not answer in time."""

    def __init__(self, dialect: str = "postgresql", host: Optional[str] = None, port: Optional[int] = None,
                 db: str = "rasa.db", username: Optional[str] = None, password: Optional[str] = None,
                 login_db: Optional[str] = None, query: Optional[dict] = None, **kwargs: Any) -> None:
        url = self.get_db_url(dialect, host, port, login_db or db, username, password, login_db, query)
        wait_until_reachable(url, float(os.environ.get(WAIT_VARIABLE) or DEFAULT_WAIT_SECONDS))
        super().__init__(dialect=dialect, host=host, port=port, db=db, username=username, password=password,
                         login_db=login_db, query=query, **kwargs)
        # Rasa's engine (re-made without options once ``login_db`` created the database) hands out
        # pooled connections unchecked: after a failover or a restart of PostgreSQL every one of
        # them fails once. Checked before use, a dead one is replaced instead.
        url, old = self.engine.url, self.engine
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        old.dispose()
        log.info("tracker store: %s database %r on %s (shared; no in-memory fallback)", dialect, db,
                 self.engine.url.host or "local file")


def wait_until_reachable(url: Any, seconds: float) -> None:
    """Connect to ``url`` until it answers, for at most ``seconds``; else ``TrackerStoreUnavailable``."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                with engine.connect():
                    return
            except sa.exc.OperationalError as exc:
                if time.monotonic() >= deadline:
                    where = f"{engine.url.host or 'local'}:{engine.url.port or ''}"
                    log.critical("tracker store unreachable at %s after %.0fs: refusing to start "
                                 "(no in-memory fallback): %s", where, seconds, str(exc).strip())
                    raise TrackerStoreUnavailable(
                        f"Closebot refuses to start: the tracker store at {where} did not answer within "
                        f"{seconds:.0f}s ({WAIT_VARIABLE})") from exc
                log.warning("tracker store at %s not reachable yet; retrying", engine.url.host)
                time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
    finally:
        engine.dispose()


def refuse_fallback(store: Any) -> bool:
    """Make Rasa's fail-safe wrapper around a shared store raise instead of falling back to memory.

    Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore``, which calls
    ``_on_tracker_store_error`` (its constructor argument, not settable through the endpoints)
    and then falls back; raising from there stops the fallback. True when this call set it.
    """
    if not isinstance(store, FailSafeTrackerStore) or not isinstance(store._tracker_store, SharedSQLTrackerStore):
        return False
    if store._on_tracker_store_error is _raise:
        return False  # set already (every channel installs the runtime)
    store._on_tracker_store_error = _raise
    return True


def _raise(error: Exception) -> None:
    log.error("tracker store failed; this turn fails rather than use an in-memory tracker: %s", error)
    raise TrackerStoreUnavailable(f"the tracker store failed: {error}") from error
