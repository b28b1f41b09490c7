"""Which remote ticket system (if any) the outbox feeds, and its backend, from the settings.

Settings are read at each use (like the database URL), so a test or an operator changing
``CLOSEBOT_TICKET_BACKEND`` is seen without a restart; the backend (one pooled HTTP session)
is built once per distinct ticket configuration and reused.
"""

import threading
from typing import Dict, Optional

from bot.integrations.settings import OutboxSettings, Settings, load_settings
from bot.integrations.ticketing.base import TicketBackend

#: How people read each system's name in replies and notices.
SYSTEM_NAMES = {"servicenow": "ServiceNow", "jira": "Jira"}

_backends: Dict[str, TicketBackend] = {}
_backends_lock = threading.Lock()


def system_name(system: str) -> str:
    return SYSTEM_NAMES.get(system, system)


def remote_system(settings: Optional[Settings] = None) -> Optional[str]:
    """``servicenow`` or ``jira`` when tickets go to a remote system, None for the local one."""
    settings = settings or load_settings()
    backend = settings.tickets.backend
    return None if backend == "local" else backend


def outbox_settings(settings: Optional[Settings] = None) -> OutboxSettings:
    return (settings or load_settings()).tickets.outbox


def configured_backend(settings: Optional[Settings] = None) -> Optional[TicketBackend]:
    """The configured remote backend (cached per configuration), or None for local tickets."""
    settings = settings or load_settings()
    if remote_system(settings) is None:
        return None
    key = settings.tickets.json()
    with _backends_lock:
        backend = _backends.get(key)
        if backend is None:
            from bot.integrations.ticketing.factory import backend_from_settings

            backend = backend_from_settings(settings)
            if backend is None:  # pragma: no cover - the factory disagrees with the settings
                return None
            _backends[key] = backend
        return backend
