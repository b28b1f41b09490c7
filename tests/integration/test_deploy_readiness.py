"""The Rasa readiness check (deploy/docker/rasa_ready.py) against a real PostgreSQL server:
ready only once Rasa's tracker table can be read with the configured credentials."""

import importlib.util
from pathlib import Path
from typing import Any, Dict

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.postgres
SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "docker" / "rasa_ready.py"


def _rasa_ready() -> Any:
    spec = importlib.util.spec_from_file_location("rasa_ready", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env(url: str, **changes: str) -> Dict[str, str]:
    """The tracker store settings of endpoints.production.yml for the database ``url``."""
    parsed = make_url(url)
    env = {"CLOSEBOT_PG_HOST": parsed.host, "CLOSEBOT_PG_PORT": str(parsed.port),
           "CLOSEBOT_PG_USER": parsed.username, "CLOSEBOT_PG_PASSWORD": parsed.password or "",
           "CLOSEBOT_TRACKER_DB": parsed.database}
    return {**env, **changes}


def test_ready_only_once_the_tracker_table_is_readable(pg_url: str) -> None:
    ready = _rasa_ready()
    assert "not usable" in ready.tracker_problem(_env(pg_url))  # Rasa has not created its table yet
    engine = create_engine(pg_url, future=True)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id serial PRIMARY KEY)"))
    engine.dispose()
    assert ready.tracker_problem(_env(pg_url)) is None


def test_not_ready_when_the_tracker_database_is_missing(pg_url: str) -> None:
    problem = _rasa_ready().tracker_problem(_env(pg_url, CLOSEBOT_TRACKER_DB="closebot_no_such_db"))
    assert "unreachable" in problem and "closebot_no_such_db" in problem
