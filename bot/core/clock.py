"""The one clock: every "now" in Closebot comes from here (or from a caller that got it here).

Tests freeze it with ``frozen(moment)``; a demo or a replay that must read the same every time
(the README's conversations) sets ``CLOSEBOT_FROZEN_NOW`` to an ISO-8601 time for the whole
process, servers included. Never set that variable in production: deadlines and leases stop.
"""

import os
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator, Optional

FROZEN_NOW_VARIABLE = "CLOSEBOT_FROZEN_NOW"

_lock = threading.Lock()
_frozen: Optional[datetime] = None


def now() -> datetime:
    """The current time, timezone-aware UTC (frozen in tests and replays)."""
    if _frozen is not None:
        return _frozen
    fixed = os.environ.get(FROZEN_NOW_VARIABLE)
    if fixed:
        return _parse(fixed)
    return datetime.now(timezone.utc)


@contextmanager
def frozen(moment: datetime) -> Iterator[datetime]:
    """Make ``now()`` return ``moment`` (naive means UTC) in every thread until the block ends."""
    global _frozen
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    with _lock:
        previous, _frozen = _frozen, moment.astimezone(timezone.utc)
    try:
        yield _frozen
    finally:
        with _lock:
            _frozen = previous


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
