"""bench.nlu_context on a tiny conversation file of its own, through the real servers."""

import pytest

from bench.nlu_context import load_conversations, play

pytestmark = pytest.mark.slow

CONVERSATIONS = """
conversations:
  - id: tiny-1
    user: u-lin
    turns:
      - text: why can't I close [November](period)?
        intent: report_blocked_close
      - text: any outages?
        intent: system_status
  - id: tiny-2
    user: u-mei
    turns:
      - text: how do I fix SO-1042?
        intent: fix_blocker
      - text: what is the capital of France?
        intent: out_of_scope
"""


def test_each_turn_is_read_back_from_its_own_conversation(servers, tmp_path) -> None:
    """Sender ids carry a ':' (u-lin:tiny-1-ab12cd): the tracker read must be that
    conversation's, or every turn would score as unread."""
    path = tmp_path / "conversations.yml"
    path.write_text(CONVERSATIONS, encoding="utf-8")
    result = play(servers, load_conversations(path))
    assert (result["conversations"], result["turns"], result["follow_ups"]) == (2, 4, 2)
    assert result["all"]["intent_accuracy"] >= 0.75, result
    assert result["all"]["entities"]["period"]["f1"] == 1.0, result["all"]["entities"]
    assert result["wrong_turns"] <= 1
