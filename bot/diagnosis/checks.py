"""One check per blocker kind: a single SQL query for the modules on the path.

Every filter the contract states runs in SQL on the indexed columns (company, period,
status, ...), so healthy rows (posted orders without issues, settled payments, ...)
are never loaded and the number of statements does not grow with the data. Each
check turns its rows into ``Finding``s: one blocker's worth of records, reported under
the first module of its rule that is on the path, and listing every path module it
blocks (so each of those modules can point at it).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from typing import Any, Callable, Dict, List, Optional, Sequence

from sqlalchemy import Float, and_, cast, func, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from bot.core.vocabulary import JOB_STATUSES, ORDER_STATUSES, PAYMENT_STATUSES, VOUCHER_STATUSES
from bot.diagnosis import advice, severity
from bot.diagnosis.graph import ClosePath
from bot.diagnosis.status import ComponentReading, StatusReading, stale_note
from bot.store.columns import list_contains
from bot.store.models import Component, Job, Order, Payment, Reconciliation, User, Voucher

TOLERANCE = Decimal("0.01")
"""A reconciliation difference of exactly this much (or less) does not block."""
TOLERANCE_FLOAT = float(TOLERANCE)  # only for the SQL prefilter on databases without NUMERIC

ORDER_MODULES = {"sales": "sales", "purchase": "purchasing"}
PAYMENT_LEDGERS = {"in": "receivables", "out": "payables"}

# The statuses that block, named positively. ``status != 'posted'`` cannot seek an index
# (the database reads every healthy row of the period to drop it), while ``status IN
# (...)`` reads only the blocking rows. The loader accepts nothing outside the contract's
# vocabulary, so both filters select the same rows.
ORDER_OPEN_STATUSES = tuple(s for s in ORDER_STATUSES if s not in ("cancelled", "posted"))
PAYMENT_BLOCKING_STATUSES = tuple(s for s in PAYMENT_STATUSES if s not in ("settled", "reversed"))
JOB_BLOCKING_STATUSES = tuple(s for s in JOB_STATUSES if s != "succeeded")
VOUCHER_BLOCKING_STATUSES = tuple(s for s in VOUCHER_STATUSES if s != "posted")


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

    @property
    def owner_role(self) -> str:
        return advice.owner_role(self.kind)


def check_orders(session: Session, company_id: str, period: str, path: ClosePath) -> List[Finding]:
    """Orders block sales/purchasing unless cancelled, or posted with no issues."""
    kinds = [kind for kind, module in ORDER_MODULES.items() if module in path]
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
            .where(Order.company_id == company_id, Order.period == period, Order.kind.in_(kinds), *status_filter)
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
    for kind, group in groupby(session.execute(stmt).all(), key=lambda r: r.kind):
        rows = [_OrderRow(r) for r in group]
        findings.append(
            Finding(
                kind="order_error",
                module=ORDER_MODULES[kind],
                refs=[r.id for r in rows],
                summary=advice.orders_summary(rows),
                fix=advice.orders_fix(rows),
                severity=severity.order_severity(r.issues for r in rows),
                blocks=[ORDER_MODULES[kind]],
            )
        )
    return findings


class _OrderRow:
    """A result row with ``issues`` always a list (NULL reads as no issues)."""

    def __init__(self, row: object) -> None:
        self.__dict__.update(row._mapping)  # type: ignore[attr-defined]
        self.issues = list(self.issues or [])


def check_payments(
    session: Session, company_id: str, period: str, path: ClosePath
) -> List[Finding]:
    """Payments block their ledger and cash unless settled or reversed.

    Reported under the ledger when it is on the path, else under cash; one blocker per
    module and status.
    """
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
            Payment.company_id == company_id,
            Payment.period == period,
            Payment.direction.in_(directions),
            Payment.status.in_(PAYMENT_BLOCKING_STATUSES),
        )
        .order_by(Payment.id)
    )
    groups: Dict[tuple, list] = {}
    for row in session.execute(stmt).all():
        blocks = [m for m in (PAYMENT_LEDGERS[row.direction], "cash") if m in path]
        groups.setdefault((blocks[0], row.status), []).append((row, blocks))
    findings = []
    for (module, status), items in sorted(groups.items(), key=_payment_group_order(path)):
        rows = [row for row, _ in items]
        blocks = list(dict.fromkeys(m for _, bl in items for m in bl))
        findings.append(
            Finding(
                kind="payment_issue",
                module=module,
                refs=[r.id for r in rows],
                summary=advice.payments_summary(rows),
                fix=advice.payments_fix(status, rows),
                severity=severity.payment_severity(status),
                blocks=blocks,
            )
        )
    return findings


def _payment_group_order(path: ClosePath) -> Callable[[tuple], tuple]:
    def key(item: tuple) -> tuple:
        (module, status), _ = item
        order = PAYMENT_STATUSES.index(status) if status in PAYMENT_STATUSES else 99
        return (path.index(module), order)

    return key


def check_jobs(session: Session, company_id: str, period: str, path: ClosePath) -> List[Finding]:
    """Batch jobs block their module unless they succeeded; one blocker per module and state."""
    stmt = (
        select(Job.id, Job.name, Job.module, Job.status, Job.error, Job.finished_at)
        .where(
            Job.company_id == company_id,
            Job.period == period,
            Job.module.in_(path.modules),
            Job.status.in_(JOB_BLOCKING_STATUSES),
        )
        .order_by(Job.id)
    )
    groups: Dict[tuple, list] = {}
    for row in session.execute(stmt).all():
        groups.setdefault((row.module, row.status), []).append(row)

    def order(key: tuple) -> tuple:
        module, status = key
        return (path.index(module), JOB_STATUSES.index(status) if status in JOB_STATUSES else 99)

    return [
        Finding(
            kind="job_failed",
            module=module,
            refs=[r.id for r in rows],
            summary=advice.jobs_summary(rows),
            fix=advice.jobs_fix(status, rows),
            severity=severity.job_severity(status),
            blocks=[module],
        )
        for (module, status), rows in sorted(groups.items(), key=lambda kv: order(kv[0]))
    ]


def check_vouchers(
    session: Session, company_id: str, period: str, path: ClosePath
) -> List[Finding]:
    """Vouchers block the general ledger unless posted; all of them in one blocker."""
    if "general_ledger" not in path:
        return []
    stmt = (
        select(Voucher.id, Voucher.status, Voucher.amount)
        .where(
            Voucher.company_id == company_id,
            Voucher.period == period,
            Voucher.status.in_(VOUCHER_BLOCKING_STATUSES),
        )
        .order_by(Voucher.id)
    )
    rows = session.execute(stmt).all()
    if not rows:
        return []
    return [
        Finding(
            kind="voucher_unposted",
            module="general_ledger",
            refs=[r.id for r in rows],
            summary=advice.vouchers_summary(rows),
            fix=advice.vouchers_fix(rows),
            severity=severity.voucher_severity(r.status for r in rows),
            blocks=["general_ledger"],
        )
    ]


def check_reconciliations(
    session: Session, company_id: str, period: str, path: ClosePath
) -> List[Finding]:
    """A difference over 0.01 blocks the general ledger, whatever its own module's status.

    The SQL filter is exact on PostgreSQL (NUMERIC). Elsewhere amounts are stored as
    decimal strings, so SQL prefilters with a float margin well below the tolerance
    (never dropping a real mismatch) and the exact Decimal test decides.
    """
    if "general_ledger" not in path:
        return []
    stmt = (
        select(
            Reconciliation.module, Reconciliation.account,
            Reconciliation.subledger_total, Reconciliation.gl_total,
        )
        .where(
            Reconciliation.company_id == company_id,
            Reconciliation.period == period,
            _difference_prefilter(session),
        )
        .order_by(Reconciliation.account, Reconciliation.module)
    )
    findings = []
    for row in session.execute(stmt).all():
        if abs(row.subledger_total - row.gl_total) <= TOLERANCE:
            continue
        findings.append(
            Finding(
                kind="data_mismatch",
                module="general_ledger",
                refs=[row.account],
                summary=advice.mismatch_summary(
                    row.module, row.account, row.subledger_total, row.gl_total
                ),
                fix=advice.mismatch_fix(row.module, row.account),
                severity=severity.DATA_MISMATCH_SEVERITY,
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


def check_components(session: Session, path: ClosePath,
                     status: Optional[StatusReading] = None) -> List[Finding]:
    """Non-operational components block every path module they affect (all companies).

    One blocker per component, under the first module of ``affects`` on the path. The
    store's components and a status page's (``status``) are checked alike; when both have a
    component of the same id, the status page's (the live source) is the one reported. Components of a stale
    reading (the page cannot be read now) still block, their summary labelled stale.
    """
    if not path.modules:
        return []
    live = {c.id: c for c in (status.components if status else [])}
    stmt = (
        select(
            Component.id, Component.name, Component.status, Component.affects,
            Component.message, Component.maintenance_until,
        )
        .where(
            Component.status != "operational",
            or_(*(list_contains(Component.affects, m) for m in path.modules)),
        )
        .order_by(Component.id)
    )
    findings = [
        finding
        for row in session.execute(stmt).all()
        if row.id not in live
        for finding in _component_finding(row, path)
    ]
    note = stale_note(status) if status is not None and status.stale else None
    for reading in sorted(live.values(), key=lambda c: c.id):
        if not reading.operational:
            findings += _component_finding(reading, path, note, incident_link(reading))
    return findings


def _component_finding(c: Any, path: ClosePath, note: Optional[str] = None,
                       incident: Optional[str] = None) -> List[Finding]:
    """The blocker for one component (a store row or a status-page reading), if it blocks the path."""
    affects = list(c.affects or [])
    blocks = list(dict.fromkeys(m for m in affects if m in path))
    if not blocks:
        return []
    name = c.name or c.id
    return [
        Finding(
            kind="system_fault",
            module=blocks[0],
            refs=[c.id],
            summary=advice.component_summary(name, c.status, affects, c.message, c.maintenance_until,
                                             c.id, note),
            fix=advice.component_fix(name, c.status, c.maintenance_until, incident),
            severity=severity.component_severity(c.status),
            blocks=blocks,
        )
    ]


def incident_link(reading: ComponentReading) -> Optional[str]:
    """Where to follow the component's first open incident (its shortlink, else its name)."""
    if not reading.incidents:
        return None
    first = reading.incidents[0]
    return f"“{first.name}”" + (f" at {first.shortlink}" if first.shortlink else "")


def run_checks(
    session: Session, company_id: str, period: str, path: ClosePath,
    status: Optional[StatusReading] = None,
) -> List[Finding]:
    """Every record-level blocker on the path: one query per record kind (and the status
    page's components, already read, when one is configured)."""
    found: List[Finding] = []
    found += check_components(session, path, status)
    found += check_orders(session, company_id, period, path)
    found += check_payments(session, company_id, period, path)
    found += check_jobs(session, company_id, period, path)
    found += check_vouchers(session, company_id, period, path)
    found += check_reconciliations(session, company_id, period, path)
    return found


def refs_of(findings: Sequence[Finding]) -> List[str]:
    """Every record id the findings name (handy for tests and ticket texts)."""
    return [ref for f in findings for ref in f.refs]
