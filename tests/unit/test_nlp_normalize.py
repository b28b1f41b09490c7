"""bot.nlp.normalize: periods, modules, company ids and ticket numbers as the store wants them."""

import pytest

from bot.core.vocabulary import MODULES
from bot.nlp.normalize import (
    resolve_company,
    resolve_module,
    resolve_period,
    resolve_ticket_number,
)

REF = "2026-11"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("November", "2026-11"),
        ("FY26 P11", "2026-11"),
        ("P3 FY2026", "2026-03"),
        ("fy26-p10", "2026-10"),
        ("FY26 period 9", "2026-09"),
        ("nov", "2026-11"),
        ("Nov.", "2026-11"),
        ("novemeber", "2026-11"),
        ("11月", "2026-11"),
        ("十一月", "2026-11"),
        ("December", "2025-12"),
        ("十二月", "2025-12"),
        ("October", "2026-10"),
        ("一月", "2026-01"),
        ("last month", "2026-10"),
        ("Last Month", "2026-10"),
        ("previous period", "2026-10"),
        ("上个月", "2026-10"),
        ("this month", "2026-11"),
        ("本月", "2026-11"),
        ("2026-09", "2026-09"),
        ("2026/09", "2026-09"),
        ("Oct 2025", "2025-10"),
        ("May 2026", "2026-05"),
        ("2026年11月", "2026-11"),
        ("Posting period 011 2026", "2026-11"),
        ("11/2026", "2026-11"),
        (" nov ", "2026-11"),
        ("banana", None),
        ("2026", None),
        ("", None),
    ],
)
def test_resolve_period(text, expected) -> None:
    assert resolve_period(text, REF) == expected


def test_resolve_period_across_the_year_boundary() -> None:
    assert resolve_period("last month", "2026-01") == "2025-12"
    assert resolve_period("December", "2026-01") == "2025-12"
    assert resolve_period("January", "2026-01") == "2026-01"


def test_resolve_period_rejects_a_bad_reference() -> None:
    with pytest.raises(ValueError):
        resolve_period("November", "November")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("GL", "general_ledger"),
        ("gl", "general_ledger"),
        ("general ledger", "general_ledger"),
        ("ledger", "general_ledger"),
        ("总账", "general_ledger"),
        ("AR", "receivables"),
        ("accounts receivable", "receivables"),
        ("应收", "receivables"),
        ("AP", "payables"),
        ("payables", "payables"),
        ("应付", "payables"),
        ("stock", "inventory"),
        ("the inventory module", "inventory"),
        ("库存", "inventory"),
        ("销售", "sales"),
        ("采购", "purchasing"),
        ("fixed assets", "fixed_assets"),
        ("固定资产", "fixed_assets"),
        ("工资", "payroll"),
        ("薪资", "payroll"),
        ("出纳", "cash"),
        ("现金", "cash"),
        ("spaceship", None),
        ("", None),
    ],
)
def test_resolve_module(text, expected) -> None:
    assert resolve_module(text) == expected


@pytest.mark.parametrize("module", MODULES)
def test_every_contract_module_resolves_to_itself(module) -> None:
    assert resolve_module(module) == module


@pytest.mark.parametrize(
    "text,expected",
    [("c200", "C200"), (" C100 ", "C100"), ("c-300", "C-300"), ("company c100", "C100")],
)
def test_resolve_company(text, expected) -> None:
    assert resolve_company(text) == expected


def test_resolve_ticket_number() -> None:
    assert resolve_ticket_number("cls-12") == "CLS-000012"
    assert resolve_ticket_number("CLS12") == "CLS-000012"
    assert resolve_ticket_number("CLS 7") == "CLS-000007"
    assert resolve_ticket_number("#cls 000140") == "CLS-000140"
    assert resolve_ticket_number("inc0010002") == "INC0010002"
    assert resolve_ticket_number("#CLS-000123") == "CLS-000123"
