"""Parsing and checking scenario files: every error is reported with its path."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.errors import ScenarioError
from bot.scenario.parse import parse_document, parse_file
from tests.conftest import DEMO

HERE = Path(__file__).resolve().parent / "scenarios"

BASE = {
    "version": 1,
    "companies": [{"id": "C1", "name": "Tiny Co", "current_period": "2026-11"}],
    "users": [{"id": "u1", "name": "One", "role": "accountant", "company": "C1"}],
    "modules": [{"company": "C1", "period": "2026-11", "module": "sales", "status": "open"}],
    "orders": [
        {"id": "SO-1", "company": "C1", "period": "2026-11", "kind": "sales",
         "status": "posted", "amount": "10.00", "currency": "CNY", "owner": "u1"},
    ],
    "payments": [
        {"id": "P1", "company": "C1", "period": "2026-11", "direction": "in",
         "method": "cash", "status": "pending", "amount": "10.00", "currency": "CNY",
         "order": "SO-1"},
    ],
    "tickets": [
        {"number": "CLS-1", "requester": "u1", "company": "C1", "category": "other",
         "status": "new", "priority": 2, "summary": "Help",
         "created_at": "2026-11-20T10:00:00+08:00"},
    ],
}


def errors_of(document) -> list:
    with pytest.raises(ScenarioError) as info:
        parse_document(document)
    return info.value.errors


def errors_of_file(path: Path) -> list:
    with pytest.raises(ScenarioError) as info:
        parse_file(path)
    return info.value.errors


def changed(**sections):
    document = copy.deepcopy(BASE)
    document.update(sections)
    return document


def test_base_document_is_valid():
    data = parse_document(copy.deepcopy(BASE))
    assert data.counts()["orders"] == 1
    assert data.companies[0]["timezone"] == "UTC"
    assert data.users[0]["close_permissions"] == []


def test_demo_is_valid():
    data = parse_file(DEMO)
    assert {c["id"] for c in data.companies} == {"C100", "C200"}
    assert len(data.users) == 7


def test_valid_yaml_keeps_amounts_exact_and_ids_as_text():
    data = parse_file(HERE / "minimal.yml")
    order = data.orders[0]
    assert order["id"] == "0042"
    assert order["amount"] == Decimal("0.10") and isinstance(order["amount"], Decimal)
    assert str(order["amount"]) == "0.10"
    assert data.payments[0]["amount"] == Decimal("100.005")
    assert data.reconciliations[0]["subledger_total"] == Decimal("1.10")
    assert data.companies[0]["close_deadline"].utcoffset().total_seconds() == 0
    assert data.companies[0]["current_period"] == "2026-11"
    assert data.tickets[0]["created_at"].utcoffset().total_seconds() == 8 * 3600


def test_valid_json():
    data = parse_file(HERE / "minimal.json")
    assert data.orders[0]["amount"] == Decimal("0.1")
    assert isinstance(data.orders[0]["amount"], Decimal)
    assert data.companies[0]["timezone"] == "Europe/Berlin"


def test_bad_enum_names_its_path():
    errors = errors_of_file(HERE / "bad_status.yml")
    assert len(errors) == 1
    assert errors[0].startswith("orders[1].status: 'postd' is not one of [")


def test_unknown_keys():
    document = copy.deepcopy(BASE)
    document["order"] = []
    document["orders"][0]["colour"] = "red"
    errors = errors_of(document)
    assert any(e.startswith("order: unknown key") for e in errors)
    assert any(e.startswith("orders[0].colour: unknown key") for e in errors)


def test_unresolved_references():
    document = copy.deepcopy(BASE)
    document["users"][0]["company"] = "C9"
    document["orders"][0]["owner"] = "ghost"
    document["payments"][0]["order"] = "SO-404"
    document["tickets"][0]["assignee"] = "nobody"
    errors = errors_of(document)
    assert "users[0].company: unknown company 'C9'" in errors
    assert "orders[0].owner: unknown user 'ghost'" in errors
    assert "payments[0].order: unknown order 'SO-404'" in errors
    assert "tickets[0].assignee: unknown user 'nobody'" in errors


def test_duplicate_ids_and_module_states():
    document = copy.deepcopy(BASE)
    document["orders"].append(copy.deepcopy(document["orders"][0]))
    document["modules"].append(copy.deepcopy(document["modules"][0]))
    errors = errors_of(document)
    assert any(e.startswith("orders[1].id: duplicate id 'SO-1'") for e in errors)
    assert any(e.startswith("modules[1]: duplicate module state") for e in errors)


def test_dependency_cycle():
    document = copy.deepcopy(BASE)
    document["companies"][0]["depends_on"] = {"sales": ["inventory"]}
    errors = errors_of(document)
    assert len(errors) == 1
    assert errors[0].startswith("companies[0].depends_on: dependency cycle")


def test_datetime_without_offset():
    document = copy.deepcopy(BASE)
    document["tickets"][0]["created_at"] = "2026-11-20T10:00:00"
    errors = errors_of(document)
    assert len(errors) == 1
    assert errors[0].startswith("tickets[0].created_at:") and "offset" in errors[0]


def test_unquoted_datetime_without_offset_in_yaml(tmp_path):
    document = copy.deepcopy(BASE)
    text = yaml.safe_dump(document).replace(
        "created_at: '2026-11-20T10:00:00+08:00'", "created_at: 2026-11-20T10:00:00"
    )
    path = tmp_path / "naive.yml"
    path.write_text(text)
    errors = errors_of_file(path)
    assert [e.split(":")[0] for e in errors] == ["tickets[0].created_at"]


def test_bad_decimals():
    document = copy.deepcopy(BASE)
    document["orders"][0]["amount"] = "12,50"
    document["payments"][0]["amount"] = "NaN"
    errors = errors_of(document)
    assert any(e.startswith("orders[0].amount:") for e in errors)
    assert any(e.startswith("payments[0].amount:") for e in errors)


def test_bad_periods():
    document = copy.deepcopy(BASE)
    document["companies"][0]["current_period"] = "2026-13"
    document["modules"][0]["period"] = "Nov 2026"
    errors = errors_of(document)
    assert any(e.startswith("companies[0].current_period:") for e in errors)
    assert any(e.startswith("modules[0].period:") for e in errors)


def test_every_error_is_reported_at_once():
    document = copy.deepcopy(BASE)
    document["orders"][0]["status"] = "postd"
    document["orders"][0]["amount"] = "abc"
    document["users"][0]["role"] = "boss"
    document["version"] = 2
    errors = errors_of(document)
    prefixes = {e.split(":")[0] for e in errors}
    assert {"version", "orders[0].status", "orders[0].amount", "users[0].role"} <= prefixes


def test_missing_required_sections():
    errors = errors_of({"version": 1, "companies": []})
    assert any("users" in e for e in errors)
    assert any(e.startswith("companies:") for e in errors)


def test_yaml_syntax_error(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("version: 1\ncompanies: [\n")
    errors = errors_of_file(path)
    assert len(errors) == 1 and "YAML error" in errors[0]


def test_duplicate_yaml_key(tmp_path):
    path = tmp_path / "dup.yml"
    path.write_text("version: 1\nversion: 1\n")
    errors = errors_of_file(path)
    assert "duplicate key" in errors[0]


def test_json_syntax_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(BASE)[:-5])
    errors = errors_of_file(path)
    assert len(errors) == 1 and "JSON error" in errors[0]


def test_missing_file(tmp_path):
    errors = errors_of_file(tmp_path / "nope.yml")
    assert errors == [f"cannot read {tmp_path / 'nope.yml'}: no such file"]


def test_empty_file(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("")
    assert "empty file" in errors_of_file(path)[0]
