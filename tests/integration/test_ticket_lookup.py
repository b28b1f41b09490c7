"""A ticket named in any format the store holds is found; a number not there is said to be
missing; words that only look like numbers name no ticket."""

from datetime import datetime, timezone

import pytest

from bot.store.models import Ticket
from bot.tickets.lookup import named_ticket, ticket_key

FOREIGN = ["HD-30415", "INC0012345", "FIN-88", "CLS-030415"]


@pytest.fixture
def store(demo_session):
    for n, number in enumerate(FOREIGN):
        demo_session.add(Ticket(number=number, requester_id="u-mei", company_id="C100", period="2026-11",
                                category="other", status="new", priority=3, summary=f"imported {n}",
                                created_at=datetime(2026, 11, 20, tzinfo=timezone.utc)))
    demo_session.commit()
    return demo_session


@pytest.mark.parametrize("text,number", [
    ("assign HD-30415 to li.wei", "HD-30415"),
    ("resolve hd 30415: bank file re-sent", "HD-30415"),
    ("status of inc12345?", "INC0012345"),
    ("what about INC0012345", "INC0012345"),
    ("comment on #FIN-88: called the bank", "FIN-88"),
    ("fin88 please", "FIN-88"),
    ("status of cls-1", "CLS-000001"),
    ("status of CLS 1", "CLS-000001"),
    ("is #cls000001 done", "CLS-000001"),
    ("ticket 88", "FIN-88"),
])
def test_any_format_the_store_holds(store, text: str, number: str) -> None:
    named = named_ticket(store, text)
    assert named.ticket is not None and named.ticket.number == number


def test_bare_digits_matching_two_tickets_are_ambiguous(store) -> None:
    named = named_ticket(store, "what's the status of ticket 30415")
    assert named.ticket is None and sorted(t.number for t in named.tickets) == ["CLS-030415", "HD-30415"]


@pytest.mark.parametrize("text,said", [
    ("assign HD-99999 to me", "HD-99999"),
    ("resolve INC0099999: done", "INC0099999"),
    ("status of ticket 4242", "4242"),
    ("status of cls-777", "cls-777"),
])
def test_a_number_the_store_does_not_hold_is_named_but_missing(store, text: str, said: str) -> None:
    named = named_ticket(store, text)
    assert named.said == said and named.tickets == []


@pytest.mark.parametrize("text", [
    "resolve it", "what's blocking C200?", "how do I fix SO-1042", "why can't I close November 2026",
    "assign the P1 one to me", "what's in the queue for Q4 2026", "PAY-88 is still pending",
    "resolve it: fixed SO-1042",
])
def test_words_that_only_look_like_numbers_name_no_ticket(store, text: str) -> None:
    assert named_ticket(store, text).said is None


def test_the_nlu_value_is_looked_up_first(store) -> None:
    assert named_ticket(store, "assign HD-30415 to me", also=["FIN-88"]).ticket.number == "FIN-88"


def test_keys() -> None:
    assert ticket_key("HD-030415") == ticket_key("hd30415") == ticket_key("#HD 30415") == ("HD", 30415)
    assert ticket_key("V-2026-11-0087") is None and ticket_key("30415") is None
