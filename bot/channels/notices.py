"""Ticket news pushed into the conversation it belongs to, when it happens.

A notification (bot.people.inbox) about a ticket goes to the conversation the ticket was
opened from (its Slack thread, its Teams conversation); any other goes to the conversation
the user last wrote in. One with no such conversation (the user only uses the terminal
chat) is marked local and waits for their next message, as before.

Several processes may push (every Rasa server replica runs a ``NoticePusher``): a push is
claimed under a lease in ``notice_deliveries``, sent, then marked sent with the
notification delivered. A send that fails is retried with backoff; after the last attempt
the notification is left for the user's next message instead (``failed``), so nothing is lost.
"""

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.keys import CHANNELS, channel_of
from bot.core import clock
from bot.people import inbox
from bot.store.db import begin_write, session_scope
from bot.store.models import Conversation, InboundMessage, NoticeDelivery, Notification, Ticket, TicketConversation

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, LOCAL = (NoticeDelivery.PENDING, NoticeDelivery.SENT, NoticeDelivery.FAILED,
                                NoticeDelivery.LOCAL)
#: How long one pusher owns a claimed notice (longer than any one send).
LEASE_SECONDS = 60
MAX_ATTEMPTS = 5
BATCH = 20

Sender = Callable[[Dict[str, Any], str], Awaitable[None]]
"""Sends ``text`` to a conversation's ``address``; raises when it could not."""


@dataclass(frozen=True)
class Notice:
    notification_id: int
    conversation_key: str
    channel: str
    address: Dict[str, Any]
    text: str


def route(session: Session, notification: Notification) -> Optional[str]:
    """The conversation key a notification goes to, or None when it has none (local)."""
    if notification.ticket_number:
        key = session.scalar(
            select(TicketConversation.conversation_key)
            .join(Ticket, Ticket.id == TicketConversation.ticket_id)
            .where(Ticket.number == notification.ticket_number)
        )
        if channel_of(key):
            return key
    return session.scalar(
        select(InboundMessage.conversation_key)
        .where(InboundMessage.user_id == notification.user_id, InboundMessage.channel.in_(CHANNELS))
        .order_by(InboundMessage.id.desc())
        .limit(1)
    )


def claim_due(session: Session, owner: str, now: datetime, limit: int = BATCH) -> List[Notice]:
    """Claim up to ``limit`` undelivered notifications that have a channel conversation; each claim
    is committed on its own, so another pusher never sends the same one."""
    handled = exists().where(
        NoticeDelivery.notification_id == Notification.id,
        or_(NoticeDelivery.state.in_((SENT, FAILED, LOCAL)),
            NoticeDelivery.lease_until > now),
    )
    candidates = session.scalars(
        select(Notification).where(Notification.delivered_at.is_(None), ~handled)
        .order_by(Notification.id).limit(limit)
    ).all()
    notices: List[Notice] = []
    for notification in candidates:
        key = route(session, notification)
        conversation = session.get(Conversation, key) if key else None
        if conversation is None:
            _claim(session, notification.id, None, owner, now, state=LOCAL)
            continue
        if _claim(session, notification.id, key, owner, now):
            notices.append(Notice(notification.id, key, conversation.channel, dict(conversation.address or {}),
                                  inbox.render([notification.body]) or ""))
    return notices


def _claim(session: Session, notification_id: int, key: Optional[str], owner: str, now: datetime,
           state: str = PENDING) -> bool:
    lease = now + timedelta(seconds=LEASE_SECONDS)
    begin_write(session)
    try:
        with session.begin_nested():
            session.add(NoticeDelivery(notification_id=notification_id, conversation_key=key, state=state,
                                       attempts=0, lease_owner=owner, lease_until=lease))
        taken = True
    except IntegrityError:  # claimed before: take it over only if it waits for a retry
        taken = session.execute(
            update(NoticeDelivery)
            .where(NoticeDelivery.notification_id == notification_id, NoticeDelivery.state == PENDING,
                   or_(NoticeDelivery.lease_until.is_(None), NoticeDelivery.lease_until <= now))
            .values(lease_owner=owner, lease_until=lease, conversation_key=key)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
    session.commit()
    return taken and state == PENDING


def mark_sent(session: Session, notice: Notice, owner: str, now: datetime) -> bool:
    """The notice reached the conversation: delivered, unless this pusher lost its lease."""
    owned = session.execute(
        update(NoticeDelivery)
        .where(NoticeDelivery.notification_id == notice.notification_id, NoticeDelivery.lease_owner == owner,
               NoticeDelivery.state == PENDING)
        .values(state=SENT, sent_at=now, attempts=NoticeDelivery.attempts + 1, lease_owner=None,
                lease_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if owned:
        session.execute(update(Notification)
                        .where(Notification.id == notice.notification_id, Notification.delivered_at.is_(None))
                        .values(delivered_at=now).execution_options(synchronize_session=False))
    session.commit()
    return owned


def mark_failed_attempt(session: Session, notice: Notice, owner: str, now: datetime, error: str) -> None:
    """Retry later (1, 2, 4, ... minutes); after the last attempt leave it for the next message."""
    row = session.get(NoticeDelivery, notice.notification_id)
    if row is None or row.lease_owner != owner or row.state != PENDING:
        session.rollback()
        return
    row.attempts = (row.attempts or 0) + 1
    row.last_error = error[:500]
    row.lease_owner = None
    if row.attempts >= MAX_ATTEMPTS:
        row.state, row.lease_until = FAILED, None
    else:
        row.lease_until = now + timedelta(minutes=2 ** (row.attempts - 1))
    session.commit()


def pusher_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class NoticePusher:
    """Pushes due notices through the senders of the channels this process serves."""

    def __init__(self, senders: Dict[str, Sender], sessions: Callable[[], Any] = session_scope,
                 poll_seconds: float = 2.0, owner: Optional[str] = None) -> None:
        self.senders = senders
        self.sessions = sessions
        self.poll_seconds = poll_seconds
        self.owner = owner or pusher_id()

    async def run_pass(self) -> int:
        """Claim what is due and send it; returns how many notices went out."""
        notices = await asyncio.to_thread(self._claim)
        sent = 0
        for notice in notices:
            send = self.senders.get(notice.channel)
            try:
                if send is None:
                    raise RuntimeError(f"no {notice.channel} sender in this process")
                await send(notice.address, notice.text)
            except Exception as exc:  # noqa: BLE001 - a failed push is retried, never lost
                log.warning("notice %s to %s not sent: %s", notice.notification_id, notice.conversation_key, exc)
                await asyncio.to_thread(self._finish, notice, f"{type(exc).__name__}: {exc}")
                continue
            sent += await asyncio.to_thread(self._finish, notice, None)
        return sent

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set; a database or channel outage never ends the loop."""
        while not stop.is_set():
            try:
                busy = await self.run_pass() > 0
            except Exception:  # noqa: BLE001 - keep pushing; the next poll retries
                log.exception("notice push pass failed")
                busy = False
            if not busy:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_seconds)

    def _claim(self) -> List[Notice]:
        with self.sessions() as session:
            return claim_due(session, self.owner, clock.now())

    def _finish(self, notice: Notice, error: Optional[str]) -> int:
        with self.sessions() as session:
            if error is None:
                return int(mark_sent(session, notice, self.owner, clock.now()))
            mark_failed_attempt(session, notice, self.owner, clock.now(), error)
            return 0

