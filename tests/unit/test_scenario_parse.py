"""Parsing and checking scenario files: every error is reported with its path."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.core.errors import ScenarioError
from bot.scenario.parse import parse_document, parse_file
from tests.conftest import DEMO

HERE = Path(__file__).resolve().parents[1] / "scenarios"

BASE = {
    "version": 1,
    "companies": [{"id": "C1", "name": "Tiny Co", "current_period": "2026-11"}],
    "users": [{"id": "u1", "name": "One", "role": "accountant", "company": "C1"}],
    "modules": [{"company": "C1", "period": "2026-11", "module": "sales", "status": "open"}],
    "orders": [
        {
            "id": "SO-1",
            "company": "C1",
            "period": "2026-11",
            "kind": "sales",
            "status": "posted",
            "amount": "10.00",
            "currency": "CNY",
            "owner": "u1",
        },
    ],
    "payments": [
        {
            "id": "P1",
            "company": "C1",
            "period": "2026-11",
            "direction": "in",
            "method": "cash",
            "status": "pending",
            "amount": "10.00",
            "currency": "CNY",
            "order": "SO-1",
        },
    ],
    "tickets": [
        {
            "number": "CLS-1",
            "requester": "u1",
            "company": "C1",
            "category": "other",
            "status": "new",
            "priority": 2,
            "summary": "Help",
            "created_at": "2026-11-20T10:00:00+08:00",
        },
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
    assert len(data.users) == 8


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


# --- More invalid files: each kind of error names its path -------------------------------


def test_bad_timezone():
    document = changed()
    document["companies"][0]["timezone"] = "Mars/Olympus_Mons"
    assert errors_of(document) == ["companies[0].timezone: unknown IANA time zone 'Mars/Olympus_Mons'"]


def test_missing_required_field_names_entry_and_field():
    document = changed()
    del document["orders"][0]["status"]
    assert errors_of(document) == ["orders[0]: 'status' is a required property"]


def test_version_must_be_exactly_1():
    assert errors_of(changed(version=2)) == ["version: 1 was expected"]
    assert errors_of(changed(version="1")) == ["version: '1' is not of type integer"]


def test_empty_companies_is_an_error():
    document = changed(companies=[])
    for section in ("users", "orders", "payments", "tickets"):
        document[section] = []
    document["modules"] = []
    assert errors_of(document) == ["companies: at least one company is required"]


def test_unknown_key_inside_depends_on_and_bad_dependency():
    document = changed()
    document["companies"][0]["depends_on"] = {"sale": [], "cash": ["bank"]}
    errors = errors_of(document)
    assert any(e.startswith("companies[0].depends_on: key 'sale' is not one of") for e in errors)
    assert any(e.startswith("companies[0].depends_on.cash[0]: 'bank' is not one of") for e in errors)


def test_self_dependency_is_a_cycle_and_names_it():
    document = changed()
    document["companies"][0]["depends_on"] = {"cash": ["cash"]}
    assert errors_of(document) == ["companies[0].depends_on: dependency cycle cash -> cash"]


@pytest.mark.parametrize(
    "depends_on, cycle",
    [
        ({"sales": ["inventory"]}, "sales -> inventory -> sales"),
        (
            {"general_ledger": ["cash"], "cash": ["payables"], "payables": ["general_ledger"]},
            "payables -> general_ledger -> cash -> payables",
        ),
        (  # two cycles: the one met first walking the modules in vocabulary order
            {
                "payroll": ["fixed_assets"],
                "fixed_assets": ["payroll"],
                "sales": ["purchasing"],
                "purchasing": ["sales"],
            },
            "sales -> purchasing -> sales",
        ),
        ({"inventory": ["general_ledger"]}, "inventory -> general_ledger -> inventory"),
    ],
)
def test_dependency_cycle_is_named_the_same_way_every_time(depends_on, cycle):
    document = changed()
    document["companies"][0]["depends_on"] = depends_on
    assert errors_of(document) == [f"companies[0].depends_on: dependency cycle {cycle}"]


def test_override_removing_defaults_is_not_a_cycle():
    document = changed()
    # inventory normally depends on sales; sales -> inventory is fine once inventory is emptied.
    document["companies"][0]["depends_on"] = {"inventory": [], "sales": ["inventory"]}
    assert parse_document(document).companies[0]["depends_on"] == {
        "inventory": [],
        "sales": ["inventory"],
    }


def test_dangling_module_and_ticket_references():
    document = changed()
    document["modules"][0]["company"] = "C9"
    document["tickets"][0]["requester"] = "u9"
    assert errors_of(document) == [
        "modules[0].company: unknown company 'C9'",
        "tickets[0].requester: unknown user 'u9'",
    ]


def test_duplicate_ticket_numbers_and_company_ids():
    document = changed()
    document["tickets"].append(copy.deepcopy(document["tickets"][0]))
    document["companies"].append(copy.deepcopy(document["companies"][0]))
    errors = errors_of(document)
    assert any(e.startswith("companies[1].id: duplicate id 'C1'") for e in errors)
    assert any(e.startswith("tickets[1].number: duplicate number 'CLS-1'") for e in errors)


def test_priority_out_of_range_and_wrong_types():
    document = changed()
    document["tickets"][0]["priority"] = 5
    document["orders"][0]["amount"] = True
    document["users"][0]["close_permissions"] = ["sales", "sales"]
    errors = errors_of(document)
    assert "tickets[0].priority: 5 is greater than the maximum of 4" in errors
    assert "orders[0].amount: True is not of type number or string" in errors
    assert any(e.startswith("users[0].close_permissions:") for e in errors)


def test_non_mapping_top_level(tmp_path):
    path = tmp_path / "list.yml"
    path.write_text("- version: 1\n")
    errors = errors_of_file(path)
    assert len(errors) == 1 and "must be a mapping, found a list" in errors[0]
    assert str(path) in errors[0]


def test_json_duplicate_key_and_nan(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"version": 1, "version": 1}')
    assert "duplicate key 'version'" in errors_of_file(path)[0]
    path.write_text('{"version": NaN}')
    assert "NaN is not a number" in errors_of_file(path)[0]


@pytest.mark.parametrize(
    "value, problem",
    [
        ("2026-11-20", "is not an ISO-8601 datetime"),
        ("2026-11-20T10:00", "has no UTC offset"),
        ("2026-02-30T10:00:00+08:00", "is not a valid datetime"),
        ("2026-11-20T10:00:00+25:00", "impossible UTC offset"),
    ],
)
def test_bad_datetimes(value, problem):
    document = changed()
    document["tickets"][0]["created_at"] = value
    errors = errors_of(document)
    assert len(errors) == 1
    assert errors[0].startswith("tickets[0].created_at:") and problem in errors[0]


def test_error_messages_are_sorted_by_document_order():
    document = changed()
    document["tickets"][0]["status"] = "nope"
    document["orders"][0]["kind"] = "nope"
    document["companies"][0]["current_period"] = "2026-1"
    errors = errors_of(document)
    assert [e.split(":")[0] for e in errors] == [
        "companies[0].current_period",
        "orders[0].kind",
        "tickets[0].status",
    ]


# --- Valid files: YAML's guesses are undone, values exact ------------------------------

UNQUOTED = """\
version: 1
companies:
  - id: C1
    name: No
    current_period: 2026-11
    close_deadline: 2026-12-03T18:00:00+08:00
    timezone: Asia/Shanghai
users:
  - {id: 1042, name: On, role: accountant, company: C1}
modules:
  - {company: C1, period: 2026-11, module: sales, status: open,
     updated_at: 2026-11-30 22:40:00.5 -05:00}
orders:
  - {id: A, company: C1, period: 2026-11, kind: sales, status: posted, amount: 0.1, currency: CNY}
  - {id: B, company: C1, period: 2026-11, kind: sales, status: posted, amount: 0.2, currency: CNY,
     owner: 1042}
vouchers:
  - {id: V1, company: C1, period: 2026-11, status: draft, amount: 12800}
"""


def test_unquoted_values_keep_their_meaning(tmp_path):
    path = tmp_path / "unquoted.yml"
    path.write_text(UNQUOTED)
    data = parse_file(path)
    company = data.companies[0]
    assert company["name"] == "No"  # YAML 1.1 would read False
    assert company["current_period"] == "2026-11"
    deadline = company["close_deadline"]
    assert deadline.utcoffset().total_seconds() == 8 * 3600  # offset kept, not naive UTC
    assert deadline.hour == 18
    assert data.users[0]["id"] == "1042" and data.users[0]["name"] == "On"
    assert data.orders[1]["owner"] == "1042"
    updated = data.modules[0]["updated_at"]
    assert updated.microsecond == 500000 and updated.utcoffset().total_seconds() == -5 * 3600
    a, b = data.orders[0]["amount"], data.orders[1]["amount"]
    assert isinstance(a, Decimal) and a + b == Decimal("0.3")
    assert data.vouchers[0]["amount"] == Decimal("12800")


def test_unquoted_and_quoted_forms_parse_the_same(tmp_path):
    quoted = (
        UNQUOTED.replace("2026-11,", '"2026-11",')
        .replace("current_period: 2026-11", 'current_period: "2026-11"')
        .replace("0.1,", '"0.1",')
        .replace("2026-12-03T18:00:00+08:00", '"2026-12-03T18:00:00+08:00"')
    )
    assert quoted != UNQUOTED
    first, second = tmp_path / "a.yml", tmp_path / "b.yml"
    first.write_text(UNQUOTED)
    second.write_text(quoted)
    assert parse_file(first) == parse_file(second)


def test_null_optional_fields_and_empty_sections():
    document = changed(jobs=None, components=None)
    document["users"][0]["email"] = None
    document["users"][0]["close_permissions"] = None
    data = parse_document(document)
    assert data.jobs == [] and data.components == []
    assert data.users[0]["email"] is None and data.users[0]["close_permissions"] == []


def test_every_field_present_after_parsing():
    data = parse_document(changed())
    assert set(data.orders[0]) == {
        "id",
        "company",
        "period",
        "kind",
        "status",
        "amount",
        "currency",
        "issues",
        "counterparty",
        "owner",
    }
    assert data.orders[0]["issues"] == [] and data.orders[0]["counterparty"] is None


# --- The compiled fast check must agree with jsonschema --------------------------------


def _mutations():
    order = BASE["orders"][0]
    yield "orders", dict(order)
    yield "orders", {**order, "status": "postd"}
    yield "orders", {**order, "amount": True}
    yield "orders", {**order, "amount": None}
    yield "orders", {**order, "owner": None}
    yield "orders", {**order, "owner": ""}
    yield "orders", {**order, "issues": ["missing_price", "missing_price"]}
    yield "orders", {**order, "issues": "missing_price"}
    yield "orders", {**order, "currency": "cny"}
    yield "orders", {**order, "period": "2026-13"}
    yield "orders", {**order, "extra": 1}
    yield "orders", {k: v for k, v in order.items() if k != "kind"}
    ticket = BASE["tickets"][0]
    yield "tickets", {**ticket, "priority": 0}
    yield "tickets", {**ticket, "priority": 4}
    yield "tickets", {**ticket, "priority": 2.0}
    yield "tickets", {**ticket, "priority": True}
    yield "tickets", {**ticket, "period": None}
    yield "tickets", ["not", "a", "mapping"]


@pytest.mark.parametrize("section, entry", list(_mutations()))
def test_fast_check_agrees_with_jsonschema(section, entry):
    from bot.scenario.schema_check import _FAST_CHECKS, _item_validator

    fast = _FAST_CHECKS[section]
    assert fast is not None
    slow_ok = not list(_item_validator(section).iter_errors(entry))
    # The fast check may only be stricter (it then defers to jsonschema), never laxer.
    assert not fast(entry) or slow_ok
    if entry.__class__ is dict and entry.get("priority") != 2.0:
        assert fast(entry) == slow_ok
