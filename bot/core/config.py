"""Settings read from the environment when asked for, never at import time."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "closebot.db"


def database_url() -> str:
    """The SQLAlchemy URL of the store: ``CLOSEBOT_DATABASE_URL`` or the embedded SQLite file."""
    return os.environ.get("CLOSEBOT_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def lock_wait_seconds() -> float:
    """How long a statement waits for a database lock before it fails (SQLite's busy timeout,
    PostgreSQL's ``lock_timeout``): bounded, so an action's timeout can be longer."""
    return float(os.environ.get("CLOSEBOT_LOCK_WAIT_SECONDS", "5"))
