"""Custom actions: slots in, one ``bot.assistant`` call, messages and slots out."""

from typing import Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ServiceAction, in_session
from bot import assistant, knowledge
from bot.access import user_id_of
from bot.assistant import Reply
from bot.did_you_mean import did_you_mean


def user(tracker: Tracker) -> str:
    """The directory user of this conversation (sender ids may be ``u-mei:2``, see bot.access)."""
    return user_id_of(tracker.sender_id) or ""


def slot_text(tracker: Tracker, name: str) -> Optional[str]:
    value = tracker.get_slot(name)
    return str(value) if value not in (None, "") else None


def turn_key(tracker: Tracker) -> str:
    """One key per user turn: a retried or repeated action finds what the first one made."""
    message_id = tracker.latest_message.get("message_id") or str(len(tracker.events))
    return f"{tracker.sender_id}:{message_id}"


def last_company(tracker: Tracker) -> Optional[str]:
    last = tracker.get_slot("last_diagnosis") or {}
    return last.get("company") if isinstance(last, dict) else None


class ActionGreet(ServiceAction):
    def name(self) -> str:
        return "action_greet"

    def call(self, tracker: Tracker) -> Reply:
        return in_session(assistant.greet, user(tracker))


class ActionDiagnoseClose(ServiceAction):
    def name(self) -> str:
        return "action_diagnose_close"

    def call(self, tracker: Tracker) -> Reply:
        return in_session(
            assistant.diagnose_close, user(tracker),
            slot_text(tracker, "company"), slot_text(tracker, "period"), slot_text(tracker, "module"),
            None, last_company(tracker),
        )


class ActionNextBlocker(ServiceAction):
    def name(self) -> str:
        return "action_next_blocker"

    def call(self, tracker: Tracker) -> Reply:
        index = int(tracker.get_slot("blocker_index") or 0)
        return in_session(
            assistant.next_blocker, user(tracker), tracker.get_slot("last_diagnosis"), index
        )


class ActionOpenTicket(ServiceAction):
    def name(self) -> str:
        return "action_open_ticket"

    def call(self, tracker: Tracker) -> Reply:
        return in_session(
            assistant.open_ticket, user(tracker), tracker.get_slot("last_diagnosis"),
            slot_text(tracker, "ticket_note"), turn_key(tracker),
            slot_text(tracker, "company"), slot_text(tracker, "period"), slot_text(tracker, "module"),
            tracker.get_slot("blocker_index"),
        )


class ActionRecheck(ServiceAction):
    def name(self) -> str:
        return "action_recheck"

    def call(self, tracker: Tracker) -> Reply:
        return in_session(assistant.recheck, user(tracker), tracker.get_slot("last_diagnosis"))


class ActionNotifyOwner(ServiceAction):
    def name(self) -> str:
        return "action_notify_owner"

    def call(self, tracker: Tracker) -> Reply:
        return in_session(
            assistant.notify_owner, user(tracker), tracker.get_slot("last_diagnosis"),
            tracker.get_slot("blocker_index"), turn_key(tracker),
        )


class ActionShowAllRecords(ServiceAction):
    def name(self) -> str:
        return "action_show_all_records"

    def call(self, tracker: Tracker) -> Reply:
        return in_session(
            assistant.show_all_records, user(tracker), tracker.get_slot("last_diagnosis"),
            tracker.get_slot("blocker_index"),
        )


class ActionTicketStatus(ServiceAction):
    def name(self) -> str:
        return "action_ticket_status"

    def call(self, tracker: Tracker) -> Reply:
        return in_session(
            assistant.ticket_status, user(tracker), slot_text(tracker, "ticket_number")
        )


class ActionMyTickets(ServiceAction):
    def name(self) -> str:
        return "action_my_tickets"

    def call(self, tracker: Tracker) -> Reply:
        return in_session(assistant.my_tickets, user(tracker))


class ActionSystemStatus(ServiceAction):
    def name(self) -> str:
        return "action_system_status"

    def call(self, tracker: Tracker) -> Reply:
        return in_session(assistant.system_status, user(tracker))


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
