"""``payment_issue``: a payment not settled (pending, failed or unmatched).

A payment blocks its ledger (receivables for money in, payables for money out) and cash,
unless settled or reversed. Who acts: whoever handles it (else the accountants), checking
with the bank or wallet, re-initiating, or matching it to its invoice.
"""

from decimal import Decimal
from typing import Callable, Dict, List, Optional, Protocol, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.text import count, join_ids, lower_first
from bot.core.vocabulary import PAYMENT_STATUSES
from bot.diagnosis.graph import ClosePath
from bot.diagnosis.kinds.base import (
    BlockerKind,
    CheckContext,
    Finding,
    GuideView,
    Rendered,
    listed,
    more_line,
    record_owners,
    rows_by_id,
)
from bot.diagnosis.kinds.components import COMPONENT_STATES, down_components
from bot.diagnosis.result import Blocker, Diagnosis
from bot.diagnosis.wording import money, sentences
from bot.people.directory import Person, person_text
from bot.store.models import Payment, User

PAYMENT_LEDGERS = {"in": "receivables", "out": "payables"}
# Named positively, so the index is read for the blocking rows only (see orders).
PAYMENT_BLOCKING_STATUSES = tuple(s for s in PAYMENT_STATUSES if s not in ("settled", "reversed"))
PAYMENT_SEVERITY = {"failed": "high", "unmatched": "high", "pending": "medium"}

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


# ---- the check -----------------------------------------------------------------------------------


def check(ctx: CheckContext) -> List[Finding]:
    """Payments block their ledger and cash unless settled or reversed.

    Reported under the ledger when it is on the path, else under cash; one blocker per
    module and status.
    """
    path = ctx.path
    directions = [d for d, ledger in PAYMENT_LEDGERS.items() if ledger in path or "cash" in path]
    if not directions:
        return []
    stmt = (
        select(
            Payment.id, Payment.direction, Payment.method, Payment.status, Payment.amount,
            Payment.currency, Payment.order_id, Payment.failure_reason, Payment.owner_id,
            User.name.label("owner_name"),
        )
        .outerjoin(User, User.id == Payment.owner_id)
        .where(
            Payment.company_id == ctx.company.id,
            Payment.period == ctx.period,
            Payment.direction.in_(directions),
            Payment.status.in_(PAYMENT_BLOCKING_STATUSES),
        )
        .order_by(Payment.id)
    )
    groups: Dict[tuple, list] = {}
    for row in ctx.session.execute(stmt).all():
        blocks = [m for m in (PAYMENT_LEDGERS[row.direction], "cash") if m in path]
        groups.setdefault((blocks[0], row.status), []).append((row, blocks))
    findings = []
    for (module, status), items in sorted(groups.items(), key=_group_order(path)):
        rows = [row for row, _ in items]
        blocks = list(dict.fromkeys(m for _, bl in items for m in bl))
        findings.append(
            Finding(
                kind=PAYMENT_ISSUE.name,
                module=module,
                refs=[r.id for r in rows],
                summary=payments_summary(rows),
                fix=payments_fix(status, rows),
                severity=PAYMENT_SEVERITY.get(status, "high"),
                blocks=blocks,
            )
        )
    return findings


def _group_order(path: ClosePath) -> Callable[[tuple], tuple]:
    def key(item: tuple) -> tuple:
        (module, status), _ = item
        order = PAYMENT_STATUSES.index(status) if status in PAYMENT_STATUSES else 99
        return (path.index(module), order)

    return key


# ---- wording -------------------------------------------------------------------------------------


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
        owner = person_text(row.owner_id, row.owner_name)
        extra = f" (handled by {owner})" if owner else ""
        problem = payment_problem(row.status, row.method, row.direction, row.order_id, row.failure_reason)
        parts.append(
            f"{payment_label(row.direction, row.method)} {row.id} "
            f"({money(row.amount, row.currency)}) {problem}{extra}"
        )
    return sentences(parts)


def payments_fix(status: str, rows: Sequence[PaymentFacts]) -> str:
    ids = join_ids([r.id for r in rows])
    if status == "pending":
        checks = list(dict.fromkeys(PENDING_CHECK.get(r.method, "check with the provider") for r in rows))
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


# ---- the guided fix ------------------------------------------------------------------------------


def owners(session: Session, company_id: str, blocker: Blocker, rows: Sequence) -> List[Person]:
    return record_owners(session, company_id, rows, PAYMENT_ISSUE.owner_role)


def render(view: GuideView) -> Rendered:
    rows = view.records
    lines = [f"{count(len(rows), 'payment')} not settled:"]
    for row in rows[:view.limit]:
        order = f" for {row.order_id}" if row.order_id else ""
        problem = payment_problem(row.status, row.method, row.direction, row.order_id, row.failure_reason)
        reason = f" ({row.failure_reason})" if row.status == "pending" and row.failure_reason else ""
        owner = f" Handled by {view.who(row.owner_id)}." if row.owner_id else ""
        lines.append(
            f"• {row.id} {lower_first(payment_label(row.direction, row.method))} "
            f"{money(row.amount, row.currency)}{order} {problem}{reason}.{owner}"
        )
    lines += more_line(listed(view), len(rows))
    for status, method in dict.fromkeys((r.status, r.method) for r in rows):
        group = [r for r in rows if (r.status, r.method) == (status, method)]
        lines.append(_advice(status, method, group))
    lines += _moot(view.session, view.diagnosis, view.blocker, rows)
    return lines, listed(view), len(rows)


def _advice(status: str, method: str, rows: Sequence) -> str:
    ids = join_ids([r.id for r in rows])
    if status == "pending":
        return (f"Check ({ids}): {PENDING_CHECK.get(method, 'check with the provider')}; "
                f"record it as settled once it is. Re-initiate only "
                f"{REINITIATE_AFTER.get(method, 'if the provider confirms it was rejected')}.")
    if status == "failed":
        reasons = " ".join((r.failure_reason or "").lower() for r in rows)
        hint = next((h for word, h in FAILURE_HINTS.items() if word in reasons), "find out why from the provider")
        return (f"Re-initiate ({ids}): {hint}, then re-initiate the payment and reverse the failed "
                "entry so it is not counted twice.")
    if status == "unmatched":
        ledger = "receivables" if rows[0].direction == "in" else "payables"
        party = "payer" if rows[0].direction == "in" else "payee"
        amounts = ", ".join(money(r.amount, r.currency) for r in rows)
        return (f"Match ({ids}): in {ledger}, look for the open invoice or order with the same amount "
                f"({amounts}), the {party}'s name or the reference in the remark, and apply it there. "
                f"No match: park it on the suspense account and ask the {party}.")
    return f"{ids}: settle or reverse it."


def _moot(session: Session, d: Diagnosis, b: Blocker, rows: Sequence) -> List[str]:
    """A down component on the payments' ledgers makes chasing them pointless for now."""
    if not any(r.status == "pending" for r in rows):
        return []
    ledgers = {b.module, "cash"}
    down = [c for c in down_components(session, d) if ledgers & set(c.affects or [])]
    return [f"⚠️ {c.name} ({c.id}) {COMPONENT_STATES.get(c.status, c.status)}: pending "
            "payments cannot settle until it recovers, so chasing them before that is moot."
            for c in down[:1]]


PAYMENT_ISSUE = BlockerKind(
    name="payment_issue",
    words=("payment issue", "payment issues"),
    owner_role="accountant",
    prevention=("Keep payment methods simple, confirm settlement with the bank before month end, "
                "and match receipts to their orders as they arrive."),
    topic="prevent/reconciliation",
    check=check,
    records=rows_by_id(Payment),
    owners=owners,
    render=render,
)
