"""What a new ticket says, decided from the diagnosis it carries: category, priority, summary."""

from datetime import datetime, timedelta
from typing import Optional

from bot.diagnosis.result import Blocker, Diagnosis

SEVERITY_PRIORITY = {"critical": 1, "high": 2, "medium": 3, "low": 4}


def category_for(diagnosis: Optional[Diagnosis]) -> str:
    """The kind of the top root cause, or ``other`` when there is nothing to blame."""
    if diagnosis and diagnosis.blockers:
        return diagnosis.root_causes[0].kind if diagnosis.root_causes else diagnosis.blockers[0].kind
    return "other"


def priority_for(diagnosis: Optional[Diagnosis], deadline: Optional[datetime], now: datetime,
                 focus: Optional[Blocker] = None) -> int:
    """1 (highest) .. 4 from the worst blocker severity (or the ``focus`` blocker's), one step
    more urgent inside 24 h of the close deadline."""
    if focus is not None:
        severities = [focus.severity]
    else:
        severities = [b.severity for b in diagnosis.blockers] if diagnosis else []
    priority = min((SEVERITY_PRIORITY[s] for s in severities), default=3)
    if deadline is not None and deadline - now <= timedelta(hours=24):
        priority -= 1
    return max(1, min(4, priority))


def summary_for(diagnosis: Optional[Diagnosis], note: Optional[str],
                focus: Optional[Blocker] = None) -> str:
    if diagnosis and diagnosis.blockers:
        top = focus or (diagnosis.root_causes[0] if diagnosis.root_causes else diagnosis.blockers[0])
        head = f"{diagnosis.company} {diagnosis.period} {diagnosis.module} blocked: {top.summary}"
    elif diagnosis:
        head = f"{diagnosis.company} {diagnosis.period} {diagnosis.module}: help requested"
    else:
        head = "Close help requested"
    return head if not note else f"{head} | Requester: {note}"
