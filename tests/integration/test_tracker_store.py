"""The production tracker store (``channels.tracker_store``): no silent in-memory fallback."""

import asyncio
from pathlib import Path

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.tracker_store import (
    SharedSQLTrackerStore,
    TrackerStoreUnavailable,
    refuse_fallback,
    wait_until_reachable,
)
from harness.stack import free_port


def test_an_unreachable_database_is_refused_after_the_wait() -> None:
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(TrackerStoreUnavailable, match="refuses to start"):
        wait_until_reachable(url, 0.5)


def test_a_failing_shared_store_fails_the_turn_instead_of_falling_back(tmp_path: Path) -> None:
    shared = SharedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))
    assert shared.engine.pool._pre_ping  # a dropped connection is replaced, not handed out
    store = FailSafeTrackerStore(shared)
    assert refuse_fallback(store)
    assert not refuse_fallback(store)  # once is enough (every channel asks)
    tracker = DialogueStateTracker.from_events("u-mei", [UserUttered("hello")])
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.retrieve("u-mei")).latest_message.text == "hello"

    async def broken(*_args: object) -> None:
        raise OSError("connection reset")

    shared.retrieve = broken
    shared.save = broken
    with pytest.raises(TrackerStoreUnavailable, match="connection reset"):
        asyncio.run(store.retrieve("u-mei"))  # Rasa would answer None: a new conversation
    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(store.save(tracker))  # Rasa would keep it in this process's memory
    assert store._fallback_tracker_store is None


def test_rasas_own_fallback_is_left_alone_for_other_stores() -> None:
    assert not refuse_fallback(FailSafeTrackerStore(InMemoryTrackerStore(None)))
