"""Prevention and get-help knowledge: the topics, and the contextual "stop this happening again".

The topic answers themselves are Rasa retrieval responses (data/knowledge/responses.yml,
picked by the ResponseSelector); this module knows which topics exist, how to offer them
as buttons, and how to answer "how do I stop this happening again?" from the diagnosis
the user is looking at, reusing each blocker kind's advice (:mod:`bot.diagnosis.kinds`).
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from bot.conversation.reply import Button, Reply
from bot.diagnosis.kinds import KINDS, kind_words
from bot.diagnosis.result import Diagnosis


@dataclass(frozen=True)
class Topic:
    """A retrieval sub-intent offered as a button.

    ``question`` is the button's payload: a plain question (one of the topic's training
    examples) that the NLU maps back to the topic, because Rasa's ``/intent`` payloads
    cannot name a retrieval sub-intent.
    """

    key: str
    title: str
    question: str


TOPICS: Dict[str, Topic] = {t.key: t for t in (
    Topic("prevent/maintenance", "Plan maintenance", "best time for erp maintenance?"),
    Topic("prevent/reconciliation", "Reconcile on a schedule", "can reconciliation be automated"),
    Topic("prevent/permissions", "Review permissions", "how to manage close permissions properly"),
    Topic("prevent/close_procedure", "Write a close checklist", "do we need a written close checklist"),
    Topic("prevent/emergency_plan", "Monitoring, backups, drills",
          "what should our emergency plan for the close look like"),
    Topic("prevent/collaboration", "Work with business and IT",
          "how should finance and sales work together so orders are right"),
    Topic("get_help/it_provider", "When to call IT support", "when should I call IT support"),
    Topic("get_help/finance_consultant", "When to ask a finance advisor",
          "when should I ask a finance advisor"),
    Topic("get_help/customer_supplier", "When to contact the customer or supplier",
          "when should I contact the customer about the order"),
)}

#: Offered when there is no diagnosis to go by.
OVERVIEW_TOPICS = ("prevent/reconciliation", "prevent/maintenance", "prevent/permissions",
                   "prevent/close_procedure", "prevent/emergency_plan")

OVERVIEW = (
    "Most blocked closes come from three things: wrong order data, payment problems and "
    "system faults. What keeps them away: orders reviewed before submitting, business and "
    "finance data reconciled on a schedule, maintenance out of close week, clear permissions "
    "and a written close checklist. Pick one for the details:"
)


def topic_button(key: str) -> Button:
    topic = TOPICS[key]
    return Button(topic.title, topic.question)


def prevent_recurrence(last_diagnosis: Optional[Dict[str, Any]], blocker_index: int = 0) -> Reply:
    """Prevention advice for the root cause the user is looking at, or the overview."""
    if not last_diagnosis:
        return Reply([OVERVIEW], [topic_button(k) for k in OVERVIEW_TOPICS])
    result = Diagnosis.from_dict(last_diagnosis)
    roots = result.root_causes
    if not roots:
        where = "in the records (the system status is unknown)" if result.status_unknown else "right now"
        return Reply([f"Nothing blocks {result.company} {result.period} {where}. {OVERVIEW}"],
                     [topic_button(k) for k in OVERVIEW_TOPICS])
    current = roots[min(max(blocker_index, 0), len(roots) - 1)]
    kinds = _distinct_kinds(roots)
    text = f"To keep {kind_words(current.kind, plural=True)} from blocking the close again: " \
           f"{_prevention(current.kind)}".rstrip(": ")
    others = [k for k in kinds if k != current.kind]
    if others:
        named = ", ".join(kind_words(k, plural=True) for k in others[:3])
        named += " and more" if len(others) > 3 else ""
        text += f"\nThe other blockers here ({named}) need their own habits: say \"next\" and ask me again."
    buttons = [topic_button(KINDS[k].topic) for k in [current.kind, *others] if k in KINDS]
    return Reply([text], _unique(buttons)[:3])


def _prevention(kind: str) -> str:
    return KINDS[kind].prevention if kind in KINDS else ""


def _distinct_kinds(blockers: List[Any]) -> List[str]:
    return list(dict.fromkeys(b.kind for b in blockers))


def _unique(buttons: List[Button]) -> List[Button]:
    out: List[Button] = []
    for b in buttons:
        if b not in out:
            out.append(b)
    return out
