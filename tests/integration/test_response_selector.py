"""The trained model picks the right prevent/get_help topic for phrasings it never saw."""

import asyncio

import pytest

from tests.conftest import MODEL

pytestmark = pytest.mark.slow

# None of these is a training example (tests/test_knowledge.py checks the data side).
UNSEEN = [
    ("how can we automate checking the sub ledgers against the GL", "prevent/reconciliation"),
    ("who should be allowed to close periods and how often do we check that", "prevent/permissions"),
    ("we need a step by step close checklist, how do we set one up", "prevent/close_procedure"),
    ("how often should we test restoring backups", "prevent/emergency_plan"),
    ("who can give me accounting advice on this difference", "get_help/finance_consultant"),
    ("should I call the supplier about the wrong price on the PO", "get_help/customer_supplier"),
    ("how do we make sure this doesn't happen again next month", "prevent_recurrence"),
]


@pytest.fixture(scope="module")
def parse():
    from rasa.core.agent import Agent

    assert MODEL.exists(), "run scripts/setup.sh first: the trained model is missing"
    agent = Agent.load(str(MODEL))
    loop = asyncio.new_event_loop()
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()


@pytest.mark.parametrize("text,expected", UNSEEN)
def test_unseen_phrasing_gets_its_topic(parse, text: str, expected: str) -> None:
    result = parse(text)
    intent = result["intent"]["name"]
    assert intent == expected.split("/")[0]
    if "/" in expected:
        selected = result["response_selector"]["default"]["response"]
        assert selected["intent_response_key"] == expected
        assert selected["utter_action"] == f"utter_{expected}"
        assert selected["responses"][0]["text"]


def test_selector_runs_only_when_a_retrieval_intent_is_likely(parse) -> None:
    """A diagnosis question skips the selector (the cost) but keeps the shape Rasa checks."""
    skipped = parse("why can't I close november, GL says 业务系统未结账")
    assert skipped["intent"]["name"] == "report_blocked_close"
    assert set(skipped["response_selector"]["all_retrieval_intents"]) == {"prevent", "get_help"}
    assert "default" not in skipped["response_selector"]
    picked = parse("how can we automate checking the sub ledgers against the GL")
    assert picked["response_selector"]["default"]["response"]["intent_response_key"]


def test_likeliest_intents_reads_the_ranking() -> None:
    from rasa.shared.nlu.training_data.message import Message

    from rasa_components.retrieval_response_selector import likeliest_intents

    message = Message(data={"intent": {"name": "greet"}, "intent_ranking": [
        {"name": "greet"}, {"name": "thank"}, {"name": "prevent"}, {"name": "get_help"}]})
    assert likeliest_intents(message, 3) == ["greet", "greet", "thank", "prevent"]
    assert "get_help" not in likeliest_intents(message, 3)
    assert likeliest_intents(Message(data={}), 3) == []


NOISE = ["😀😀😀🔥🔥", "aaaaaaaaaaaaaaaaaaaaaaaaa", "asdf" * 900, "close november!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
         "\x00\x01\x02 C200 \x03\x04\x05\x06"]


@pytest.mark.parametrize("text", NOISE)
def test_noise_goes_to_the_fallback_with_no_entities(parse, text: str) -> None:
    result = parse(text)
    assert result["intent"]["name"] == "nlu_fallback"
    assert result["entities"] == [] and result["intent_ranking"] == []
