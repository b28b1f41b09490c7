"""The configured remote ticket backend, built once per process per configuration.

One instance means one pooled ``requests.Session``: the outbox worker and the actions reuse
warm connections instead of opening a TLS connection per ticket. A changed configuration or
changed credentials give a new instance (the cache key holds a hash of them, not the values).
"""

import hashlib
import os
import threading
from typing import Dict, Mapping, Optional, Tuple, Union

from bot.integrations.settings import Settings, TicketSettings
from bot.integrations.ticketing import jira, servicenow
from bot.integrations.ticketing.base import TicketBackend

_lock = threading.Lock()
_backends: Dict[Tuple[str, str, str], TicketBackend] = {}


def backend_from_settings(settings: Union[Settings, TicketSettings],
                          environment: Optional[Mapping[str, str]] = None) -> Optional[TicketBackend]:
    """The remote backend the settings select, or None for ``local`` (tickets stay in our store).

    Raises ``ConfigError`` naming everything missing (URL, credential variables).
    """
    tickets = settings.tickets if isinstance(settings, Settings) else settings
    if tickets.backend == "local":
        return None
    env = os.environ if environment is None else environment
    if tickets.backend == "servicenow":
        section, env_vars, make = tickets.servicenow, servicenow.ENV_VARS, servicenow.ServiceNowBackend
    else:
        section, env_vars, make = tickets.jira, jira.ENV_VARS, jira.JiraBackend
    secrets = "\0".join(env.get(name) or "" for name in env_vars)
    key = (tickets.backend, section.json(sort_keys=True), hashlib.sha256(secrets.encode()).hexdigest())
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            backend = make(section, env)  # type: ignore[arg-type]
            _backends[key] = backend
        return backend


def close_backends() -> None:
    """Close every cached backend's connections and forget them (shutdown, tests)."""
    with _lock:
        for backend in _backends.values():
            close = getattr(backend, "close", None)
            if close is not None:
                close()
        _backends.clear()
