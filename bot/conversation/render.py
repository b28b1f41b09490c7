"""How a diagnosis reads in the conversation: the headline, one root cause in full, the buttons.

The terminal table of ``closebot diagnose`` is :mod:`bot.diagnosis.render`; this is the chat's
version, with the guided fix of the root cause in view and the deadline in the company's time.
"""

from datetime import datetime
from typing import List, Optional
from zoneinfo import ZoneInfo

from bot.conversation.reply import MY_TICKETS, NEXT, RECHECK, STATUS, TICKET, Button
from bot.core import clock
from bot.core.vocabulary import module_words
from bot.diagnosis.kinds import KINDS, kind_words
from bot.diagnosis.kinds.modules import MODULE_NOT_CLOSED
from bot.diagnosis.result import Blocker, Diagnosis
from bot.diagnosis.status import caveat
from bot.fixes.guide import Guide
from bot.store.models import Company

SEVERITY_ICON = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "⚪"}
STEP_BUTTONS = {
    "more": Button("Show all", "/show_all_records"),
    "notify": Button("Notify the owner", "/notify_owner"),
    "ticket": TICKET,
    "incident": Button("Open an incident", "/open_ticket"),
}

def render_diagnosis(result: Diagnosis, company: Company, first: Optional[Guide] = None,
                     now: Optional[datetime] = None) -> List[str]:
    target = module_words(result.module)
    deadline = deadline_text(company, now)
    if result.can_close and result.target_status == "closed":
        return [f"✅ {result.company} {result.period}: the {target} is already closed; nothing to do."]
    unknown = caveat(result.system_status)
    if result.can_close and unknown:
        return [f"{result.company} {result.period}: nothing in the records blocks the {target}{deadline}. "
                f"⚠️ {unknown} Check the systems, or ask me to check again, before you run the close."]
    if result.can_close:
        return [f"✅ {result.company} {result.period}: the {target} has nothing blocking it. You can "
                f"run the close now{deadline}."]
    roots = result.root_causes
    head = (f"{result.company} can't close the {target} for {result.period}: {len(roots)} root "
            f"cause{'s' if len(roots) != 1 else ''} found{deadline}.")
    if result.target_message:
        head += f"\nERP says: “{result.target_message}”"
    if unknown:
        head += f"\n⚠️ {unknown}"
    first_text = f"1/{len(roots)} " + render_blocker(result, roots[0], first) if roots else ""
    others = [f"• {kind_words(b.kind)} in {module_words(b.module)}: "
              f"{', '.join(b.refs) or '—'}" for b in roots[1:]]
    texts = [head, first_text]
    if others:
        texts.append("Also blocking:\n" + "\n".join(others) +
                     "\nSay \"next\" to go through them, or \"open a ticket\".")
    return [t for t in texts if t]


def render_blocker(result: Diagnosis, blocker: Blocker, guided: Optional[Guide] = None) -> str:
    """One root cause: the guided fix (records, owners, steps) when there is one."""
    icon = SEVERITY_ICON.get(blocker.severity, "")
    chain = _chain(result, blocker)
    if guided is not None:
        lines = f"{icon} {guided.text}".split("\n")
    else:
        lines = [
            f"{icon} {blocker.summary}",
            f"Fix: {blocker.fix}",
            f"Who: {blocker.owner_role.replace('_', ' ')}",
        ]
    if chain:
        lines.insert(1, f"Blocks: {chain}")
    kind = KINDS.get(blocker.kind)
    if kind is not None:
        lines.append(f"Next time: {kind.prevention}")
    return "\n".join(lines)


def _chain(result: Diagnosis, blocker: Blocker) -> str:
    """'receivables → general ledger': the modules this root cause holds up, nearest first."""
    index = result.blockers.index(blocker)
    modules: List[str] = [] if blocker.kind == MODULE_NOT_CLOSED.name else [blocker.module]
    frontier = {index}
    seen = set(frontier)
    while frontier:
        parents = {i for i, b in enumerate(result.blockers) if frontier & set(b.caused_by)} - seen
        for i in sorted(parents):
            m = result.blockers[i].module
            if m not in modules:
                modules.append(m)
        seen |= parents
        frontier = parents
    if result.module not in modules:
        modules.append(result.module)
    return " → ".join(module_words(m) for m in modules)


def diagnosis_buttons(result: Diagnosis, index: int, guided: Optional[Guide] = None) -> List[Button]:
    """Next blocker first (when there is one), then the guide's next steps."""
    if result.can_close:
        return [RECHECK, STATUS] if result.status_unknown else [MY_TICKETS, STATUS]
    steps = guided.steps if guided is not None else ["ticket"]
    buttons = [STEP_BUTTONS[s] for s in steps]
    if index + 1 < len(result.root_causes):
        buttons.insert(0, NEXT)
    return buttons


def deadline_text(company: Company, now: Optional[datetime] = None) -> str:
    """' (deadline 2026-12-03 18:00 CST, 20 h left)', or that it has passed; '' without one."""
    if company.close_deadline is None:
        return ""
    left = company.close_deadline - (now or clock.now())
    when = local_time(company.close_deadline, company)
    if left.total_seconds() < 0:
        return f" (the close deadline {when} has passed)"
    days, hours = left.days, left.seconds // 3600
    return f" (deadline {when}, {days} d {hours} h left)" if days else f" (deadline {when}, {hours} h left)"


def local_time(value: datetime, company: Company) -> str:
    """``value`` in the company's time zone (UTC when the zone is unknown)."""
    try:
        local = value.astimezone(ZoneInfo(company.timezone or "UTC"))
    except Exception:  # noqa: BLE001 - an odd timezone must not break the reply
        local = value
    return local.strftime("%Y-%m-%d %H:%M %Z")
