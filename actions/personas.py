"""Actions of the helpdesk and finance-advisor flows: slots in, one bot call, render out."""

import abc
from typing import Any, Dict

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.actions import latest_entity, message_text, slot_text, turn_key
from actions.base import ServiceAction, as_speaker
from bot.conversation import advisors, helpdesk
from bot.conversation.reply import Reply
from bot.conversation.targets import Said
from bot.nlp.commands import free_text, note_despite_intent

#: The intent that started a checked change -> what bot.conversation.helpdesk.check_change checks.
CHANGE_OF_INTENT = {
    "resolve_ticket": "resolve",
    "comment_ticket": "comment",
    "answer_escalation": "answer",
}


def said(tracker: Tracker) -> Said:
    """What this turn says about a ticket: its text and NLU value. The ticket in focus, used
    only when the message names none, is the server's (``bot.conversation.view``)."""
    return Said(message_text(tracker), latest_entity(tracker, "ticket_number"))


class ActionHelpdeskQueue(ServiceAction):
    def name(self) -> str:
        return "action_helpdesk_queue"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(helpdesk.queue, tracker, message_text(tracker),
                          latest_entity(tracker, "company"), conversation=tracker.sender_id)


class ActionAssignTicket(ServiceAction):
    def name(self) -> str:
        return "action_assign_ticket"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(helpdesk.assign, tracker, said(tracker), latest_entity(tracker, "person"),
                          conversation=tracker.sender_id)


class ActionUpdateTicketStatus(ServiceAction):
    def name(self) -> str:
        return "action_update_ticket_status"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(helpdesk.set_status, tracker, said(tracker), conversation=tracker.sender_id)


class ActionCheckTicketChange(ServiceAction):
    """Before a form asks for a note: is the change allowed, and which ticket? (slot may_proceed)"""

    def name(self) -> str:
        return "action_check_ticket_change"

    def call(self, tracker: Tracker) -> Reply:
        change = CHANGE_OF_INTENT.get(tracker.get_intent_of_latest_message() or "", "comment")
        return as_speaker(helpdesk.check_change, tracker, said(tracker), change, conversation=tracker.sender_id)


class ActionResolveTicket(ServiceAction):
    def name(self) -> str:
        return "action_resolve_ticket"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(helpdesk.resolve, tracker, None, slot_text(tracker, "resolution_note"),
                          conversation=tracker.sender_id)


class ActionCommentTicket(ServiceAction):
    def name(self) -> str:
        return "action_comment_ticket"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(helpdesk.comment, tracker, None, slot_text(tracker, "comment_text"),
                          conversation=tracker.sender_id)


class ActionAnswerEscalation(ServiceAction):
    def name(self) -> str:
        return "action_answer_escalation"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(advisors.answer, tracker, None, slot_text(tracker, "escalation_answer"),
                          conversation=tracker.sender_id)


class ActionEscalate(ServiceAction):
    def name(self) -> str:
        return "action_escalate"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(
            advisors.escalate, tracker, conversation=tracker.sender_id,
            idempotency_key=turn_key(tracker), said=said(tracker),
            company_text=slot_text(tracker, "company"), period_text=slot_text(tracker, "period"),
            module_text=slot_text(tracker, "module"),
        )


class ActionMyEscalations(ServiceAction):
    def name(self) -> str:
        return "action_my_escalations"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(advisors.my_escalations, tracker, conversation=tracker.sender_id)


class _AskNote(ServiceAction):
    """A form's question naming the ticket (an action: see action_ask_ticket_note in the domain)."""

    change = "comment"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(helpdesk.ask_note, tracker, self.change, conversation=tracker.sender_id)


class ActionAskResolutionNote(_AskNote):
    change = "resolve"

    def name(self) -> str:
        return "action_ask_resolution_note"


class ActionAskCommentText(_AskNote):
    change = "comment"

    def name(self) -> str:
        return "action_ask_comment_text"


class ActionAskEscalationAnswer(_AskNote):
    change = "answer"

    def name(self) -> str:
        return "action_ask_escalation_answer"


class _NoteValidation(FormValidationAction):
    """Keeps only the note of "resolve CLS-2: <note>"; a bare command leaves it for the question."""

    slot = ""

    @abc.abstractmethod
    def name(self) -> str:
        """validate_<form>; abstract, so the action server does not register this base."""

    def clean(self, value: Any, tracker: Tracker) -> Dict[str, Any]:
        asked = tracker.get_slot("requested_slot") == self.slot
        return {self.slot: free_text(str(value) if value else None, asked)}


class ValidateTicketForm(FormValidationAction):
    """Takes a statement as the ticket note even when NLU read it as a question intent.

    Asked "anything to add?", "payments from Bank of Shanghai stuck since this morning" reads
    like a status question; the domain's mapping leaves it out, and this puts it back.
    """

    def name(self) -> str:
        return "validate_ticket_form"

    async def extract_ticket_note(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "ticket_note" or tracker.get_slot("ticket_note"):
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        note = note_despite_intent(message_text(tracker), intent)
        return {"ticket_note": note} if note else {}


class ValidateResolveForm(_NoteValidation):
    slot = "resolution_note"

    def name(self) -> str:
        return "validate_resolve_form"

    def validate_resolution_note(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self.clean(value, tracker)


class ValidateCommentForm(_NoteValidation):
    slot = "comment_text"

    def name(self) -> str:
        return "validate_comment_form"

    def validate_comment_text(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self.clean(value, tracker)


class ValidateAnswerForm(_NoteValidation):
    slot = "escalation_answer"

    def name(self) -> str:
        return "validate_answer_form"

    def validate_escalation_answer(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self.clean(value, tracker)


def _nothing(session: Any, sender: str) -> Reply:
    return Reply()


class ActionDeliverNotifications(ServiceAction):
    """Runs before canned answers ("thanks", "ok", help, small talk) so that a requester hears
    about their ticket at their very next message, whatever it is; says nothing otherwise."""

    def name(self) -> str:
        return "action_deliver_notifications"

    def call(self, tracker: Tracker) -> Reply:
        return as_speaker(_nothing, tracker)
