"""The real ``closebot scenario`` console script against a real SQLite file."""

import os
import sqlite3
import subprocess
from pathlib import Path

from tests.conftest import BIN, DEMO

HERE = Path(__file__).resolve().parents[1] / "scenarios"
BAD = HERE / "bad_status.yml"


def closebot(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLOSEBOT_DATABASE_URL": db_url}
    return subprocess.run([str(BIN / "closebot"), *args], env=env, capture_output=True, text=True, timeout=120)


def rows(db_url: str, table: str) -> list:
    path = db_url[len("sqlite:///") :]
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


def test_validate_reports_every_error_each_with_its_path(db_url, tmp_path):
    path = tmp_path / "many.yml"
    path.write_text(
        "version: 2\n"
        "companies:\n  - {id: C1, name: X, current_period: 2026-13, timezone: Nowhere/City}\n"
        "users:\n  - {id: u1, name: U, role: boss, company: C9}\n"
        "modules: []\n"
        "colour: red\n"
    )
    result = closebot(db_url, "scenario", "validate", str(path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    paths = {line[len(str(path)) + 2 :].split(":")[0] for line in lines}
    assert paths == {
        "version",
        "colour",
        "companies[0].current_period",
        "companies[0].timezone",
        "users[0].role",
        "users[0].company",
    }
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_load_prints_counts_and_json_loads_too(db_url):
    result = closebot(db_url, "scenario", "load", str(HERE / "minimal.json"))
    assert result.returncode == 0, result.stderr
    assert "1 companies" in result.stdout and "1 orders" in result.stdout
    assert [row[0] for row in rows(db_url, "orders")] == ["SO-1"]
    amount = rows(db_url, "orders")[0]
    assert "0.1" in amount  # stored as exact text, not a binary float
