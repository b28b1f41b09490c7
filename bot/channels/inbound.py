"""Accept a verified inbound message once: dedupe, identify, remember the conversation.

A channel adapter verifies the request (signature, token), then calls ``accept`` in a worker
thread. ``accept`` records the message under a fresh ``message_id`` (the id Rasa gives the
turn, so actions can look up who said it), answers None for a second delivery of the same
channel message (a retry, on any replica, before or after a restart), and says who the
speaker is in the directory (None: not registered).
"""

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.identity import directory_user
from bot.core import clock
from bot.store.db import begin_write
from bot.store.models import Conversation, InboundMessage

#: Longest message handed to NLU; longer ones get ``TOO_LONG`` at the channel.
MAX_MESSAGE_CHARS = 4000

TOO_LONG = (
    "That message is too long for me (over 4,000 characters), so I haven't read it. Tell me in a "
    "sentence or two what won't close, or paste just the error message."
)
EMPTY = ("I didn't get anything to read there. Tell me what won't close (e.g. \"I can't close "
         "November\"), or ask for your tickets or the system status.")


def unreadable(text: str) -> Optional[str]:
    """What to answer instead of reading ``text`` (too long, or nothing in it), else None."""
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG
    if not text.strip():
        return EMPTY
    return None


def not_registered(channel_label: str, channel_user_id: str) -> str:
    """What someone outside the user directory is told, and nothing else."""
    return (f"You're not registered with Closebot yet, so I can't show you any company data. Ask your "
            f"company's Closebot admin or the helpdesk to add you to the user directory (your "
            f"{channel_label} id is {channel_user_id}), then write to me again.")


@dataclass(frozen=True)
class Inbound:
    """A message a channel has verified: where it came from and who sent it.

    ``external_id`` is the channel's id of this delivery (Slack ``event_id``, a Teams activity
    id): the same id twice is one message. ``address`` is where replies to the conversation go.
    ``email`` is looked up only when the channel user id is not a directory id.
    """

    channel: str
    external_id: str
    conversation_key: str
    channel_user_id: str
    address: Dict[str, Any] = field(default_factory=dict)
    email: Optional[Callable[[], Optional[str]]] = None


@dataclass(frozen=True)
class Accepted:
    message_id: str
    user_id: Optional[str]  #: the directory user; None: not registered


def accept(session: Session, inbound: Inbound) -> Optional[Accepted]:
    """Record ``inbound`` once; None when it was recorded before (a retry or a repeat)."""
    user = directory_user(session, inbound.channel_user_id)
    if user is None and inbound.email is not None:
        user = directory_user(session, inbound.channel_user_id, inbound.email())
    message_id = uuid.uuid4().hex
    begin_write(session)
    try:
        with session.begin_nested():
            session.add(InboundMessage(
                message_id=message_id, channel=inbound.channel, external_id=inbound.external_id,
                conversation_key=inbound.conversation_key, channel_user_id=inbound.channel_user_id,
                user_id=user.id if user is not None else None,
            ))
    except IntegrityError:
        return None
    remember_conversation(session, inbound.channel, inbound.conversation_key, inbound.address)
    return Accepted(message_id, user.id if user is not None else None)


def remember_conversation(session: Session, channel: str, key: str, address: Dict[str, Any]) -> None:
    """Create the conversation, or note it was seen (its address can move, e.g. a serviceUrl)."""
    now = clock.now()
    conversation = session.get(Conversation, key)
    if conversation is None:
        try:
            with session.begin_nested():  # a second message of a new conversation, at the same moment
                session.add(Conversation(key=key, channel=channel, address=address, created_at=now,
                                         last_seen_at=now))
            return
        except IntegrityError:
            conversation = session.get(Conversation, key)
    conversation.address = address or conversation.address
    conversation.last_seen_at = now
