"""The dialogue benchmark's harness on tiny canned input: no servers, no model.

The fake ``rasa test core`` output below is what Rasa 3.6.21 wrote for three stories, one of
them failing, so the parser is checked against the real format.
"""

import json
from pathlib import Path
from typing import Dict, List

from bench.dialogue import (
    CONVERSATIONS,
    Conversation,
    Expect,
    Turn,
    parse_core_results,
    parse_failed_stories,
    root_cause_summary,
    run_conversation,
)

STORY_REPORT = {
    "utter_goodbye": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 1},
    "action_listen": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 3},
    "utter_help": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 1},
    "action_my_tickets": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 1},
    "micro avg": {"precision": 1.0, "recall": 0.8333333333333334, "f1-score": 0.9090909090909091, "support": 6},
    "macro avg": {"precision": 0.75, "recall": 0.75, "f1-score": 0.75, "support": 6},
    "weighted avg": {"precision": 0.8333333333333334, "recall": 0.8333333333333334,
                     "f1-score": 0.8333333333333334, "support": 6},
    "accuracy": 0.8333333333333334,
    "conversation_accuracy": {"accuracy": 0.6666666666666666, "correct": 2, "with_warnings": 0, "total": 3},
}
FAILED_STORIES = """version: "3.1"
stories:
- story: wrong action expected (/tmp/failst/s.yml)
  steps:
  - intent: greet
  - action: utter_goodbye  # predicted: action_greet
"""
LOG = """2026-11-28 04:30:02 INFO     rasa.core.test  - Evaluation Results on CONVERSATION level:
2026-11-28 04:30:02 INFO     rasa.core.test  - \tCorrect:          2 / 3
2026-11-28 04:30:03 INFO     rasa.core.test  - Evaluation Results on ACTION level:
2026-11-28 04:30:03 INFO     rasa.core.test  - \tCorrect:          5 / 6
"""


def fake_results(tmp_path: Path, failed: str = FAILED_STORIES) -> Path:
    (tmp_path / "story_report.json").write_text(json.dumps(STORY_REPORT), encoding="utf-8")
    (tmp_path / "failed_test_stories.yml").write_text(failed, encoding="utf-8")
    return tmp_path


def test_core_results_from_report_and_log(tmp_path: Path) -> None:
    core = parse_core_results(fake_results(tmp_path), LOG)
    assert (core["stories_passed"], core["stories_total"]) == (2, 3)
    assert (core["actions_correct"], core["actions_total"]) == (5, 6)
    assert core["failed_stories"] == [{
        "story": "wrong action expected (/tmp/failst/s.yml)",
        "first_wrong_step": "action: utter_goodbye  # predicted: action_greet",
    }]
    assert core["actions_below_f1_1"] == {"utter_goodbye": {"f1": 0.0, "support": 1}}


def test_core_results_without_log_use_the_report(tmp_path: Path) -> None:
    core = parse_core_results(fake_results(tmp_path))
    assert (core["actions_correct"], core["actions_total"]) == (5, 6)


def test_no_failed_stories_is_an_empty_list() -> None:
    text = "# None of the test stories failed - all good!"
    assert parse_failed_stories(text) == []


def canned(replies: List[str]):
    """A ``say`` that answers each turn with the next canned text and records what it was sent."""
    sent: List[Dict[str, str]] = []

    def say(sender: str, text: str) -> list:
        sent.append({"sender": sender, "text": text})
        return [{"recipient_id": sender, "text": replies[len(sent) - 1]}]

    say.sent = sent  # type: ignore[attr-defined]
    return say


ROOT = Expect(all_of=("SO-1042", "Fix:"))
CONV = Conversation(
    "blocked close", "u-mei",
    (
        Turn("I can't close November", ROOT),
        Turn("open a ticket", Expect(regex=r"CLS-\d{6}", capture="ticket")),
        Turn("status of {ticket}", Expect(all_of=("{ticket}", "new"))),
    ),
    root_cause=ROOT,
)


def test_root_cause_in_the_first_reply_counts_one_turn() -> None:
    say = canned(["SO-1042 has no price\nFix: price it", "Ticket CLS-000007 is open", "CLS-000007: new"])
    result = run_conversation(CONV, say)
    assert result.passed and result.failing_turn is None
    assert result.turns_to_root_cause == 1
    assert say.sent[2]["text"] == "status of CLS-000007"  # the capture fills the later turn


def test_a_clarifying_question_costs_a_turn_and_fails_that_turn() -> None:
    say = canned(["Which period?", "SO-1042 blocks it. Fix: price it", "CLS-000009: new"])
    result = run_conversation(CONV, say)
    assert not result.passed
    assert result.failing_turn == 1 and "missing SO-1042, Fix:" in result.turns[0].problems
    assert result.turns_to_root_cause == 2
    assert "no match" in result.turns[1].problems[0]
    assert result.turns[2].problems == ["missing {ticket}"]  # nothing was captured


def test_never_named_and_summary() -> None:
    never = run_conversation(CONV, canned(["sorry", "sorry", "sorry"]))
    assert never.turns_to_root_cause is None
    ok = run_conversation(CONV, canned(["SO-1042 Fix: x", "CLS-000001", "CLS-000001 new"]))
    other = run_conversation(Conversation("status", "u-hana", (Turn("outage?"),)), canned(["all fine"]))
    assert not other.reports_blocked_close and other.passed
    assert root_cause_summary([never, ok, other]) == {
        "conversations": 2, "named_at_turn_1": 1, "never_named": 1, "mean_turns_when_named": 1.0,
    }


def test_a_leak_and_a_dead_server_fail() -> None:
    refused = Conversation("refused", "stranger", (Turn("why?", Expect(none_of=("SO-1042",))),))
    assert run_conversation(refused, canned(["SO-1042 is unpriced"])).turns[0].problems == [
        "must not say SO-1042"
    ]

    def down(sender: str, text: str) -> list:
        raise ConnectionError("refused")

    result = run_conversation(refused, down)
    assert not result.passed and result.turns[0].reply.startswith("<error")
    assert run_conversation(refused, canned([""])).turns[0].problems == ["no reply"]


def test_the_demo_conversations_are_well_formed() -> None:
    names = [c.name for c in CONVERSATIONS]
    assert len(names) == len(set(names)) and 6 <= len(CONVERSATIONS) <= 10
    assert sum(c.root_cause is not None for c in CONVERSATIONS) >= 4
    for conv in CONVERSATIONS:
        assert conv.turns and conv.sender
