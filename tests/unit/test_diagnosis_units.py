"""Pure pieces of the diagnosis: the dependency walk, severities, wording and the table."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.core.vocabulary import DEFAULT_DEPENDENCIES, effective_dependencies
from bot.diagnosis import severity, wording
from bot.diagnosis.graph import close_path
from bot.diagnosis.kinds.components import COMPONENT_SEVERITY
from bot.diagnosis.kinds.mismatches import mismatch_summary
from bot.diagnosis.kinds.modules import module_severity
from bot.diagnosis.kinds.orders import order_severity
from bot.diagnosis.kinds.permissions import permission_summary
from bot.diagnosis.render import render_table
from bot.diagnosis.result import Blocker, Diagnosis

ALL_OPEN = {m: "open" for m in DEFAULT_DEPENDENCIES}


# --- graph -----------------------------------------------------------------------------

def test_effective_dependencies_override_only_named_modules():
    deps = effective_dependencies({"general_ledger": ["cash"], "inventory": []})
    assert deps["general_ledger"] == ["cash"] and deps["inventory"] == []
    assert deps["receivables"] == ["sales"]  # untouched default
    assert effective_dependencies(None) == DEFAULT_DEPENDENCIES


def test_path_is_topological_with_target_last():
    path = close_path("general_ledger", ALL_OPEN, effective_dependencies())
    order = path.modules
    assert order[-1] == "general_ledger" and set(order) == set(ALL_OPEN)
    for module, deps in path.depends.items():
        assert all(order.index(d) < order.index(module) for d in deps)
    assert "general_ledger" not in path.dependencies


def test_walk_stops_at_closed_and_missing_modules():
    statuses = {"general_ledger": "open", "receivables": "closed", "sales": "open",
                "inventory": "failed"}
    deps = effective_dependencies({"general_ledger": ["receivables", "inventory", "payroll"],
                                   "inventory": ["sales"]})
    path = close_path("general_ledger", statuses, deps)
    assert path.modules == ["sales", "inventory", "general_ledger"]
    assert path.depends["general_ledger"] == ["inventory"]  # receivables closed, payroll unused
    deps["inventory"] = []
    assert close_path("general_ledger", statuses, deps).modules == ["inventory",
                                                                     "general_ledger"]


def test_closed_target_has_empty_path_and_cycles_terminate():
    assert close_path("cash", {"cash": "closed"}, effective_dependencies()).modules == []
    cyclic = effective_dependencies({"sales": ["cash"], "cash": ["sales"]})
    path = close_path("general_ledger", ALL_OPEN, cyclic)
    assert set(path.modules) == set(ALL_OPEN)


# --- severity --------------------------------------------------------------------------

def test_raise_and_highest():
    assert severity.raise_by("low", 1) == "medium"
    assert severity.raise_by("medium", 2) == "critical"
    assert severity.raise_by("high", 2) == "critical"
    assert severity.highest(["low", "high", "medium"]) == "high"
    assert severity.highest([]) == "low"


@pytest.mark.parametrize("hours_left,levels", [
    (24 * 10, 0), (72.01, 0), (72, 1), (25, 1), (24, 2), (1, 2), (-5, 2)])
def test_deadline_levels(hours_left, levels):
    deadline = datetime(2026, 12, 3, 18, tzinfo=timezone.utc)
    now = deadline - timedelta(hours=hours_left)
    assert severity.deadline_levels(deadline, now) == levels
    assert severity.deadline_levels(None, now) == 0


def test_base_severities():
    assert COMPONENT_SEVERITY["major_outage"] == "critical"
    assert COMPONENT_SEVERITY["partial_outage"] == "high"
    assert COMPONENT_SEVERITY["under_maintenance"] == "high"
    assert COMPONENT_SEVERITY["degraded_performance"] == "medium"
    assert order_severity([["unapproved"], []]) == "medium"
    assert order_severity([["unapproved"], ["missing_price"]]) == "high"
    assert module_severity("open", []) == "medium"
    assert module_severity("failed", []) == "high"
    assert module_severity("open", ["critical", "medium"]) == "critical"
    assert module_severity("open", ["low"], levels=1) == "high"


# --- wording ---------------------------------------------------------------------------

def test_money_is_exact():
    assert wording.money(Decimal("45200"), "CNY") == "45,200.00 CNY"
    assert wording.money(Decimal("0.011")) == "0.011"
    assert wording.money(Decimal("-750.5")) == "-750.50"


def test_mismatch_summary_shows_totals_and_difference():
    text = mismatch_summary("inventory", "1405", Decimal("50000"), Decimal("49250"))
    assert "1405" in text and "50,000.00" in text and "49,250.00" in text
    assert "750.00" in text


def test_permission_wording():
    nobody = permission_summary("u1", "Ann", "payroll", "C1", [])
    assert "admin" in nobody and "u1" in nobody
    some = permission_summary("u1", "Ann", "payroll", "C1", [("u2", "Bo")])
    assert "Bo (u2)" in some


# --- render ----------------------------------------------------------------------------

def test_render_table_headline_rows_and_fixes():
    d = Diagnosis(
        company="C100", period="2026-11", module="general_ledger", target_status="failed",
        target_message="业务系统未结账",
        blockers=[
            Blocker("payment_issue", "receivables", ["PAY-88"], "PAY-88 is pending",
                    "Check with the bank.", "accountant", "high"),
            Blocker("module_not_closed", "receivables", ["receivables"], "AR open",
                    "Run the AR close.", "accountant", "high", [0]),
        ],
    )
    text = render_table(d)
    lines = text.splitlines()
    assert lines[0] == "C100 2026-11 general_ledger: cannot close (2 blockers, 1 root cause)"
    assert "业务系统未结账" in text and "PAY-88 is pending" in text
    assert "Check with the bank." in text and "#0" in text
    closed = Diagnosis(company="C1", period="2026-11", module="cash", target_status="closed")
    assert render_table(closed).splitlines()[0] == "C1 2026-11 cash: can close"
