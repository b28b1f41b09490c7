"""Loading scenarios into a real SQLite database: all or nothing, replace on reload."""

import copy
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.errors import ScenarioError
from bot.scenario.load import load_file, load_scenario
from bot.store.models import (
    AuditEntry,
    Company,
    ModuleState,
    Order,
    Payment,
    Reconciliation,
    Ticket,
    User,
)
from tests.conftest import DEMO
from tests.unit.test_scenario_parse import BASE

HERE = Path(__file__).resolve().parents[1] / "scenarios"

DEMO_COUNTS = {
    "companies": 2,
    "users": 8,
    "modules": 17,
    "orders": 7,
    "payments": 5,
    "jobs": 3,
    "vouchers": 3,
    "reconciliations": 4,
    "components": 3,
    "tickets": 1,
}


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def snapshot(session) -> dict:
    return {
        "companies": sorted(session.scalars(select(Company.id))),
        "users": sorted(session.scalars(select(User.id))),
        "orders": sorted(session.scalars(select(Order.id))),
        "payments": sorted(session.scalars(select(Payment.id))),
        "tickets": sorted(session.scalars(select(Ticket.number))),
        "modules": count(session, ModuleState),
    }


def test_demo_loads_with_expected_counts(session):
    counts = load_file(session, DEMO)
    session.commit()
    assert counts == DEMO_COUNTS
    assert count(session, Company) == 2 and count(session, User) == 8
    assert count(session, ModuleState) == 17
    gl = session.scalars(
        select(ModuleState).where(
            ModuleState.company_id == "C100",
            ModuleState.period == "2026-11",
            ModuleState.module == "general_ledger",
        )
    ).one()
    assert gl.status == "failed" and gl.message.startswith("业务系统未结账")
    pay = session.get(Payment, "PAY-88")
    assert pay.order_id == "SO-1040" and pay.owner_id == "u-alex"
    assert pay.amount == Decimal("45200.00")
    cash = session.scalars(select(Reconciliation).where(Reconciliation.account == "1002 Bank deposits")).one()
    assert cash.gl_total - cash.subledger_total == Decimal("0.01")
    ticket = session.scalars(select(Ticket)).one()
    assert ticket.number == "CLS-000001"
    assert ticket.requester_id == "u-alex" and ticket.assignee_id == "u-hana"
    assert ticket.updated_at == ticket.created_at
    assert ticket.created_at.isoformat() == "2026-11-02T01:15:00+00:00"
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "scenario_load")).one()
    assert audit.detail == DEMO_COUNTS


def test_demo_session_fixture(demo_session):
    assert demo_session.get(Company, "C200").depends_on == {
        "general_ledger": ["sales", "purchasing", "inventory", "receivables", "payables", "cash"]
    }


def test_yaml_and_json_load_exact_amounts(session):
    load_file(session, HERE / "minimal.yml")
    session.commit()
    assert session.get(Order, "0042").amount == Decimal("0.10")
    assert str(session.get(Order, "0042").amount) == "0.10"
    assert session.get(Payment, "P1").amount == Decimal("100.005")
    load_file(session, HERE / "minimal.json")
    session.commit()
    assert session.get(Order, "SO-1").amount == Decimal("0.1")
    assert session.get(Order, "0042") is None


def test_second_load_replaces_first(session):
    load_file(session, DEMO)
    session.commit()
    counts = load_scenario(session, copy.deepcopy(BASE))
    session.commit()
    assert counts["companies"] == 1
    assert snapshot(session) == {
        "companies": ["C1"],
        "users": ["u1"],
        "orders": ["SO-1"],
        "payments": ["P1"],
        "tickets": ["CLS-1"],
        "modules": 1,
    }


@pytest.mark.parametrize("breakage", ["enum", "reference", "missing_file", "syntax"])
def test_invalid_load_changes_nothing(session, tmp_path, breakage):
    load_file(session, DEMO)
    session.commit()
    before = snapshot(session)
    if breakage == "enum":
        path = HERE / "bad_status.yml"
    elif breakage == "reference":
        path = tmp_path / "bad_ref.yml"
        text = DEMO.read_text(encoding="utf-8").replace("order: SO-1040", "order: SO-9999")
        path.write_text(text, encoding="utf-8")
    elif breakage == "missing_file":
        path = tmp_path / "missing.yml"
    else:
        path = tmp_path / "broken.yml"
        path.write_text("version: 1\ncompanies: [\n")
    with pytest.raises(ScenarioError) as info:
        load_file(session, path)
    session.rollback()
    if breakage == "reference":
        assert any(e.startswith("payments[0].order: unknown order 'SO-9999'") for e in info.value.errors)
    assert snapshot(session) == before
    assert count(session, AuditEntry) == 1


def test_invalid_document_changes_nothing(session):
    load_scenario(session, copy.deepcopy(BASE))
    session.commit()
    document = copy.deepcopy(BASE)
    document["companies"][0]["id"] = "C2"
    document["orders"][0]["status"] = "postd"
    with pytest.raises(ScenarioError):
        load_scenario(session, document)
    session.rollback()
    assert snapshot(session)["companies"] == ["C1"]


def test_audit_log_and_comments_across_reloads(session):
    from bot.store.models import TicketComment

    load_file(session, DEMO)
    session.commit()
    ticket = session.scalars(select(Ticket)).one()
    session.add(TicketComment(ticket_id=ticket.id, author_id="u-hana", body="looking"))
    session.commit()
    load_scenario(session, copy.deepcopy(BASE))
    session.commit()
    # Comments belong to the replaced tickets; the audit log is history and stays.
    assert count(session, TicketComment) == 0
    actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["scenario_load", "scenario_load"]


def test_load_in_batches_keeps_every_row(session, monkeypatch):
    import bot.scenario.load as load_module

    monkeypatch.setattr(load_module, "BATCH_SIZE", 2)
    document = copy.deepcopy(BASE)
    template = document["orders"][0]
    document["orders"] = [{**template, "id": f"SO-{i}", "amount": f"{i}.05"} for i in range(7)]
    document["payments"][0]["order"] = "SO-6"
    counts = load_scenario(session, document)
    session.commit()
    assert counts["orders"] == 7
    amounts = sorted(session.scalars(select(Order.amount)))
    assert amounts == [Decimal(f"{i}.05") for i in range(7)]


def test_objects_loaded_before_a_reload_are_not_stale(session):
    load_scenario(session, copy.deepcopy(BASE))
    session.commit()
    order = session.get(Order, "SO-1")
    document = copy.deepcopy(BASE)
    document["orders"][0]["status"] = "draft"
    load_scenario(session, document)
    session.commit()
    assert session.get(Order, "SO-1").status == "draft"
    assert order.status == "draft"


def test_datetimes_stored_in_utc_and_returned_aware(session):
    load_file(session, HERE / "minimal.yml")
    session.commit()
    ticket = session.scalars(select(Ticket)).one()
    assert ticket.number == "CLS-000007"
    assert ticket.created_at.isoformat() == "2026-11-20T02:00:00+00:00"
    assert session.get(Company, "C1").close_deadline.isoformat() == "2026-12-01T18:00:00+00:00"
