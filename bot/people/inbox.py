"""Each user's inbox: notices waiting for their next message (ticket news, owners' notes).

Notices a chat channel pushes as they happen (bot.channels.notices) are not shown again here;
the next reply carries the rest: a terminal user's, and any a channel could not deliver.

A change (assignment, status, comment, resolution, advisor answer) writes one row per
recipient; the next reply the assistant builds for that user prepends the pending rows
and marks them delivered in the same transaction. When nothing is pending this costs one
indexed query per turn and no extra action server call.
"""

from typing import List, Optional

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import clock
from bot.store import audit
from bot.store.db import begin_write
from bot.store.models import NoticeDelivery, Notification

#: Notifications shown in full in one reply; the rest are counted, to keep it Slack-sized.
SHOWN_PER_REPLY = 3
#: Pending rows read per turn (a user back after a long absence must not cost a scan).
READ_LIMIT = 50


def notify(session: Session, user_id: str, body: str, ticket_number: Optional[str] = None,
           company_id: Optional[str] = None, idempotency_key: Optional[str] = None) -> bool:
    """Queue ``body`` for ``user_id``. False when the key had queued it already: a retried
    turn must not tell anyone twice."""
    if idempotency_key and session.scalar(
            select(Notification.id).where(Notification.idempotency_key == idempotency_key)) is not None:
        return False
    begin_write(session)  # the savepoint below must nest in the caller's transaction
    try:
        with session.begin_nested():
            session.add(Notification(user_id=user_id, ticket_number=ticket_number, body=body,
                                     company_id=company_id, idempotency_key=idempotency_key))
    except IntegrityError:  # the same turn, retried at the same moment
        return False
    return True


def take_pending(session: Session, user_id: Optional[str]) -> List[str]:
    """The user's undelivered notifications, oldest first, now marked delivered."""
    if not user_id:
        return []
    pushed = exists().where(NoticeDelivery.notification_id == Notification.id,
                            NoticeDelivery.state.in_(NoticeDelivery.PUSHED))
    rows = session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id, Notification.delivered_at.is_(None), ~pushed)
        .order_by(Notification.id)
        .limit(READ_LIMIT)
    ).all()
    now = clock.now()
    for row in rows:
        row.delivered_at = now
    if rows:
        audit.record(session, user_id, "notifications_read", None, {"ids": [row.id for row in rows]})
    return [row.body for row in rows]


def render(bodies: List[str]) -> Optional[str]:
    """One message: the first few in full, then a count and where to see the rest."""
    if not bodies:
        return None
    lines = [f"🔔 {body}" for body in bodies[:SHOWN_PER_REPLY]]
    hidden = len(bodies) - SHOWN_PER_REPLY
    if hidden > 0:
        lines.append(f"…and {hidden} more update{'s' if hidden != 1 else ''}: say \"my tickets\".")
    return "\n".join(lines)
