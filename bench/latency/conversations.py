"""The conversations the simulated users hold, and how each reply is judged right or wrong.

A benchmark that counted fast wrong answers as served would flatter a broken assistant, so
every turn carries a check of its reply; a wrong answer counts as an error like an HTTP
failure. Closebot's script and the stock ``rasa init`` moodbot's script live here together
because both go through the same load generator and the same checks.
"""

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from harness.stack import reply_text

Check = Callable[[str, Dict[str, str]], Optional[str]]


@dataclass(frozen=True)
class Turn:
    """One user message; ``text`` may use ``{ticket}`` etc. from earlier turns' captures."""

    name: str
    text: str
    check: Check


@dataclass(frozen=True)
class Script:
    """A complete conversation and the sender ids it is held under."""

    assistant: str
    turns: Tuple[Turn, ...]
    users: Tuple[str, ...]

    def sender(self, tag: str, user: int, conversation: int) -> str:
        """A unique sender id per conversation that still names a real (demo) user."""
        return f"{self.users[user % len(self.users)]}:{tag}-{user}-{conversation}"


def contains(*needles: str) -> Check:
    """The reply must contain every needle (they are what a person would look for)."""

    def check(reply: str, _state: Dict[str, str]) -> Optional[str]:
        missing = [n for n in needles if n not in reply]
        return f"missing {missing}" if missing else None

    return check


def captures(name: str, pattern: str) -> Check:
    """The reply must match ``pattern``; the match is remembered as ``{name}`` for later turns."""
    regex = re.compile(pattern)

    def check(reply: str, state: Dict[str, str]) -> Optional[str]:
        found = regex.search(reply)
        if not found:
            return f"no {name}"
        state[name] = found.group(0)
        return None

    return check


def contains_captured(name: str, *needles: str) -> Check:
    """The reply must name the value captured earlier (e.g. the ticket just opened)."""

    def check(reply: str, state: Dict[str, str]) -> Optional[str]:
        return contains(state.get(name, f"<{name}>"), *needles)(reply, state)

    return check


#: Demo users of C100 (blocked in 2026-11, first root cause SO-1042); u-sam's C200 can close.
CLOSEBOT = Script("closebot", (
    Turn("greet", "hi", contains("Hi ", "Closebot")),
    Turn("diagnose", "I can't close November, the GL says 业务系统未结账",
         contains("C100", "2026-11", "SO-1042", "Fix:", "Who:")),
    Turn("next", "what else?", contains("2/")),
    Turn("open_ticket", "please open a ticket for this", contains("Anything to add")),
    Turn("ticket_note", "customer confirms the SO-1042 price tomorrow", captures("ticket", r"CLS-\d{6}")),
    Turn("status", "status of {ticket}", contains_captured("ticket", "new")),
), ("u-mei", "u-alex", "u-lin", "u-hana", "u-omar", "u-root"))


#: The moodbot `rasa init` creates: its own happy and sad paths.
STOCK = Script("stock", (
    Turn("greet", "hello", contains("Hey! How are you?")),
    Turn("mood_unhappy", "I am sad", contains("cheer you up", "Did that help you?")),
    Turn("affirm", "yes", contains("Great, carry on!")),
    Turn("goodbye", "bye", contains("Bye")),
), ("bench",))


def check_reply(turn: Turn, messages: Any, state: Dict[str, str]) -> Optional[str]:
    """None when the reply is right, else what was wrong (an empty answer is always wrong)."""
    text = reply_text(messages)
    if not text.strip():
        return "empty reply"
    problem = turn.check(text, state)
    return f"{turn.name}: {problem}" if problem else None
