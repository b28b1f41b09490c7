"""How urgent a blocker is: a base level per kind, raised as the close deadline nears.

The base levels follow the research catalogue: a system outage stops everyone, a
wrong record stops one module, a forgotten "run the close" is a quick fix.
"""

from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from bot.core import clock
from bot.core.vocabulary import SEVERITIES

# SEVERITIES is most urgent first: critical, high, medium, low.
_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # low=0 .. critical=3

COMPONENT_SEVERITY = {
    "major_outage": "critical",
    "partial_outage": "high",
    "under_maintenance": "high",
    "degraded_performance": "medium",
    "operational": "low",
}
# Issues that need someone to correct data (price, quantity, invoice, stock) are harder
# than an order that only needs its approval or posting.
HARD_ORDER_ISSUES = frozenset(
    {"missing_price", "invalid_quantity", "missing_counterparty", "invoice_mismatch",
     "negative_stock"}
)
PAYMENT_SEVERITY = {"failed": "high", "unmatched": "high", "pending": "medium"}
JOB_SEVERITY = {"failed": "high", "pending": "medium", "running": "medium"}
VOUCHER_SEVERITY = {"draft": "high", "approved": "medium"}
DATA_MISMATCH_SEVERITY = "high"
EARLIER_PERIOD_SEVERITY = "high"
PERMISSION_SEVERITY = "medium"
MODULE_SEVERITY = {"failed": "high"}  # open/closing with nothing to blame: medium


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


def order_severity(issue_lists: Iterable[Iterable[str]]) -> str:
    """High when an order needs its data corrected, medium when it only needs a step."""
    return "high" if any(HARD_ORDER_ISSUES.intersection(i) for i in issue_lists) else "medium"


def component_severity(status: str) -> str:
    return COMPONENT_SEVERITY.get(status, "high")


def payment_severity(status: str) -> str:
    return PAYMENT_SEVERITY.get(status, "high")


def job_severity(status: str) -> str:
    return JOB_SEVERITY.get(status, "high")


def voucher_severity(statuses: Iterable[str]) -> str:
    return highest((VOUCHER_SEVERITY.get(s, "high") for s in statuses), default="medium")


def module_severity(status: str, causes: Iterable[str], levels: int = 0) -> str:
    """A module is as urgent as the worst thing keeping it open (medium if nothing).

    ``causes`` are already raised for the deadline; ``levels`` raises the module's own base.
    """
    return highest([raise_by(MODULE_SEVERITY.get(status, "medium"), levels), *causes])
