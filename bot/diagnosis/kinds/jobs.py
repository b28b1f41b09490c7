"""``job_failed``: a batch job of the period that did not succeed (failed, running, pending).

A job blocks its module unless it succeeded. Who acts: the helpdesk (IT), fixing the cause
in the error and rerunning it; a job waiting on a down system is moot until it is back.
"""

from datetime import datetime
from typing import Dict, List, Optional, Protocol, Sequence

from sqlalchemy import select

from bot.core.text import join_ids
from bot.core.vocabulary import JOB_STATUSES, module_words
from bot.diagnosis.kinds.base import (
    BlockerKind,
    CheckContext,
    Finding,
    GuideView,
    Rendered,
    helpdesk,
    listed,
    more_line,
    rows_by_id,
)
from bot.diagnosis.wording import sentences, when
from bot.store.models import Job

JOB_BLOCKING_STATUSES = tuple(s for s in JOB_STATUSES if s != "succeeded")
JOB_SEVERITY = {"failed": "high", "pending": "medium", "running": "medium"}
#: What a failed job's error usually means.
JOB_HINTS = {
    "ora-00054": "another session holds a lock on the table: ask IT to find and end it, or rerun it out of hours",
    "deadlock": "two jobs collided: rerun it alone",
    "timeout": "it ran out of time: rerun it out of hours or ask IT to raise the limit",
    "space": "the database ran out of space: IT must extend it before the rerun",
}


class JobFacts(Protocol):
    id: str
    name: str
    status: str
    error: Optional[str]
    finished_at: Optional[datetime]


def check(ctx: CheckContext) -> List[Finding]:
    """Batch jobs block their module unless they succeeded; one blocker per module and state."""
    path = ctx.path
    stmt = (
        select(Job.id, Job.name, Job.module, Job.status, Job.error, Job.finished_at)
        .where(
            Job.company_id == ctx.company.id,
            Job.period == ctx.period,
            Job.module.in_(path.modules),
            Job.status.in_(JOB_BLOCKING_STATUSES),
        )
        .order_by(Job.id)
    )
    groups: Dict[tuple, list] = {}
    for row in ctx.session.execute(stmt).all():
        groups.setdefault((row.module, row.status), []).append(row)

    def order(key: tuple) -> tuple:
        module, status = key
        return (path.index(module), JOB_STATUSES.index(status) if status in JOB_STATUSES else 99)

    return [
        Finding(
            kind=JOB_FAILED.name,
            module=module,
            refs=[r.id for r in rows],
            summary=jobs_summary(rows),
            fix=jobs_fix(status, rows),
            severity=JOB_SEVERITY.get(status, "high"),
            blocks=[module],
        )
        for (module, status), rows in sorted(groups.items(), key=lambda kv: order(kv[0]))
    ]


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
    return sentences(
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


def render(view: GuideView) -> Rendered:
    rows = view.records
    lines = []
    for row in rows[:view.limit]:
        lines.append(f"Batch job {row.id} '{row.name}' ({module_words(row.module)}) "
                     f"{job_problem(row.status, row.error, row.finished_at)}.")
        hint = next((h for word, h in JOB_HINTS.items() if word in (row.error or "").lower()), None)
        if hint:
            lines.append(f"What it means: {hint}.")
    lines += more_line(listed(view), len(rows))
    lines.append(f"Fix: {view.blocker.fix}")
    return lines, listed(view), len(rows)


JOB_FAILED = BlockerKind(
    name="job_failed",
    words=("failed batch job", "failed batch jobs"),
    owner_role="helpdesk",
    prevention="Monitor batch jobs and alert on failure the same day, not at close time.",
    topic="prevent/emergency_plan",
    check=check,
    records=rows_by_id(Job),
    owners=helpdesk,
    render=render,
)
