"""A guided fix for one blocker: its records in plain words, who owns them, what to do next.

The diagnosis names what blocks in one line; the guide opens the records behind it
(orders with owners and counterparties, payments by status and method, the component's
maintenance window, the accounts of a mismatch, who may close instead) so the person can
act without opening the ERP. Long lists show the first few records and a count.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Callable, Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.vocabulary import MODULES, module_words
from bot.diagnosis import advice
from bot.diagnosis.checks import incident_link
from bot.diagnosis.result import Blocker, Diagnosis
from bot.diagnosis.status import ComponentReading, Incident, StatusReading, age_text
from bot.fixes.records import Owners, owners_of, records_of
from bot.people.directory import names, people_text, person_text
from bot.store.models import Component, ModuleState

#: Records listed in one message; the rest are counted and offered behind "Show all".
SHOWN = 3
#: Records listed when the user asks for all of them (still one Slack message).
SHOWN_ALL = 25

#: When a payment still not settled should be re-initiated, per method (source: banks'
#: and wallets' usual settlement times; a bill settles at maturity).
REINITIATE_AFTER = {
    "bank_transfer": "if the bank confirms it was rejected, or it is still pending after 2 business days",
    "alipay": "if Alipay shows it closed or refunded, or it is still pending the next day",
    "wechat_pay": "if WeChat Pay shows it closed or refunded, or it is still pending the next day",
    "card": "if the processor declined it, or it is not in a settlement report after 3 days",
    "cash": "never: count the cash again and have the cashier confirm it",
    "bill": "only if the bill was dishonoured at maturity (ask the drawer to pay another way)",
}
#: What a failed payment's reason usually means, by a word in it.
FAILURE_HINTS = {
    "account": "correct the account details with the counterparty",
    "limit": "ask the payer to raise the limit or split the payment",
    "insufficient": "the payer must fund the account first",
    "expired": "get valid card details",
    "timeout": "check with the provider that it did not go through before retrying",
}
#: What a failed job's error usually means.
JOB_HINTS = {
    "ora-00054": "another session holds a lock on the table: ask IT to find and end it, or rerun it out of hours",
    "deadlock": "two jobs collided: rerun it alone",
    "timeout": "it ran out of time: rerun it out of hours or ask IT to raise the limit",
    "space": "the database ran out of space: IT must extend it before the rerun",
}


Who = Callable[[str], str]
"""A user id as the reader should see it: "Mei Chen (u-mei)", or "you"."""


@dataclass
class Guide:
    """One blocker's guided fix: the message, and the next steps to offer as buttons."""

    text: str
    #: "notify" (tell the owners), "ticket", "incident", "more" (show all records), "status"
    steps: List[str] = field(default_factory=list)
    owners: Optional[Owners] = None
    total: int = 0
    shown: int = 0


def guide(session: Session, diagnosis: Diagnosis, blocker: Blocker, viewer: Optional[str] = None,
          limit: int = SHOWN, now: Optional[datetime] = None) -> Guide:
    """The guided fix for ``blocker`` of ``diagnosis``, as seen by the user ``viewer``."""
    records = records_of(session, diagnosis.company, diagnosis.period, blocker, diagnosis.system_status)
    owners = owners_of(session, diagnosis.company, blocker, records)
    known = dict(owners.people)
    known.update(names(session, [uid for uid in _record_people(records) if uid not in known]))

    def who(uid: str) -> str:
        return "you" if uid == viewer else person_text(uid, known.get(uid, uid))

    render = RENDERERS.get(blocker.kind)
    if render is None or (blocker.kind in RECORD_KINDS and not records):
        # The records changed since the diagnosis (or the kind has no records): say what we know.
        lines = [blocker.summary, f"Fix: {blocker.fix}"]
        shown = total = len(blocker.refs)
    else:
        lines, shown, total = render(session, diagnosis, blocker, records, limit, who)
    lines.append(_who(blocker, owners, viewer))
    steps = _steps(blocker, owners, viewer, shown, total)
    return Guide("\n".join(lines), steps, owners, total, shown)


def _record_people(records: Sequence) -> List[str]:
    return [r.owner_id for r in records if getattr(r, "owner_id", None)]


RECORD_KINDS = ("order_error", "payment_issue", "job_failed", "voucher_unposted", "data_mismatch",
                "system_fault")


def _who(blocker: Blocker, owners: Owners, viewer: Optional[str]) -> str:
    role = owners.role.replace("_", " ")
    if blocker.kind == "permission_denied":
        return "Who: an admin, to grant the permission"
    if not owners.people:
        return f"Who: {role}"
    if [uid for uid, _ in owners.people] == [viewer]:
        return f"Who: you ({role})"
    return f"Who: {people_text(owners.people)} ({role})"


def _steps(blocker: Blocker, owners: Owners, viewer: Optional[str], shown: int, total: int) -> List[str]:
    steps: List[str] = []
    if total > shown:
        steps.append("more")
    if any(uid != viewer for uid, _ in owners.people):
        steps.append("notify")
    steps.append("incident" if blocker.kind == "system_fault" else "ticket")
    return steps


def _more(shown: int, total: int) -> List[str]:
    return [f"…and {total - shown} more (say \"show all\")."] if total > shown else []


# ---- one renderer per kind: (lines, records shown, records in all) ----------------------------


def _orders(session: Session, d: Diagnosis, b: Blocker, rows: Sequence, limit: int, who: Who):
    noun = "sales order" if rows[0].kind == "sales" else "purchase order"
    lines = [f"{_count(len(rows), noun)} need{'s' if len(rows) == 1 else ''} fixing:"]
    for row in rows[:limit]:
        party = f", {row.counterparty}" if row.counterparty else ""
        owner = f" Owner: {who(row.owner_id)}." if row.owner_id else " No owner on record."
        lines.append(
            f"• {row.id} ({advice.money(row.amount, row.currency)}{party}) "
            f"{advice.order_problem(row.kind, row.status, row.issues or [])}.{owner}\n"
            f"  Fix: {advice.order_fix_steps(row.kind, row.status, row.issues or [])}."
        )
    return lines + _more(min(limit, len(rows)), len(rows)), min(limit, len(rows)), len(rows)


def _payments(session: Session, d: Diagnosis, b: Blocker, rows: Sequence, limit: int, who: Who):
    lines = [f"{_count(len(rows), 'payment')} not settled:"]
    for row in rows[:limit]:
        order = f" for {row.order_id}" if row.order_id else ""
        problem = advice.payment_problem(row.status, row.method, row.direction, row.order_id,
                                         row.failure_reason)
        reason = f" ({row.failure_reason})" if row.status == "pending" and row.failure_reason else ""
        owner = f" Handled by {who(row.owner_id)}." if row.owner_id else ""
        lines.append(
            f"• {row.id} {_lower_first(advice.payment_label(row.direction, row.method))} "
            f"{advice.money(row.amount, row.currency)}{order} {problem}{reason}.{owner}"
        )
    lines += _more(min(limit, len(rows)), len(rows))
    for status, method in dict.fromkeys((r.status, r.method) for r in rows):
        group = [r for r in rows if (r.status, r.method) == (status, method)]
        lines.append(_payment_advice(status, method, group))
    lines += _moot_payments(session, d, b, rows)
    return lines, min(limit, len(rows)), len(rows)


def _payment_advice(status: str, method: str, rows: Sequence) -> str:
    ids = advice.join_ids([r.id for r in rows])
    if status == "pending":
        return (f"Check ({ids}): {advice.PENDING_CHECK.get(method, 'check with the provider')}; "
                f"record it as settled once it is. Re-initiate only "
                f"{REINITIATE_AFTER.get(method, 'if the provider confirms it was rejected')}.")
    if status == "failed":
        reasons = " ".join((r.failure_reason or "").lower() for r in rows)
        hint = next((h for word, h in FAILURE_HINTS.items() if word in reasons),
                    "find out why from the provider")
        return (f"Re-initiate ({ids}): {hint}, then re-initiate the payment and reverse the failed "
                "entry so it is not counted twice.")
    if status == "unmatched":
        ledger = "receivables" if rows[0].direction == "in" else "payables"
        party = "payer" if rows[0].direction == "in" else "payee"
        amounts = ", ".join(advice.money(r.amount, r.currency) for r in rows)
        return (f"Match ({ids}): in {ledger}, look for the open invoice or order with the same amount "
                f"({amounts}), the {party}'s name or the reference in the remark, and apply it there. "
                f"No match: park it on the suspense account and ask the {party}.")
    return f"{ids}: settle or reverse it."


def _moot_payments(session: Session, d: Diagnosis, b: Blocker, rows: Sequence) -> List[str]:
    """A down component on the payments' ledgers makes chasing them pointless for now."""
    if not any(r.status == "pending" for r in rows):
        return []
    ledgers = {b.module, "cash"}
    down = [c for c in _down_components(session, d) if ledgers & set(c.affects or [])]
    return [f"⚠️ {c.name} ({c.id}) {advice.COMPONENT_STATES.get(c.status, c.status)}: pending "
            "payments cannot settle until it recovers, so chasing them before that is moot."
            for c in down[:1]]


def _jobs(session: Session, d: Diagnosis, b: Blocker, rows: Sequence, limit: int, who: Who):
    lines = []
    for row in rows[:limit]:
        lines.append(f"Batch job {row.id} '{row.name}' ({module_words(row.module)}) "
                     f"{advice.job_problem(row.status, row.error, row.finished_at)}.")
        hint = next((h for word, h in JOB_HINTS.items() if word in (row.error or "").lower()), None)
        if hint:
            lines.append(f"What it means: {hint}.")
    lines += _more(min(limit, len(rows)), len(rows))
    lines.append(f"Fix: {b.fix}")
    return lines, min(limit, len(rows)), len(rows)


def _vouchers(session: Session, d: Diagnosis, b: Blocker, rows: Sequence, limit: int, who: Who):
    lines = [f"{_count(len(rows), 'voucher')} not posted hold{'s' if len(rows) == 1 else ''} up the "
             "general ledger:"]
    for row in rows[:limit]:
        amount = f" ({advice.money(row.amount)})" if row.amount is not None else ""
        step = ("complete it, have it approved (not by its preparer), then post it"
                if row.status == "draft" else "post it")
        state = "is a draft" if row.status == "draft" else f"is {row.status}"
        lines.append(f"• {row.id}{amount} {state}: {step}.")
    return lines + _more(min(limit, len(rows)), len(rows)), min(limit, len(rows)), len(rows)


def _mismatches(session: Session, d: Diagnosis, b: Blocker, rows: Sequence, limit: int, who: Who):
    lines = []
    for row in rows[:limit]:
        diff: Decimal = row.subledger_total - row.gl_total
        side = (f"the sub-ledger is higher: look for {module_words(row.module)} documents not "
                "transferred to the GL" if diff > 0 else
                "the GL is higher: look for entries posted directly in the general ledger")
        lines.append(
            f"Account {row.account} ({_label(row.module)} sub-ledger vs general ledger): "
            f"sub-ledger {advice.money(row.subledger_total)}, GL {advice.money(row.gl_total)}, "
            f"difference {advice.money(abs(diff))} ({side})."
        )
    lines += _more(min(limit, len(rows)), len(rows))
    lines.append("Fix: correct the entries at the source (or post an adjusting entry), then rerun "
                 "the reconciliation.")
    return lines, min(limit, len(rows)), len(rows)


def _component(session: Session, d: Diagnosis, b: Blocker, rows: Sequence, limit: int, who: Who):
    c = rows[0]
    state = advice.COMPONENT_STATES.get(c.status, c.status.replace("_", " "))
    msg = f": {c.message}" if c.message else ""
    window = (f"maintenance planned until {advice.when(c.maintenance_until)}" if c.maintenance_until
              else "no maintenance window announced")
    affected = list(c.affects or [])
    lines = [f"{c.name} ({c.id}) {state}{msg}."]
    incident = None
    if isinstance(c, ComponentReading) and d.system_status is not None:
        lines.append(_source_line(d.system_status))
        lines.append(f"Since: {_since(c)}; {window}.")
        lines += [_incident_line(i) for i in c.incidents[:2]]
        incident = incident_link(c)
    else:
        lines.append(f"Since: the status feed gives no start time; {window}.")
    lines.append(_still_works(session, d, affected))
    moot = [x for x in d.root_causes
            if x is not b and x.kind in ("payment_issue", "job_failed") and x.module in affected]
    if moot:
        refs = advice.join_ids([r for x in moot for r in x.refs])
        lines.append(f"Until it is back, fixing {refs} is moot: they wait on it.")
    lines.append(f"Fix: {advice.component_fix(c.name, c.status, c.maintenance_until, incident)}")
    return lines, 1, len(rows)


def _source_line(reading: StatusReading) -> str:
    """Where the component's status comes from, and a warning when that reading is old."""
    if reading.stale:
        return (f"⚠️ From the status page's last good reading ({age_text(reading.age_seconds())}); "
                f"the page {reading.reason or 'cannot be read'} now, so this may have changed.")
    return f"Source: status page {reading.page}."


def _since(c: ComponentReading) -> str:
    started = [i.started_at for i in c.incidents if i.started_at is not None]
    if started:
        return f"{advice.when(min(started))} (incident start)"
    if c.updated_at is not None:
        return f"status last changed {advice.when(c.updated_at)}"
    return "the status page gives no start time"


def _incident_line(incident: Incident) -> str:
    text = f"Incident “{incident.name}” ({incident.impact} impact, {incident.status})."
    if incident.latest_update:
        update = incident.latest_update
        text += f" Latest update: {update}{'' if update.endswith('.') else '.'}"
    if incident.shortlink:
        text += f" Follow it at {incident.shortlink}."
    return text


def _still_works(session: Session, d: Diagnosis, affected: Sequence[str]) -> str:
    used = session.scalars(
        select(ModuleState.module).where(ModuleState.company_id == d.company,
                                         ModuleState.period == d.period)
    ).all()
    # In close order (the vocabulary's), the same on every database.
    working = [module_words(m) for m in MODULES if m in used and m not in affected]
    up = list(session.scalars(select(Component.name).where(Component.status == "operational")
                              .order_by(Component.name)).all())
    reading = d.system_status
    if reading is not None and reading.available:  # a stale reading cannot vouch for anything
        up = sorted(set(up) | {c.name for c in reading.components if c.operational})
    parts = [f"Affects {', '.join(module_words(m) for m in affected) or 'no close module'}."]
    if working:
        parts.append(f"Still works: {', '.join(working)}")
    if up:
        parts.append(f"({', '.join(up[:3])} up)")
    return " ".join(parts) + ("." if working or up else "")


def _module(session: Session, d: Diagnosis, b: Blocker, rows: Sequence, limit: int, who: Who):
    if b.refs != [b.module]:  # earlier periods of the target
        return [b.summary + ".", f"Fix: {b.fix}"], len(b.refs), len(b.refs)
    me = d.blockers.index(b)
    waits_for = [module_words(d.blockers[i].module) for i in b.caused_by
                 if d.blockers[i].kind == "module_not_closed"]
    waiting = [module_words(x.module) for x in d.blockers if me in x.caused_by]
    waiting = waiting or [module_words(d.module)]
    order = f"{_label(b.module)} must close before the {' and the '.join(waiting)}"
    if waits_for:
        order += f"; it waits for {', '.join(waits_for)} first"
    return [b.summary + ".", order + ".", f"Fix: {b.fix}"], 1, 1


def _permission(session: Session, d: Diagnosis, b: Blocker, rows: Sequence, limit: int, who: Who):
    target = module_words(b.module)
    if not b.refs:
        return [f"You may not close the {target}, and nobody at {d.company} may.",
                f"Fix: {b.fix}"], 0, 0
    instead = ", ".join(who(uid) for uid in b.refs)
    return [f"You may not close the {target}. Who can close it instead: {instead}.",
            "Ask them to run the close, or ask an admin to grant you the permission (with your "
            "finance manager's approval)."], len(b.refs), len(b.refs)


RENDERERS: Dict[str, object] = {
    "order_error": _orders,
    "payment_issue": _payments,
    "job_failed": _jobs,
    "voucher_unposted": _vouchers,
    "data_mismatch": _mismatches,
    "system_fault": _component,
    "module_not_closed": _module,
    "permission_denied": _permission,
}


def _down_components(session: Session, d: Diagnosis) -> list:
    """The store's components that are not operational, and the status page's (it wins on an id)."""
    live = {c.id: c for c in (d.system_status.components if d.system_status else []) if not c.operational}
    stored = session.scalars(select(Component).where(Component.status != "operational")
                             .order_by(Component.id)).all()
    return sorted([c for c in stored if c.id not in live] + list(live.values()), key=lambda c: c.id)


def _label(module: str) -> str:
    return advice.label(module)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
