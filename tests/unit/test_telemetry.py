"""Rasa's telemetry is off in every Rasa process the project starts, unless someone turns it on.

Each door is checked by running it: the harness's server environment read by Rasa's own
``is_telemetry_enabled``, the shell scripts' snippet, the Makefile and production.env. A user
who set ``RASA_TELEMETRY_ENABLED=true`` keeps it.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Optional

import pytest

from harness.stack import Stack
from harness.telemetry import VARIABLE, rasa_environment

ROOT = Path(__file__).resolve().parents[2]


def without_variable(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    env.update(extra or {})
    return env


@pytest.mark.parametrize(("user", "seen"), [(None, "false"), ("true", "true"), ("FALSE", "FALSE")])
def test_the_harness_servers_run_without_telemetry_unless_asked(user, seen, monkeypatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    if user is not None:
        monkeypatch.setenv(VARIABLE, user)
    assert Stack.environment("sqlite:///x.db")[VARIABLE] == seen
    assert rasa_environment({})[VARIABLE] == "false"
    # a caller's own env wins as well (e.g. a benchmark that turns it on for a run)
    assert Stack.environment("sqlite:///x.db", {VARIABLE: "true"})[VARIABLE] == "true"


def test_rasa_reads_our_setting_before_its_global_file(monkeypatch) -> None:
    """The global file Rasa writes on first run says "enabled"; our variable wins over it."""
    import rasa.telemetry

    monkeypatch.setattr(rasa.telemetry.rasa_utils, "read_global_config_value",
                        lambda *_a, **_k: {rasa.telemetry.CONFIG_TELEMETRY_ENABLED: True})
    monkeypatch.delenv(VARIABLE, raising=False)
    assert rasa.telemetry.is_telemetry_enabled()  # what Rasa would do on its own
    for name, value in rasa_environment({}).items():
        monkeypatch.setenv(name, value)
    assert not rasa.telemetry.is_telemetry_enabled()
    monkeypatch.setenv(VARIABLE, "true")
    assert rasa.telemetry.is_telemetry_enabled()


def _shell(command: str, env: Dict[str, str]) -> str:
    return subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=60).stdout


@pytest.mark.parametrize(("user", "seen"), [(None, "false"), ("true", "true")])
def test_the_shell_scripts_and_production_env_default_to_off(user, seen) -> None:
    env = without_variable({VARIABLE: user} if user else None)
    assert _shell(f'. scripts/telemetry.sh; printf %s "${VARIABLE}"', env) == seen
    assert _shell(f'set -a; . ./production.env; set +a; bash -c \'printf %s "${VARIABLE}"\'', env) == seen


@pytest.mark.parametrize("script", ["setup.sh", "run.sh", "test.sh"])
def test_each_script_turns_telemetry_off_before_it_starts_rasa(script) -> None:
    lines = (ROOT / "scripts" / script).read_text().splitlines()
    sourced = lines.index(". scripts/telemetry.sh  # Rasa telemetry off unless RASA_TELEMETRY_ENABLED=true")
    starts = [i for i, line in enumerate(lines)
              if re.search(r"(bin/rasa|scripts/(setup|test)\.sh|bin/pytest)\b", line) and not line.startswith("#")]
    assert starts, f"{script} starts nothing: the check is looking for the wrong thing"
    assert sourced < min(starts)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("user", "seen"), [(None, "false"), ("true", "true")])
def test_make_targets_run_without_telemetry_unless_asked(user, seen) -> None:
    env = without_variable({VARIABLE: user} if user else None)
    probe = subprocess.run(
        ["make", "-s", "--no-print-directory", "--eval", f'telemetry-probe: ; @printf %s "$${VARIABLE}"',
         "telemetry-probe"], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60)
    assert probe.stdout == seen
