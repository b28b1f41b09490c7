"""What every chat channel shares: who is speaking, a message accepted once, ticket news pushed
into the conversation it belongs to (and never shown twice)."""

import asyncio
from typing import Any, Dict, List, Tuple

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.channels import notices
from bot.channels.identity import directory_user, speaker
from bot.channels.inbound import Inbound, accept
from bot.channels.keys import channel_of, conversation_key
from bot.conversation import employee, helpdesk
from bot.conversation.reply import with_notices
from bot.people import inbox
from bot.store.models import InboundMessage, NoticeDelivery, Notification, User
from bot.tickets import service as tickets
from tests.conftest import focus_ticket

DM = conversation_key("slack", "T1", "D-mei")
THREAD = conversation_key("slack", "T1", "C-close", "1712345678.000100")


def _said(session, key: str, channel_user: str, external: str, email=None) -> str:
    accepted = accept(session, Inbound("slack", external, key, channel_user, {"channel": key.split(":")[2]},
                                       email=email))
    session.commit()
    assert accepted is not None
    return accepted.message_id


def test_keys_name_their_channel_and_rest_ids_do_not() -> None:
    assert channel_of(THREAD) == "slack" and channel_of("teams:a:29:1x") == "teams"
    assert channel_of("u-mei") is None and channel_of("u-mei:2") is None and channel_of("slack") is None
    with pytest.raises(ValueError):
        conversation_key("irc", "x")


def test_the_directory_user_is_found_by_id_then_by_email(demo_session) -> None:
    assert directory_user(demo_session, "u-mei").id == "u-mei"
    mei = demo_session.get(User, "u-mei")
    assert directory_user(demo_session, "U07HZ3QK1", mei.email.upper()).id == "u-mei"
    assert directory_user(demo_session, "U07HZ3QK1", "nobody@example.com") is None
    assert directory_user(demo_session, "U07HZ3QK1", None) is None


def test_a_delivery_is_accepted_once_and_knows_its_speaker(demo_session) -> None:
    asked = []
    mei = demo_session.get(User, "u-mei")

    def email() -> str:
        asked.append(1)
        return mei.email

    first = accept(demo_session, Inbound("slack", "Ev1", DM, "U-MEI", {"channel": "D-mei"}, email=email))
    demo_session.commit()
    assert first is not None and first.user_id == "u-mei" and asked == [1]
    again = accept(demo_session, Inbound("slack", "Ev1", DM, "U-MEI", {"channel": "D-mei"}, email=email))
    assert again is None  # Slack's retry of the same event_id
    stranger = accept(demo_session, Inbound("slack", "Ev2", DM, "U-NOBODY", {}))
    assert stranger is not None and stranger.user_id is None
    recorded = select(InboundMessage.user_id).where(InboundMessage.external_id == "Ev1")
    assert demo_session.scalar(recorded) == "u-mei"


def test_the_speaker_of_a_turn_is_what_the_channel_recorded(demo_session) -> None:
    mei_says = _said(demo_session, THREAD, "u-mei", "Ev-m")
    hana_says = _said(demo_session, THREAD, "u-hana", "Ev-h")
    assert speaker(demo_session, THREAD, mei_says) == "u-mei"
    assert speaker(demo_session, THREAD, hana_says) == "u-hana"  # one thread, two people
    # Forged turns: a message id made up, from another conversation, or none at all.
    assert speaker(demo_session, THREAD, "made-up") is None
    assert speaker(demo_session, DM, mei_says) is None
    assert speaker(demo_session, THREAD, None) is None
    # The local REST channel's sender id is its user.
    assert speaker(demo_session, "u-mei:2", None) == "u-mei"


class Sent:
    """A fake channel sender that records what it was asked to send."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.messages: List[Tuple[Dict[str, Any], str]] = []

    async def __call__(self, address: Dict[str, Any], text: str) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("slack is down")
        self.messages.append((address, text))


def _pusher(session, sender: Sent, owner: str = "p1") -> notices.NoticePusher:
    factory = sessionmaker(bind=session.get_bind(), future=True, expire_on_commit=False)

    class Sessions:
        def __call__(self):
            return _Scope(factory)

    return notices.NoticePusher({"slack": sender}, sessions=Sessions(), owner=owner)


class _Scope:
    def __init__(self, factory) -> None:
        self.session = factory()

    def __enter__(self):
        return self.session

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.session.commit()
        self.session.close()


def test_ticket_news_goes_to_the_thread_the_ticket_came_from(demo_session) -> None:
    message_id = _said(demo_session, THREAD, "u-mei", "Ev-open")
    assert speaker(demo_session, THREAD, message_id) == "u-mei"
    employee.open_ticket(demo_session, "u-mei", note="no", idempotency_key="k1", conversation=THREAD)
    number = focus_ticket(demo_session, "u-mei", THREAD)
    _said(demo_session, DM, "u-mei", "Ev-later")  # Mei wrote elsewhere since: the news still goes to the thread
    helpdesk.assign(demo_session, "u-hana", number, "li.wei")
    inbox.notify(demo_session, "u-mei", "a colleague's note")  # not about a ticket: her latest conversation
    demo_session.commit()

    sent = Sent()
    assert asyncio.run(_pusher(demo_session, sent).run_pass()) == 2
    assert sent.messages == [({"channel": "C-close"}, f"🔔 Li Wei is now handling {number}."),
                             ({"channel": "D-mei"}, "🔔 a colleague's note")]
    assert asyncio.run(_pusher(demo_session, sent, "p2").run_pass()) == 0  # a second pusher finds nothing
    demo_session.expire_all()
    assert demo_session.scalars(select(Notification.delivered_at)).all() and all(
        demo_session.scalars(select(Notification.delivered_at)).all())
    # ... and the next reply does not repeat them.
    assert with_notices(demo_session, "u-mei", employee.greet(demo_session, "u-mei")).texts[0].startswith("Hi Mei")


def test_a_terminal_user_hears_at_the_next_message(demo_session) -> None:
    number = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100").number
    helpdesk.assign(demo_session, "u-hana", number, "li.wei")
    demo_session.commit()
    sent = Sent()
    assert asyncio.run(_pusher(demo_session, sent).run_pass()) == 0 and sent.messages == []
    assert demo_session.scalar(select(NoticeDelivery.state)) == NoticeDelivery.LOCAL
    reply = with_notices(demo_session, "u-mei", employee.greet(demo_session, "u-mei"))
    assert reply.texts[0] == f"🔔 Li Wei is now handling {number}."


def test_a_failing_channel_retries_then_leaves_it_for_the_next_message(demo_session, monkeypatch) -> None:
    _said(demo_session, DM, "u-mei", "Ev-dm")
    inbox.notify(demo_session, "u-mei", "news")
    demo_session.commit()
    sent = Sent(fail=99)
    monkeypatch.setattr(notices, "MAX_ATTEMPTS", 2)
    assert asyncio.run(_pusher(demo_session, sent).run_pass()) == 0
    # While the push is pending a retry, the next reply does not show it (no double delivery).
    assert with_notices(demo_session, "u-mei", employee.greet(demo_session, "u-mei")).texts[0].startswith("Hi")
    row = demo_session.get(NoticeDelivery, demo_session.scalar(select(Notification.id)))
    demo_session.refresh(row)
    assert (row.state, row.attempts) == (NoticeDelivery.PENDING, 1)
    row.lease_until = None  # the backoff has passed
    demo_session.commit()
    assert asyncio.run(_pusher(demo_session, sent).run_pass()) == 0
    demo_session.refresh(row)
    assert (row.state, row.attempts) == (NoticeDelivery.FAILED, 2) and "slack is down" in row.last_error
    assert with_notices(demo_session, "u-mei", employee.greet(demo_session, "u-mei")).texts[0] == "🔔 news"
