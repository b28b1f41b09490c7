"""End to end over REST: a guided fix, a note to the owner, a recheck and a correction."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.store.db import get_engine
from bot.store.models import AuditEntry, Notification
from harness.stack import reply_text as texts

pytestmark = pytest.mark.slow


def buttons(messages: list) -> list:
    return [b["title"] for m in messages for b in m.get("buttons") or []]


def test_notify_the_owner_recheck_and_correct_the_period(servers) -> None:
    alex, mei = "u-alex:fixes", "u-mei:fixes"
    first = servers.say(alex, "why can't I close november?")
    reply = texts(first)
    assert "SO-1042" in reply and "Owner: Mei Chen (u-mei)" in reply and "Fix:" in reply
    assert "Notify the owner" in buttons(first)

    reply = texts(servers.say(alex, "ping the owner pls"))
    assert "Mei Chen (u-mei)" in reply and "SO-1042" in reply

    reply = texts(servers.say(mei, "hi"))
    assert "📨" in reply and "Alex Wang (u-alex)" in reply and "SO-1042" in reply

    reply = texts(servers.say(alex, "check again"))
    assert "Rechecked C100 2026-11" in reply and "Nothing changed" in reply
    reply = texts(servers.say(alex, "next"))
    assert reply.startswith("1/")

    reply = texts(servers.say(alex, "no, I meant October"))
    assert "2026-10" in reply and "already closed" in reply

    factory = sessionmaker(bind=get_engine(servers.db_url), future=True)
    with factory() as s:
        notes = s.scalars(select(Notification).where(Notification.body.contains("Alex Wang (u-alex)"))).all()
        assert [(n.user_id, n.delivered_at is not None) for n in notes] == [("u-mei", True)]
        actions = set(s.scalars(select(AuditEntry.action)))
        assert {"owner_notify", "notifications_read", "diagnose"} <= actions
