"""A guided fix for one blocker: its records in plain words, who owns them, what to do next.

The diagnosis names what blocks in one line; the guide opens the records behind it
(orders with owners and counterparties, payments by status and method, the component's
maintenance window, the accounts of a mismatch, who may close instead) so the person can
act without opening the ERP. Each kind renders its own records (:mod:`bot.diagnosis.kinds`);
this module puts the parts together. Long lists show the first few records and a count.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional, Sequence

from sqlalchemy.orm import Session

from bot.diagnosis.kinds import KINDS
from bot.diagnosis.kinds.base import BlockerKind, GuideView
from bot.diagnosis.kinds.components import WAITS_ON_SYSTEMS
from bot.diagnosis.result import Blocker, Diagnosis
from bot.people.directory import Person, names, people_text, person_text

#: Records listed in one message; the rest are counted and offered behind "Show all".
SHOWN = 3
#: Records listed when the user asks for all of them (still one Slack message).
SHOWN_ALL = 25


@dataclass
class Owners:
    """Who must act: named people, and the role to fall back on when nobody is named."""

    people: List[Person]
    role: str


@dataclass
class Guide:
    """One blocker's guided fix: the message, and the next steps to offer as buttons."""

    text: str
    #: "notify" (tell the owners), "ticket", "incident", "more" (show all records), "status"
    steps: List[str] = field(default_factory=list)
    owners: Optional[Owners] = None
    total: int = 0
    shown: int = 0


def records_of(session: Session, diagnosis: Diagnosis, blocker: Blocker) -> list:
    """The live records behind ``blocker``, in the order the diagnosis named them (missing
    ones skipped; none for a kind without records, or a kind this version does not know)."""
    kind = KINDS.get(blocker.kind)
    if kind is None or kind.records is None:
        return []
    return kind.records(session, diagnosis.company, diagnosis.period, blocker, diagnosis.system_status)


def owners_of(session: Session, diagnosis: Diagnosis, blocker: Blocker, records: Sequence) -> Owners:
    """The people who can fix ``blocker``, most specific first, and the role behind them."""
    kind = KINDS.get(blocker.kind)
    people = kind.owners(session, diagnosis.company, blocker, records) if kind is not None else []
    return Owners(people, blocker.owner_role)


def guide(session: Session, diagnosis: Diagnosis, blocker: Blocker, viewer: Optional[str] = None,
          limit: int = SHOWN, now: Optional[datetime] = None) -> Guide:
    """The guided fix for ``blocker`` of ``diagnosis``, as seen by the user ``viewer``."""
    kind = KINDS.get(blocker.kind)
    records = records_of(session, diagnosis, blocker)
    owners = owners_of(session, diagnosis, blocker, records)
    known = dict(owners.people)
    known.update(names(session, [uid for uid in _record_people(records) if uid not in known]))

    def who(uid: str) -> str:
        return "you" if uid == viewer else person_text(uid, known.get(uid, uid))

    if kind is None or (kind.records is not None and not records):
        # The records changed since the diagnosis (or the kind is unknown): say what we know.
        lines = [blocker.summary, f"Fix: {blocker.fix}"]
        shown = total = len(blocker.refs)
    else:
        lines, shown, total = kind.render(GuideView(session, diagnosis, blocker, records, limit, who))
    lines.append(_who(kind, owners, viewer))
    steps = _steps(kind, owners, viewer, shown, total)
    return Guide("\n".join(lines), steps, owners, total, shown)


def _record_people(records: Sequence) -> List[str]:
    return [r.owner_id for r in records if getattr(r, "owner_id", None)]


def _who(kind: Optional[BlockerKind], owners: Owners, viewer: Optional[str]) -> str:
    role = owners.role.replace("_", " ")
    if kind is not None and kind.who_acts:
        return f"Who: {kind.who_acts}"
    if not owners.people:
        return f"Who: {role}"
    if [uid for uid, _ in owners.people] == [viewer]:
        return f"Who: you ({role})"
    return f"Who: {people_text(owners.people)} ({role})"


def _steps(kind: Optional[BlockerKind], owners: Owners, viewer: Optional[str], shown: int,
           total: int) -> List[str]:
    steps: List[str] = []
    if total > shown:
        steps.append("more")
    if any(uid != viewer for uid, _ in owners.people):
        steps.append("notify")
    steps.append(kind.hand_over if kind is not None else "ticket")
    return steps


def waits_on(diagnosis: Diagnosis, blocker: Blocker) -> List[Blocker]:
    """The outages among the root causes that ``blocker`` waits on: a down component whose
    modules include the blocker's, for the kinds that need a working system (a payment to
    settle, a job to rerun). Fixing the blocker before the outage ends is moot."""
    if blocker.kind not in WAITS_ON_SYSTEMS:
        return []
    if blocker.kind == "payment_issue" and "pending" not in blocker.summary:
        return []  # only a pending payment waits for the bank; a failed or unmatched one is ours
    return [b for b in diagnosis.root_causes
            if b.kind == "system_fault" and b is not blocker and blocker.module in _affected(b, diagnosis)]


def _affected(outage: Blocker, diagnosis: Diagnosis) -> List[str]:
    """The modules an outage blocker holds up: its own and those it causes to stay open."""
    index = diagnosis.blockers.index(outage)
    return [outage.module] + [b.module for b in diagnosis.blockers if index in b.caused_by]
