"""The NLU component tags ticket numbers of the helpdesks the store holds tickets from."""

from datetime import datetime, timezone

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.scenario.load import load_file
from bot.store.db import session_scope
from bot.store.models import Ticket
from rasa_components.ticket_numbers import TicketNumberExtractor
from tests.conftest import DEMO


def tags(extractor: TicketNumberExtractor, text: str, entities=None) -> list:
    message = Message(data={TEXT: text, ENTITIES: entities or []})
    extractor.process([message])
    return [(e["entity"], e["value"]) for e in message.get(ENTITIES)]


def test_store_prefixes_and_the_entity_ruler_reading_is_replaced(monkeypatch, db_url) -> None:
    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", db_url)
    with session_scope() as s:
        load_file(s, DEMO)
        s.add(Ticket(number="ACME-30415", requester_id="u-mei", company_id="C100", period="2026-11",
                     category="other", status="new", priority=3, summary="imported",
                     created_at=datetime(2026, 11, 20, tzinfo=timezone.utc)))
    extractor = TicketNumberExtractor()
    record = [{"entity": "record_id", "start": 12, "end": 22, "value": "ACME-30415"}]
    assert tags(extractor, "any news on ACME-30415?", record) == [("ticket_number", "ACME-30415")]
    assert tags(extractor, "how do I fix SO-1042?") == []
    assert tags(extractor, "status of INC0012345 for [C100]",
                [{"entity": "company", "start": 26, "end": 30, "value": "C100"}]) == [
        ("ticket_number", "INC0012345"), ("company", "C100")]


def test_without_a_configured_store_only_the_built_in_formats(monkeypatch) -> None:
    monkeypatch.delenv("CLOSEBOT_DATABASE_URL", raising=False)
    extractor = TicketNumberExtractor()
    assert tags(extractor, "any news on ACME-30415?") == []
    assert tags(extractor, "any news on HD-30415?") == [("ticket_number", "HD-30415")]


@pytest.fixture
def demo_store(monkeypatch, db_url) -> None:
    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", db_url)
    with session_scope() as s:
        load_file(s, DEMO)


def test_directory_names_after_a_hand_over_are_people(demo_store, monkeypatch) -> None:
    from rasa_components.directory_people import DirectoryPersonExtractor

    assert tags(DirectoryPersonExtractor(), "assign HD-30415 to Hana Kim") == [("person", "Hana Kim")]
    assert tags(DirectoryPersonExtractor(), "hana says it is fixed") == []  # no hand-over, no person
    monkeypatch.delenv("CLOSEBOT_DATABASE_URL")
    # without a directory, a hand-over still names whoever it goes to
    assert tags(DirectoryPersonExtractor(), "assign HD-30415 to Hana Kim") == [("person", "Hana Kim")]


def test_the_stores_companies_by_name_are_companies(demo_store, monkeypatch) -> None:
    from rasa_components.company_names import CompanyNameExtractor

    assert tags(CompanyNameExtractor(), "why can't Northwind close? and contoso manufacturing") == [
        ("company", "Northwind"), ("company", "contoso manufacturing")]
    monkeypatch.delenv("CLOSEBOT_DATABASE_URL")
    assert tags(CompanyNameExtractor(), "why can't Northwind close?") == []


def test_an_out_of_scope_message_keeps_no_entity() -> None:
    from rasa.shared.nlu.constants import INTENT

    from rasa_components.out_of_scope_entities import OutOfScopeEntityFilter

    period = [{"entity": "period", "start": 27, "end": 32, "value": "March"}]
    payslip = Message(data={TEXT: "where is my payslip for March", INTENT: {"name": "out_of_scope"},
                            ENTITIES: list(period)})
    close = Message(data={TEXT: "why can't I close for March", INTENT: {"name": "report_blocked_close"},
                          ENTITIES: list(period)})
    OutOfScopeEntityFilter().process([payslip, close])
    assert payslip.get(ENTITIES) == [] and close.get(ENTITIES) == period
