#!/usr/bin/env bash
# One command: set up, start the action server and the Rasa server, open a terminal chat.
# Usage: scripts/run.sh [--user USER_ID]   (default: the demo employee u-mei)
#
# Doors: both servers listen on 127.0.0.1 (CLOSEBOT_RASA_HOST / CLOSEBOT_ACTION_HOST change
# that); the action server takes only calls with this run's CLOSEBOT_ACTION_TOKEN (a random one
# when unset); Rasa's HTTP API is off unless CLOSEBOT_RASA_TOKEN (or CLOSEBOT_RASA_JWT_SECRET) is
# set, and then it needs that token. Chat channels whose variables are set (Slack, Teams, web
# chat: README "Chat channels") are served too.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/telemetry.sh  # Rasa telemetry off unless RASA_TELEMETRY_ENABLED=true
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
RASA_HOST=${CLOSEBOT_RASA_HOST:-127.0.0.1}
export SANIC_HOST=${CLOSEBOT_ACTION_HOST:-127.0.0.1}
if [ -z "${CLOSEBOT_ACTION_TOKEN:-}" ]; then
  CLOSEBOT_ACTION_TOKEN=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')
fi
export CLOSEBOT_ACTION_TOKEN
API_ARGS=()
if [ -n "${CLOSEBOT_RASA_TOKEN:-}" ]; then
  API_ARGS=(--enable-api "--auth-token=$CLOSEBOT_RASA_TOKEN")  # "=": a token may start with "-"
elif [ -n "${CLOSEBOT_RASA_JWT_SECRET:-}" ]; then
  API_ARGS=(--enable-api "--jwt-secret=$CLOSEBOT_RASA_JWT_SECRET" --jwt-method HS256)
fi

.venv/bin/rasa run actions --port "$ACTION_PORT" > build/logs/actions.log 2>&1 &
ACTIONS_PID=$!
.venv/bin/rasa run --interface "$RASA_HOST" --port "$RASA_PORT" "${API_ARGS[@]}" -m models/closebot.tar.gz \
  --endpoints endpoints.yml --credentials credentials.yml > build/logs/rasa.log 2>&1 &
RASA_PID=$!
trap 'kill $ACTIONS_PID $RASA_PID 2>/dev/null || true' EXIT

echo "==> starting servers (logs in build/logs/)"
for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$RASA_PORT/webhooks/rest/" >/dev/null 2>&1 \
     && curl -fs "http://127.0.0.1:$ACTION_PORT/health" >/dev/null 2>&1; then
    break
  fi
  kill -0 $RASA_PID 2>/dev/null || { echo "Rasa server stopped; see build/logs/rasa.log" >&2; exit 1; }
  sleep 1
done
.venv/bin/closebot chat --user "$USER_ID" --server "http://127.0.0.1:$RASA_PORT"
