"""``module_not_closed``: a module the target depends on is not closed (or an earlier period
of the target itself is not).

The one kind no check finds: the engine makes it from the close path, one blocker per
not-closed dependency, pointing at the blockers that hold it up (see
:mod:`bot.diagnosis.engine`). Who acts: who may close that module (else the accountants).
"""

from typing import Iterable, List, Optional, Sequence

from sqlalchemy.orm import Session

from bot.core.text import join_ids
from bot.core.vocabulary import module_words
from bot.diagnosis.kinds.base import BlockerKind, GuideView, Rendered
from bot.diagnosis.result import Blocker
from bot.diagnosis.severity import highest, raise_by
from bot.diagnosis.wording import label
from bot.people.directory import Person, may_close

EARLIER_PERIOD_SEVERITY = "high"
MODULE_SEVERITY = {"failed": "high"}  # open/closing with nothing to blame: medium


def module_severity(status: str, causes: Iterable[str], levels: int = 0) -> str:
    """A module is as urgent as the worst thing keeping it open (medium if nothing).

    ``causes`` are already raised for the deadline; ``levels`` raises the module's own base.
    """
    return highest([raise_by(MODULE_SEVERITY.get(status, "medium"), levels), *causes])


def module_summary(module: str, period: str, status: str, message: Optional[str], n_causes: int) -> str:
    state = {"failed": "failed to close", "closing": "is still closing"}.get(status, "is open")
    text = f"{label(module)} ({module}) {state} for {period}"
    if message:
        text += f" (ERP says: {message})"
    if n_causes:
        text += f"; held up by {n_causes} blocker{'s' if n_causes != 1 else ''} listed above"
    return text


def module_fix(module: str, period: str, status: str, causes: Sequence[str]) -> str:
    """``causes`` name what must be resolved first (record ids, or "the Sales close")."""
    run = f"run the {label(module)} period close for {period}"
    if status == "failed":
        run = f"check the close log, then {run} again"
    if causes:
        return f"First resolve {'; '.join(causes)}, then {run}."
    return run[0].upper() + run[1:] + "."


def earlier_periods_summary(module: str, periods: Sequence[str]) -> str:
    plural = "s" if len(periods) != 1 else ""
    return f"{label(module)} ({module}) is not closed for the earlier period{plural} {join_ids(periods)}"


def earlier_periods_fix(module: str, periods: Sequence[str]) -> str:
    return f"Close {label(module)} for {join_ids(periods)} first, oldest first, then this period."


def owners(session: Session, company_id: str, blocker: Blocker, rows: Sequence) -> List[Person]:
    return may_close(session, company_id, blocker.module)


def render(view: GuideView) -> Rendered:
    d, b = view.diagnosis, view.blocker
    if b.refs != [b.module]:  # earlier periods of the target
        return [b.summary + ".", f"Fix: {b.fix}"], len(b.refs), len(b.refs)
    me = d.blockers.index(b)
    waits_for = [module_words(d.blockers[i].module) for i in b.caused_by
                 if d.blockers[i].kind == MODULE_NOT_CLOSED.name]
    waiting = [module_words(x.module) for x in d.blockers if me in x.caused_by]
    waiting = waiting or [module_words(d.module)]
    order = f"{label(b.module)} must close before the {' and the '.join(waiting)}"
    if waits_for:
        order += f"; it waits for {', '.join(waits_for)} first"
    return [b.summary + ".", order + ".", f"Fix: {b.fix}"], 1, 1


MODULE_NOT_CLOSED = BlockerKind(
    name="module_not_closed",
    words=("unclosed module", "unclosed modules"),
    owner_role="accountant",
    prevention="Follow a written close checklist in dependency order with owners and dates.",
    topic="prevent/close_procedure",
    check=None,
    records=None,
    owners=owners,
    render=render,
)
