"""Custom actions of the employee flows: the turn in, one ``bot.conversation`` call, messages out.

An action passes the conversation key, the message and its entities; what the user is looking
at (the diagnosis, the blocker, the ticket in focus) is kept on the server
(``bot.conversation.view``), never read from a slot.
"""

import hashlib
from typing import List, Optional

from rasa_sdk import Tracker

from actions.base import ServiceAction, as_speaker
from bot.conversation import context, employee, fixing, followup
from bot.conversation.did_you_mean import did_you_mean
from bot.conversation.reply import Reply
from bot.conversation.targets import Said


def slot_text(tracker: Tracker, name: str) -> Optional[str]:
    value = tracker.get_slot(name)
    return str(value) if value not in (None, "") else None


def message_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    """The entity in this very message (not a slot remembered from earlier turns)."""
    return next(tracker.get_latest_entity_values(name), None)


def latest_entities(tracker: Tracker, name: str) -> List[str]:
    return [str(v) for v in tracker.get_latest_entity_values(name) if v not in (None, "")]


def turn_key(tracker: Tracker) -> str:
    """One key per user turn: a retried or repeated action finds what the first one made.

    A long conversation key (a Teams conversation id) is hashed, so the key fits the
    200-character idempotency columns with room for a suffix (owner notes add the user id)."""
    message_id = tracker.latest_message.get("message_id") or str(len(tracker.events))
    sender = tracker.sender_id
    if len(sender) + len(message_id) > 150:
        sender = hashlib.sha256(sender.encode()).hexdigest()[:24]
    return f"{sender}:{message_id}"


class ActionGreet(ServiceAction):
    def name(self) -> str:
        return "action_greet"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.greet, tracker)


class ActionDiagnoseClose(ServiceAction):
    """A new question about a close, or a follow-up giving a period, company or module."""

    def name(self) -> str:
        return "action_diagnose_close"

    def call(self, tracker: Tracker) -> Reply:
        if tracker.get_intent_of_latest_message() == "inform":  # "and C200?", "and the bank one?"
            return as_speaker(
                context.inform, tracker, conversation=tracker.sender_id, message=message_text(tracker),
                company_text=latest_entity(tracker, "company"), period_text=latest_entity(tracker, "period"),
                module_texts=latest_entities(tracker, "module"),
                ticket_text=latest_entity(tracker, "ticket_number"),
            )
        return as_speaker(
            employee.diagnose_close, tracker, conversation=tracker.sender_id,
            company_text=latest_entity(tracker, "company"), period_text=latest_entity(tracker, "period"),
            module_text=latest_entities(tracker, "module"), message=message_text(tracker),
        )


class ActionNextBlocker(ServiceAction):
    def name(self) -> str:
        return "action_next_blocker"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.next_blocker, tracker, conversation=tracker.sender_id)


class ActionFixBlocker(ServiceAction):
    """ "How do I fix SO-1042 / the bank one / this one?" """

    def name(self) -> str:
        return "action_fix_blocker"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(
            fixing.fix_blocker, tracker, conversation=tracker.sender_id, message=message_text(tracker),
            record=latest_entity(tracker, "record"), modules=latest_entities(tracker, "module"),
            company_text=latest_entity(tracker, "company"),
        )


class ActionFollowUp(ServiceAction):
    """ "Who has it?", "when is it back?", "which account?", "who can grant it?" """

    def name(self) -> str:
        return "action_follow_up"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(followup.follow_up, tracker, conversation=tracker.sender_id,
                          message=message_text(tracker))


class ActionOpenTicket(ServiceAction):
    def name(self) -> str:
        return "action_open_ticket"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(
            employee.open_ticket, tracker, conversation=tracker.sender_id,
            note=slot_text(tracker, "ticket_note"), idempotency_key=turn_key(tracker),
            company_text=slot_text(tracker, "company"), period_text=slot_text(tracker, "period"),
            module_text=slot_text(tracker, "module"),
        )


class ActionRecheck(ServiceAction):
    def name(self) -> str:
        return "action_recheck"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.recheck, tracker, conversation=tracker.sender_id)


class ActionNotifyOwner(ServiceAction):
    def name(self) -> str:
        return "action_notify_owner"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.notify_owner, tracker, conversation=tracker.sender_id,
                          idempotency_key=turn_key(tracker))


class ActionShowAllRecords(ServiceAction):
    def name(self) -> str:
        return "action_show_all_records"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.show_all_records, tracker, conversation=tracker.sender_id)


class ActionTicketStatus(ServiceAction):
    def name(self) -> str:
        return "action_ticket_status"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.ticket_status, tracker,
                          Said(message_text(tracker), latest_entity(tracker, "ticket_number")),
                          conversation=tracker.sender_id)


class ActionMyTickets(ServiceAction):
    def name(self) -> str:
        return "action_my_tickets"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.my_tickets, tracker)


class ActionSystemStatus(ServiceAction):
    def name(self) -> str:
        return "action_system_status"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.system_status, tracker, conversation=tracker.sender_id)


class ActionPreventRecurrence(ServiceAction):
    """ "How do I stop this happening again?": advice for the blocker being looked at."""

    def name(self) -> str:
        return "action_prevent_recurrence"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.prevent_recurrence, tracker, conversation=tracker.sender_id)


class ActionDidYouMean(ServiceAction):
    """The first NLU fallback: the likeliest intents as buttons."""

    def name(self) -> str:
        return "action_did_you_mean"

    def call(self, tracker: Tracker) -> Reply:
        message = tracker.latest_message or {}
        return did_you_mean(message.get("intent_ranking") or [], selected_topic(message))


def selected_topic(message: dict) -> Optional[str]:
    """The ResponseSelector's pick for this message, e.g. ``prevent/maintenance``."""
    selector = (message.get("response_selector") or {}).get("default") or {}
    return (selector.get("response") or {}).get("intent_response_key") or None


class ActionAskTicketNote(ServiceAction):
    """The ticket form's question, naming what the ticket will be about."""

    def name(self) -> str:
        return "action_ask_ticket_note"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.ask_ticket_note, tracker, conversation=tracker.sender_id)
