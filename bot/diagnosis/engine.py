"""Diagnose why a module cannot close: the scenario contract's rules, in a fixed number of queries.

``diagnose`` validates its inputs (unknown company, module, user or a bad period raise
``NotFoundError``), walks the not-closed modules the target depends on, runs each blocker
kind's check over them (one SQL query each, :mod:`bot.diagnosis.kinds`), and assembles the
blockers: root causes first, then
one ``module_not_closed`` blocker per not-closed dependency, dependencies before the
modules waiting on them, so every ``caused_by`` index points at an earlier blocker.
"""

import re
from datetime import datetime
from typing import Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.errors import NotFoundError
from bot.core.vocabulary import MODULES, PERIOD_PATTERN, effective_dependencies
from bot.diagnosis import severity
from bot.diagnosis.graph import ClosePath, close_path
from bot.diagnosis.kinds import KINDS, kind_words
from bot.diagnosis.kinds.base import CheckContext, Finding
from bot.diagnosis.kinds.modules import (
    EARLIER_PERIOD_SEVERITY,
    MODULE_NOT_CLOSED,
    earlier_periods_fix,
    earlier_periods_summary,
    module_fix,
    module_severity,
    module_summary,
)
from bot.diagnosis.result import Blocker, Diagnosis
from bot.diagnosis.status import StatusSource, read_status
from bot.diagnosis.wording import label
from bot.store.models import Company, ModuleState, User

PERIOD_RE = re.compile(PERIOD_PATTERN)


def diagnose(
    session: Session,
    company_id: str,
    *,
    period: Optional[str] = None,
    module: str = "general_ledger",
    user_id: Optional[str] = None,
    now: Optional[datetime] = None,
    status: Optional[StatusSource],
) -> Diagnosis:
    """Why ``module`` of ``company_id`` cannot close for ``period`` (default: current period).

    ``status`` is where system components come from besides the store: the configured status
    page (``bot.integrations.statuspage.status_source()``), or ``None`` for the store alone;
    every caller says which. A status page that cannot be read never stops the diagnosis:
    ``system_status`` says so.
    """
    company = session.get(Company, company_id)
    if company is None:
        raise NotFoundError(f"unknown company '{company_id}'")
    if module not in MODULES:
        raise NotFoundError(f"unknown module '{module}' (one of {', '.join(MODULES)})")
    period = period or company.current_period
    if not isinstance(period, str) or not PERIOD_RE.match(period):
        raise NotFoundError(f"bad period '{period}' (expected YYYY-MM)")
    user = None
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"unknown user '{user_id}'")
        if user.company_id != company.id:
            raise NotFoundError(
                f"user '{user_id}' belongs to company {user.company_id}, not {company.id}"
            )

    rows = session.execute(
        select(ModuleState.module, ModuleState.status, ModuleState.message).where(
            ModuleState.company_id == company.id, ModuleState.period == period
        )
    ).all()
    states: Dict[str, Tuple[str, Optional[str]]] = {r.module: (r.status, r.message) for r in rows}
    if module not in states:
        raise NotFoundError(f"{company.id} has no {module} state for {period}")
    target_status, target_message = states[module]
    result = Diagnosis(
        company=company.id,
        period=period,
        module=module,
        target_status=target_status,
        target_message=target_message,
        deadline=company.close_deadline.isoformat() if company.close_deadline else None,
    )
    if target_status == "closed":
        return result

    levels = severity.deadline_levels(company.close_deadline, now)
    statuses = {m: status for m, (status, _) in states.items()}
    path = close_path(module, statuses, effective_dependencies(company.depends_on))
    result.system_status = read_status(status)
    context = CheckContext(session, company, period, path, result.system_status, user)
    findings = [finding for kind in KINDS.values() if kind.check is not None for finding in kind.check(context)]

    roots: List[Blocker] = []
    earlier = _earlier_periods(session, company.id, period, module)
    if earlier:
        roots.append(
            Blocker(
                kind=MODULE_NOT_CLOSED.name,
                module=module,
                refs=earlier,
                summary=earlier_periods_summary(module, earlier),
                fix=earlier_periods_fix(module, earlier),
                owner_role=MODULE_NOT_CLOSED.owner_role,
                severity=severity.raise_by(EARLIER_PERIOD_SEVERITY, levels),
            )
        )
    ordered = sorted(enumerate(findings), key=lambda p: (path.index(p[1].module), p[0]))
    finding_index: Dict[int, int] = {}
    for original, finding in ordered:
        finding_index[original] = len(roots)
        roots.append(_finding_blocker(finding, levels))

    blockers = roots
    _add_module_blockers(blockers, path, states, findings, finding_index, period, levels)
    result.blockers = blockers
    return result


def _finding_blocker(finding: Finding, levels: int) -> Blocker:
    return Blocker(
        kind=finding.kind,
        module=finding.module,
        refs=list(finding.refs),
        summary=finding.summary,
        fix=finding.fix,
        owner_role=KINDS[finding.kind].owner_role,
        severity=severity.raise_by(finding.severity, levels),
    )


def _add_module_blockers(
    blockers: List[Blocker],
    path: ClosePath,
    states: Dict[str, Tuple[str, Optional[str]]],
    findings: List[Finding],
    finding_index: Dict[int, int],
    period: str,
    levels: int,
) -> None:
    """One ``module_not_closed`` per not-closed dependency: the causeless ones among the
    root causes, the others after, dependencies first."""
    deps = path.dependencies
    record_causes = {
        m: [finding_index[i] for i, f in enumerate(findings) if m in f.blocks] for m in deps
    }
    causeless = [m for m in deps if not record_causes[m] and not path.depends.get(m)]
    waiting = [m for m in deps if m not in causeless]  # already dependencies first
    index: Dict[str, int] = {}
    for m in causeless + waiting:
        causes = sorted(set(record_causes[m] + [index[d] for d in path.depends.get(m, [])]))
        status, message = states[m]
        index[m] = len(blockers)
        blockers.append(
            Blocker(
                kind=MODULE_NOT_CLOSED.name,
                module=m,
                refs=[m],
                summary=module_summary(m, period, status, message, len(causes)),
                fix=module_fix(m, period, status, [_cause_name(blockers[i]) for i in causes]),
                owner_role=MODULE_NOT_CLOSED.owner_role,
                severity=module_severity(status, [blockers[i].severity for i in causes], levels),
                caused_by=causes,
            )
        )


def _cause_name(blocker: Blocker) -> str:
    if blocker.kind == MODULE_NOT_CLOSED.name:
        return f"the {label(blocker.module)} close"
    return ", ".join(blocker.refs) or kind_words(blocker.kind)


def _earlier_periods(session: Session, company_id: str, period: str, module: str) -> List[str]:
    stmt = (
        select(ModuleState.period)
        .where(
            ModuleState.company_id == company_id,
            ModuleState.module == module,
            ModuleState.period < period,
            ModuleState.status != "closed",
        )
        .order_by(ModuleState.period)
    )
    return list(session.scalars(stmt).all())

