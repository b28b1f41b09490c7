#!/usr/bin/env bash
# One command: set up, start the action server and the Rasa server, open a terminal chat.
# Usage: scripts/run.sh [--user USER_ID]   (default: the demo employee u-mei)
set -euo pipefail
cd "$(dirname "$0")/.."
USER_ID=u-mei
while [ $# -gt 0 ]; do
  case "$1" in
    --user) USER_ID="$2"; shift 2 ;;
    *) echo "usage: $0 [--user USER_ID]" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
mkdir -p build/logs
ACTION_PORT=${CLOSEBOT_ACTION_PORT:-5055}
RASA_PORT=${CLOSEBOT_RASA_PORT:-5005}

.venv/bin/rasa run actions --port "$ACTION_PORT" > build/logs/actions.log 2>&1 &
ACTIONS_PID=$!
.venv/bin/rasa run --enable-api --port "$RASA_PORT" -m models/closebot.tar.gz \
  --endpoints endpoints.yml --credentials credentials.yml > build/logs/rasa.log 2>&1 &
RASA_PID=$!
trap 'kill $ACTIONS_PID $RASA_PID 2>/dev/null || true' EXIT

echo "==> starting servers (logs in build/logs/)"
for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$RASA_PORT/status" >/dev/null 2>&1 \
     && curl -fs "http://127.0.0.1:$ACTION_PORT/health" >/dev/null 2>&1; then
    break
  fi
  kill -0 $RASA_PID 2>/dev/null || { echo "Rasa server stopped; see build/logs/rasa.log" >&2; exit 1; }
  sleep 1
done
.venv/bin/closebot chat --user "$USER_ID" --server "http://127.0.0.1:$RASA_PORT"
