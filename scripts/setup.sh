#!/usr/bin/env bash
# Set Closebot up on this machine: venv, packages, spaCy pipeline, trained model, demo data.
# Idempotent: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/telemetry.sh  # Rasa telemetry off unless RASA_TELEMETRY_ENABLED=true

VENV=.venv
SPACY_DIR=build/spacy/closebot_en

find_python() {
  local candidates=()
  [ -n "${CLOSEBOT_PYTHON:-}" ] && candidates+=("$CLOSEBOT_PYTHON")
  candidates+=(python3.10)
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  command -v pyenv >/dev/null 2>&1 && root=$(pyenv root)
  for d in "$root"/versions/3.10*; do [ -x "$d/bin/python3.10" ] && candidates+=("$d/bin/python3.10"); done
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

if [ ! -x "$VENV/bin/python" ]; then
  if ! PY=$(find_python); then
    echo "error: Closebot needs Python 3.10 (Rasa 3.6 installs only on 3.8-3.10) and none was found." >&2
    echo "       Install it (e.g. 'pyenv install 3.10') or set CLOSEBOT_PYTHON=/path/to/python3.10." >&2
    exit 1
  fi
  echo "==> creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi

stamp="$VENV/.closebot-installed"
want=$(cat requirements.txt requirements-nodeps.txt constraints.txt pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing pinned packages (first time: a few minutes)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade "pip==24.0"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi

# The web chat's browser test drives Debian's chromium (never a browser Playwright downloads).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Debian's chromium (the web chat's browser test)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
      echo "warning: apt-get could not install chromium; the web chat's browser test fails under CI, is skipped otherwise." >&2
  else
    echo "note: chromium is missing; the web chat's browser test needs it (as root: apt-get install -y chromium)." >&2
    echo "      Locally that test is skipped; with CI set it fails." >&2
  fi
fi

echo "==> spaCy pipeline ($SPACY_DIR)"
"$VENV/bin/python" -m bot.nlp.spacy_pipeline "$SPACY_DIR"

echo "==> Rasa model (trained only when data, domain or config changed)"
"$VENV/bin/rasa" train --fixed-model-name closebot --out models --quiet

if [ "${CLOSEBOT_SKIP_DEMO:-0}" != "1" ]; then
  echo "==> demo scenario"
  "$VENV/bin/closebot" scenario load --if-empty bot/scenarios/demo.yml
fi
echo "==> set-up done"
