"""The project's own spaCy pipeline and the normalisers behind the entities."""

import pytest

from bot.nlp.normalize import resolve_company, resolve_module, resolve_period
from bot.nlp.spacy_pipeline import build_pipeline, is_up_to_date


@pytest.mark.parametrize("text,expected", [
    ("November", "2026-11"), ("nov", "2026-11"), ("December", "2025-12"), ("October", "2026-10"),
    ("last month", "2026-10"), ("this month", "2026-11"), ("2026-09", "2026-09"),
    ("Oct 2025", "2025-10"), ("十一月", "2026-11"), ("11月", "2026-11"), ("2026年10月", "2026-10"),
    ("period 011 2026", "2026-11"), ("11/2026", "2026-11"), ("banana", None),
    ("NOV-25", "2025-11"), ("Nov-2026", "2026-11"),
])
def test_resolve_period(text, expected) -> None:
    assert resolve_period(text, "2026-11") == expected


def test_resolve_period_crosses_the_year() -> None:
    assert resolve_period("last month", "2026-01") == "2025-12"
    assert resolve_period("Feb", "2026-01") == "2025-02"


@pytest.mark.parametrize("text,expected", [
    ("AR", "receivables"), ("accounts payable", "payables"), ("general ledger", "general_ledger"),
    ("GL", "general_ledger"), ("总账", "general_ledger"), ("the inventory module", "inventory"),
    ("库存", "inventory"), ("工资", "payroll"), ("spaceship", None),
    ("purchase ledger", "payables"), ("sales ledger", "receivables"), ("gl", "general_ledger"),
])
def test_resolve_module(text, expected) -> None:
    assert resolve_module(text) == expected


def test_resolve_company() -> None:
    assert resolve_company(" c200 ") == "C200"
    assert resolve_company("company c100") == "C100"


@pytest.fixture(scope="module")
def nlp(tmp_path_factory):
    import spacy

    path = build_pipeline(tmp_path_factory.mktemp("spacy") / "closebot_en")
    assert is_up_to_date(path)
    return spacy.load(path)


@pytest.mark.parametrize("text,expected", [
    ("I cant close November for C200, GL says 业务系统未结账",
     [("November", "period"), ("C200", "company"), ("GL", "module")]),
    ("status of CLS-000123 pls", [("CLS-000123", "ticket_number")]),
    ("why is AR stuck last month? PAY-88 still pending",
     [("AR", "module"), ("last month", "period"), ("PAY-88", "record_id")]),
    ("十一月总账不能结账", [("十一月", "period"), ("总账", "module")]),
    ("inventory 2026-10 wont close", [("inventory", "module"), ("2026-10", "period")]),
    ("may i ask why the ledger fails", [("ledger", "module")]),
    # document kinds are not modules; ERP message numbers are not companies
    ("there are unpriced sales orders in the period", [("sales orders", "document")]),
    ("closing Nov -> Message no. CL017: Business systems not closed",
     [("Nov", "period"), ("Message no. CL017", "error_code")]),
    ("why won't the purchase ledger close", [("purchase ledger", "module")]),
    ("any update on #cls-12", [("#cls-12", "ticket_number")]),
    ("ORA-20001: GL period NOV-26 cannot be closed",
     [("ORA-20001", "record_id"), ("GL", "module"), ("NOV-26", "period")]),
])
def test_pipeline_entities(nlp, text, expected) -> None:
    assert [(e.text, e.label_) for e in nlp(text).ents] == expected
