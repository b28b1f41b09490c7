"""How urgent a blocker is: its kind's base level (in its module of :mod:`bot.diagnosis.kinds`),
raised as the close deadline nears.

The base levels follow the research catalogue: a system outage stops everyone, a
wrong record stops one module, a forgotten "run the close" is a quick fix.
"""

from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from bot.core import clock
from bot.core.vocabulary import SEVERITIES

# SEVERITIES is most urgent first: critical, high, medium, low.
_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # low=0 .. critical=3

def highest(severities: Iterable[str], default: str = "low") -> str:
    """The most urgent of ``severities`` (``default`` when there are none)."""
    return max(severities, key=_RANK.__getitem__, default=default)


def raise_by(severity: str, levels: int) -> str:
    """``severity`` made ``levels`` steps more urgent, capped at critical."""
    rank = min(_RANK[severity] + max(levels, 0), _RANK["critical"])
    return next(name for name, r in _RANK.items() if r == rank)


def deadline_levels(deadline: Optional[datetime], now: Optional[datetime] = None) -> int:
    """0 far from the deadline, 1 within 72 h, 2 within 24 h or past it."""
    if deadline is None:
        return 0
    now = now or clock.now()
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    left = deadline - now
    if left <= timedelta(hours=24):
        return 2
    if left <= timedelta(hours=72):
        return 1
    return 0

