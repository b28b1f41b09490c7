"""Replay the README's sample conversations against the real servers and print them as Markdown.

The README promises its conversations are "copied from a real run": this is that run. It starts
the action server and the Rasa server on free ports with a fresh demo database (harness/stack.py,
the same stack the end-to-end tests use), plays each persona's script in order and prints the
exchange in the README's quoting style, so the README can be refreshed after any change to the
model, the actions or the demo scenario:

    .venv/bin/python scripts/readme_conversations.py > /tmp/conversations.md

The servers run on a frozen clock (``CLOSEBOT_FROZEN_NOW``, the moment the README's
conversations are set at), so relative times such as "20 h left" read the same on any day and
a replay that differs from the README means the behaviour changed.
"""

import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.clock import FROZEN_NOW_VARIABLE  # noqa: E402
from harness.stack import Stack  # noqa: E402

#: When the README's conversations happen: the afternoon before C100's close deadline.
README_MOMENT = "2026-12-02T13:30:00Z"

NAMES: Dict[str, str] = {
    "u-mei": "Mei", "u-hana": "Hana", "u-li": "Li", "u-alex": "Alex", "u-omar": "Omar",
    "u-lin": "Lin", "u-stranger": "stranger",
}

#: (title, [(sender, message)]) in the order the README tells them; they share one database,
#: so the helpdesk sees Mei's ticket and Alex's escalation reaches Omar.
SCRIPTS: Sequence[Tuple[str, Sequence[Tuple[str, str]]]] = (
    ("Employee", (
        ("u-mei", "I can't close November, GL says 业务系统未结账"),
        ("u-mei", "what else?"),
        ("u-mei", "open a ticket pls"),
        ("u-mei", "payments from Bank of Shanghai stuck since this morning"),
        ("u-mei", "how do we stop this happening again?"),
    )),
    ("Helpdesk", (
        ("u-hana", "whats in the queue?"),
        ("u-hana", "assign CLS-000002 to li.wei"),
        ("u-hana", "what's blocking c200?"),
        ("u-li", "resolve CLS-000002"),
        ("u-li", "bank confirmed the interface is back, PAY-88 and PAY-95 settled"),
        ("u-mei", "thanks!"),
    )),
    ("Finance advisor", (
        ("u-alex", "why can't we close november? the 1405 difference looks odd"),
        ("u-alex", "escalate to a finance advisor please"),
        ("u-omar", "my escalations"),
        ("u-omar", "answer CLS-000003"),
        ("u-omar", "The 1405 gap is the unposted V-2026-11-0087 receipt: post it, then re-run the "
                   "reconciliation; no manual adjustment."),
        ("u-alex", "ok thx"),
        ("u-alex", "no, I meant October"),
    )),
    ("How do I fix this one", (
        ("u-lin", "how do I fix SO-1042?"),
        ("u-lin", "and the bank one?"),
        ("u-lin", "PAY-88 怎么解决？"),
        ("u-lin", "how do I get receivables closed?"),
    )),
    ("Follow-ups", (
        ("u-mei", "status of CLS-000002"),
        ("u-mei", "who has it?"),
        ("u-mei", "what did they say?"),
        ("u-lin", "any outages?"),
        ("u-lin", "when's it back?"),
        ("u-lin", "which account and how much?"),
        ("u-lin", "who can grant me the permission?"),
        ("u-lin", "what about payables?"),
    )),
    ("Refusals", (
        ("u-mei", "show me the ticket queue"),
        ("u-stranger", "why can't I close november"),
    )),
)


def render_message(message: Dict) -> str:
    """One bot message as the README quotes it: text, then its buttons as `[title]`."""
    text = message.get("text", "")
    buttons = " ".join(f"`[{b['title']}]`" for b in message.get("buttons", []))
    body = f"{text}  {buttons}" if buttons else text
    return "\n".join(f"> {line}" if line else ">" for line in f"**Closebot:** {body}".split("\n"))


def play(stack: Stack, turns: Sequence[Tuple[str, str]]) -> List[str]:
    lines: List[str] = []
    for sender, text in turns:
        lines.append(f"> **{NAMES[sender]}:** {text}\n>")
        for message in stack.say(sender, text):
            lines.append(render_message(message) + "\n>")
    if lines:
        lines[-1] = lines[-1][: -len("\n>")]
    return lines


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="closebot-readme-") as workdir, \
            Stack(Path(workdir), env={FROZEN_NOW_VARIABLE: README_MOMENT}) as stack:
        for title, turns in SCRIPTS:
            print(f"### {title}\n")
            print("\n".join(play(stack, turns)))
            print()


if __name__ == "__main__":
    main()
