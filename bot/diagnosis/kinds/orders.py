"""``order_error``: a sales or purchase order that is not posted cleanly.

An order blocks its module (sales or purchasing) unless it is cancelled, or posted with no
issues. Who acts: the order's owner (else the employees), fixing the data with the customer
or supplier when it is wrong, or taking the approval or posting step that is missing.
"""

from decimal import Decimal
from itertools import groupby
from typing import Iterable, List, Optional, Protocol, Sequence

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from bot.core.text import count
from bot.core.vocabulary import ORDER_STATUSES
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
from bot.diagnosis.result import Blocker
from bot.diagnosis.wording import money, sentences
from bot.people.directory import Person, person_text
from bot.store.models import Order, User

ORDER_MODULES = {"sales": "sales", "purchase": "purchasing"}
# The statuses that block, named positively: ``status IN (...)`` reads only the blocking rows
# of the index, ``status != 'posted'`` every healthy row of the period.
ORDER_OPEN_STATUSES = tuple(s for s in ORDER_STATUSES if s not in ("cancelled", "posted"))
# Issues that need someone to correct data (price, quantity, invoice, stock) are harder
# than an order that only needs its approval or posting.
HARD_ORDER_ISSUES = frozenset(
    {"missing_price", "invalid_quantity", "missing_counterparty", "invoice_mismatch", "negative_stock"}
)

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


# ---- the check -----------------------------------------------------------------------------------


def check(ctx: CheckContext) -> List[Finding]:
    """Orders block sales/purchasing unless cancelled, or posted with no issues."""
    kinds = [kind for kind, module in ORDER_MODULES.items() if module in ctx.path]
    if not kinds:
        return []

    def blocking(*status_filter: ColumnElement) -> Select:
        return (
            select(
                # Labelled: SQLite matches a UNION's ORDER BY against output names.
                Order.id.label("id"), Order.kind.label("kind"), Order.status, Order.issues, Order.amount,
                Order.currency, Order.owner_id, User.name.label("owner_name"),
            )
            .outerjoin(User, User.id == Order.owner_id)
            .where(Order.company_id == ctx.company.id, Order.period == ctx.period, Order.kind.in_(kinds),
                   *status_filter)
        )

    # Not cancelled, and not posted without issues, as two index ranges in one statement:
    # open statuses, and posted with ``issues > ''``. Written as one OR, SQLite's planner
    # reads every order of the period instead (posted rows are nearly all of them).
    both = union_all(
        blocking(Order.status.in_(ORDER_OPEN_STATUSES)),
        blocking(Order.status == "posted", Order.issues > []),
    )
    stmt = both.order_by(both.selected_columns.kind, both.selected_columns.id)
    findings = []
    for kind, group in groupby(ctx.session.execute(stmt).all(), key=lambda r: r.kind):
        rows = [_OrderRow(r) for r in group]
        findings.append(
            Finding(
                kind=ORDER_ERROR.name,
                module=ORDER_MODULES[kind],
                refs=[r.id for r in rows],
                summary=orders_summary(rows),
                fix=orders_fix(rows),
                severity=order_severity(r.issues for r in rows),
                blocks=[ORDER_MODULES[kind]],
            )
        )
    return findings


class _OrderRow:
    """A result row with ``issues`` always a list (NULL reads as no issues)."""

    def __init__(self, row: object) -> None:
        self.__dict__.update(row._mapping)  # type: ignore[attr-defined]
        self.issues = list(self.issues or [])


def order_severity(issue_lists: Iterable[Iterable[str]]) -> str:
    """High when an order needs its data corrected, medium when it only needs a step."""
    return "high" if any(HARD_ORDER_ISSUES.intersection(i) for i in issue_lists) else "medium"


# ---- wording -------------------------------------------------------------------------------------


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
        owner = person_text(row.owner_id, row.owner_name)
        extra = f" (owner {owner})" if owner else ""
        amount = f" ({money(row.amount, row.currency)})" if row.amount is not None else ""
        problem = order_problem(row.kind, row.status, row.issues)
        parts.append(f"{noun}{row.id}{amount} {problem}{extra}")
    return sentences(parts)


def orders_fix(rows: Sequence[OrderFacts]) -> str:
    parts = []
    for row in rows:
        owner = person_text(row.owner_id, row.owner_name)
        who = f"{owner}: " if owner else ""
        parts.append(f"{row.id} — {who}{order_fix_steps(row.kind, row.status, row.issues)}")
    return sentences(parts) + "."


# ---- the guided fix ------------------------------------------------------------------------------


def owners(session: Session, company_id: str, blocker: Blocker, rows: Sequence) -> List[Person]:
    return record_owners(session, company_id, rows, ORDER_ERROR.owner_role)


def render(view: GuideView) -> Rendered:
    rows = view.records
    noun = "sales order" if rows[0].kind == "sales" else "purchase order"
    lines = [f"{count(len(rows), noun)} need{'s' if len(rows) == 1 else ''} fixing:"]
    for row in rows[:view.limit]:
        party = f", {row.counterparty}" if row.counterparty else ""
        owner = f" Owner: {view.who(row.owner_id)}." if row.owner_id else " No owner on record."
        lines.append(
            f"• {row.id} ({money(row.amount, row.currency)}{party}) "
            f"{order_problem(row.kind, row.status, row.issues or [])}.{owner}\n"
            f"  Fix: {order_fix_steps(row.kind, row.status, row.issues or [])}."
        )
    return lines + more_line(listed(view), len(rows)), listed(view), len(rows)


ORDER_ERROR = BlockerKind(
    name="order_error",
    words=("order error", "order errors"),
    owner_role="employee",
    prevention=("Review orders before submitting them (price, quantity, customer or supplier), "
                "and reconcile business against finance data on a schedule."),
    topic="get_help/customer_supplier",
    check=check,
    records=rows_by_id(Order),
    owners=owners,
    render=render,
)
