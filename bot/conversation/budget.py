"""How long an action may take before it apologises: longer than the work it may be waiting on.

An action that times out tells the user to try again; if the work it started (a ticket being
written behind a database lock, its first delivery to ServiceNow) then finishes anyway, the
retry must not do it twice. So the timeout is never shorter than the longest legitimate wait:
the database lock wait, the status page's wait (when a page is configured) and the inline
delivery of a new ticket (when tickets go to a remote system), plus a margin for the work.
"""

import os

from bot.core.config import lock_wait_seconds
from bot.integrations.settings import ConfigError, Settings, current_settings

#: Seconds of real work on top of the waits (a diagnosis on a large company takes ~0.1 s).
WORK_MARGIN = 1.0


def longest_wait_seconds() -> float:
    """The longest an action may legitimately wait on others."""
    try:
        settings = current_settings()
    except ConfigError:  # a broken integrations file: assume every wait at its default
        defaults = Settings()
        return (lock_wait_seconds() + defaults.status_page.wait_seconds
                + defaults.tickets.outbox.inline_timeout_seconds)
    status_wait = settings.status_page.wait_seconds if settings.status_page.url else 0.0
    inline = settings.tickets.outbox.inline_timeout_seconds if settings.tickets.backend != "local" else 0.0
    return lock_wait_seconds() + status_wait + inline


def action_timeout_seconds() -> float:
    """``CLOSEBOT_ACTION_TIMEOUT``, but never less than the longest wait plus the margin."""
    floor = longest_wait_seconds() + WORK_MARGIN
    configured = float(os.environ.get("CLOSEBOT_ACTION_TIMEOUT") or 0)
    return max(configured, floor)
