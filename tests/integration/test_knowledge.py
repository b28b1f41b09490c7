"""Prevention and get-help knowledge: topics match the data, advice follows the diagnosis."""

import re
from pathlib import Path

import pytest
import yaml

from bot.conversation import employee
from bot.conversation.knowledge import OVERVIEW_TOPICS, TOPICS, prevent_recurrence
from bot.diagnosis.kinds import KINDS, kind_words
from bot.diagnosis.result import Diagnosis
from tests.conftest import shown_dict

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "knowledge"


def _responses() -> dict:
    doc = yaml.safe_load((DATA / "responses.yml").read_text(encoding="utf-8"))
    return {name[len("utter_"):]: variants[0]["text"] for name, variants in doc["responses"].items()}


def _examples() -> dict:
    doc = yaml.safe_load((DATA / "nlu.yml").read_text(encoding="utf-8"))
    return {item["intent"]: [line.strip()[2:] for line in item["examples"].splitlines()
                             if line.strip().startswith("- ")]
            for item in doc["nlu"]}


def test_every_topic_has_an_answer_and_training_examples() -> None:
    responses, examples = _responses(), _examples()
    assert set(TOPICS) == set(responses)
    assert set(TOPICS) <= set(examples)
    assert 6 <= len(TOPICS) <= 10


@pytest.mark.parametrize("key", sorted(TOPICS))
def test_answers_are_short_and_specific(key: str) -> None:
    text = _responses()[key]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", text) if s.strip()]
    assert 2 <= len(sentences) <= 4, sentences
    assert len(text) <= 420, len(text)


@pytest.mark.parametrize("key", sorted(TOPICS))
def test_topic_buttons_send_a_question_the_nlu_was_trained_on(key: str) -> None:
    # Rasa's "/intent" payloads cannot name a retrieval sub-intent, so the button sends text.
    assert TOPICS[key].question in _examples()[key]


def test_every_blocker_kind_leads_to_a_topic() -> None:
    assert {kind.topic for kind in KINDS.values()} <= set(TOPICS)


def test_without_a_diagnosis_the_overview_offers_topics() -> None:
    reply = prevent_recurrence(None)
    assert [b.payload for b in reply.buttons] == [TOPICS[k].question for k in OVERVIEW_TOPICS]
    assert "reconcil" in reply.texts[0]


def _diagnosis(session, company: str = "C100") -> dict:
    user = "u-root" if company != "C100" else "u-mei"
    employee.diagnose_close(session, user, company_text=company)
    return shown_dict(session, user)


@pytest.mark.parametrize("index", [0, 1, 3])
def test_advice_follows_the_blocker_being_looked_at(demo_session, index: int) -> None:
    last = _diagnosis(demo_session)
    roots = Diagnosis.from_dict(last).root_causes
    kind = roots[index].kind
    reply = prevent_recurrence(last, index)
    first_line = reply.texts[0].splitlines()[0]
    assert KINDS[kind].prevention in first_line
    assert reply.buttons[0].payload == TOPICS[KINDS[kind].topic].question
    assert len(reply.buttons) <= 3
    assert len(reply.texts[0]) <= 400  # one short Slack message


def test_other_blocker_kinds_are_named_not_lectured(demo_session) -> None:
    last = _diagnosis(demo_session)
    roots = Diagnosis.from_dict(last).root_causes
    second = next(b.kind for b in roots if b.kind != roots[0].kind)
    text = prevent_recurrence(last, 0).texts[0]
    assert kind_words(second, plural=True) in text.splitlines()[1]
    assert KINDS[second].prevention not in text


def test_an_index_past_the_end_stays_on_the_last_blocker(demo_session) -> None:
    last = _diagnosis(demo_session)
    roots = Diagnosis.from_dict(last).root_causes
    assert KINDS[roots[-1].kind].prevention in prevent_recurrence(last, 99).texts[0]


def test_the_prevention_service_follows_the_blocker_in_view(demo_session) -> None:
    """employee.prevent_recurrence reads the server's view: "next" moves the advice along."""
    roots = Diagnosis.from_dict(_diagnosis(demo_session)).root_causes
    assert KINDS[roots[0].kind].prevention in employee.prevent_recurrence(demo_session, "u-mei").texts[0]
    employee.next_blocker(demo_session, "u-mei")
    assert KINDS[roots[1].kind].prevention in employee.prevent_recurrence(demo_session, "u-mei").texts[0]
    # nothing in view in another conversation: the overview, not someone's diagnosis
    other = employee.prevent_recurrence(demo_session, "u-mei", conversation="elsewhere")
    assert len(other.buttons) == len(OVERVIEW_TOPICS)


def test_nothing_blocking_says_so_and_offers_the_overview(demo_session) -> None:
    last = _diagnosis(demo_session, "C200")
    assert not Diagnosis.from_dict(last).root_causes
    reply = prevent_recurrence(last)
    assert reply.texts[0].startswith("Nothing blocks C200")
    assert len(reply.buttons) == len(OVERVIEW_TOPICS)
