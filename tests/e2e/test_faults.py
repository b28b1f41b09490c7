"""The production profile when a part of it fails: PostgreSQL, a replica, the action server,
RabbitMQ. Real servers on the local services (``harness.production``), each test with its own
databases, queue and Redis key prefix; without PostgreSQL, Redis or RabbitMQ these tests fail.
"""

from pathlib import Path
from typing import Iterator

import pytest

from harness.production import ProductionServices
from harness.stack import free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def services() -> Iterator[ProductionServices]:
    with ProductionServices("faults") as running:
        yield running


def test_rasa_refuses_to_start_without_its_tracker_store(services: ProductionServices, tmp_path: Path) -> None:
    """Nothing listens where the tracker store should be: no server on an in-memory store, but exit 1."""
    dead = str(free_port())
    with pytest.raises(RuntimeError, match=r"server exited \(1\)"):
        services.stack(tmp_path, env={"CLOSEBOT_PG_PORT": dead, "CLOSEBOT_TRACKER_STORE_WAIT_SECONDS": "2"})
    log = (tmp_path / "rasa.log").read_text()
    assert f"tracker store unreachable at 127.0.0.1:{dead}" in log and "refusing to start" in log
    assert "Rasa server is up and running" not in log
    assert "InMemoryTrackerStore" not in log
