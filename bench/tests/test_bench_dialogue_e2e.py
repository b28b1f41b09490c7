"""bench.dialogue's scripted demo conversations against the real servers."""

from dataclasses import replace

import pytest

from bench.dialogue import CONVERSATIONS, run_conversation

pytestmark = pytest.mark.slow


def test_the_dialogue_benchmark_demo_conversations_still_pass(servers) -> None:
    """bench.dialogue's scripted demo conversations, each under a sender id of its own."""
    for conversation in CONVERSATIONS:
        mine = replace(conversation, sender=f"{conversation.sender}:bench")
        result = run_conversation(mine, servers.say)
        failing = [(t.text, t.problems, t.reply[:300]) for t in result.turns if t.problems]
        assert not failing, (conversation.name, failing)
