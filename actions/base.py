"""The one place actions turn a ``bot.conversation`` call into messages and slot events.

Rasa SDK runs actions on the action server's event loop, so the database work runs in a
worker thread with a timeout; any failure becomes an apology and the conversation goes on.
"""

import abc
import asyncio
import logging
from typing import Any, Callable, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.channels.identity import speaker
from bot.conversation import transcript
from bot.conversation.budget import action_timeout_seconds
from bot.conversation.reply import Reply, with_notices
from bot.store import audit
from bot.store.db import session_scope

logger = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side while checking that. It's logged and I'm still "
    "here: try again in a moment, or say \"open a ticket\" and a person will follow up."
)
TIMEOUT_APOLOGY = (
    "Sorry, the business systems are slow to answer right now. Try again in a minute; "
    "if it keeps happening, ask for system status or open a ticket."
)


def as_speaker(fn: Callable[..., Reply], tracker: Tracker, *args: Any, **kwargs: Any) -> Reply:
    """Run ``fn(session, user_id, ...)`` in one transaction as the user who said this turn.

    Who that is comes from the store (``bot.channels.identity.speaker``: what the channel
    verified for this very message), never from a slot or a tracker event. The turn is kept in
    the server's transcript of the conversation (what the user said, what they were answered),
    and the user's pending notices that no channel pushed come in front of the reply.
    """
    message = tracker.latest_message or {}
    message_id = message.get("message_id")
    with session_scope() as session:
        audit.in_turn(session, tracker.sender_id, message_id)  # what this turn did, for analytics
        user_id = speaker(session, tracker.sender_id, message_id) or ""
        transcript.record_user(session, tracker.sender_id, user_id, message_id, message.get("text"))
        reply = with_notices(session, user_id, fn(session, user_id, *args, **kwargs))
        transcript.record_answer(session, tracker.sender_id, user_id, message_id, reply.texts)
        return reply


class ServiceAction(Action, abc.ABC):
    """An action whose work is one ``bot.conversation`` function (abstract: the SDK skips it)."""

    @abc.abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    @abc.abstractmethod
    def call(self, tracker: Tracker) -> Reply:
        """Build the reply from the tracker; runs in a worker thread inside a DB session."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        try:
            reply = await asyncio.wait_for(
                asyncio.to_thread(self.call, tracker), timeout=action_timeout_seconds()
            )
        except asyncio.TimeoutError:
            logger.error("%s timed out for sender %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=TIMEOUT_APOLOGY)
            return []
        except Exception:  # noqa: BLE001 - a crashed action must never end the conversation
            logger.exception("%s failed for sender %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=APOLOGY)
            return []
        return render(reply, dispatcher)


def render(reply: Reply, dispatcher: CollectingDispatcher) -> List[Dict[str, Any]]:
    """Send the texts (buttons on the last one) and return the slot events."""
    for i, text in enumerate(reply.texts):
        last = i == len(reply.texts) - 1
        buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons] if last else []
        dispatcher.utter_message(text=text, buttons=buttons)
    return [SlotSet(name, value) for name, value in reply.slots.items()]
