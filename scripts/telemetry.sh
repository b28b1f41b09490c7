# Sourced by every script that starts Rasa: its anonymous telemetry is off unless
# RASA_TELEMETRY_ENABLED is already set (=true turns it on). Rasa reads this variable before
# ~/.config/rasa/global.yml, which it creates with telemetry on (harness/telemetry.py).
export RASA_TELEMETRY_ENABLED="${RASA_TELEMETRY_ENABLED:-false}"
