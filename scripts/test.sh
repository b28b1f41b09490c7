#!/usr/bin/env bash
# The whole test suite: set up (without the demo data), lint, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/telemetry.sh  # Rasa telemetry off unless RASA_TELEMETRY_ENABLED=true
CLOSEBOT_SKIP_DEMO=1 scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/lint-imports
.venv/bin/pytest -p no:cacheprovider "$@"
