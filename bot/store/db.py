"""Engine and session factory for the configured database."""

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.core.config import database_url, lock_wait_seconds


def get_engine(url: Optional[str] = None) -> Engine:
    """The engine for ``url``, or for the configured database (read now, not at first use)."""
    return _engine_for(url or database_url())


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    """One pooled engine per URL, its schema brought to the newest migration on first use
    (an empty database is created from the models and stamped: as fast as ``create_all``)."""
    kwargs = {"future": True, "pool_pre_ping": True}
    wait = lock_wait_seconds()
    if url.startswith("sqlite"):
        # Actions run in worker threads; SQLite must allow that.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": wait}
    elif url.startswith("postgresql"):
        kwargs["connect_args"] = {"options": f"-c lock_timeout={int(wait * 1000)}"}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    from bot.store import schema  # Alembic loads only once a database is used

    schema.prepare(engine)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def begin_write(session: Session) -> None:
    """Open the session's write transaction now, before a savepoint is taken.

    pysqlite starts a transaction only at the first INSERT/UPDATE, so a SAVEPOINT issued
    before any write *is* the transaction, and releasing it commits: a later rollback would
    keep what the savepoint wrote. ``BEGIN IMMEDIATE`` opens the real transaction first
    (taking SQLite's one write lock, waiting up to the busy timeout). Other databases open
    their transaction at the first statement already; nothing to do there.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    factory = sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
