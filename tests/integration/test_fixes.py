"""Guided fixes, owner notes, recheck and corrections on a real SQLite store.

The scenario below holds every blocker kind for company C1 (the contract's vocabulary), so
each guide is read from live records; the service is driven as the actions drive it.
"""

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from sqlalchemy import select

from bot.conversation import employee
from bot.conversation import view as view_store
from bot.conversation.reply import Reply, with_notices
from bot.scenario.load import load_scenario
from bot.store.models import AuditEntry, Notification, Order, Ticket, Voucher
from tests.conftest import focus_ticket, in_view, shown_dict

P = "2026-11"


def scenario(deadline: Optional[datetime] = None, orders: int = 5, companies: int = 2) -> Dict[str, Any]:
    """C1 blocked by every kind of record; C2 (and C3 ...) can close."""
    deadline = deadline or datetime.now(timezone.utc) + timedelta(days=20)
    issues = ["missing_price", "invalid_quantity", "missing_counterparty", "invoice_mismatch",
              "negative_stock"]
    doc: Dict[str, Any] = {
        "version": 1,
        "companies": [{"id": "C1", "name": "One Ltd", "current_period": P,
                       "close_deadline": deadline.isoformat()}]
        + [{"id": f"C{n}", "name": f"Company {n}", "current_period": P}
           for n in range(2, companies + 1)],
        "users": [
            {"id": "u-emp", "name": "Emma Employee", "role": "employee", "company": "C1"},
            {"id": "u-own", "name": "Oscar Owner", "role": "employee", "company": "C1"},
            {"id": "u-acc", "name": "Ann Accountant", "role": "accountant", "company": "C1",
             "close_permissions": ["general_ledger", "receivables", "cash", "payables"]},
            {"id": "u-inv", "name": "Ivan Inventory", "role": "accountant", "company": "C1",
             "close_permissions": ["inventory", "payroll"]},
            {"id": "u-help", "name": "Hal Helpdesk", "role": "helpdesk", "company": "C1"},
        ],
        "modules": [{"company": "C1", "period": P, "module": m, "status": s} for m, s in [
            ("sales", "open"), ("purchasing", "closed"), ("inventory", "open"),
            ("receivables", "open"), ("payables", "open"), ("cash", "open"), ("payroll", "open"),
            ("general_ledger", "failed")]]
        + [{"company": "C1", "period": "2026-10", "module": "general_ledger", "status": "closed"}]
        + [{"company": f"C{n}", "period": P, "module": "general_ledger", "status": "open"}
           for n in range(2, companies + 1)],
        "orders": [
            {"id": f"SO-{100 + i}", "company": "C1", "period": P, "kind": "sales",
             "status": "approved", "issues": [issues[i % len(issues)]],
             "amount": f"{1000 + i}.00", "currency": "CNY", "owner": "u-own",
             "counterparty": f"Customer {i}"}
            for i in range(orders)
        ],
        "payments": [
            {"id": "PAY-1", "company": "C1", "period": P, "direction": "in", "method": "alipay",
             "status": "pending", "amount": "500.00", "currency": "CNY", "owner": "u-acc"},
            {"id": "PAY-2", "company": "C1", "period": P, "direction": "out", "method": "card",
             "status": "failed", "amount": "75.10", "currency": "CNY", "owner": "u-acc",
             "failure_reason": "card expired"},
            {"id": "PAY-3", "company": "C1", "period": P, "direction": "in", "method": "wechat_pay",
             "status": "unmatched", "amount": "980.50", "currency": "CNY"},
        ],
        "jobs": [
            {"id": "JOB-1", "name": "AR ageing", "company": "C1", "period": P,
             "module": "receivables", "status": "failed",
             "error": "ORA-00054: resource busy and acquire with NOWAIT specified"},
        ],
        "vouchers": [{"id": "V-1", "company": "C1", "period": P, "status": "draft",
                      "amount": "3200.00"}],
        "reconciliations": [{"company": "C1", "period": P, "module": "payables",
                             "account": "2202 Payables", "subledger_total": "1000.00",
                             "gl_total": "1250.00"}],
        "components": [
            {"id": "gw", "name": "Payment gateway", "status": "under_maintenance",
             "affects": ["receivables"], "message": "bank file upgrade",
             "maintenance_until": "2026-12-01T02:00:00+00:00"},
            {"id": "erp-db", "name": "ERP database", "status": "operational",
             "affects": ["general_ledger"]},
        ],
    }
    return doc


def load(session, doc: Dict[str, Any]):
    load_scenario(session, doc)
    session.commit()
    return session


@pytest.fixture
def store(session):
    return load(session, scenario())


def text(reply: Reply) -> str:
    return "\n".join(reply.texts)


def payloads(reply: Reply) -> List[str]:
    return [b.payload for b in reply.buttons]


def roots(session, sender: str) -> List[Dict[str, Any]]:
    """The root causes of the diagnosis the server keeps in view for ``sender``."""
    return [b for b in shown_dict(session, sender)["blockers"] if not b["caused_by"]]


def view(session, sender: str, kind: str, module: Optional[str] = None):
    """Diagnose as ``sender`` and walk ("next") to the first root cause of ``kind``: (reply, index)."""
    reply = employee.diagnose_close(session, sender)
    index = next(i for i, b in enumerate(roots(session, sender))
                 if b["kind"] == kind and (module is None or b["module"] == module))
    for _ in range(index):
        reply = employee.next_blocker(session, sender)
    return reply, index


def walk(session, sender: str) -> List[str]:
    """Diagnose, then "next" through every root cause: one text per root cause."""
    texts = [text(employee.diagnose_close(session, sender))]
    texts += [text(employee.next_blocker(session, sender)) for _ in roots(session, sender)[1:]]
    return texts


def test_order_errors_name_each_order_issue_owner_and_fix_first_few_then_all(store) -> None:
    reply, _ = view(store, "u-emp", "order_error")
    body = text(reply)
    shown = ["SO-100", "SO-101", "SO-102"]
    assert all(ref in body for ref in shown) and "SO-103" not in body
    assert "2 more" in body and "/show_all_records" in payloads(reply)
    assert "has no price" in body and "invalid quantity" in body and "has no customer" in body
    assert body.count("Oscar Owner (u-oown)".replace("oown", "own")) >= 3
    assert "Fix: enter the agreed price" in body
    assert "/notify_owner" in payloads(reply)  # the owner is someone else

    everything = text(employee.show_all_records(store, "u-emp"))
    assert all(f"SO-{100 + i}" in everything for i in range(5))
    assert "does not match" in everything and "stock negative" in everything
    assert "more (say" not in everything


def test_a_long_list_stays_one_short_message(session) -> None:
    load(session, scenario(orders=40))
    reply, _ = view(session, "u-emp", "order_error")
    assert "37 more" in text(reply)
    assert len(text(reply)) < 3000  # one readable Slack message


def test_payments_by_status_and_method(store) -> None:
    reply, _ = view(store, "u-acc", "payment_issue", "receivables")
    body = text(reply)
    assert "PAY-1" in body and "Alipay" in body and "pending the next day" in body
    # the gateway under maintenance makes chasing the pending payment moot
    assert "Payment gateway" in body and "moot" in body
    texts = walk(store, "u-acc")
    card = next(t for t in texts if "PAY-2" in t and "not settled" in t)
    assert "Re-initiate" in card and "valid card" in card and "reverse the failed entry" in card
    unmatched = next(t for t in texts if "PAY-3" in t and "not settled" in t)
    assert "Match" in unmatched and "980.50 CNY" in unmatched and "suspense" in unmatched


def test_system_fault_says_window_what_works_and_what_is_moot(store) -> None:
    reply, _ = view(store, "u-emp", "system_fault")
    body = text(reply)
    assert "Payment gateway (gw) is under maintenance" in body
    assert "maintenance planned until 2026-12-01 02:00 UTC" in body
    assert "Still works:" in body and "sales" in body.split("Still works:")[1]
    assert "PAY-1" in body and "moot" in body
    assert "Hal Helpdesk (u-help)" in body
    assert [b.title for b in reply.buttons if b.payload == "/open_ticket"] == ["Open an incident"]


def _incident_priority(session, deadline: datetime) -> Ticket:
    session.expunge_all()  # the reload below replaces every ticket
    load(session, scenario(deadline=deadline))
    view(session, "u-emp", "system_fault")
    reply = employee.open_ticket(session, "u-emp", note="no", idempotency_key=f"k-{deadline}")
    assert reply.texts[0].startswith("🎫 Incident")
    return session.scalar(select(Ticket).where(Ticket.number == focus_ticket(session, "u-emp")))


def test_incident_priority_follows_the_close_deadline(session) -> None:
    now = datetime.now(timezone.utc)
    far = _incident_priority(session, now + timedelta(days=30))
    far_priority = far.priority
    near = _incident_priority(session, now + timedelta(hours=3))
    assert far.category == near.category == "system_fault"
    assert "Payment gateway" in near.summary
    assert near.priority < far_priority


def test_job_voucher_mismatch_module_and_permission_guides(store) -> None:
    texts = walk(store, "u-emp")
    by_kind = {b["kind"] + ":" + b["module"]: t for b, t in zip(roots(store, "u-emp"), texts)}
    job = by_kind["job_failed:receivables"]
    assert "JOB-1" in job and "lock" in job and "Hal Helpdesk" in job
    voucher = by_kind["voucher_unposted:general_ledger"]
    assert "V-1 (3,200.00) is a draft" in voucher and "not by its preparer" in voucher
    mismatch = by_kind["data_mismatch:general_ledger"]
    assert "2202 Payables" in mismatch and "difference 250.00" in mismatch
    assert "the GL is higher" in mismatch and "Ann Accountant" in mismatch
    module = by_kind["module_not_closed:payroll"]  # open, with nothing inside to blame
    assert "Payroll must close before the general ledger" in module
    assert "Ivan Inventory (u-inv)" in module
    permission = by_kind["permission_denied:general_ledger"]
    assert "Who can close it instead: Ann Accountant (u-acc)" in permission


def test_notify_owner_leaves_a_note_once_audited_and_delivered_once(store) -> None:
    view(store, "u-emp", "order_error")
    reply = employee.notify_owner(store, "u-emp", idempotency_key="u-emp:7")
    again = employee.notify_owner(store, "u-emp", idempotency_key="u-emp:7")
    store.commit()
    assert "Oscar Owner (u-own)" in text(reply) and "SO-100" in text(reply)
    assert "/recheck" in payloads(reply)
    notes = store.scalars(select(Notification)).all()
    assert len(notes) == 1 and notes[0].user_id == "u-own" and "SO-104" in notes[0].body
    assert text(again) == text(reply)
    audit = store.scalars(select(AuditEntry).where(AuditEntry.action == "owner_notify")).all()
    assert [(a.actor, a.detail["to"]) for a in audit] == [("u-emp", "u-own")]

    # delivered in front of the owner's next reply, whatever it is, once (as actions do it)
    delivered = text(with_notices(store, "u-own", employee.greet(store, "u-own")))
    assert "📨" in delivered and "SO-100" in delivered and "Emma Employee" in delivered
    assert "📨" not in text(with_notices(store, "u-own", employee.greet(store, "u-own")))
    assert len(max(delivered.split("\n"), key=len)) < 400  # a note stays short
    read = store.scalars(select(AuditEntry).where(AuditEntry.action == "notifications_read")).all()
    assert [a.actor for a in read] == ["u-own"]

    # a later note (another turn) reaches the owner with their recheck, once
    employee.diagnose_close(store, "u-own")
    employee.notify_owner(store, "u-emp", idempotency_key="u-emp:8")
    rechecked = with_notices(store, "u-own", employee.recheck(store, "u-own"))
    assert "📨" in rechecked.texts[0] and "Rechecked" in rechecked.texts[1]
    assert "📨" not in text(with_notices(store, "u-own", employee.recheck(store, "u-own")))
    assert "📨" not in text(with_notices(store, "u-emp", employee.greet(store, "u-emp")))


def test_notify_owner_when_you_are_the_owner_or_nobody_is(store) -> None:
    view(store, "u-own", "order_error")
    mine = employee.notify_owner(store, "u-own", idempotency_key="u-own:1")
    assert "yourself" in text(mine)
    view(store, "u-emp", "payment_issue", "receivables")
    # PAY-1 is handled by u-acc, so a note goes there; nobody at all is refused politely
    assert "Ann Accountant" in text(employee.notify_owner(store, "u-emp", idempotency_key="k"))
    assert store.scalars(select(Notification).where(Notification.user_id == "u-own")).all() == []
    assert "haven't diagnosed" in text(employee.notify_owner(store, "u-emp", conversation="elsewhere"))


def test_recheck_says_what_was_fixed_what_is_still_open_and_what_is_new(store) -> None:
    employee.diagnose_close(store, "u-acc")
    fixed = store.get(Order, "SO-100")
    fixed.status, fixed.issues = "posted", []
    store.add(Voucher(id="V-2", company_id="C1", period=P, status="draft"))
    store.commit()
    reply = employee.recheck(store, "u-acc")
    body = text(reply)
    assert "✅ Fixed: SO-100 (order error)" in body
    assert "🆕 New: V-2 (unposted voucher)" in body
    still = body.split("⏳ Still open:")[1]
    assert "SO-101" in still and "PAY-2" in still and "SO-100" not in still
    assert "and 6 more" in still  # a long list is cut to stay short
    assert reply.slots == {"has_blockers": True}
    nxt = employee.next_blocker(store, "u-acc")
    assert text(nxt).startswith("1/")
    unchanged = employee.recheck(store, "u-acc")
    assert "Nothing changed" in text(unchanged)
    assert [a.action for a in store.scalars(select(AuditEntry)).all()].count("diagnose") == 3


def test_recheck_when_everything_is_fixed(session) -> None:
    doc = scenario()
    load(session, doc)
    employee.diagnose_close(session, "u-acc")
    doc.update(orders=[], payments=[], jobs=[], vouchers=[], reconciliations=[], components=[])
    doc["modules"] = [{**m, "status": "open" if m["module"] == "general_ledger" else "closed"}
                      if m["period"] == P else m for m in doc["modules"]]
    load(session, doc)
    done = employee.recheck(session, "u-acc")
    body = text(done)
    assert "Nothing blocks any more" in body and done.slots["has_blockers"] is False
    assert "SO-100" in body.split("✅ Fixed:")[1] and "Still open" not in body
    assert "payroll" in body.split("✅ Closed since:")[1]


def test_recheck_of_a_company_you_may_not_see_is_refused(session) -> None:
    load(session, scenario())
    employee.diagnose_close(session, "u-help", company_text="C2")
    # another user's view is not theirs: the employee has nothing in view, whatever a slot says
    assert in_view(session, "u-emp") is None
    mine = employee.recheck(session, "u-emp")
    assert "C1" in text(mine) and "C2" not in text(mine)
    # a view kept from before they lost access to the company is refused when shown
    kept = view_store.load(session, "", "u-help")
    view_store.save(session, view_store.View("", "u-emp", diagnosis=kept.diagnosis))
    refused = employee.recheck(session, "u-emp")
    assert "only look at company C1" in text(refused) and "C2 " not in text(refused).replace("company C2", "")
    assert "haven't diagnosed" not in text(refused)


def test_corrections_keep_the_rest_and_resolve_the_other_company(session) -> None:
    load(session, scenario(companies=3))
    first = employee.diagnose_close(session, "u-acc")
    assert in_view(session, "u-acc").company == "C1" and first.slots["has_blockers"] is True
    # "no, I meant October": same company, other period (closed then)
    october = employee.diagnose_close(session, "u-acc", company_text="C1", period_text="October")
    assert in_view(session, "u-acc").period == "2026-10" and "already closed" in text(october)
    assert "run the close now" not in text(october)  # a closed period has nothing left to run
    # "I meant receivables": same company and period, other module
    employee.diagnose_close(session, "u-acc", company_text="C1", period_text="November",
                            module_text="receivables", message="I meant receivables")
    assert (in_view(session, "u-acc").module, in_view(session, "u-acc").company) == ("receivables", "C1")
    # a follow-up ("and for C1?") keeps the period and module in view; a new question does not
    employee.diagnose_close(session, "u-acc", company_text="C1", message="and for C1?", follow_up=True)
    assert (in_view(session, "u-acc").period, in_view(session, "u-acc").module) == ("2026-11", "receivables")
    employee.diagnose_close(session, "u-acc", module_text=["payables"], message="what about payables?",
                            follow_up=True)
    assert in_view(session, "u-acc").module == "payables"
    # a module mentioned as context is not the target: the general ledger is
    employee.diagnose_close(session, "u-acc", module_text=["AR"], message="AR is still running, can we close?")
    assert in_view(session, "u-acc").module == "general_ledger"
    # an employee has no other company to go to: refused, with who can help, and audited
    employee.diagnose_close(session, "u-emp")
    refused = employee.diagnose_close(session, "u-emp", company_text="the other company")
    assert "only look at company C1" in text(refused) and "helpdesk" in text(refused)
    assert in_view(session, "u-emp").company == "C1"
    # the helpdesk sees three companies: two fit "the other one", so it asks, with buttons
    employee.diagnose_close(session, "u-help", company_text="C1")
    asked = employee.diagnose_close(session, "u-help", company_text="the other company")
    assert "Which company" in text(asked) and asked.slots == {"has_blockers": None}
    assert [b.title for b in asked.buttons] == ["C2", "C3"]
    assert asked.buttons[0].payload == '/inform{"company": "C2"}'


def test_the_other_company_is_decided_when_only_one_fits(session) -> None:
    load(session, scenario(companies=2))
    employee.diagnose_close(session, "u-help", company_text="C1")
    reply = employee.diagnose_close(session, "u-help", company_text="the other company")
    assert in_view(session, "u-help").company == "C2" and reply.slots["has_blockers"] is False
    employee.diagnose_close(session, "u-help", company_text="另一家公司")
    assert in_view(session, "u-help").company == "C1"
    own = employee.diagnose_close(session, "u-help", conversation="new")
    assert in_view(session, "u-help", "new").company == "C1" and "name another company id" in text(own)
    assert "name another company" not in text(employee.diagnose_close(session, "u-acc"))
