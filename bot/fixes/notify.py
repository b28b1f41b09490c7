"""Notes to the owners of blocking records, passed on the next time they talk to Closebot.

Closebot has no mail or chat gateway of its own: a note waits in the store, is shown to
its recipient at their next message, and both sending and reading are in the audit log.
"""

from datetime import datetime, timezone
from typing import List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit
from bot.diagnosis.result import Blocker, Diagnosis
from bot.fixes.records import Person
from bot.models import OwnerNotification, User

#: Notes shown at once; older unread ones wait for the next message.
INBOX_LIMIT = 5
#: A note quotes the fix up to this length (the guide has the rest), to stay one short message.
FIX_CHARS = 200


def note_body(sender: User, diagnosis: Diagnosis, blocker: Blocker) -> str:
    refs = ", ".join(blocker.refs) or blocker.module
    what = blocker.kind.replace("_", " ")
    fix = blocker.fix if len(blocker.fix) <= FIX_CHARS else blocker.fix[: FIX_CHARS - 1] + "…"
    return (f"{sender.name} ({sender.id}) asks you to look at {refs} ({what}): it blocks the "
            f"{diagnosis.company} {diagnosis.period} close. Fix: {fix} Ask me \"why can't I close?\" "
            "for the details.")


def notify(session: Session, sender: User, diagnosis: Diagnosis, blocker: Blocker,
           recipients: Sequence[Person], idempotency_key: Optional[str] = None) -> List[OwnerNotification]:
    """One note per recipient (never the sender); the same key yields the same notes."""
    body = note_body(sender, diagnosis, blocker)
    notes: List[OwnerNotification] = []
    for uid, _name in recipients:
        if uid == sender.id:
            continue
        key = f"{idempotency_key}:{uid}" if idempotency_key else None
        existing = _by_key(session, key)
        if existing is not None:
            notes.append(existing)
            continue
        note = OwnerNotification(
            sender_id=sender.id, recipient_id=uid, company_id=diagnosis.company,
            period=diagnosis.period, kind=blocker.kind, refs=list(blocker.refs), body=body,
            idempotency_key=key, created_at=datetime.now(timezone.utc),
        )
        try:
            with session.begin_nested():
                session.add(note)
        except IntegrityError:  # the same turn, retried at the same moment
            notes.append(_by_key(session, key))
            continue
        audit.record(session, sender.id, "owner_notify", diagnosis.company,
                     {"to": uid, "kind": blocker.kind, "refs": list(blocker.refs)})
        notes.append(note)
    return notes


def _by_key(session: Session, key: Optional[str]) -> Optional[OwnerNotification]:
    if not key:
        return None
    return session.scalar(select(OwnerNotification).where(OwnerNotification.idempotency_key == key))


def take_inbox(session: Session, user_id: str) -> List[str]:
    """The user's unread notes, oldest first, marked read (and the reading audited)."""
    notes = session.scalars(
        select(OwnerNotification)
        .where(OwnerNotification.recipient_id == user_id, OwnerNotification.read_at.is_(None))
        .order_by(OwnerNotification.id)
        .limit(INBOX_LIMIT)
    ).all()
    now = datetime.now(timezone.utc)
    for note in notes:
        note.read_at = now
        audit.record(session, user_id, "owner_note_read", note.company_id, {"id": note.id})
    return [f"📨 {note.body}" for note in notes]
