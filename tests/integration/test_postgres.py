"""The same store and diagnosis on the production database: a real PostgreSQL server."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.diagnosis.engine import diagnose
from bot.scenario.load import load_file
from bot.store.db import get_engine
from bot.tickets.service import create_ticket
from tests.conftest import DEMO

pytestmark = pytest.mark.postgres


def _diagnosis_json(url: str) -> dict:
    factory = sessionmaker(bind=get_engine(url), future=True)
    with factory() as s:
        load_file(s, DEMO)
        s.commit()
        return diagnose(s, "C100", user_id="u-mei", status=None).to_dict()


def test_postgres_gives_the_same_diagnosis_as_sqlite(pg_url, db_url) -> None:
    on_pg, on_sqlite = _diagnosis_json(pg_url), _diagnosis_json(db_url)
    assert on_pg == on_sqlite
    assert on_pg["can_close"] is False and on_pg["blockers"]


def test_postgres_keeps_amounts_exact_and_tickets_idempotent(pg_url) -> None:
    from decimal import Decimal

    from bot.store.models import Reconciliation

    factory = sessionmaker(bind=get_engine(pg_url), future=True)
    with factory() as s:
        load_file(s, DEMO)
        s.commit()
        totals = {r.account: r.gl_total for r in s.scalars(select(Reconciliation))}
        assert Decimal("90210.01") in totals.values()
        assert all(isinstance(v, Decimal) for v in totals.values())
        a = create_ticket(s, requester_id="u-mei", company_id="C100", idempotency_key="k1")
        b = create_ticket(s, requester_id="u-mei", company_id="C100", idempotency_key="k1")
        s.commit()
        assert a.number == b.number


def test_concurrent_tickets_on_postgres_all_get_a_number(pg_url) -> None:
    """Parallel writers (several action server workers, found by bench.latency) never run out of numbers."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.store.db import session_scope

    with session_scope(pg_url) as s:
        load_file(s, DEMO)

    def open_one(i: int) -> str:
        with session_scope(pg_url) as s:
            return create_ticket(s, requester_id="u-mei", company_id="C100", note=f"parallel {i}",
                                 idempotency_key=f"par-{i}").number

    with ThreadPoolExecutor(max_workers=12) as pool:
        numbers = list(pool.map(open_one, range(36)))
    assert len(set(numbers)) == 36


def test_postgres_guided_fixes_notes_and_recheck_match_sqlite(pg_url, db_url) -> None:
    from bot.conversation import employee, fixing
    from bot.conversation.reply import with_notices
    from bot.store.models import Notification, Voucher

    def run(url: str) -> list:
        factory = sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)
        with factory() as s:
            load_file(s, DEMO)
            s.commit()
            first = employee.diagnose_close(s, "u-alex")
            steps = [first.texts[1:]]
            steps += [employee.next_blocker(s, "u-alex").texts for _ in range(8)]
            steps.append(fixing.fix_blocker(s, "u-alex", message="SO-1042").texts)
            steps.append(employee.notify_owner(s, "u-alex", idempotency_key="k").texts)
            s.add(Voucher(id="V-NEW", company_id="C100", period="2026-11", status="approved"))
            s.commit()
            steps.append(employee.recheck(s, "u-alex").texts)
            steps.append(with_notices(s, "u-mei", employee.greet(s, "u-mei")).texts)
            s.commit()
            notes = s.scalars(select(Notification.user_id)).all()
            assert notes == ["u-mei"]
            return steps

    on_pg, on_sqlite = run(pg_url), run(db_url)
    assert on_pg == on_sqlite
    assert "🆕 New: V-NEW" in on_pg[-2][0] and "📨" in on_pg[-1][0]


def test_postgres_runs_the_helpdesk_and_advisor_flow(pg_url) -> None:
    from bot.conversation import advisors, employee, helpdesk, transcript, view
    from bot.people import inbox
    from bot.tickets import service as tickets
    from tests.conftest import typed

    factory = sessionmaker(bind=get_engine(pg_url), future=True, expire_on_commit=False)
    with factory() as s:
        load_file(s, DEMO)
        s.commit()
        transcript.record_user(s, "", "u-mei", "m1", "help")
        advisors.escalate(s, "u-mei", idempotency_key="u-mei:1")
        number = view.load(s, "", "u-mei").ticket
        assert number in "\n".join(helpdesk.queue(s, "u-hana", "unassigned tickets").texts)
        assert number in "\n".join(advisors.my_escalations(s, "u-omar").texts)
        helpdesk.assign(s, "u-hana", number, person_text="li.wei")
        assert number in "\n".join(helpdesk.queue(s, "u-li", "what's in my queue").texts)
        advisors.answer(s, "u-omar", number, typed(s, "u-omar", "Book it to 6603."))
        helpdesk.resolve(s, "u-li", number, typed(s, "u-li", "posted"))
        s.commit()
    with factory() as s:
        bodies = inbox.take_pending(s, "u-mei")
        s.commit()
        assert [b.split(" ", 1)[0] for b in bodies] == ["Li", "💬", "✅"]
        assert tickets.get_ticket(s, number).status == "resolved"
        assert inbox.take_pending(s, "u-mei") == []
        assert "Resolution (u-li): posted" in "\n".join(employee.ticket_status(s, "u-mei", number).texts)
