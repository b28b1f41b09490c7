"""The diagnosis rules of the scenario contract, against real SQLite databases."""

import copy
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest
from sqlalchemy import event

from bot.core.errors import NotFoundError
from bot.diagnosis.engine import diagnose
from bot.diagnosis.render import render_table
from bot.scenario.load import load_scenario

P = "2026-11"
ALL_OTHERS = ["sales", "purchasing", "inventory", "receivables", "payables",
              "fixed_assets", "payroll", "cash"]
FAR = datetime(2026, 11, 1, tzinfo=timezone.utc)  # well before the deadline


def base(**modules: str) -> Dict[str, Any]:
    """C1 with only the given module states (default: GL open, nothing else used)."""
    states = {"general_ledger": "open", **modules}
    return {
        "version": 1,
        "companies": [
            {"id": "C1", "name": "One", "current_period": P,
             "close_deadline": "2026-12-03T18:00:00+00:00"},
            {"id": "C2", "name": "Two", "current_period": P},
        ],
        "users": [
            {"id": "u-emp", "name": "Emp", "role": "employee", "company": "C1",
             "close_permissions": []},
            {"id": "u-acc", "name": "Acc", "role": "accountant", "company": "C1",
             "close_permissions": ["general_ledger", "receivables"]},
            {"id": "u-adm", "name": "Adm", "role": "admin", "company": "C1",
             "close_permissions": []},
            {"id": "u-acc2", "name": "Acc Two", "role": "accountant", "company": "C1",
             "close_permissions": ["general_ledger"]},
            {"id": "u-other", "name": "Other", "role": "accountant", "company": "C2",
             "close_permissions": ["general_ledger"]},
        ],
        "modules": [{"company": "C1", "period": P, "module": m, "status": s}
                    for m, s in states.items()],
    }


def order(oid: str, kind: str = "sales", status: str = "approved", issues: Any = (),
          period: str = P, company: str = "C1") -> Dict[str, Any]:
    return {"id": oid, "company": company, "period": period, "kind": kind, "status": status,
            "issues": list(issues), "amount": "100.00", "currency": "CNY"}


def payment(pid: str, direction: str = "in", status: str = "pending",
            period: str = P) -> Dict[str, Any]:
    return {"id": pid, "company": "C1", "period": period, "direction": direction,
            "method": "bank_transfer", "status": status, "amount": "45200.00", "currency": "CNY"}


def job(jid: str, module: str, status: str = "failed") -> Dict[str, Any]:
    return {"id": jid, "name": jid.lower(), "company": "C1", "period": P, "module": module,
            "status": status, "error": "boom"}


def voucher(vid: str, status: str = "draft") -> Dict[str, Any]:
    return {"id": vid, "company": "C1", "period": P, "status": status, "amount": "10"}


def recon(account: str, sub: str, gl: str, module: str = "inventory") -> Dict[str, Any]:
    return {"company": "C1", "period": P, "module": module, "account": account,
            "subledger_total": sub, "gl_total": gl}


def component(cid: str, status: str, affects: List[str]) -> Dict[str, Any]:
    return {"id": cid, "name": cid, "status": status, "affects": affects}


def run(session, data, **kw):
    load_scenario(session, data)
    session.commit()
    kw.setdefault("now", FAR)
    return diagnose(session, kw.pop("company", "C1"), **kw, status=None)


def kinds(d):
    return [(b.kind, b.module, b.refs) for b in d.blockers]


def check_order_invariants(d):
    seen_non_root = False
    for i, b in enumerate(d.blockers):
        assert all(c < i for c in b.caused_by)
        if b.caused_by:
            seen_non_root = True
        else:
            assert not seen_non_root, "root causes must come first"


# --- chain and walk --------------------------------------------------------------------

def test_chain_gl_receivables_payment_also_pointed_at_by_cash(session):
    data = base(receivables="open", cash="open", sales="closed")
    data["payments"] = [payment("PAY-88")]
    d = run(session, data)
    check_order_invariants(d)
    assert not d.can_close
    assert kinds(d) == [
        ("payment_issue", "receivables", ["PAY-88"]),
        ("module_not_closed", "receivables", ["receivables"]),
        ("module_not_closed", "cash", ["cash"]),
    ] or kinds(d) == [
        ("payment_issue", "receivables", ["PAY-88"]),
        ("module_not_closed", "cash", ["cash"]),
        ("module_not_closed", "receivables", ["receivables"]),
    ]
    by_module = {b.module: b for b in d.blockers if b.kind == "module_not_closed"}
    assert by_module["receivables"].caused_by == [0]
    assert by_module["cash"].caused_by == [0]
    pay = d.blockers[0]
    assert pay.caused_by == [] and pay.owner_role == "accountant"
    assert "PAY-88" in pay.summary and "pending" in pay.summary
    assert d.to_dict()["can_close"] is False


def test_payment_reported_under_cash_when_ledger_closed(session):
    data = base(receivables="closed", cash="open")
    data["payments"] = [payment("PAY-1")]
    d = run(session, data)
    assert kinds(d)[0] == ("payment_issue", "cash", ["PAY-1"])
    assert d.blockers[1].caused_by == [0]


def test_root_causes_first_and_nested_chain(session):
    data = base(sales="open", receivables="open")
    data["orders"] = [order("SO-1", issues=["missing_price"])]
    data["payments"] = [payment("PAY-2")]
    d = run(session, data)
    check_order_invariants(d)
    assert [b.kind for b in d.root_causes] == ["order_error", "payment_issue"]
    sales = next(i for i, b in enumerate(d.blockers) if b.refs == ["sales"])
    recv = next(b for b in d.blockers if b.refs == ["receivables"])
    assert sales in recv.caused_by and 1 in recv.caused_by
    assert d.blockers[0].owner_role == "employee"


def test_closed_module_ignored_and_walk_stops(session):
    # receivables closed: its open dependency sales (and sales' bad order) no longer matter
    data = base(receivables="closed", sales="open")
    data["companies"][0]["depends_on"] = {"general_ledger": ["receivables"]}
    data["orders"] = [order("SO-1")]
    data["payments"] = [payment("PAY-1")]
    d = run(session, data)
    assert d.can_close and d.blockers == []


def test_module_without_row_ignored(session):
    data = base()  # only GL has a row
    data["orders"] = [order("SO-1"), order("PO-1", kind="purchase")]
    data["payments"] = [payment("PAY-1"), payment("PAY-2", direction="out")]
    data["jobs"] = [job("J-1", "payroll")]
    d = run(session, data)
    assert d.can_close


def test_not_closed_dependency_with_nothing_to_blame_still_appears(session):
    d = run(session, base(payroll="closing"))
    assert kinds(d) == [("module_not_closed", "payroll", ["payroll"])]
    assert d.blockers[0].caused_by == [] and "close" in d.blockers[0].fix
    assert d.blockers[0].owner_role == "accountant"


# --- what blocks -----------------------------------------------------------------------

def test_other_periods_and_companies_ignored(session):
    data = base(sales="closed", receivables="open")
    data["modules"].append({"company": "C1", "period": "2026-12", "module": "sales",
                            "status": "open"})
    data["modules"].append({"company": "C2", "period": P, "module": "general_ledger",
                            "status": "open"})
    data["orders"] = [order("SO-OLD", period="2026-10"), order("SO-C2", company="C2")]
    data["payments"] = [payment("PAY-OLD", period="2026-10")]
    d = run(session, data)
    assert kinds(d) == [("module_not_closed", "receivables", ["receivables"])]


def test_healthy_records_ignored(session):
    data = base(sales="open", purchasing="open", receivables="open", payables="open",
                cash="open", payroll="open")
    data["orders"] = [order("SO-C", status="cancelled", issues=["missing_price"]),
                      order("SO-P", status="posted"),
                      order("SO-PI", status="posted", issues=["invoice_mismatch"])]
    data["payments"] = [payment("PAY-S", status="settled"), payment("PAY-R", status="reversed")]
    data["jobs"] = [job("J-OK", "payroll", "succeeded")]
    data["vouchers"] = [voucher("V-OK", "posted")]
    d = run(session, data)
    roots = [(b.kind, b.refs) for b in d.root_causes if b.kind != "module_not_closed"]
    assert roots == [("order_error", ["SO-PI"])]


def test_orders_grouped_per_module(session):
    data = base(sales="open", purchasing="open")
    data["orders"] = [order("SO-2"), order("SO-1", status="draft"),
                      order("PO-1", kind="purchase", issues=["unapproved"])]
    d = run(session, data)
    assert [(b.module, b.refs) for b in d.root_causes] == [
        ("sales", ["SO-1", "SO-2"]), ("purchasing", ["PO-1"])]


def test_jobs_grouped_by_state_and_summary_says_state(session):
    data = base(payroll="open")
    data["jobs"] = [job("J-1", "payroll", "failed"), job("J-2", "payroll", "running"),
                    job("J-3", "payroll", "pending"), job("J-4", "payroll", "failed")]
    d = run(session, data)
    jobs = [b for b in d.blockers if b.kind == "job_failed"]
    assert [b.refs for b in jobs] == [["J-1", "J-4"], ["J-2"], ["J-3"]]
    assert "failed" in jobs[0].summary and "running" in jobs[1].summary
    assert "pending" in jobs[2].summary
    assert all(b.owner_role == "helpdesk" for b in jobs)
    payroll = d.blockers[-1]
    assert payroll.refs == ["payroll"] and payroll.caused_by == [0, 1, 2]


def test_vouchers_one_blocker(session):
    data = base()
    data["vouchers"] = [voucher("V-2"), voucher("V-1", "approved"), voucher("V-3", "posted")]
    d = run(session, data)
    assert kinds(d) == [("voucher_unposted", "general_ledger", ["V-1", "V-2"])]
    assert d.blockers[0].owner_role == "accountant"


@pytest.mark.parametrize(
    "sub,gl,blocks",
    [("100.01", "100.00", False), ("100.00", "100.01", False), ("100.02", "100.00", True),
     ("100.00", "100.02", True), ("-5.00", "-5.01", False), ("-5.00", "-5.02", True),
     ("0.1", "0.11", False), ("1000000000000.02", "1000000000000", True),
     ("100.010", "100", False), ("100.0101", "100", True), ("100.011", "100", True),
     ("100", "100.011", True), ("100.00", "100", False), ("120750.00", "120000.00", True),
     ("99999999999.99", "99999999999.98", False), ("99999999999.99", "99999999999.97", True)],
)
def test_reconciliation_tolerance_exact(session, sub, gl, blocks):
    data = base(inventory="closed")  # the reconciliation's own module status does not matter
    data["reconciliations"] = [recon("1405", sub, gl)]
    d = run(session, data)
    if blocks:
        assert kinds(d) == [("data_mismatch", "general_ledger", ["1405"])]
        assert d.blockers[0].owner_role == "accountant"
    else:
        assert d.can_close


def test_reconciliation_one_blocker_per_account(session):
    data = base()
    data["reconciliations"] = [recon("1122", "10", "20", "receivables"), recon("1405", "1", "3")]
    d = run(session, data)
    assert [b.refs for b in d.blockers] == [["1122"], ["1405"]]


def test_component_once_under_first_affected_module_on_path(session):
    data = base(receivables="open", cash="open", payroll="closed")
    data["components"] = [component("gw", "partial_outage", ["payroll", "cash", "receivables"]),
                          component("ok", "operational", ["cash", "general_ledger"])]
    d = run(session, data)
    check_order_invariants(d)
    faults = [b for b in d.blockers if b.kind == "system_fault"]
    assert [(b.module, b.refs) for b in faults] == [("cash", ["gw"])]
    assert faults[0].owner_role == "helpdesk"
    for module in ("cash", "receivables"):
        b = next(b for b in d.blockers if b.refs == [module])
        assert b.caused_by == [0]


def test_component_affecting_only_target(session):
    data = base()
    data["components"] = [component("erp", "major_outage", ["general_ledger"])]
    d = run(session, data)
    assert kinds(d) == [("system_fault", "general_ledger", ["erp"])]
    assert d.blockers[0].severity == "critical"


def test_depends_on_override(session):
    data = base(receivables="open", sales="open")
    data["companies"][0]["depends_on"] = {"general_ledger": ["receivables"], "receivables": []}
    data["orders"] = [order("SO-1")]
    d = run(session, data)
    assert kinds(d) == [("module_not_closed", "receivables", ["receivables"])]


def test_depends_on_empty_list_means_no_dependencies(session):
    data = base(receivables="open", sales="open")
    data["companies"][0]["depends_on"] = {"general_ledger": []}
    d = run(session, data)
    assert d.can_close


def test_depends_on_leaves_other_modules_at_default(session):
    data = base(receivables="open", sales="open")
    data["companies"][0]["depends_on"] = {"general_ledger": ["receivables"]}
    data["orders"] = [order("SO-1")]
    d = run(session, data)
    check_order_invariants(d)
    assert [b.refs for b in d.blockers][0] == ["SO-1"]
    assert {tuple(b.refs) for b in d.blockers} == {("SO-1",), ("sales",), ("receivables",)}


# --- target ----------------------------------------------------------------------------

def test_earlier_period_not_closed_blocks(session):
    data = base()
    for period, status in [("2026-08", "closed"), ("2026-09", "open"), ("2026-10", "failed")]:
        data["modules"].append({"company": "C1", "period": period, "module": "general_ledger",
                                "status": status})
    data["modules"].append({"company": "C1", "period": "2026-12", "module": "general_ledger",
                            "status": "open"})
    d = run(session, data)
    assert kinds(d) == [("module_not_closed", "general_ledger", ["2026-09", "2026-10"])]


def test_target_closed_can_close_without_permission_check(session):
    data = base(general_ledger="closed", sales="open")
    data["orders"] = [order("SO-1")]
    d = run(session, data, user_id="u-emp")
    assert d.can_close and d.target_status == "closed" and d.blockers == []
    assert d.deadline == "2026-12-03T18:00:00+00:00"


def test_target_status_and_message(session):
    data = base()
    data["modules"][0]["message"] = "业务系统未结账"
    d = run(session, data, period=P)
    assert d.to_dict()["target_status"] == "open"
    assert d.to_dict()["target_message"] == "业务系统未结账"


def test_other_module_as_target(session):
    data = base(receivables="open", sales="open")
    data["orders"] = [order("SO-1")]
    d = run(session, data, module="receivables")
    assert kinds(d) == [("order_error", "sales", ["SO-1"]),
                        ("module_not_closed", "sales", ["sales"])]


@pytest.mark.parametrize("kw", [
    {"company": "NOPE"}, {"module": "nope"}, {"period": "2026-13"}, {"period": "26-11"},
    {"period": "2026-10"}, {"module": "payroll"}, {"user_id": "nobody"},
    {"user_id": "u-other"},
])
def test_not_found(session, kw):
    with pytest.raises(NotFoundError):
        run(session, base(), **kw)


# --- permissions -----------------------------------------------------------------------

def test_permission_denied_names_who_may(session):
    d = run(session, base(), user_id="u-emp")
    assert kinds(d) == [("permission_denied", "general_ledger", ["u-acc", "u-acc2"])]
    b = d.blockers[0]
    assert "u-acc" in b.summary and "u-acc2" in b.summary and b.owner_role == "admin"


def test_admin_does_not_bypass(session):
    d = run(session, base(), user_id="u-adm")
    assert [b.kind for b in d.blockers] == ["permission_denied"]


def test_permission_granted(session):
    d = run(session, base(), user_id="u-acc")
    assert d.can_close


def test_nobody_may_close(session):
    d = run(session, base(payroll="open"), module="payroll", user_id="u-acc")
    assert kinds(d) == [("permission_denied", "payroll", [])]
    assert "admin" in d.blockers[0].summary


# --- severity --------------------------------------------------------------------------

def test_severity_rises_near_deadline(session):
    data = base(cash="open")
    data["payments"] = [payment("PAY-1")]
    load_scenario(session, data)
    session.commit()
    deadline = datetime(2026, 12, 3, 18, tzinfo=timezone.utc)
    far = diagnose(session, "C1", now=deadline - timedelta(days=10), status=None).blockers[0].severity
    near = diagnose(session, "C1", now=deadline - timedelta(hours=48), status=None).blockers[0].severity
    last = diagnose(session, "C1", now=deadline - timedelta(hours=2), status=None).blockers[0].severity
    order_ = ["low", "medium", "high", "critical"]
    assert order_.index(far) < order_.index(near) < order_.index(last)
    assert last == "critical"


# --- SQL -------------------------------------------------------------------------------

def _count_statements(session, data):
    load_scenario(session, data)
    session.commit()
    session.expunge_all()
    statements: List[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        d = diagnose(session, "C1", user_id="u-emp", now=FAR, status=None)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return d, statements


def test_statement_count_does_not_grow_with_healthy_rows(session, tmp_path):
    data = base(sales="open", receivables="open", cash="open", payroll="open")
    data["orders"] = [order("SO-BAD")]
    data["payments"] = [payment("PAY-BAD")]
    small, few = _count_statements(session, copy.deepcopy(data))
    big_data = copy.deepcopy(data)
    big_data["orders"] += [order(f"SO-{i}", status="posted") for i in range(300)]
    big_data["payments"] += [payment(f"PAY-{i}", status="settled") for i in range(300)]
    big_data["jobs"] = [job(f"J-{i}", "payroll", "succeeded") for i in range(300)]
    big_data["vouchers"] = [voucher(f"V-{i}", "posted") for i in range(300)]
    big_data["reconciliations"] = [recon(f"A{i}", "5", "5.01") for i in range(300)]
    big, many = _count_statements(session, big_data)
    assert len(many) == len(few)
    assert kinds(big) == kinds(small)
    # healthy rows are filtered in SQL: every record query filters on company and period
    record_queries = [s for s in many if "FROM orders" in s or "FROM payments" in s]
    assert record_queries and all("company_id" in s and "period" in s for s in record_queries)


def test_demo_scenario(demo_session):
    d = diagnose(demo_session, "C100", user_id="u-mei", status=None)
    check_order_invariants(d)
    assert not d.can_close
    refs = [r for b in d.root_causes for r in b.refs]
    assert "PAY-88" in refs and "SO-1042" in refs and "SO-1040" not in refs
    text = render_table(d)
    assert text.splitlines()[0].startswith("C100 2026-11 general_ledger: cannot close (")
    assert "PAY-88" in text and "fix:" in text


def test_render_can_close(session):
    d = run(session, base())
    assert render_table(d).splitlines()[0] == "C1 2026-11 general_ledger: can close"


def test_module_severity_is_highest_of_its_causes(session):
    data = base(cash="open", payroll="failed", receivables="open", sales="closed")
    data["components"] = [component("gw", "major_outage", ["cash"])]
    data["payments"] = [payment("PAY-1", status="pending")]
    d = run(session, data)
    check_order_invariants(d)
    sev = {tuple(b.refs): b.severity for b in d.blockers}
    assert sev[("gw",)] == "critical" and sev[("PAY-1",)] == "medium"
    assert sev[("cash",)] == "critical"  # outage + pending payment: the worst wins
    assert sev[("receivables",)] == "medium"  # only the pending payment
    assert sev[("payroll",)] == "high"  # failed close, nothing else to blame


def test_severity_past_deadline_rises_two_levels(session):
    data = base(cash="open")
    data["payments"] = [payment("PAY-1", status="pending")]
    past = datetime(2026, 12, 4, tzinfo=timezone.utc)
    d = run(session, data, now=past)
    assert [b.severity for b in d.blockers] == ["critical", "critical"]
    assert d.deadline == "2026-12-03T18:00:00+00:00"


def test_user_of_other_company_diagnoses_nothing_even_when_closed(session):
    with pytest.raises(NotFoundError, match="C2"):
        run(session, base(general_ledger="closed"), user_id="u-other")


def test_demo_scenario_names_every_planted_problem(demo_session):
    d = diagnose(demo_session, "C100", status=None)
    check_order_invariants(d)
    roots = {b.kind: b for b in d.root_causes}
    by_ref = {r: b for b in d.blockers for r in b.refs}
    assert by_ref["SO-1042"] is by_ref["SO-1043"] and by_ref["SO-1042"].kind == "order_error"
    assert "no price" in by_ref["SO-1042"].summary
    assert "invoice" in by_ref["SO-1043"].summary
    assert by_ref["PAY-88"].kind == "payment_issue" and "pending" in by_ref["PAY-88"].summary
    assert "45,200.00 CNY" in by_ref["PAY-88"].summary
    assert "not matched" in by_ref["PAY-95"].summary
    gw = by_ref["bank-gateway"]
    assert gw.kind == "system_fault" and gw.module == "cash" and gw.owner_role == "helpdesk"
    assert "partial outage" in gw.summary
    assert "ORA-00054" in by_ref["JOB-AR-AGING"].summary
    assert by_ref["V-2026-11-0087"].kind == "voucher_unposted"
    assert "750.00" in roots["data_mismatch"].summary
    gw_index = d.blockers.index(gw)
    for module in ("cash", "receivables"):
        assert gw_index in by_ref[module].caused_by
    assert diagnose(demo_session, "C200", status=None).can_close
