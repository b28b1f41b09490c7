"""What every blocker kind provides, and what its parts are given.

A kind is one ``BlockerKind`` entry (its module in this package): its words, who acts on
it, how to keep it from coming back, the check that finds it on the close path, how to load
the live records behind one of its blockers, who owns them, and how its guided fix reads.
"""

from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.diagnosis.graph import ClosePath
from bot.diagnosis.result import Blocker, Diagnosis
from bot.diagnosis.status import StatusReading
from bot.people.directory import Person, may_close, names, with_role
from bot.store.models import Company, User


@dataclass
class Finding:
    """A root-cause blocker before it gets its index, deadline-raised severity and order."""

    kind: str
    module: str
    refs: List[str]
    summary: str
    fix: str
    severity: str
    blocks: List[str] = field(default_factory=list)  # path modules it blocks, ``module`` first


@dataclass(frozen=True)
class CheckContext:
    """What a check looks at: one company's period, the modules on the path to the target,
    the status page's reading (None: none configured), the user closing (None: nobody)."""

    session: Session
    company: Company
    period: str
    path: ClosePath
    status: Optional[StatusReading] = None
    user: Optional[User] = None


Who = Callable[[str], str]
"""A user id as the reader should see it: "Mei Chen (u-mei)", or "you"."""


@dataclass(frozen=True)
class GuideView:
    """What a kind's renderer turns into the lines of a guided fix."""

    session: Session
    diagnosis: Diagnosis
    blocker: Blocker
    records: Sequence
    limit: int
    who: Who


Rendered = Tuple[List[str], int, int]
"""(lines, records shown, records in all)"""

Check = Callable[[CheckContext], List[Finding]]
LoadRecords = Callable[[Session, str, str, Blocker, Optional[StatusReading]], list]
FindOwners = Callable[[Session, str, Blocker, Sequence], List[Person]]
Render = Callable[[GuideView], Rendered]


@dataclass(frozen=True)
class BlockerKind:
    """One kind of blocker, complete: adding a kind is one of these and its check."""

    name: str  #: the contract's word (``order_error``)
    words: Tuple[str, str]  #: as people say it: one, several
    owner_role: str  #: who acts when no person is named
    prevention: str  #: one line on keeping it from coming back
    topic: str  #: the knowledge topic behind that advice (a retrieval sub-intent)
    #: finds this kind's blockers on the close path; None for the one kind the engine makes
    #: itself from the path (``module_not_closed``)
    check: Optional[Check]
    #: loads the live records behind one blocker (None: the kind has no records of its own)
    records: Optional[LoadRecords]
    owners: FindOwners
    render: Render
    #: the step that hands it to a person: a ticket, or an incident for an outage
    hand_over: str = "ticket"
    #: replaces "Who: <owners> (<role>)" when the owners are not who acts (a missing permission)
    who_acts: Optional[str] = None
    #: recheck compares it by module rather than by its refs (refs that name people)
    keyed_by_module: bool = False

    def words_for(self, plural: bool = False) -> str:
        return self.words[1] if plural else self.words[0]


def more_line(shown: int, total: int) -> List[str]:
    """``…and 4 more (say "show all").`` when not every record is shown."""
    return [f"…and {total - shown} more (say \"show all\")."] if total > shown else []


def listed(view: GuideView) -> int:
    """How many of the view's records one message lists."""
    return min(view.limit, len(view.records))


def rows_by_id(model: type) -> LoadRecords:
    """A loader of the company's rows of ``model`` that a blocker names, in its order (missing
    ones skipped): the records of every kind whose refs are record ids."""

    def load(session: Session, company_id: str, period: str, blocker: Blocker,
             status: Optional[StatusReading]) -> list:
        rows = session.scalars(
            select(model).where(model.id.in_(blocker.refs), model.company_id == company_id)).all()
        by_ref = {r.id: r for r in rows}
        return [by_ref[ref] for ref in blocker.refs if ref in by_ref]

    return load


def record_owners(session: Session, company_id: str, records: Sequence, fallback_role: str) -> List[Person]:
    """The owners the records name, in order; when none does, the company's people of the role."""
    ids = list(dict.fromkeys(r.owner_id for r in records if getattr(r, "owner_id", None)))
    known = names(session, ids)
    return [(uid, known.get(uid, uid)) for uid in ids] or with_role(session, company_id, fallback_role)


def general_ledger_closers(session: Session, company_id: str, blocker: Blocker, records: Sequence) -> List[Person]:
    """Who may close the general ledger, else the company's accountants (what posts vouchers
    and corrects the ledger)."""
    return may_close(session, company_id, "general_ledger") or with_role(session, company_id, "accountant")


def helpdesk(session: Session, company_id: str, blocker: Blocker, records: Sequence) -> List[Person]:
    """The helpdesk, for what IT must fix (a failed job, an outage)."""
    return with_role(session, company_id, "helpdesk")
