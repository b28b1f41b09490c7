"""What every conversation service returns, and the pieces they share.

A ``Reply`` is texts, buttons and the slot values the conversation should remember; the
actions render it for Rasa, the tests read it directly. ``known_user`` is the one guard that
turns a chat sender id into a directory user (or the "I don't know you" answer), and
``with_notices`` puts the user's pending notices in front of whatever they are told.
"""

import functools
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy.orm import Session
from typing_extensions import Concatenate, ParamSpec

from bot.people import inbox
from bot.people.access import ACCESS_HELP, find_user
from bot.store.models import User


@dataclass
class Button:
    title: str
    payload: str


@dataclass
class Reply:
    texts: List[str] = field(default_factory=list)
    buttons: List[Button] = field(default_factory=list)
    slots: Dict[str, Any] = field(default_factory=dict)


NEXT = Button("Next blocker", "/ask_next_blocker")
TICKET = Button("Open a ticket", "/open_ticket")
STATUS = Button("System status", "/system_status")
MY_TICKETS = Button("My tickets", "/my_tickets")
RECHECK = Button("Check again", "/recheck")
QUEUE = Button("Ticket queue", "/helpdesk_queue")


def intent_button(title: str, intent: str, **entities: str) -> Button:
    """A button that sends ``intent`` with entities, bypassing NLU: '/assign_ticket{...}'."""
    return Button(title, f"/{intent}{json.dumps(entities)}" if entities else f"/{intent}")


P = ParamSpec("P")


def known_user(
    fn: Callable[Concatenate[Session, User, P], Reply],
) -> Callable[Concatenate[Session, str, P], Reply]:
    """Run the service as the directory user behind ``sender``; a sender the directory does
    not know gets "I don't know you yet" and no data.

    The decorated function takes ``(session, user, ...)``; callers pass ``(session, sender, ...)``.
    """
    return _as_known_user(fn, {})


def known_user_or(slots: Dict[str, Any]) -> Callable[[Callable[Concatenate[Session, User, P], Reply]],
                                                     Callable[Concatenate[Session, str, P], Reply]]:
    """``known_user`` whose refusal also sets ``slots`` (e.g. a form that must not start)."""
    return lambda fn: _as_known_user(fn, slots)


def _as_known_user(fn: Callable[Concatenate[Session, User, P], Reply],
                   unknown_slots: Dict[str, Any]) -> Callable[Concatenate[Session, str, P], Reply]:
    @functools.wraps(fn)
    def guarded(session: Session, sender: str, *args: P.args, **kwargs: P.kwargs) -> Reply:
        user = find_user(session, sender)
        if user is None:
            return Reply([ACCESS_HELP], slots=dict(unknown_slots))
        return fn(session, user, *args, **kwargs)

    return guarded


def with_notices(session: Session, user_id: Optional[str], reply: Reply) -> Reply:
    """Put the user's pending notices in front of ``reply`` (same transaction): a requester
    hears what happened to their ticket at their next message, whatever it is."""
    text = inbox.render(inbox.take_pending(session, user_id))
    if text:
        reply.texts.insert(0, text)
    return reply
