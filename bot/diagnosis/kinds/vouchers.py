"""``voucher_unposted``: a general-ledger voucher of the period that is not posted.

Vouchers block the general ledger unless posted, all of them in one blocker. Who acts: who
may close the general ledger (else the accountants): have drafts approved, then post.
"""

from decimal import Decimal
from typing import Iterable, List, Optional, Protocol, Sequence

from sqlalchemy import select

from bot.core.text import count, join_ids
from bot.core.vocabulary import VOUCHER_STATUSES
from bot.diagnosis.kinds.base import (
    BlockerKind,
    CheckContext,
    Finding,
    GuideView,
    Rendered,
    general_ledger_closers,
    listed,
    more_line,
    rows_by_id,
)
from bot.diagnosis.severity import highest
from bot.diagnosis.wording import money, sentences
from bot.store.models import Voucher

VOUCHER_BLOCKING_STATUSES = tuple(s for s in VOUCHER_STATUSES if s != "posted")
VOUCHER_SEVERITY = {"draft": "high", "approved": "medium"}


class VoucherFacts(Protocol):
    id: str
    status: str
    amount: Optional[Decimal]


def check(ctx: CheckContext) -> List[Finding]:
    """Vouchers block the general ledger unless posted; all of them in one blocker."""
    if "general_ledger" not in ctx.path:
        return []
    stmt = (
        select(Voucher.id, Voucher.status, Voucher.amount)
        .where(
            Voucher.company_id == ctx.company.id,
            Voucher.period == ctx.period,
            Voucher.status.in_(VOUCHER_BLOCKING_STATUSES),
        )
        .order_by(Voucher.id)
    )
    rows = ctx.session.execute(stmt).all()
    if not rows:
        return []
    return [
        Finding(
            kind=VOUCHER_UNPOSTED.name,
            module="general_ledger",
            refs=[r.id for r in rows],
            summary=vouchers_summary(rows),
            fix=vouchers_fix(rows),
            severity=voucher_severity(r.status for r in rows),
            blocks=["general_ledger"],
        )
    ]


def voucher_severity(statuses: Iterable[str]) -> str:
    return highest((VOUCHER_SEVERITY.get(s, "high") for s in statuses), default="medium")


def vouchers_summary(rows: Sequence[VoucherFacts]) -> str:
    """``Voucher V-2026-11-0087 (1,200.00) is a draft, not posted``."""
    parts = []
    for n, row in enumerate(rows):
        noun = "Voucher " if n == 0 else ""
        amount = f" ({money(row.amount)})" if row.amount is not None else ""
        state = "is a draft" if row.status == "draft" else f"is {row.status}"
        parts.append(f"{noun}{row.id}{amount} {state}, not posted")
    return sentences(parts)


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
    return sentences(steps) + "."


def render(view: GuideView) -> Rendered:
    rows = view.records
    lines = [f"{count(len(rows), 'voucher')} not posted hold{'s' if len(rows) == 1 else ''} up the "
             "general ledger:"]
    for row in rows[:view.limit]:
        amount = f" ({money(row.amount)})" if row.amount is not None else ""
        step = ("complete it, have it approved (not by its preparer), then post it"
                if row.status == "draft" else "post it")
        state = "is a draft" if row.status == "draft" else f"is {row.status}"
        lines.append(f"• {row.id}{amount} {state}: {step}.")
    return lines + more_line(listed(view), len(rows)), listed(view), len(rows)


VOUCHER_UNPOSTED = BlockerKind(
    name="voucher_unposted",
    words=("unposted voucher", "unposted vouchers"),
    owner_role="accountant",
    prevention="Audit and post vouchers weekly instead of all on the last day.",
    topic="prevent/close_procedure",
    check=check,
    records=rows_by_id(Voucher),
    owners=general_ledger_closers,
    render=render,
)
