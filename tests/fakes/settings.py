"""HTTP settings that keep tests against the fakes fast: short timeouts, no backoff sleep."""

from typing import Any

from bot.integrations.settings import HttpSettings


def fast_http(**overrides: Any) -> HttpSettings:
    """Half-second timeouts, two retries without backoff, Retry-After honoured up to 1 s."""
    values = {"connect_timeout": 0.5, "read_timeout": 0.5, "retries": 2, "backoff_factor": 0.0,
              "max_retry_after": 1.0}
    values.update(overrides)
    return HttpSettings(**values)
