"""What to tell people: a plain summary, the steps to fix, and who owns each blocker kind.

Kept apart from the checks so that wording can change (or be translated) without
touching the rules that decide what blocks. Every summary names the records by id.
"""

from datetime import datetime
from decimal import Decimal
from typing import Iterable, List, Optional, Protocol, Sequence, Tuple

from bot.core.vocabulary import MODULE_LABELS


class OrderFacts(Protocol):
    """What the wording needs of an order (an ORM row or a test double)."""

    id: str
    kind: str
    status: str
    issues: List[str]
    amount: Optional[Decimal]
    currency: Optional[str]
    owner_id: Optional[str]
    owner_name: Optional[str]


class PaymentFacts(Protocol):
    id: str
    direction: str
    method: str
    status: str
    amount: Optional[Decimal]
    currency: Optional[str]
    order_id: Optional[str]
    failure_reason: Optional[str]
    owner_id: Optional[str]
    owner_name: Optional[str]


class JobFacts(Protocol):
    id: str
    name: str
    status: str
    error: Optional[str]
    finished_at: Optional[datetime]


class VoucherFacts(Protocol):
    id: str
    status: str
    amount: Optional[Decimal]

OWNER_ROLES = {
    "order_error": "employee",
    "payment_issue": "accountant",
    "system_fault": "helpdesk",
    "job_failed": "helpdesk",
    "voucher_unposted": "accountant",
    "data_mismatch": "accountant",
    "module_not_closed": "accountant",
    "permission_denied": "admin",
}


def owner_role(kind: str) -> str:
    """Who should act on a blocker of this kind."""
    return OWNER_ROLES[kind]


def label(module: str) -> str:
    return MODULE_LABELS.get(module, module)


def money(amount: Optional[Decimal], currency: Optional[str] = None) -> str:
    """``45,200.00 CNY``: thousands separators, at least two decimals, never a float."""
    if amount is None:
        return "amount unknown"
    exponent = amount.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    text = f"{amount:,.{places}f}"
    return f"{text} {currency}" if currency else text


def when(moment: Optional[datetime]) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def join_ids(ids: Sequence[str]) -> str:
    return ", ".join(ids)


def _sentences(parts: Iterable[str]) -> str:
    return "; ".join(p for p in parts if p)


def _person(user_id: Optional[str], name: Optional[str]) -> str:
    if not user_id:
        return ""
    return f"{name} ({user_id})" if name else user_id


# --- orders ---------------------------------------------------------------------------

ISSUE_PHRASES = {
    "missing_price": "has no price",
    "invalid_quantity": "has an invalid quantity",
    "missing_counterparty": "has no {party}",
    "unapproved": "is not approved",
    "not_posted": "is not posted",
    "invoice_mismatch": "has an invoice that does not match the order",
    "negative_stock": "would drive stock negative",
}
ISSUE_FIXES = {
    "missing_price": "enter the agreed price (confirm it with the {party}) and re-approve the order",
    "invalid_quantity": "correct the quantities on the order lines and re-approve the order",
    "missing_counterparty": "set the {party} on the order and re-approve it",
    "unapproved": "have the approver approve the order, or cancel it if it is no longer valid",
    "not_posted": "post the order",
    "invoice_mismatch": (
        "compare the invoice with the order (price, quantity, tax), correct whichever is wrong "
        "(re-issue the invoice or amend the order) and re-approve"
    ),
    "negative_stock": (
        "post the missing goods receipt (or a stock adjustment) first, then post the order again"
    ),
}
STATUS_PHRASES = {
    "draft": "is still a draft",
    "submitted": "is submitted but not approved",
    "approved": "is approved but not posted",
    "posted": "is posted",
}
STATUS_FIXES = {
    "draft": "complete and submit it for approval, then post it (or cancel it if it is not needed)",
    "submitted": "have the approver approve it, then post it",
    "approved": "post it",
}


def _party(order_kind: str) -> str:
    return "customer" if order_kind == "sales" else "supplier"


def order_problem(order_kind: str, status: str, issues: Sequence[str]) -> str:
    """``has no price`` / ``is still a draft``: what is wrong with one order."""
    party = _party(order_kind)
    phrases = [ISSUE_PHRASES.get(i, i.replace("_", " ")).format(party=party) for i in issues]
    if status != "posted" and not {"unapproved", "not_posted"}.intersection(issues):
        phrases.append(STATUS_PHRASES.get(status, f"is {status}"))
    return " and ".join(phrases) if phrases else f"is {status}"


def order_fix_steps(order_kind: str, status: str, issues: Sequence[str]) -> str:
    party = _party(order_kind)
    steps = [ISSUE_FIXES.get(i, f"resolve '{i}'").format(party=party) for i in issues]
    if status != "posted" and not {"unapproved", "not_posted"}.intersection(issues):
        steps.append(STATUS_FIXES.get(status, "post it"))
    elif status == "posted":
        steps.append("post the corrected order again")
    return ", then ".join(dict.fromkeys(steps))


def orders_summary(rows: Sequence[OrderFacts]) -> str:
    """``Sales order SO-1042 has no price (owner Li Wei (U7)); SO-1043 has ...``."""
    parts = []
    for n, row in enumerate(rows):
        noun = ("Sales order " if row.kind == "sales" else "Purchase order ") if n == 0 else ""
        owner = _person(row.owner_id, row.owner_name)
        extra = f" (owner {owner})" if owner else ""
        amount = f" ({money(row.amount, row.currency)})" if row.amount is not None else ""
        problem = order_problem(row.kind, row.status, row.issues)
        parts.append(f"{noun}{row.id}{amount} {problem}{extra}")
    return _sentences(parts)


def orders_fix(rows: Sequence[OrderFacts]) -> str:
    parts = []
    for row in rows:
        owner = _person(row.owner_id, row.owner_name)
        who = f"{owner}: " if owner else ""
        parts.append(f"{row.id} — {who}{order_fix_steps(row.kind, row.status, row.issues)}")
    return _sentences(parts) + "."


# --- payments -------------------------------------------------------------------------

METHOD_LABELS = {
    "bank_transfer": "bank transfer",
    "alipay": "Alipay payment",
    "wechat_pay": "WeChat Pay payment",
    "card": "card payment",
    "cash": "cash payment",
    "bill": "bill (draft) payment",
}
PENDING_AT = {
    "bank_transfer": "at the bank",
    "alipay": "at Alipay",
    "wechat_pay": "at WeChat Pay",
    "card": "with the card processor",
    "cash": "(not yet confirmed by the cashier)",
    "bill": "(the bill has not been honoured yet)",
}
PENDING_CHECK = {
    "bank_transfer": "check the transfer with the bank (reference, value date)",
    "alipay": "check the transaction in the Alipay merchant portal",
    "wechat_pay": "check the transaction in the WeChat Pay merchant platform",
    "card": "check the settlement report of the card processor",
    "cash": "have the cashier count and confirm the cash receipt",
    "bill": "check with the bank whether the bill was honoured at maturity",
}


def payment_label(direction: str, method: str) -> str:
    verb = "Incoming" if direction == "in" else "Outgoing"
    return f"{verb} {METHOD_LABELS.get(method, method.replace('_', ' '))}"


def payment_problem(status: str, method: str, direction: str, order_id: Optional[str],
                    failure_reason: Optional[str]) -> str:
    if status == "pending":
        return f"is still pending {PENDING_AT.get(method, 'with the payment provider')}"
    if status == "failed":
        return "failed" + (f": {failure_reason}" if failure_reason else " (no reason given)")
    if status == "unmatched":
        target = "customer invoice/order" if direction == "in" else "supplier invoice/order"
        hint = f" (expected order {order_id})" if order_id else ""
        verb = "was received" if direction == "in" else "was paid"
        return f"{verb} but is not matched to any {target}{hint}"
    return f"is {status}"


def payments_summary(rows: Sequence[PaymentFacts]) -> str:
    """``Incoming bank transfer PAY-88 (45,200.00 CNY) is still pending at the bank``."""
    parts = []
    for row in rows:
        owner = _person(row.owner_id, row.owner_name)
        extra = f" (handled by {owner})" if owner else ""
        problem = payment_problem(row.status, row.method, row.direction, row.order_id,
                                  row.failure_reason)
        parts.append(
            f"{payment_label(row.direction, row.method)} {row.id} "
            f"({money(row.amount, row.currency)}) {problem}{extra}"
        )
    return _sentences(parts)


def payments_fix(status: str, rows: Sequence[PaymentFacts]) -> str:
    ids = join_ids([r.id for r in rows])
    if status == "pending":
        checks = list(dict.fromkeys(PENDING_CHECK.get(r.method, "check with the provider")
                                    for r in rows))
        return (
            f"{ids}: {'; '.join(checks)}; once it settles record it as settled; if it was "
            "rejected, mark it failed and re-initiate it."
        )
    if status == "failed":
        return (
            f"{ids}: find out why it failed (see the reason), correct the account details or "
            "limits, re-initiate the payment, and reverse the failed entry."
        )
    if status == "unmatched":
        ledger = "receivables" if rows and rows[0].direction == "in" else "payables"
        return (
            f"{ids}: match it to its order/invoice in {ledger} (use the order reference or "
            "amount); if it cannot be identified, park it on the suspense account and ask "
            "the counterparty."
        )
    return f"{ids}: settle or reverse the payment."


# --- jobs -----------------------------------------------------------------------------

def job_problem(status: str, error: Optional[str], finished_at: Optional[datetime]) -> str:
    if status == "failed":
        at = f" at {when(finished_at)}" if finished_at else ""
        return f"failed{at}" + (f": {error}" if error else " (no error text)")
    if status == "running":
        return "is still running"
    if status == "pending":
        return "has not run yet (pending)"
    return f"is {status}"


def jobs_summary(rows: Sequence[JobFacts]) -> str:
    """``Batch job JOB-AR-AGING 'AR ageing' failed: ORA-00054 ...``."""
    return _sentences(
        f"Batch job {row.id} '{row.name}' {job_problem(row.status, row.error, row.finished_at)}"
        for row in rows
    )


def jobs_fix(status: str, rows: Sequence[JobFacts]) -> str:
    ids = join_ids([r.id for r in rows])
    if status == "failed":
        return (
            f"{ids}: fix the cause shown in the error (e.g. a lock held by another session, "
            "missing data), then rerun the job; if it fails again, send the error to IT "
            "helpdesk."
        )
    if status == "running":
        return (
            f"{ids}: wait for it to finish; if it runs far longer than usual, ask IT helpdesk "
            "to check whether it hangs and restart it."
        )
    return f"{ids}: start the job (or ask IT helpdesk why the scheduler has not run it)."


# --- vouchers -------------------------------------------------------------------------

def vouchers_summary(rows: Sequence[VoucherFacts]) -> str:
    """``Voucher V-2026-11-0087 (1,200.00) is a draft, not posted``."""
    parts = []
    for n, row in enumerate(rows):
        noun = "Voucher " if n == 0 else ""
        amount = f" ({money(row.amount)})" if row.amount is not None else ""
        state = "is a draft" if row.status == "draft" else f"is {row.status}"
        parts.append(f"{noun}{row.id}{amount} {state}, not posted")
    return _sentences(parts)


def vouchers_fix(rows: Sequence[VoucherFacts]) -> str:
    steps = []
    drafts = [r.id for r in rows if r.status == "draft"]
    others = [r.id for r in rows if r.status != "draft"]
    if drafts:
        steps.append(
            f"{join_ids(drafts)}: complete and submit it, have it approved (the auditor must "
            "not be the preparer), then post it"
        )
    if others:
        steps.append(f"{join_ids(others)}: post it")
    return _sentences(steps) + "."


# --- reconciliations ------------------------------------------------------------------

def mismatch_summary(module: str, account: str, subledger: Decimal, gl: Decimal) -> str:
    difference = subledger - gl
    return (
        f"{label(module)} reconciliation of account {account} is off: subledger "
        f"{money(subledger)} vs general ledger {money(gl)}, difference {money(difference)}"
    )


def mismatch_fix(module: str, account: str) -> str:
    return (
        f"Investigate the difference on account {account}: look for entries posted directly "
        f"in the general ledger and {label(module)} documents not transferred to it; correct "
        "them at the source or post an adjusting entry, then rerun the reconciliation."
    )


# --- components -----------------------------------------------------------------------

COMPONENT_STATES = {
    "major_outage": "is down (major outage)",
    "partial_outage": "is in a partial outage",
    "degraded_performance": "is degraded (slow)",
    "under_maintenance": "is under maintenance",
}


def component_summary(name: str, status: str, affects: Sequence[str], message: Optional[str],
                      maintenance_until: Optional[datetime],
                      component_id: Optional[str] = None, note: Optional[str] = None) -> str:
    """``Bank payment gateway (bank-gateway) is in a partial outage (affects cash, ...): ...``.

    ``note`` labels where the status comes from when that matters (a stale status page reading).
    """
    state = COMPONENT_STATES.get(status, f"is {status.replace('_', ' ')}")
    until = f" until {when(maintenance_until)}" if maintenance_until else ""
    named = f"{name} ({component_id})" if component_id and component_id != name else name
    text = f"{named} {state}{until} (affects {', '.join(affects)})"
    text = f"{text}: {message}" if message else text
    return f"{text} [{note}]" if note else text


def component_fix(name: str, status: str, maintenance_until: Optional[datetime],
                  incident: Optional[str] = None) -> str:
    """What to do about a component; ``incident`` names the provider's open incident to follow."""
    if status == "under_maintenance":
        until = f" (planned until {when(maintenance_until)})" if maintenance_until else ""
        return (
            f"Wait for the maintenance of {name} to end{until}, then retry; if the deadline "
            "cannot wait, escalate to IT helpdesk."
        )
    if incident:
        return (
            f"Nothing to correct in the data: the provider is already working on it (incident "
            f"{incident}); follow the incident there rather than opening a duplicate, and retry the "
            f"close once {name} is operational. Escalate to IT helpdesk only if the deadline cannot wait."
        )
    return (
        f"Nothing to correct in the data: wait for {name} to recover or escalate the outage "
        "to IT helpdesk (quote the component name and the time it started), then retry the "
        "close once it is operational."
    )


# --- modules --------------------------------------------------------------------------

def module_summary(module: str, period: str, status: str, message: Optional[str],
                   n_causes: int) -> str:
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
    return (
        f"{label(module)} ({module}) is not closed for the earlier period{plural} "
        f"{join_ids(periods)}"
    )


def earlier_periods_fix(module: str, periods: Sequence[str]) -> str:
    return (
        f"Close {label(module)} for {join_ids(periods)} first, oldest first, then this period."
    )


# --- permissions ----------------------------------------------------------------------

def permission_summary(user_id: str, user_name: Optional[str], module: str, company: str,
                       allowed: Sequence[Tuple[str, Optional[str]]]) -> str:
    who = _person(user_id, user_name)
    if not allowed:
        return (
            f"{who} may not close {module}, and nobody at {company} may: an admin must grant "
            f"the '{module}' close permission"
        )
    names = ", ".join(_person(uid, name) for uid, name in allowed)
    return f"{who} may not close {module}; users of {company} who may: {names}"


def permission_fix(module: str, allowed: Sequence[Tuple[str, Optional[str]]]) -> str:
    if not allowed:
        return f"Ask an admin to grant the '{module}' close permission to whoever runs the close."
    names = ", ".join(_person(uid, name) for uid, name in allowed)
    return (
        f"Ask {names} to run the close, or ask an admin to grant you the '{module}' close "
        "permission (with your finance manager's approval)."
    )
