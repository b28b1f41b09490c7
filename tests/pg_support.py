"""A throwaway database on the real PostgreSQL server (127.0.0.1:5432, trust auth): created
under a unique name, dropped afterwards whatever the test did."""

import contextlib
import uuid
from typing import Iterator

from sqlalchemy import create_engine, text

from bot.store.db import get_engine

ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def throwaway_database(prefix: str = "closebot_test") -> Iterator[str]:
    """The SQLAlchemy URL of a fresh, uniquely named database, dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
