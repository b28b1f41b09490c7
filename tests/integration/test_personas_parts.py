"""The pure parts behind the personas: command text, transcripts, and the store on old databases."""


import pytest
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.orm import sessionmaker

from bot.conversation.transcript import build_transcript
from bot.nlp.commands import (
    assignee_from_text,
    free_text,
    note_despite_intent,
    queue_filter_from_text,
    status_from_text,
)
from bot.store.db import get_engine
from bot.store.models import Base, Notification
from tests.pg_support import throwaway_database


@pytest.mark.parametrize("message, asked, expected", [
    ("resolve CLS-000002", False, None),
    ("resolve it", False, None),
    ("close CLS-2: bank file re-sent", False, "bank file re-sent"),
    ("mark cls-000002 as resolved - customer fixed the price", False, "customer fixed the price"),
    ("resolve CLS-2 with note the job was re-run", False, "the job was re-run"),
    ("answer #cls-7 saying book it to 6603", False, "book it to 6603"),
    ("the bank re-sent the file", True, "the bank re-sent the file"),
    ("ok", True, None),
    ('/resolve_ticket{"ticket_number": "CLS-000002"}', False, None),
])
def test_free_text_of_a_command(message, asked, expected) -> None:
    assert free_text(message, asked) == expected


@pytest.mark.parametrize("message, intent, expected", [
    # a statement read as a question intent is the note it is
    ("payments from Bank of Shanghai stuck since this morning", "system_status",
     "payments from Bank of Shanghai stuck since this morning"),
    ("I tried fixing the price but the order is locked", "fix_blocker",
     "I tried fixing the price but the order is locked"),
    ("银行接口从早上开始一直卡住", "system_status", "银行接口从早上开始一直卡住"),
    # questions interrupt the form: answered, then the note is asked again
    ("any outages?", "system_status", None),
    ("is the bank gateway down", "system_status", None),
    ("how do I fix SO-1042", "fix_blocker", None),
    ("银行接口是不是坏了", "system_status", None),
    ("系统有故障吗", "system_status", None),
    # short commands and other intents are not notes
    ("system status", "system_status", None),
    ("show me my open tickets please", "my_tickets", None),
    ("escalate this to a finance advisor now", "escalate", None),
    ('/system_status', "system_status", None),
])
def test_a_statement_is_the_note_whatever_the_intent(message, intent, expected) -> None:
    assert note_despite_intent(message, intent) == expected


@pytest.mark.parametrize("message, expected", [
    ("set CLS-000002 to waiting", "waiting"),
    ("put cls-2 on hold", "waiting"),
    ("mark CLS-2 in progress", "in_progress"),
    ("reopen cls-3", "new"),
    ("CLS-000002 is fixed", "resolved"),
    ("change the status of CLS-2", None),
])
def test_status_words(message, expected) -> None:
    assert status_from_text(message) == expected


@pytest.mark.parametrize("message, expected", [
    ("assign CLS-2 to me", "me"),
    ("give cls-000002 to Hana Kim", "Hana Kim"),
    ("assign CLS-2 to li.wei", "li.wei"),
    ("assign cls-2 to u-hana please", "u-hana"),
    ("take CLS-2", None),
])
def test_assignee_words(message, expected) -> None:
    assert assignee_from_text(message) == expected


def test_queue_filters() -> None:
    assert queue_filter_from_text("unassigned tickets").unassigned
    assert queue_filter_from_text("what's in my queue").mine
    plain = queue_filter_from_text("show the queue")
    assert not plain.unassigned and not plain.mine


def test_transcript_keeps_the_latest_messages_within_caps() -> None:
    events = [{"event": "action", "name": "action_listen"}]
    for i in range(50):
        events.append({"event": "user", "text": f"question {i}", "timestamp": 1764300000 + i})
        events.append({"event": "bot", "text": "x" * 1000, "timestamp": 1764300000 + i})
    events.append({"event": "user", "text": "", "timestamp": 1})
    out = build_transcript(events, max_messages=10, max_message_chars=100, max_total_chars=450)
    assert [m["who"] for m in out] == ["user", "bot", "user", "bot", "user", "bot", "user", "bot"][-len(out):]
    assert out[-1]["who"] == "bot" and out[-2]["text"] == "question 49"
    assert all(len(m["text"]) <= 100 for m in out)
    assert sum(len(m["text"]) for m in out) <= 450
    assert out[-2]["at"].startswith("2025-11-28T")


#: Tables added since the first schema: the persona tables, then the chat channels' tables.
NEW_TABLES = {"ticket_resolutions", "escalations", "notifications", "notice_deliveries", "conversations",
              "inbound_messages", "ticket_conversations"}
OLD_TABLES = [t for t in Base.metadata.sorted_tables if t.name not in NEW_TABLES]


def _old_schema_gains_new_tables(url: str) -> None:
    """A database made before the persona and channel tables existed gains them on first use."""
    old = create_engine(url, future=True)
    Base.metadata.create_all(old, tables=OLD_TABLES)
    assert "notifications" not in inspect(old).get_table_names()
    old.dispose()
    engine = get_engine(url)
    assert set(inspect(engine).get_table_names()) >= NEW_TABLES
    with sessionmaker(bind=engine, future=True)() as s:
        s.add(Notification(user_id="u-mei", body="hello"))
        s.commit()
        assert s.scalar(select(Notification.body)) == "hello"


def test_old_sqlite_database_gains_the_new_tables(tmp_path) -> None:
    _old_schema_gains_new_tables(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
def test_old_postgres_database_gains_the_new_tables() -> None:
    with throwaway_database() as url:
        _old_schema_gains_new_tables(url)


def test_listings_drop_what_the_line_already_says() -> None:
    from bot.tickets.views import topic

    assert topic("C100 2026-11 general_ledger blocked: SO-1042 has no price", "C100", "2026-11") == (
        "SO-1042 has no price")
    assert topic("C100 2026-11 general_ledger: help requested", "C100", "2026-11") == (
        "general_ledger: help requested")
    assert topic("October AR ageing job failed", "C100", "2026-10") == "October AR ageing job failed"
