"""Ticket numbers in any helpdesk's format are tagged; record ids, amounts and periods are not."""

import pytest

from bot.nlp.ticket_mentions import ticket_spans


def tagged(text: str) -> list:
    return [text[a:b] for a, b in ticket_spans(text)]


@pytest.mark.parametrize(("text", "numbers"), [
    ("status of CLS-000123", ["CLS-000123"]),
    ("assign HD-30415 to li.wei", ["HD-30415"]),
    ("INC0012345 any update?", ["INC0012345"]),
    ("resolve FIN-88: done", ["FIN-88"]),
    ("what's up with ticket 30415", ["30415"]),
    ("工单 30415 怎么样了", ["30415"]),
    ("把HD-30415分配给li.wei", ["HD-30415"]),
    ("关闭FIN-88", ["FIN-88"]),
    ("take #4411", ["#4411"]),
    ("hd 30415 status", ["hd 30415"]),
    ("#CLS-12 resolved", ["#CLS-12"]),
    ("close AB-12 please", ["AB-12"]),  # a command's id of an unknown helpdesk
    ("incident no. 7 status", ["7"]),
])
def test_ticket_numbers_in_any_format(text: str, numbers: list) -> None:
    assert tagged(text) == numbers


@pytest.mark.parametrize("text", [
    "how do I fix SO-1042", "resolve PAY-88", "November 2026", "set nov-26 to waiting", "the 750 difference",
    "C200 queue", "2 tickets for C200", "pay 88 issue", "V-2026-11-0087 is a draft",
])
def test_records_amounts_periods_and_companies_are_not_tickets(text: str) -> None:
    assert tagged(text) == []


def test_the_stores_prefixes_count_too() -> None:
    assert tagged("any news on ACME-77?") == []
    text = "any news on ACME-77?"
    assert [text[a:b] for a, b in ticket_spans(text, ["acme"])] == ["ACME-77"]
