"""``system_fault``: a system component (bank gateway, ERP database, ...) that is not operational.

A component blocks every module on the path it affects, for every company. Its status comes
from the store and, when one is configured, from the status page (which wins on an id; a
stale reading still blocks, labelled). Nothing to correct in the data: the helpdesk follows
the outage, and payments and jobs that wait on it are moot until it is back.
"""

from datetime import datetime
from typing import Any, List, Optional, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.core.text import join_ids
from bot.core.vocabulary import MODULES, module_words
from bot.diagnosis.graph import ClosePath
from bot.diagnosis.kinds.base import BlockerKind, CheckContext, Finding, GuideView, Rendered, helpdesk
from bot.diagnosis.result import Blocker, Diagnosis
from bot.diagnosis.status import ComponentReading, Incident, StatusReading, age_text, stale_note
from bot.diagnosis.wording import when
from bot.store.columns import list_contains
from bot.store.models import Component, ModuleState

COMPONENT_SEVERITY = {
    "major_outage": "critical",
    "partial_outage": "high",
    "under_maintenance": "high",
    "degraded_performance": "medium",
    "operational": "low",
}
COMPONENT_STATES = {
    "major_outage": "is down (major outage)",
    "partial_outage": "is in a partial outage",
    "degraded_performance": "is degraded (slow)",
    "under_maintenance": "is under maintenance",
}
#: Kinds whose fix cannot go through while a component they depend on is down.
WAITS_ON_SYSTEMS = ("payment_issue", "job_failed")


# ---- the check -----------------------------------------------------------------------------------


def check(ctx: CheckContext) -> List[Finding]:
    """Non-operational components block every path module they affect (all companies).

    One blocker per component, under the first module of ``affects`` on the path. The
    store's components and a status page's are checked alike; when both have a component of
    the same id, the status page's (the live source) is the one reported. Components of a
    stale reading (the page cannot be read now) still block, their summary labelled stale.
    """
    path, status = ctx.path, ctx.status
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
        for row in ctx.session.execute(stmt).all()
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
            kind=SYSTEM_FAULT.name,
            module=blocks[0],
            refs=[c.id],
            summary=component_summary(name, c.status, affects, c.message, c.maintenance_until, c.id, note),
            fix=component_fix(name, c.status, c.maintenance_until, incident),
            severity=COMPONENT_SEVERITY.get(c.status, "high"),
            blocks=blocks,
        )
    ]


def incident_link(reading: ComponentReading) -> Optional[str]:
    """Where to follow the component's first open incident (its shortlink, else its name)."""
    if not reading.incidents:
        return None
    first = reading.incidents[0]
    return f"“{first.name}”" + (f" at {first.shortlink}" if first.shortlink else "")


# ---- wording -------------------------------------------------------------------------------------


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


# ---- the guided fix ------------------------------------------------------------------------------


def records(session: Session, company_id: str, period: str, blocker: Blocker,
            status: Optional[StatusReading]) -> list:
    """The blocker's component: the status page's reading of it (the diagnosis used it), else
    the store's row (components are shared by every company)."""
    by_ref = {r.id: r for r in session.scalars(select(Component).where(Component.id.in_(blocker.refs))).all()}
    if status is not None:
        by_ref.update({c.id: c for c in status.components if c.id in blocker.refs})
    return [by_ref[ref] for ref in blocker.refs if ref in by_ref]


def down_components(session: Session, d: Diagnosis) -> list:
    """The store's components that are not operational, and the status page's (it wins on an id)."""
    live = {c.id: c for c in (d.system_status.components if d.system_status else []) if not c.operational}
    stored = session.scalars(select(Component).where(Component.status != "operational")
                             .order_by(Component.id)).all()
    return sorted([c for c in stored if c.id not in live] + list(live.values()), key=lambda c: c.id)


def render(view: GuideView) -> Rendered:
    session, d, b, rows = view.session, view.diagnosis, view.blocker, view.records
    c = rows[0]
    state = COMPONENT_STATES.get(c.status, c.status.replace("_", " "))
    msg = f": {c.message}" if c.message else ""
    window = (f"maintenance planned until {when(c.maintenance_until)}" if c.maintenance_until
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
    moot = [x for x in d.root_causes if x is not b and x.kind in WAITS_ON_SYSTEMS and x.module in affected]
    if moot:
        refs = join_ids([r for x in moot for r in x.refs])
        lines.append(f"Until it is back, fixing {refs} is moot: they wait on it.")
    lines.append(f"Fix: {component_fix(c.name, c.status, c.maintenance_until, incident)}")
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
        return f"{when(min(started))} (incident start)"
    if c.updated_at is not None:
        return f"status last changed {when(c.updated_at)}"
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


SYSTEM_FAULT = BlockerKind(
    name="system_fault",
    words=("system fault", "system faults"),
    owner_role="helpdesk",
    prevention=("Schedule maintenance and upgrades in quiet hours with notice, monitor the "
                "systems, keep backups and a rehearsed emergency plan."),
    topic="prevent/maintenance",
    check=check,
    records=records,
    owners=helpdesk,
    render=render,
    hand_over="incident",
)
