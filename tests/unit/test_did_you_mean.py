"""The did-you-mean fallback: which guesses become buttons, and the actions around it."""

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as closebot_actions
from bot.conversation.did_you_mean import (
    ASK,
    ASK_DEFAULT,
    DEFAULT_INTENTS,
    INTENT_BUTTONS,
    NONE_OF_THESE,
    did_you_mean,
    suggestions,
)
from bot.conversation.knowledge import TOPICS


def ranking(*pairs):
    return [{"name": n, "confidence": c} for n, c in pairs]


FALLBACK_RANKING = ranking(
    ("nlu_fallback", 0.4), ("system_status", 0.31), ("out_of_scope", 0.2), ("greet", 0.15),
    ("report_blocked_close", 0.12), ("open_ticket", 0.09), ("my_tickets", 0.06),
)


def test_the_three_likeliest_intents_with_buttons_best_first() -> None:
    titles = [b.payload for b in suggestions(FALLBACK_RANKING)]
    # nlu_fallback, out_of_scope and greet make no useful suggestion and are skipped
    assert titles == ["/system_status", "/report_blocked_close", "/open_ticket"]


def test_a_limit_of_two() -> None:
    assert len(suggestions(FALLBACK_RANKING, limit=2)) == 2


def test_unlikely_guesses_are_not_offered() -> None:
    buttons = suggestions(ranking(("nlu_fallback", 0.4), ("my_tickets", 0.3), ("open_ticket", 0.01)))
    assert [b.payload for b in buttons] == ["/my_tickets"]


def test_a_retrieval_intent_offers_the_topic_the_selector_picked() -> None:
    buttons = suggestions(ranking(("prevent", 0.35), ("ask_help", 0.2)), "prevent/maintenance")
    assert buttons[0].title == TOPICS["prevent/maintenance"].title
    assert buttons[0].payload == TOPICS["prevent/maintenance"].question
    assert buttons[1] == INTENT_BUTTONS["ask_help"]


def test_a_retrieval_intent_without_its_topic_is_skipped() -> None:
    # the selector picked a get_help topic, so it says nothing about which prevention topic
    buttons = suggestions(ranking(("prevent", 0.35), ("ask_help", 0.2)), "get_help/it_provider")
    assert buttons == [INTENT_BUTTONS["ask_help"]]


def test_did_you_mean_always_offers_a_way_out() -> None:
    reply = did_you_mean(FALLBACK_RANKING)
    assert reply.texts == [ASK]
    assert reply.buttons[-1] == NONE_OF_THESE and len(reply.buttons) == 4


def test_nothing_useful_in_the_ranking_offers_the_main_things() -> None:
    reply = did_you_mean(ranking(("nlu_fallback", 0.4), ("out_of_scope", 0.38), ("affirm", 0.2)))
    assert reply.texts == [ASK_DEFAULT]
    assert reply.buttons == [*(INTENT_BUTTONS[i] for i in DEFAULT_INTENTS), NONE_OF_THESE]


def _run(action, latest_message: dict, slots: dict) -> tuple:
    tracker = Tracker("u-mei", slots, latest_message, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_the_action_reads_the_ranking_and_the_selected_topic() -> None:
    message = {
        "text": "what about upgrades",
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "intent_ranking": ranking(("nlu_fallback", 0.4), ("prevent", 0.33), ("system_status", 0.3)),
        "response_selector": {"default": {"response": {"intent_response_key": "prevent/maintenance"}}},
    }
    messages, events = _run(closebot_actions.ActionDidYouMean(), message, {})
    assert events == []
    assert [b["payload"] for b in messages[-1]["buttons"]] == [
        TOPICS["prevent/maintenance"].question, "/system_status", "/deny"]
