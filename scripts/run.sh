#!/usr/bin/env bash
# One command: set up, start the action server and the Rasa server, open a terminal chat.
# Usage: scripts/run.sh [--user USER_ID] [--profile default|production]   (default user: u-mei)
#
# --profile production: the production profile on the local PostgreSQL, Redis and RabbitMQ
# (README "Production profile"): production.env's values under the environment's, Closebot's
# store created if missing, `closebot db upgrade`, the demo scenario if the store is empty, then
# both servers with endpoints.production.yml and one Sanic worker each (one model copy).
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
PROFILE=default
while [ $# -gt 0 ]; do
  case "$1" in
    --user) USER_ID="$2"; shift 2 ;;
    --profile) PROFILE="$2"; shift 2 ;;
    *) echo "usage: $0 [--user USER_ID] [--profile default|production]" >&2; exit 2 ;;
  esac
done
case "$PROFILE" in
  default|production) ;;
  *) echo "usage: $0 [--user USER_ID] [--profile default|production]" >&2; exit 2 ;;
esac

ACTION_PORT=${CLOSEBOT_ACTION_PORT:-5055}
RASA_PORT=${CLOSEBOT_RASA_PORT:-5005}
ENDPOINTS=endpoints.yml
if [ "$PROFILE" = production ]; then
  CLOSEBOT_SKIP_DEMO=1 scripts/setup.sh  # the demo goes into the production store below, not SQLite
  export SANIC_WORKERS=${SANIC_WORKERS:-1}  # one model copy per server; more servers = more replicas
  export CLOSEBOT_ACTION_URL=${CLOSEBOT_ACTION_URL:-http://127.0.0.1:$ACTION_PORT/webhook}
  set -a; . ./production.env; set +a  # variables already set win
  ENDPOINTS=endpoints.production.yml
  echo "==> Closebot's store (created on the local server if missing), migrations, demo if empty"
  .venv/bin/python - <<'PY'
import os
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

url = make_url(os.environ["CLOSEBOT_DATABASE_URL"])
if url.get_backend_name() == "postgresql":
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
            print(f"created database {url.database}")
    admin.dispose()
PY
  .venv/bin/closebot db upgrade
  .venv/bin/closebot scenario load --if-empty bot/scenarios/demo.yml
else
  scripts/setup.sh
fi
mkdir -p build/logs
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
  --endpoints "$ENDPOINTS" --credentials credentials.yml > build/logs/rasa.log 2>&1 &
RASA_PID=$!
trap 'kill $ACTIONS_PID $RASA_PID 2>/dev/null || true' EXIT

echo "==> starting servers, $PROFILE profile (logs in build/logs/)"
for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$RASA_PORT/webhooks/rest/" >/dev/null 2>&1 \
     && curl -fs "http://127.0.0.1:$ACTION_PORT/health" >/dev/null 2>&1; then
    break
  fi
  kill -0 $RASA_PID 2>/dev/null || { echo "Rasa server stopped; see build/logs/rasa.log" >&2; exit 1; }
  sleep 1
done
.venv/bin/closebot chat --user "$USER_ID" --server "http://127.0.0.1:$RASA_PORT"
