""""How do I fix X?": the fix for the blocker or record the message names.

X is a record id, a record described ("the two sales orders", "the bank one"), a kind of
blocker, a module, or nothing ("how do I fix this one?": the root cause in view). The answer
is that record's guided fix: its steps, who must act, what it waits on (an outage that makes
the fix moot for now), and the buttons that notify the owner or open a ticket for it, which
then act on this very blocker. With no diagnosis in view, one runs first. A name that fits
several blockers gets one short question; a record the diagnosis does not hold is said to be
missing (or not blocking), never swapped for another.
"""

from dataclasses import replace
from typing import List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import employee
from bot.conversation import view as views
from bot.conversation.named_blocker import Meant, meant
from bot.conversation.render import STEP_BUTTONS, render_blocker
from bot.conversation.reply import NEXT, Button, Reply, intent_button, known_user
from bot.conversation.view import View
from bot.core.text import shorten
from bot.core.vocabulary import module_words
from bot.diagnosis.kinds import kind_words
from bot.diagnosis.result import Blocker, Diagnosis
from bot.fixes.guide import guide, waits_on
from bot.store import audit
from bot.store.companies import companies_called
from bot.store.models import Job, Order, Payment, User, Voucher

#: Record tables a named id may be found in when it does not block.
RECORD_TABLES = ((Order, "order"), (Payment, "payment"), (Job, "batch job"), (Voucher, "voucher"))
#: Root causes listed when a module is asked about.
MODULE_LIST = 5


@known_user
def fix_blocker(
    session: Session,
    user: User,
    *,
    conversation: str = "",
    message: Optional[str] = None,
    record: Optional[str] = None,
    modules: Sequence[str] = (),
    company_text: Optional[str] = None,
) -> Reply:
    """The fix for what the message names among the root causes in view (diagnosing first)."""
    view = views.load(session, conversation, user.id)
    intro: List[str] = []
    # a company named that is not the one in view (or fits none: said by the diagnosis) diagnoses anew
    other = bool(company_text) and view.diagnosis is not None and view.diagnosis.company not in {
        c.id for c in companies_called(session, company_text)}
    if view.diagnosis is None or other:
        first = employee.diagnose_close(session, user.id, conversation=conversation, company_text=company_text)
        view = views.load(session, conversation, user.id)
        if view.diagnosis is None:
            return first
        result = view.diagnosis
        roots = len(result.root_causes)
        intro = [f"I checked {result.company} {result.period} first: "
                 + (f"{roots} root cause{'s' if roots != 1 else ''} block the {module_words(result.module)}."
                    if roots else f"nothing blocks the {module_words(result.module)}.")]
    result = view.diagnosis
    refused = employee.refuse_unseen(session, user, result)
    if refused is not None:
        return refused
    if not result.root_causes:
        return Reply(intro + [f"Nothing blocks {result.company} {result.period}, so there is nothing to fix. "
                              "Run the close, or ask me to check again."], [Button("Check again", "/recheck")])
    view.asked = "fix"  # "and the bank one?" next is still about fixing
    views.save(session, view)
    named = meant(result, record or message, modules)
    if named.missing:
        return Reply(intro + [_missing(session, result, named.missing)], _fix_buttons(result.root_causes[:3]))
    if not named.named:
        return _answer(session, user, view, view.blocker, view.record, intro)
    if named.ambiguous:
        return Reply(intro + [f"Which one do you mean: {_choices(named.blockers)}?"],
                     _fix_buttons(named.blockers[:4]))
    if len(named.blockers) == 1:
        return _answer(session, user, view, named.blockers[0], named.record, intro)
    if not named.blockers:
        return Reply(intro + [f"Nothing in {result.company} {result.period} holds up "
                              f"{module_words(named.module or '')}: it has nothing to fix. What blocks "
                              f"the {module_words(result.module)}:"], _fix_buttons(result.root_causes[:3]))
    return Reply(intro + [_module_text(result, named)], _fix_buttons(named.blockers[:MODULE_LIST]))


def _answer(session: Session, user: User, view: View, blocker: Optional[Blocker], record: Optional[str],
            intro: List[str]) -> Reply:
    """The guided fix of ``blocker`` (only ``record`` when one was named), and it comes into view."""
    result = view.diagnosis
    if blocker is None:
        return Reply(intro + ["Which blocker? Say e.g. \"how do I fix SO-1042\"."])
    roots = result.root_causes
    index = next(i for i, b in enumerate(roots) if b is blocker)
    shown = replace(blocker, refs=[record]) if record and len(blocker.refs) > 1 else blocker
    guided = guide(session, result, shown, user.id)
    view.look_at(index, record)
    view.asked = "fix"
    views.save(session, view)
    audit.record(session, user.id, "blocker_read", result.company,
                 {"period": result.period, "refs": shown.refs, "for": "fix"})
    what = record or ", ".join(blocker.refs) or kind_words(blocker.kind)
    lines = [f"🔧 How to fix {what} ({result.company} {result.period}):",
             render_blocker(result, blocker, guided)]
    text = "\n".join(lines)
    for outage in waits_on(result, blocker):
        name = outage.refs[0] if outage.refs else "the outage"
        if name not in text:
            lines.append(f"⏳ It waits on {name}: {shorten(outage.summary, 160)}. Fixing it before that "
                         "is back is moot; say \"when is it back?\" for the outage.")
    buttons = [STEP_BUTTONS[s] for s in guided.steps]
    if index + 1 < len(roots):
        buttons.append(NEXT)
    return Reply(intro + ["\n".join(lines)], buttons)


def _choices(blockers: Sequence[Blocker]) -> str:
    names = [f"{kind_words(b.kind)} {', '.join(b.refs)}".strip() for b in blockers[:4]]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def _fix_buttons(blockers: Sequence[Blocker]) -> List[Button]:
    """One "How to fix …" button per blocker, naming its first record (what a click asks about)."""
    buttons = []
    for b in blockers:
        key = b.refs[0] if b.refs and b.kind not in ("permission_denied", "module_not_closed") else None
        title = f"Fix {', '.join(b.refs[:2])}" if key else f"Fix the {kind_words(b.kind)}"
        buttons.append(intent_button(shorten(title, 30), "fix_blocker", record=key) if key
                       else Button(shorten(title, 30), f"how do I fix the {kind_words(b.kind)}"))
    return buttons


def _module_text(result: Diagnosis, named: Meant) -> str:
    module = module_words(named.module) if named.module else "that"
    lines = [f"{len(named.blockers)} root causes hold up {module} for {result.company} {result.period}; "
             "fix them in this order:"]
    for b in named.blockers[:MODULE_LIST]:
        lines.append(f"• {kind_words(b.kind)} {', '.join(b.refs[:3])}: {shorten(b.fix, 160)}")
    if len(named.blockers) > MODULE_LIST:
        lines.append(f"…and {len(named.blockers) - MODULE_LIST} more.")
    lines.append("Pick one for its full fix and who must act.")
    return "\n".join(lines)


def _missing(session: Session, result: Diagnosis, said: str) -> str:
    """A named record that blocks nothing: say whether the store has it, never fix another."""
    for model, noun in RECORD_TABLES:
        row = session.scalar(select(model).where(model.id.ilike(said), model.company_id == result.company))
        if row is not None:
            state = getattr(row, "status", None)
            period = getattr(row, "period", None)
            where = f" in {period}" if period and period != result.period else ""
            return (f"{noun.capitalize()} {row.id}{where} ({state or 'on record'}) does not block "
                    f"{result.company} {result.period}, so there is nothing to fix on it. What blocks:")
    return (f"I can't find {said} among {result.company}'s records for {result.period}. What blocks "
            "the close right now:")
