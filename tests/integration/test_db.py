"""SQLite savepoints nest in the caller's transaction (bot.store.db.begin_write): a rollback takes all."""

from sqlalchemy import func, select

from bot.people import inbox
from bot.store.models import AuditEntry, Notification, Ticket
from bot.tickets import service as tickets


def test_a_rolled_back_notification_is_gone(demo_session) -> None:
    demo_session.commit()
    assert inbox.notify(demo_session, "u-mei", "hello", idempotency_key="k-1")
    demo_session.rollback()
    assert demo_session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_rolled_back_ticket_is_gone_with_its_audit_row(demo_session) -> None:
    demo_session.commit()
    before = demo_session.scalar(select(func.count()).select_from(Ticket))
    audits = demo_session.scalar(select(func.count()).select_from(AuditEntry))
    tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", period="2026-11", note="x")
    demo_session.rollback()
    assert demo_session.scalar(select(func.count()).select_from(Ticket)) == before
    assert demo_session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_a_committed_notification_stays(demo_session) -> None:
    demo_session.commit()
    inbox.notify(demo_session, "u-mei", "hello")
    demo_session.commit()
    assert demo_session.scalar(select(func.count()).select_from(Notification)) == 1
