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



def in_view(session: Session, user_id: str, conversation: str = ""):  # noqa: ANN201 - a Diagnosis or None
    """The diagnosis the server keeps in view for ``user_id`` in ``conversation``."""
    from bot.conversation import view

    return view.load(session, conversation, user_id).diagnosis


def shown_dict(session: Session, user_id: str, conversation: str = "") -> dict:
    """``in_view`` as the contract's JSON shape (what ``last_diagnosis`` used to hold)."""
    shown = in_view(session, user_id, conversation)
    return shown.to_dict() if shown is not None else {}


def focus_ticket(session: Session, user_id: str, conversation: str = "") -> str:
    """The ticket number in focus for ``user_id`` in ``conversation`` ('' when none)."""
    from bot.conversation import view

    return view.load(session, conversation, user_id).ticket or ""


def typed(session: Session, user_id: str, text: str, conversation: str = "") -> str:
    """``text`` as the user typed it in ``conversation`` (the server's transcript holds it), so a
    note taken from a slot is accepted; returns ``text``."""
    from bot.conversation import transcript

    transcript.record_user(session, conversation, user_id, None, text)
    return text


def in_focus(session: Session, user_id: str, number: str, conversation: str = "") -> None:
    """The conversation was last about ticket ``number``: the server keeps it in the view."""
    from bot.conversation import view

    kept = view.load(session, conversation, user_id)
    kept.focus_ticket(number)
    view.save(session, kept)


def pending_change(session: Session, user_id: str, conversation: str = "") -> dict:
    from bot.conversation import view

    return view.load(session, conversation, user_id).pending
