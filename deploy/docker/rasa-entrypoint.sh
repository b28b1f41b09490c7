#!/bin/sh
# Start the Rasa server of the production profile inside its container (README "Production
# deployment"). Everything comes from the environment: endpoints.production.yml names the
# tracker store, lock store and event broker variables; the tokens come from a Secret.
set -eu

# Refuse to start with a token missing or still the example's placeholder: Rasa's HTTP API can
# rewrite any conversation, and the action server must be reached only by this server.
for name in CLOSEBOT_RASA_TOKEN CLOSEBOT_ACTION_TOKEN; do
  eval "value=\${$name:-}"
  case "$value" in
    "" | CHANGE-ME*) echo "error: set $name (a long random value, the same on every replica)" >&2; exit 64 ;;
  esac
done

# One Sanic worker, one model copy per container: scale with replicas, not workers.
export SANIC_WORKERS="${SANIC_WORKERS:-1}"

# 0.0.0.0 inside the container only; the port is published or put behind a Service.
# "--auth-token=": a token may start with "-".
exec rasa run \
  --interface 0.0.0.0 \
  --port 5005 \
  --enable-api "--auth-token=$CLOSEBOT_RASA_TOKEN" \
  -m models/closebot.tar.gz \
  --endpoints endpoints.production.yml \
  --credentials credentials.yml \
  "$@"
