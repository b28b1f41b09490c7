"""Custom actions of the employee flows: slots in, one ``bot.conversation`` call, messages and slots out."""

import hashlib
from typing import Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ServiceAction, as_speaker
from bot.conversation import employee, knowledge
from bot.conversation.did_you_mean import did_you_mean
from bot.conversation.reply import Reply
from bot.conversation.targets import Said


def slot_text(tracker: Tracker, name: str) -> Optional[str]:
    value = tracker.get_slot(name)
    return str(value) if value not in (None, "") else None


def turn_key(tracker: Tracker) -> str:
    """One key per user turn: a retried or repeated action finds what the first one made.

    A long conversation key (a Teams conversation id) is hashed, so the key fits the
    200-character idempotency columns with room for a suffix (owner notes add the user id)."""
    message_id = tracker.latest_message.get("message_id") or str(len(tracker.events))
    sender = tracker.sender_id
    if len(sender) + len(message_id) > 150:
        sender = hashlib.sha256(sender.encode()).hexdigest()[:24]
    return f"{sender}:{message_id}"


def last_company(tracker: Tracker) -> Optional[str]:
    last = tracker.get_slot("last_diagnosis") or {}
    return last.get("company") if isinstance(last, dict) else None


class ActionGreet(ServiceAction):
    def name(self) -> str:
        return "action_greet"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.greet, tracker)


class ActionDiagnoseClose(ServiceAction):
    def name(self) -> str:
        return "action_diagnose_close"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(
            employee.diagnose_close, tracker,
            company_text=slot_text(tracker, "company"), period_text=slot_text(tracker, "period"),
            module_text=slot_text(tracker, "module"), previous_company=last_company(tracker),
        )


class ActionNextBlocker(ServiceAction):
    def name(self) -> str:
        return "action_next_blocker"

    def call(self, tracker: Tracker) -> Reply:
        index = int(tracker.get_slot("blocker_index") or 0)
        return as_speaker(
            employee.next_blocker, tracker, tracker.get_slot("last_diagnosis"), index
        )


class ActionOpenTicket(ServiceAction):
    def name(self) -> str:
        return "action_open_ticket"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(
            employee.open_ticket, tracker,
            last=tracker.get_slot("last_diagnosis"), note=slot_text(tracker, "ticket_note"),
            idempotency_key=turn_key(tracker), company_text=slot_text(tracker, "company"),
            period_text=slot_text(tracker, "period"), module_text=slot_text(tracker, "module"),
            index=tracker.get_slot("blocker_index"), conversation=tracker.sender_id,
        )


class ActionRecheck(ServiceAction):
    def name(self) -> str:
        return "action_recheck"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.recheck, tracker, tracker.get_slot("last_diagnosis"))


class ActionNotifyOwner(ServiceAction):
    def name(self) -> str:
        return "action_notify_owner"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(
            employee.notify_owner, tracker, tracker.get_slot("last_diagnosis"),
            tracker.get_slot("blocker_index"), idempotency_key=turn_key(tracker),
        )


class ActionShowAllRecords(ServiceAction):
    def name(self) -> str:
        return "action_show_all_records"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(
            employee.show_all_records, tracker, tracker.get_slot("last_diagnosis"),
            tracker.get_slot("blocker_index"),
        )


class ActionTicketStatus(ServiceAction):
    def name(self) -> str:
        return "action_ticket_status"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.ticket_status, tracker, Said(
            tracker.latest_message.get("text"), next(tracker.get_latest_entity_values("ticket_number"), None),
            slot_text(tracker, "ticket_number")))


class ActionMyTickets(ServiceAction):
    def name(self) -> str:
        return "action_my_tickets"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.my_tickets, tracker)


class ActionSystemStatus(ServiceAction):
    def name(self) -> str:
        return "action_system_status"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(employee.system_status, tracker)


class ActionPreventRecurrence(ServiceAction):
    """ "How do I stop this happening again?": advice for the blocker being looked at."""

    def name(self) -> str:
        return "action_prevent_recurrence"

    def call(self, tracker: Tracker) -> Reply:
        return knowledge.prevent_recurrence(
            tracker.get_slot("last_diagnosis"), int(tracker.get_slot("blocker_index") or 0)
        )


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


class ActionAskTicketNote(Action):
    """The ticket form's question, naming what the ticket will be about."""

    def name(self) -> str:
        return "action_ask_ticket_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        last = tracker.get_slot("last_diagnosis") or {}
        about = f" for {last['company']} {last['period']}" if last.get("company") else ""
        roots = [b for b in last.get("blockers", []) if not b.get("caused_by")]
        index = min(max(int(tracker.get_slot("blocker_index") or 0), 0), max(len(roots) - 1, 0))
        outage = roots and roots[index].get("kind") == "system_fault"
        noun = f"an incident about {', '.join(roots[index]['refs'])}" if outage else "a ticket"
        dispatcher.utter_message(
            text=f"I'll open {noun}{about} with my diagnosis attached. Anything to add for the "
            "helpdesk, e.g. what you already tried? Say 'no' to skip."
        )
        return []
