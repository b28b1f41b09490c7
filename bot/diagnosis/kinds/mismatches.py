"""``data_mismatch``: a sub-ledger that does not reconcile with the general ledger.

A difference over 0.01 blocks the general ledger, whatever the sub-ledger module's own
status. Who acts: who may close the general ledger (else the accountants), correcting the
entries at the source and rerunning the reconciliation.
"""

from decimal import Decimal
from typing import List, Optional

from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.core.vocabulary import module_words
from bot.diagnosis.kinds.base import (
    BlockerKind,
    CheckContext,
    Finding,
    GuideView,
    Rendered,
    general_ledger_closers,
    listed,
    more_line,
)
from bot.diagnosis.result import Blocker
from bot.diagnosis.status import StatusReading
from bot.diagnosis.wording import label, money
from bot.store.models import Reconciliation

TOLERANCE = Decimal("0.01")
"""A reconciliation difference of exactly this much (or less) does not block."""
TOLERANCE_FLOAT = float(TOLERANCE)  # only for the SQL prefilter on databases without NUMERIC
DATA_MISMATCH_SEVERITY = "high"


def check(ctx: CheckContext) -> List[Finding]:
    """A difference over 0.01 blocks the general ledger, whatever its own module's status.

    The SQL filter is exact on PostgreSQL (NUMERIC). Elsewhere amounts are stored as
    decimal strings, so SQL prefilters with a float margin well below the tolerance
    (never dropping a real mismatch) and the exact Decimal test decides.
    """
    if "general_ledger" not in ctx.path:
        return []
    stmt = (
        select(
            Reconciliation.module, Reconciliation.account,
            Reconciliation.subledger_total, Reconciliation.gl_total,
        )
        .where(
            Reconciliation.company_id == ctx.company.id,
            Reconciliation.period == ctx.period,
            _difference_prefilter(ctx.session),
        )
        .order_by(Reconciliation.account, Reconciliation.module)
    )
    findings = []
    for row in ctx.session.execute(stmt).all():
        if abs(row.subledger_total - row.gl_total) <= TOLERANCE:
            continue
        findings.append(
            Finding(
                kind=DATA_MISMATCH.name,
                module="general_ledger",
                refs=[row.account],
                summary=mismatch_summary(row.module, row.account, row.subledger_total, row.gl_total),
                fix=mismatch_fix(row.module, row.account),
                severity=DATA_MISMATCH_SEVERITY,
                blocks=["general_ledger"],
            )
        )
    return findings


def _difference_prefilter(session: Session) -> ColumnElement:
    sub, gl = Reconciliation.subledger_total, Reconciliation.gl_total
    if session.get_bind().dialect.name == "postgresql":
        return func.abs(sub - gl) > TOLERANCE
    sub_f, gl_f = cast(sub, Float), cast(gl, Float)
    # The float difference is within ~2.2e-16 * (|sub| + |gl|) of the exact one; the margin
    # (ten times that, plus 1e-9) keeps every real mismatch, and drops every row whose
    # difference is clearly within tolerance. Only rows within float noise of exactly 0.01
    # reach Python, where the exact Decimal test rejects them.
    margin = 1e-9 + 2e-15 * (func.abs(sub_f) + func.abs(gl_f))
    return and_(sub != gl, func.abs(sub_f - gl_f) > TOLERANCE_FLOAT - margin)


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


def records(session: Session, company_id: str, period: str, blocker: Blocker,
            status: Optional[StatusReading]) -> list:
    """The reconciliations of the accounts the blocker names, in its order."""
    rows = session.scalars(
        select(Reconciliation).where(
            Reconciliation.company_id == company_id,
            Reconciliation.period == period,
            Reconciliation.account.in_(blocker.refs),
        )
    ).all()
    by_ref = {r.account: r for r in rows}
    return [by_ref[ref] for ref in blocker.refs if ref in by_ref]


def render(view: GuideView) -> Rendered:
    rows = view.records
    lines = []
    for row in rows[:view.limit]:
        diff: Decimal = row.subledger_total - row.gl_total
        side = (f"the sub-ledger is higher: look for {module_words(row.module)} documents not "
                "transferred to the GL" if diff > 0 else
                "the GL is higher: look for entries posted directly in the general ledger")
        lines.append(
            f"Account {row.account} ({label(row.module)} sub-ledger vs general ledger): "
            f"sub-ledger {money(row.subledger_total)}, GL {money(row.gl_total)}, "
            f"difference {money(abs(diff))} ({side})."
        )
    lines += more_line(listed(view), len(rows))
    lines.append("Fix: correct the entries at the source (or post an adjusting entry), then rerun "
                 "the reconciliation.")
    return lines, listed(view), len(rows)


DATA_MISMATCH = BlockerKind(
    name="data_mismatch",
    words=("ledger mismatch", "ledger mismatches"),
    owner_role="accountant",
    prevention="Run an automated comparison of sub-ledgers and the general ledger every week.",
    topic="prevent/reconciliation",
    check=check,
    records=records,
    owners=general_ledger_closers,
    render=render,
)
