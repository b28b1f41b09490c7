"""The diagnosis filters in SQL: healthy rows never leave the database, queries stay fixed."""

from typing import Any, Dict, List, Tuple

from sqlalchemy import event

from bot.diagnosis.engine import diagnose
from bot.scenario.load import load_scenario

P = "2026-11"
RECORD_TABLES = ("orders", "payments", "jobs", "vouchers", "reconciliations", "components")


def scenario(healthy: int) -> Dict[str, Any]:
    """C1 with every module open, one blocking record per kind and ``healthy`` good ones each."""
    modules = ["sales", "purchasing", "inventory", "receivables", "payables", "fixed_assets",
               "payroll", "cash", "general_ledger"]
    data: Dict[str, Any] = {
        "version": 1,
        "companies": [{"id": "C1", "name": "One", "current_period": P}],
        "users": [{"id": "u1", "name": "U", "role": "accountant", "company": "C1",
                   "close_permissions": ["general_ledger"]}],
        "modules": [{"company": "C1", "period": P, "module": m, "status": "open"}
                    for m in modules],
        "orders": [{"id": "BAD-O", "company": "C1", "period": P, "kind": "sales",
                    "status": "posted", "issues": ["invoice_mismatch"], "amount": "1",
                    "currency": "CNY"}],
        "payments": [{"id": "BAD-P", "company": "C1", "period": P, "direction": "out",
                      "method": "alipay", "status": "failed", "amount": "1", "currency": "CNY"}],
        "jobs": [{"id": "BAD-J", "name": "j", "company": "C1", "period": P,
                  "module": "payroll", "status": "running"}],
        "vouchers": [{"id": "BAD-V", "company": "C1", "period": P, "status": "approved"}],
        "reconciliations": [{"company": "C1", "period": P, "module": "inventory",
                             "account": "BAD-R", "subledger_total": "10.011",
                             "gl_total": "10"}],
        "components": [{"id": "BAD-C", "name": "c", "status": "degraded_performance",
                        "affects": ["fixed_assets"]}],
    }
    for i in range(healthy):
        data["orders"] += [
            {"id": f"OK-O{i}", "company": "C1", "period": P, "kind": "purchase",
             "status": "posted", "issues": [], "amount": "5", "currency": "CNY"},
            {"id": f"OK-X{i}", "company": "C1", "period": P, "kind": "sales",
             "status": "cancelled", "issues": ["missing_price"], "amount": "5",
             "currency": "CNY"},
        ]
        data["payments"] += [
            {"id": f"OK-P{i}", "company": "C1", "period": P, "direction": "in",
             "method": "card", "status": "settled" if i % 2 else "reversed", "amount": "2",
             "currency": "CNY"},
        ]
        data["jobs"].append({"id": f"OK-J{i}", "name": "j", "company": "C1", "period": P,
                             "module": "payroll", "status": "succeeded"})
        data["vouchers"].append({"id": f"OK-V{i}", "company": "C1", "period": P,
                                 "status": "posted"})
        sub, gl = [("5", "5.00"), ("7.5", "7.505"), ("100", "100")][i % 3]
        data["reconciliations"].append({"company": "C1", "period": P, "module": "payables",
                                        "account": f"OK-R{i}", "subledger_total": sub,
                                        "gl_total": gl})
        data["components"] += [
            {"id": f"OK-C{i}", "name": "c", "status": "operational", "affects": ["cash"]},
        ]
    return data


def traced_diagnosis(session, data) -> Tuple[Any, List[Tuple[str, Any]]]:
    load_scenario(session, data)
    session.commit()
    session.expunge_all()
    seen: List[Tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = diagnose(session, "C1", user_id="u1", status=None)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return result, seen


def rows_read(session, statements) -> List[tuple]:
    """Re-run the record queries the engine issued and return every row they produced."""
    rows: List[tuple] = []
    with session.get_bind().connect() as conn:
        for statement, parameters in statements:
            if any(f"FROM {table}" in statement for table in RECORD_TABLES):
                rows += [tuple(r) for r in conn.exec_driver_sql(statement, parameters)]
    return rows


def test_healthy_rows_are_never_read(session):
    result, statements = traced_diagnosis(session, scenario(healthy=60))
    rows = rows_read(session, statements)
    values = {str(v) for row in rows for v in row}
    assert not any(v.startswith("OK-") for v in values), sorted(values)[:10]
    assert len(rows) == 6  # exactly one row per blocking record
    refs = {r for b in result.root_causes if b.kind != "module_not_closed" for r in b.refs}
    assert refs == {"BAD-O", "BAD-P", "BAD-J", "BAD-V", "BAD-R", "BAD-C"}


def test_statement_count_is_fixed(session, tmp_path):
    from sqlalchemy.orm import sessionmaker

    from bot.store.db import get_engine

    _, few = traced_diagnosis(session, scenario(healthy=1))
    other = sessionmaker(bind=get_engine(f"sqlite:///{tmp_path / 'big.db'}"), future=True)()
    try:
        _, many = traced_diagnosis(other, scenario(healthy=400))
    finally:
        other.close()
    assert len(many) == len(few)
    # one query per record kind, each filtered on company and period except components
    for table in RECORD_TABLES:
        queries = [s for s, _ in many if f"FROM {table}" in s]
        assert len(queries) == 1, table
        if table != "components":
            assert "company_id" in queries[0] and "period" in queries[0]
