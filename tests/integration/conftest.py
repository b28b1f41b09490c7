"""Fixtures of the integration tests that need the real PostgreSQL server (127.0.0.1:5432)."""

from typing import Iterator

import pytest

from tests.pg_support import throwaway_database


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, uniquely named database, dropped afterwards."""
    with throwaway_database() as url:
        yield url
