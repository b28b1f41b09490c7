"""The "did you mean" fallback: the likeliest intents as buttons instead of "I don't understand".

When NLU falls back, its intent ranking still knows what the user probably meant. A small
table turns intents into button titles a person understands; retrieval intents (prevent,
get_help) take the topic the ResponseSelector picked, because a ``/prevent`` payload
carries no topic (see :mod:`bot.conversation.knowledge`). Small talk, yes/no and bare slot values make
poor suggestions and have no entry, so they are never offered.
"""

from typing import Any, Dict, Iterable, List, Mapping, Optional

from bot.conversation.knowledge import TOPICS, topic_button
from bot.conversation.reply import Button, Reply

#: intent -> the button that means it
INTENT_BUTTONS: Dict[str, Button] = {
    "report_blocked_close": Button("Find out why my close is blocked", "/report_blocked_close"),
    "ask_next_blocker": Button("Show the next blocker", "/ask_next_blocker"),
    "open_ticket": Button("Open a ticket for the helpdesk", "/open_ticket"),
    "ticket_status": Button("Check a ticket's status", "/ticket_status"),
    "my_tickets": Button("List my tickets", "/my_tickets"),
    "system_status": Button("Check for outages and failed jobs", "/system_status"),
    "ask_help": Button("See what I can do", "/ask_help"),
    "prevent_recurrence": Button("Keep this from happening again", "/prevent_recurrence"),
    "recheck": Button("Check the close again", "/recheck"),
    "notify_owner": Button("Tell the owner of the blocker", "/notify_owner"),
    "show_all_records": Button("Show every record of this blocker", "/show_all_records"),
    "fix_blocker": Button("How to fix the blocker in view", "/fix_blocker"),
    "ask_followup": Button("More about what we just discussed", "/ask_followup"),
    "escalate": Button("Talk to a finance advisor", "/escalate"),
}
RETRIEVAL_INTENTS = ("prevent", "get_help")
#: Offered when the ranking suggests nothing worth a button.
DEFAULT_INTENTS = ("report_blocked_close", "open_ticket", "system_status")
NONE_OF_THESE = Button("None of these", "/deny")
#: A guess below this share of the probability is noise, not a suggestion.
MIN_CONFIDENCE = 0.05

ASK = "Sorry, I'm not sure what you mean. Did you mean one of these?"
ASK_DEFAULT = ("Sorry, I didn't get that. I can find out why a close is blocked, open a ticket, "
               "or check tickets and system status.")


def suggestions(
    intent_ranking: Iterable[Mapping[str, Any]],
    selected_topic: Optional[str] = None,
    limit: int = 3,
) -> List[Button]:
    """The ``limit`` likeliest intents that have a button, best first, each offered once.

    ``selected_topic`` is the ResponseSelector's pick (e.g. ``prevent/maintenance``); a
    retrieval intent without a known topic is skipped.
    """
    buttons: List[Button] = []
    for entry in intent_ranking:
        name, confidence = entry.get("name"), float(entry.get("confidence") or 0.0)
        if confidence < MIN_CONFIDENCE:
            break  # the ranking is sorted: nothing further is likelier
        button = _button_for(str(name), selected_topic)
        if button is not None and button not in buttons:
            buttons.append(button)
        if len(buttons) == limit:
            break
    return buttons


def _button_for(intent: str, selected_topic: Optional[str]) -> Optional[Button]:
    if intent in RETRIEVAL_INTENTS:
        if selected_topic and selected_topic.split("/")[0] == intent and selected_topic in TOPICS:
            return topic_button(selected_topic)
        return None
    return INTENT_BUTTONS.get(intent)


def did_you_mean(intent_ranking: Iterable[Mapping[str, Any]], selected_topic: Optional[str] = None) -> Reply:
    """The first fallback: up to three guesses as buttons, plus a way to say none fits."""
    buttons = suggestions(intent_ranking, selected_topic)
    if not buttons:
        return Reply([ASK_DEFAULT], [*(INTENT_BUTTONS[i] for i in DEFAULT_INTENTS), NONE_OF_THESE])
    return Reply([ASK], [*buttons, NONE_OF_THESE])
