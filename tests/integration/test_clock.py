"""The one clock: every "now" comes from bot.core.clock, and tests (and replays) can freeze it."""

import re
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.conversation import employee
from bot.conversation.render import deadline_text
from bot.core import clock
from bot.store.models import Company
from bot.tickets import service as tickets
from tests.conftest import focus_ticket

ROOT = Path(__file__).resolve().parents[2]
MOMENT = datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)


def test_frozen_time_holds_in_every_thread_and_ends_with_the_block() -> None:
    seen = []
    with clock.frozen(datetime(2026, 12, 2, 14, 0)) as moment:  # naive means UTC
        assert moment == MOMENT and clock.now() == MOMENT
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
    assert seen == [MOMENT]
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_the_environment_freezes_a_whole_process(monkeypatch) -> None:
    monkeypatch.setenv(clock.FROZEN_NOW_VARIABLE, "2026-12-02T22:00:00+08:00")
    assert clock.now() == MOMENT
    monkeypatch.setenv(clock.FROZEN_NOW_VARIABLE, "2026-12-02T14:00:00Z")
    assert clock.now() == MOMENT


def test_tickets_deadlines_and_audit_read_the_frozen_clock(demo_session) -> None:
    company = demo_session.get(Company, "C100")  # deadline 2026-12-03 10:00 UTC
    early = MOMENT - timedelta(days=12)
    with clock.frozen(early):
        assert deadline_text(company).endswith("12 d 20 h left)")
        employee.open_ticket(demo_session, "u-mei", note="no", idempotency_key="k")
        ticket = tickets.get_ticket(demo_session, focus_ticket(demo_session, "u-mei"))
        assert ticket.created_at == ticket.updated_at == early
        # Far from the deadline nothing is raised: the worst blocker (high) gives priority 2;
        # on the real clock (the deadline has passed) it would be 1.
        assert ticket.priority == 2
    with clock.frozen(MOMENT):
        assert deadline_text(company).endswith("20 h left)")
    with clock.frozen(MOMENT + timedelta(days=1)):
        changed = tickets.update_status(demo_session, ticket.number, "waiting", actor="u-hana")
        assert changed.updated_at == MOMENT + timedelta(days=1)
        assert "has passed" in deadline_text(company)


def test_datetime_now_is_called_in_exactly_one_place() -> None:
    calls = re.compile(r"datetime\.(?:now|utcnow|today)\(|date\.today\(|time\.time\(\)")
    found = [f"{path.relative_to(ROOT)}:{n}"
             for folder in ("bot", "actions")
             for path in sorted((ROOT / folder).rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if calls.search(line)]
    assert found == ["bot/core/clock.py:27"], found
