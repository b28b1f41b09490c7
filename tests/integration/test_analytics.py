"""Broker events to facts to figures on a real SQLite store, without RabbitMQ or Rasa (the real
services: tests/e2e/test_e2e_analytics.py). The audit rows are written as the action server
writes them in a turn; the events are shaped as Rasa's Pika broker publishes them."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import List, Optional

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.analytics.events import MalformedEvent, parse
from bot.analytics.facts import DUPLICATE, STORED, store_event
from bot.analytics.figures import load
from bot.analytics.plots import FILES
from bot.analytics.report import key_lines, write_report
from bot.store import audit
from bot.store.models import AnalyticsFact, AnalyticsTurn, Ticket, TicketResolution

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "report-synthetic"  # to look at
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc).timestamp()


class Chat:
    """One sender's events as Rasa publishes them, and the audit rows its actions write."""

    def __init__(self, session: Session, sender: str, start: float):
        self.session, self.sender, self.t, self.turns = session, sender, start, 0
        self.events: List[dict] = []
        self._add("action", name="action_session_start")
        self._add("session_started")

    def _add(self, event: str, **fields: object) -> dict:
        self.t += 1
        body = {"sender_id": self.sender, "event": event, "timestamp": self.t, **fields}
        self.events.append(body)
        return body

    def say(self, text: str, intent: str, confidence: float = 0.95, guess: Optional[str] = None) -> str:
        self.turns += 1
        message_id = f"{self.sender}-{self.turns}"
        ranking = [{"name": guess, "confidence": 0.21}] if guess else []
        self._add("user", text=text, message_id=message_id,
                  parse_data={"intent": {"name": intent, "confidence": confidence}, "intent_ranking": ranking})
        return message_id

    def act(self, name: str, message_id: str, *audited: tuple) -> None:
        """Run action ``name`` in the turn: its audit rows are written as the action server does."""
        audit.in_turn(self.session, self.sender, message_id)
        for action, company, detail in audited:
            audit.record(self.session, "u-x", action, company, detail)
        self.session.info.clear()
        self._add("action", name=name)
        self._add("action", name="action_listen")


def diagnosis(period: str, kinds: List[List[str]], components: Optional[List[str]] = None) -> tuple:
    return ("diagnose", "C100", {"period": period, "module": "general_ledger", "blockers": len(kinds),
                                 "root_causes": kinds, "components": components or []})


def consume(session: Session, chats: List[Chat]) -> List[str]:
    session.commit()
    outcomes = [store_event(session, parse(json.dumps(e).encode())) for chat in chats for e in chat.events]
    session.commit()
    return outcomes


@pytest.fixture
def chats(session: Session) -> List[Chat]:
    """November: Mei blocked -> ticket; Lin blocked -> fixed -> re-check clear; Sam types noise.
    October: Ana blocked by the bank gateway, answers a ticket form with a note."""
    mei = Chat(session, "u-mei", T0)
    m1 = mei.say("why can't I close November", "report_blocked_close")
    mei.act("action_diagnose_close", m1, diagnosis("2026-11", [["order_error", "SO-1"], ["system_fault", "bank"]],
                                                   ["bank"]))
    m2 = mei.say("open a ticket", "open_ticket")
    mei.act("action_open_ticket", m2, ("ticket_create", "C100", {"number": "CLS-000010"}))
    lin = Chat(session, "u-lin", T0 + 100)
    lin.say("hi", "greet")
    l2 = lin.say("GL won't close", "report_blocked_close", 0.55)
    lin.act("action_diagnose_close", l2, diagnosis("2026-11", [["order_error", "SO-1"]]))
    l3 = lin.say("check again", "recheck")
    lin.act("action_recheck", l3, diagnosis("2026-11", []))
    sam = Chat(session, "u-sam", T0 + 200)
    s1 = sam.say("kkkkkkkkkkkk", "nlu_fallback", 1.0)
    sam.act("action_did_you_mean", s1)
    s2 = sam.say("wat about teh thing", "nlu_fallback", 0.3, guess="system_status")
    sam.act("action_default_fallback", s2)
    ana = Chat(session, "u-ana", T0 - 40 * 86400)
    a1 = ana.say("october is stuck", "report_blocked_close")
    ana.act("action_diagnose_close", a1, diagnosis("2026-10", [["system_fault", "bank"], ["job_failed", "J1"]],
                                                   ["bank"]))
    ana.say("open a ticket", "open_ticket")
    ana._add("active_loop", name="ticket_form")
    a3 = ana.say("bank file late again, pls hurry", "inform", 0.2)
    ana._add("active_loop", name=None)
    ana.act("action_open_ticket", a3, ("ticket_create", "C100", {"number": "CLS-000011"}))
    return [mei, lin, sam, ana]


def test_events_become_facts_once(session: Session, chats: List[Chat]) -> None:
    outcomes = consume(session, chats)
    assert outcomes.count(STORED) > 0 and DUPLICATE not in outcomes
    counted = (session.scalar(select(func.count()).select_from(AnalyticsFact)),
               session.scalar(select(func.count()).select_from(AnalyticsTurn)))
    again = consume(session, chats)  # a redelivery of everything
    assert STORED not in again
    assert (session.scalar(select(func.count()).select_from(AnalyticsFact)),
            session.scalar(select(func.count()).select_from(AnalyticsTurn))) == counted
    kinds = sorted(f.kind for f in session.scalars(select(AnalyticsFact)) if f.kind != "session")
    assert kinds.count("diagnosis") == 4 and kinds.count("ticket") == 2 and kinds.count("fallback") == 1


def test_figures_follow_the_definitions(session: Session, chats: List[Chat]) -> None:
    consume(session, chats)
    november = load(session, "2026-11")
    key = november.key_figures()
    assert key["conversations"] == 3  # Sam never diagnosed: he counts in the month he wrote, November
    assert key["blocked_conversations"] == 2 and key["containment_pct"] == 50.0
    assert key["resolved_without_person"] == 1  # Lin: blocked, re-checked clear, no ticket
    assert key["median_turns_to_diagnosis"] == 1.5  # Mei at her 1st message, Lin at her 2nd
    assert (key["fallback_turns"], key["user_turns"]) == (2, 7)
    assert november.blockers_by_kind() == {"2026-11": {"order_error": 1, "system_fault": 1}}  # SO-1 once
    assert november.containment_by_period() == {"2026-11": (1, 0, 1)}
    worst = november.worst_understood()
    assert {m.text for m in worst} == {"wat about teh thing", "GL won't close", "kkkkkkkkkkkk"}
    noise = next(m for m in worst if m.text.startswith("kkk"))
    assert noise.guess is None and noise.fallbacks == 1
    october = load(session, "2026-10")
    assert october.key_figures()["conversations"] == 1
    assert october.failing_components() == [("bank", 1)]
    assert october.worst_understood() == []  # the ticket note was an answer to the form, not a request
    assert set(load(session).periods) == {"2026-10", "2026-11"}


def test_time_to_resolution_comes_from_the_tickets(demo_session: Session, tmp_path: Path) -> None:
    opened = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    for i, hours in enumerate([2, 4, 30]):
        ticket = Ticket(number=f"CLS-00009{i}", requester_id="u-mei", company_id="C100", period="2026-11",
                        category="other", status="resolved", priority=3, summary="x", created_at=opened)
        demo_session.add(ticket)
        demo_session.flush()
        demo_session.add(TicketResolution(ticket_id=ticket.id, resolved_by="u-li", note="done", status="resolved",
                                          resolved_at=opened + timedelta(hours=hours)))
    demo_session.commit()
    figures = load(demo_session, "2026-11")
    assert sorted(r.hours for r in figures.resolutions) == [2, 4, 30]
    assert figures.key_figures()["median_hours_to_resolution"] == 4
    assert load(demo_session, "2026-10").resolutions == []  # the demo's resolved ticket has no resolution note


def test_the_report_writes_every_file_and_says_when_there_is_no_data(session: Session, chats: List[Chat],
                                                                    tmp_path: Path) -> None:
    empty = write_report(session, tmp_path / "empty")
    assert "No data yet" in empty.page.read_text()
    assert [p.name for p in empty.images] == list(FILES)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in empty.images)
    consume(session, chats)
    full = write_report(session, ARTIFACTS)
    page = full.page.read_text()
    assert all(f"src='{p.name}'" in page for p in full.images) and "No data yet" not in page
    assert "wat about teh thing" in page and "bank file late again" not in page
    lines = key_lines(full.key, None)
    assert "conversations: 4" in lines and "containment (blocked, no ticket or escalation): 33.3 %" in lines


@pytest.mark.parametrize("body, reason", [
    (b"\xff\xfe", "not JSON"), (b"[1, 2]", "not a JSON object"),
    (b'{"event": "user", "timestamp": 1}', "no sender_id"),
    (b'{"sender_id": "a", "timestamp": 1}', "no event type"),
    (b'{"sender_id": "a", "event": "user", "timestamp": "today"}', "no numeric timestamp"),
    (b'{"sender_id": "a", "event": "user", "timestamp": 1e300}', "out of range"),
])
def test_what_is_not_a_tracker_event_is_malformed(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedEvent, match=reason):
        parse(body)
