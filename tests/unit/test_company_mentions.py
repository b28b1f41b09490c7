"""The store's companies found by name in messages (bot.nlp.company_mentions)."""

import pytest

from bot.nlp.company_mentions import CompanyEntry, company_spans, form_owners, name_forms

COMPANIES = [
    CompanyEntry("C100", "Northwind Trading (Shanghai)"),
    CompanyEntry("C200", "Contoso Manufacturing"),
    CompanyEntry("C300", "Global Trading Co., Ltd."),
    CompanyEntry("C400", "上海北风贸易有限公司"),
    CompanyEntry("C500", "Contoso Retail"),
]


def found(text: str) -> list:
    return [(text[start:end], ",".join(ids)) for start, end, ids in company_spans(text, COMPANIES)]


@pytest.mark.parametrize("text, expected", [
    ("why can't Northwind close November?", [("Northwind", "C100")]),
    ("northwind trading is stuck again", [("northwind trading", "C100")]),
    ("Northwind Trading (Shanghai) 的总账结不了", [("Northwind Trading (Shanghai)", "C100")]),
    ("Northwind的应收", [("Northwind", "C100")]),
    ("and Contoso Manufacturing?", [("Contoso Manufacturing", "C200")]),
    ("what about global trading", [("global trading", "C300")]),
    ("上海北风贸易的总账", [("上海北风贸易", "C400")]),
    ("Northwind's payroll", [("Northwind", "C100")]),
])
def test_a_company_is_found_by_what_people_call_it(text, expected) -> None:
    assert found(text) == expected


def test_a_name_two_companies_share_names_both() -> None:
    assert found("contoso is blocked") == [("contoso", "C200,C500")]


@pytest.mark.parametrize("text", [
    "global markets are down",      # a generic first word is no company
    "mail ops@northwind.example",   # an address, not the company
    "northwinds of change",         # not a whole word
])
def test_no_company_from_a_generic_or_partial_word(text) -> None:
    assert found(text) == []


def test_a_form_two_companies_share_names_neither_alone() -> None:
    forms = name_forms(COMPANIES)
    assert "contoso" not in forms and form_owners(COMPANIES)["contoso"] == ("C200", "C500")
    assert forms["contoso retail"] == "C500"
    assert forms["northwind"] == "C100"


def test_the_phrase_index_tries_only_phrases_starting_at_a_word() -> None:
    from bot.nlp.phrase_index import PhraseIndex, longest_first

    index = PhraseIndex({"li wei": "u-li", "li": "lone", "li.wei": "handle", "北风贸易": "C4"},
                        r"(?<![A-Za-z0-9_.@-])", r"(?![A-Za-z0-9_-]|[.@]\w)")
    found = longest_first(index.occurrences("ping Li  Wei, li.wei's and 上海北风贸易; not Lily or oli"))
    assert [(phrase, value) for _, _, phrase, value in found] == [
        ("li wei", "u-li"), ("li.wei", "handle"), ("北风贸易", "C4")]
