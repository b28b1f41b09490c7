"""The live records behind one blocker, and the people who must act on them.

A diagnosis carries record ids only (the contract's ``refs``); a guided fix needs the
records themselves (an order's owner and counterparty, a payment's method, a component's
maintenance window) and the people to ask. Every query is by primary key or company.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.diagnosis.result import Blocker
from bot.diagnosis.status import StatusReading
from bot.people.directory import Person, may_close, names, with_role
from bot.store.models import Component, Job, Order, Payment, Reconciliation, Voucher

RECORD_MODELS = {
    "order_error": Order,
    "payment_issue": Payment,
    "job_failed": Job,
    "voucher_unposted": Voucher,
    "system_fault": Component,
}


def records_of(session: Session, company_id: str, period: str, blocker: Blocker,
               status: Optional[StatusReading] = None) -> list:
    """The blocker's records in the order the diagnosis named them (missing ones skipped).

    A component the store does not hold is looked up in ``status`` (the status page reading
    the diagnosis used), so both kinds of component render alike.
    """
    model = RECORD_MODELS.get(blocker.kind)
    if blocker.kind == "data_mismatch":
        rows = session.scalars(
            select(Reconciliation).where(
                Reconciliation.company_id == company_id,
                Reconciliation.period == period,
                Reconciliation.account.in_(blocker.refs),
            )
        ).all()
        by_ref: Dict[str, object] = {r.account: r for r in rows}
    elif model is not None:
        stmt = select(model).where(model.id.in_(blocker.refs))
        if model is not Component:  # components are shared by every company
            stmt = stmt.where(model.company_id == company_id)
        by_ref = {r.id: r for r in session.scalars(stmt).all()}
        if model is Component and status is not None:
            by_ref.update({c.id: c for c in status.components if c.id in blocker.refs})
    else:
        return []
    return [by_ref[ref] for ref in blocker.refs if ref in by_ref]


@dataclass
class Owners:
    """Who must act: named people, and the role to fall back on when nobody is named."""

    people: List[Person]
    role: str


def owners_of(session: Session, company_id: str, blocker: Blocker, records: Sequence) -> Owners:
    """The people who can fix this blocker, most specific first.

    Orders and payments carry their owner; a module close or a missing permission belongs
    to those allowed to close the module; a voucher or a reconciliation to the accountants
    who may close the general ledger; a job or an outage to the helpdesk.
    """
    role = blocker.owner_role
    people: List[Person] = []
    if blocker.kind in ("order_error", "payment_issue"):
        ids = list(dict.fromkeys(r.owner_id for r in records if getattr(r, "owner_id", None)))
        known = names(session, ids)
        people = [(uid, known.get(uid, uid)) for uid in ids]
    elif blocker.kind == "permission_denied":
        known = names(session, blocker.refs)
        people = [(uid, known.get(uid, uid)) for uid in blocker.refs]
    elif blocker.kind == "module_not_closed":
        people = may_close(session, company_id, blocker.module)
    elif blocker.kind in ("voucher_unposted", "data_mismatch"):
        people = [p for p in may_close(session, company_id, "general_ledger")]
        if not people:
            people = with_role(session, company_id, "accountant")
    elif blocker.kind in ("job_failed", "system_fault"):
        people = with_role(session, company_id, "helpdesk")
    if not people and blocker.kind in ("order_error", "payment_issue"):
        people = with_role(session, company_id, role)
    return Owners(people, role)


