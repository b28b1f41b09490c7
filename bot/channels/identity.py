"""Who is speaking: the verified channel user as a directory user, and the speaker of a turn.

The contract: a directory user's id is the channel's user id (Slack ``U07HZ3QK1``, a Teams
AAD object id); failing that, the user whose e-mail is the channel's e-mail for that person.
Actions ask ``speaker`` for the user behind a turn: for a channel conversation that is the
user the channel verified and recorded for that very message (never a tracker slot or event);
a local REST sender id names its user directly (the REST channel only answers 127.0.0.1).
"""

from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.channels.keys import channel_of
from bot.people.access import user_id_of
from bot.store.models import InboundMessage, User


def directory_user(session: Session, channel_user_id: str, email: Optional[str] = None) -> Optional[User]:
    """The directory user the channel user is: by id, else by e-mail (case-insensitive)."""
    user = session.get(User, channel_user_id) if channel_user_id else None
    if user is None and email and email.strip():
        matches = session.scalars(
            select(User).where(func.lower(User.email) == email.strip().lower()).limit(2)).all()
        user = matches[0] if len(matches) == 1 else None  # two users with one e-mail: nobody
    return user


def speaker(session: Session, conversation_key: str, message_id: Optional[str]) -> Optional[str]:
    """The directory user id behind this turn, or None when nobody registered said it.

    A channel conversation's turn must be one the channel accepted, in that conversation: a
    message id from another conversation, or none at all, is nobody.
    """
    if channel_of(conversation_key) is None:
        return user_id_of(conversation_key) or None
    if not message_id:
        return None
    row = session.execute(
        select(InboundMessage.conversation_key, InboundMessage.user_id)
        .where(InboundMessage.message_id == message_id)
    ).first()
    if row is None or row.conversation_key != conversation_key:
        return None
    return row.user_id
