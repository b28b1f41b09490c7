"""Which remote ticket system (if any) the outbox feeds, and its backend, from the settings.

Settings are read at each use (like the database URL), so a test or an operator changing
``CLOSEBOT_TICKET_BACKEND`` is seen without a restart.
"""

from typing import Optional

from bot.integrations.settings import Settings, current_settings
from bot.integrations.ticketing.base import TicketBackend

#: How people read each system's name in replies and notices.
SYSTEM_NAMES = {"servicenow": "ServiceNow", "jira": "Jira"}


def system_name(system: str) -> str:
    return SYSTEM_NAMES.get(system, system)


def remote_system(settings: Optional[Settings] = None) -> Optional[str]:
    """``servicenow`` or ``jira`` when tickets go to a remote system, None for the local one."""
    settings = settings or current_settings()
    backend = settings.tickets.backend
    return None if backend == "local" else backend


def configured_backend(settings: Optional[Settings] = None) -> Optional[TicketBackend]:
    """The configured remote backend, or None for local tickets (the factory reuses one
    instance, and so one connection pool, per configuration)."""
    settings = settings or current_settings()
    if remote_system(settings) is None:
        return None
    from bot.integrations.ticketing.factory import backend_from_settings

    return backend_from_settings(settings)
