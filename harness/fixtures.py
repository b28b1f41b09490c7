"""Pytest plugin: the running servers, shared by the end-to-end tests and the benchmarks' tests.

The top-level ``conftest.py`` lists it in ``pytest_plugins``, so one session starts the servers
once however many test folders use them.
"""

from typing import Iterator

import pytest

from harness.stack import Stack


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A real action server and Rasa server on free ports, with the demo scenario, for the whole session."""
    running = Stack(tmp_path_factory.mktemp("servers"))
    yield running
    running.stop()
