"""``closebot diagnose``: the real console script on a real SQLite database."""

import json
import os
import subprocess
from typing import List

import pytest

from tests.conftest import BIN, DEMO

KEYS = {"kind", "module", "refs", "summary", "fix", "owner_role", "severity", "caused_by"}


@pytest.fixture
def env(db_url: str) -> dict:
    env = {**os.environ, "CLOSEBOT_DATABASE_URL": db_url}
    subprocess.run([str(BIN / "closebot"), "scenario", "load", str(DEMO)],
                   env=env, check=True, capture_output=True)
    return env


def closebot(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "closebot"), "diagnose", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_json_shape_and_exit_zero_when_blocked(env):
    proc = closebot(env, "--company", "C100", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["company"] == "C100" and out["period"] == "2026-11"
    assert out["can_close"] is False and out["target_status"] == "failed"
    assert out["blockers"]
    seen_non_root = False
    for i, blocker in enumerate(out["blockers"]):
        assert set(blocker) == KEYS
        assert blocker["severity"] in ("critical", "high", "medium", "low")
        assert all(isinstance(c, int) and c < i for c in blocker["caused_by"])
        seen_non_root = seen_non_root or bool(blocker["caused_by"])
        assert not (seen_non_root and not blocker["caused_by"])
    refs: List[str] = [r for b in out["blockers"] for r in b["refs"]]
    assert "PAY-88" in refs


def test_user_permission(env):
    proc = closebot(env, "--company", "C100", "--user", "u-mei", "--json")
    assert proc.returncode == 0, proc.stderr
    kinds = [b["kind"] for b in json.loads(proc.stdout)["blockers"]]
    assert "permission_denied" in kinds


def test_can_close_exit_zero(env):
    proc = closebot(env, "--company", "C100", "--module", "payables", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["can_close"] is True and out["blockers"] == []


def test_table_by_default(env):
    proc = closebot(env, "--company", "C100")
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("C100 2026-11 general_ledger: cannot close (")
    assert "root cause" in first and "fix:" in proc.stdout


@pytest.mark.parametrize("args", [
    ["--company", "NOPE"],
    ["--company", "C100", "--user", "nobody"],
    ["--company", "C100", "--user", "u-sam"],
    ["--company", "C100", "--module", "ledger"],
    ["--company", "C100", "--period", "2026-13"],
    ["--company", "C100", "--period", "november"],
])
def test_exit_two(env, args):
    proc = closebot(env, *args, "--json")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "error" in proc.stderr


def test_company_that_can_close(env):
    proc = closebot(env, "--company", "C200", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["can_close"] is True and out["blockers"] == []
    assert {"company", "period", "can_close", "target_status", "blockers"} <= set(out)
    table = closebot(env, "--company", "C200")
    assert table.stdout.splitlines()[0] == "C200 2026-11 general_ledger: can close"
