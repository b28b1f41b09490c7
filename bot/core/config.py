"""Settings read from the environment when asked for, never at import time."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "closebot.db"


def database_url() -> str:
    """The SQLAlchemy URL of the store: ``CLOSEBOT_DATABASE_URL`` or the embedded SQLite file."""
    return os.environ.get("CLOSEBOT_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def action_timeout_seconds() -> float:
    """How long an action may wait for the store before it apologises instead."""
    return float(os.environ.get("CLOSEBOT_ACTION_TIMEOUT", "8"))
