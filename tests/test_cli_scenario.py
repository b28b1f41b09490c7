"""The real ``closebot scenario`` console script against a real SQLite file."""

import os
import sqlite3
import subprocess
from pathlib import Path

from tests.conftest import BIN, DEMO

HERE = Path(__file__).resolve().parent / "scenarios"
BAD = HERE / "bad_status.yml"


def closebot(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLOSEBOT_DATABASE_URL": db_url}
    return subprocess.run(
        [str(BIN / "closebot"), *args], env=env, capture_output=True, text=True, timeout=120
    )


def rows(db_url: str, table: str) -> list:
    path = db_url[len("sqlite:///"):]
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)  # noqa: S608


def test_validate_demo(db_url):
    result = closebot(db_url, "scenario", "validate", str(DEMO))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_validate_bad_file_names_the_path(db_url):
    result = closebot(db_url, "scenario", "validate", str(BAD))
    assert result.returncode == 1
    assert "orders[1].status: 'postd' is not one of [" in result.stderr


def test_validate_missing_file(db_url, tmp_path):
    result = closebot(db_url, "scenario", "validate", str(tmp_path / "nope.yml"))
    assert result.returncode == 1
    assert "no such file" in result.stderr


def test_load_then_bad_load_leaves_db_unchanged(db_url):
    loaded = closebot(db_url, "scenario", "load", str(DEMO))
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded" in loaded.stdout
    before = {t: rows(db_url, t) for t in ("companies", "orders", "payments", "tickets")}
    assert len(before["companies"]) == 2

    failed = closebot(db_url, "scenario", "load", str(BAD))
    assert failed.returncode == 1
    assert "orders[1].status" in failed.stderr
    assert "nothing was loaded" in failed.stderr
    after = {t: rows(db_url, t) for t in ("companies", "orders", "payments", "tickets")}
    assert after == before
