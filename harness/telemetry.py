"""Rasa's anonymous telemetry stays off in every Rasa process we start, unless someone turns it on.

Rasa (``rasa.telemetry.is_telemetry_enabled``) reads ``RASA_TELEMETRY_ENABLED`` first: "true"
in any case means on, any other value off. Only when the variable is unset does it read
``~/.config/rasa/global.yml``, which Rasa itself writes with telemetry *on* the first time it
runs. Closebot handles a company's ledger, so every door that starts Rasa (scripts/, the
Makefile, production.env, this harness, the test suite, the benchmarks) sets the variable to
"false" unless it is already set: ``RASA_TELEMETRY_ENABLED=true`` turns it on.
"""

import os
from typing import Dict, Mapping, Optional

VARIABLE = "RASA_TELEMETRY_ENABLED"
#: what we set when the user has not said: off
DEFAULT = "false"


def rasa_environment(base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """``base`` (default: this process's environment) for a Rasa process: telemetry off unless
    ``base`` already says otherwise."""
    env = dict(os.environ if base is None else base)
    env.setdefault(VARIABLE, DEFAULT)
    return env


def telemetry_off_by_default() -> None:
    """The same for this process, so Rasa run in process and every child started from it
    (subprocesses inherit the environment) keep telemetry off."""
    os.environ.setdefault(VARIABLE, DEFAULT)
