"""Notes to the owners of blocking records, passed on the next time they talk to Closebot.

Closebot has no mail or chat gateway of its own: a note waits in the store as a
notification, is shown to its recipient in front of their next reply, and both sending and
reading are in the audit log.
"""

from typing import List, Optional, Sequence

from sqlalchemy.orm import Session

from bot.core.text import shorten
from bot.diagnosis.kinds import kind_words
from bot.diagnosis.result import Blocker, Diagnosis
from bot.fixes.guide import owners_of, records_of
from bot.people import inbox
from bot.people.directory import Person, person_text
from bot.store import audit
from bot.store.models import User

#: A note quotes the fix up to this length (the guide has the rest), to stay one short message.
FIX_CHARS = 200


def note_body(sender: User, diagnosis: Diagnosis, blocker: Blocker) -> str:
    refs = ", ".join(blocker.refs) or blocker.module
    what = kind_words(blocker.kind)
    fix = shorten(blocker.fix, FIX_CHARS)
    return (f"{person_text(sender.id, sender.name)} asks you to look at {refs} ({what}): it blocks the "
            f"{diagnosis.company} {diagnosis.period} close. Fix: {fix} Ask me \"why can't I close?\" "
            "for the details.")


def owners(session: Session, diagnosis: Diagnosis, blocker: Blocker) -> List[Person]:
    """The people who can fix ``blocker`` (from its live records), most specific first."""
    return owners_of(session, diagnosis, blocker, records_of(session, diagnosis, blocker)).people


def notify(session: Session, sender: User, diagnosis: Diagnosis, blocker: Blocker,
           recipients: Sequence[Person], idempotency_key: Optional[str] = None) -> List[str]:
    """One note per recipient (never the sender), delivered like ticket news
    (:mod:`bot.people.inbox`); the same key yields the same notes. Returns the recipients."""
    body = note_body(sender, diagnosis, blocker)
    sent: List[str] = []
    for uid, _name in recipients:
        if uid == sender.id:
            continue
        key = f"{idempotency_key}:{uid}" if idempotency_key else None
        if inbox.notify(session, uid, f"📨 {body}", company_id=diagnosis.company,
                                idempotency_key=key):
            audit.record(session, sender.id, "owner_notify", diagnosis.company,
                         {"to": uid, "kind": blocker.kind, "refs": list(blocker.refs)})
        sent.append(uid)
    return sent
