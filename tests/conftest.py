"""Shared fixtures: real SQLite databases, the demo scenario, free ports (running servers: harness.fixtures)."""

from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import get_engine
from harness.stack import BIN, DEMO, MODEL, ROOT, Stack, free_port  # noqa: F401 (re-exported)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'closebot.db'}"


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on a fresh, empty SQLite database file."""
    factory = sessionmaker(bind=get_engine(db_url), future=True, expire_on_commit=False)
    with factory() as s:
        yield s


@pytest.fixture
def demo_session(session: Session) -> Session:
    """A session on a database holding the demo scenario."""
    from bot.scenario.load import load_file

    load_file(session, DEMO)
    session.commit()
    return session

