"""Read the free parts of helpdesk and advisor commands: the note, the status, the filter.

"close CLS-2: bank file re-sent" carries its resolution note; "set cls-2 to waiting" a
status; "unassigned tickets for C200" two queue filters. Pure text functions, so the
actions stay thin and the rules are tested without Rasa.
"""

import re
from dataclasses import dataclass
from typing import Optional

TICKET_REF = re.compile(r"#?\bcls-?\d{1,9}\b", re.IGNORECASE)
#: What may sit between the ticket and its note: "CLS-2 resolved: ...", "CLS-2 - ...", "CLS-2 with ...".
_NOTE_LEAD = re.compile(
    r"^\s*(?:(?:as\s+)?(?:resolved|closed|done|fixed|solved)\b)?\s*[:,;.\-–—]*\s*"
    r"(?:(?:with\s+)?(?:the\s+)?(?:resolution|note|comment|answer|reply)\b\s*[:\-–—]?\s*)?"
    r"(?:saying\s+|that\s+|with\s+)?",
    re.IGNORECASE,
)
MIN_NOTE_CHARS = 4


def free_text(message: Optional[str], asked: bool) -> Optional[str]:
    """The note in a command, or the whole answer when we had asked for it; None if absent.

    On the command turn ("resolve CLS-2: re-sent the bank file") the note is what follows a
    colon or the ticket number; a bare command ("resolve CLS-2") has none, so we ask.
    """
    text = (message or "").strip()
    if not text or text.startswith("/"):
        return None
    if not asked:
        if ":" in text:
            text = text.split(":", 1)[1]
        else:
            ref = TICKET_REF.search(text)
            if ref is None:
                return None
            text = text[ref.end():]
        text = _NOTE_LEAD.sub("", text, count=1)
    text = text.strip(" \t\n\"'“”")
    return text if len(text) >= MIN_NOTE_CHARS else None


#: Intents that are questions by nature: a plain statement read as one of them, given when we
#: had asked for a ticket note ("payments from Bank of Shanghai stuck since this morning" read
#: as a status question), describes the problem, which is what the note is for.
QUESTION_INTENTS = frozenset({"system_status", "fix_blocker", "ask_followup"})
_QUESTION_START = re.compile(
    r"^\s*(?:any|anything|is|are|was|were|do|does|did|can|could|would|will|should|what|whats|what's|"
    r"when|whens|when's|where|who|whos|who's|why|how|which|hows|how's)\b",
    re.IGNORECASE,
)
_QUESTION_END = re.compile(r"(?:[?？]|[吗呢么嘛])\s*$")
_CHINESE_QUESTION = re.compile(r"什么|怎么|为什么|哪|谁|多少|几时|是否|(.)[不没]\1")  # (.)不\1: 是不是, 有没有
MIN_STATEMENT_WORDS = 4


def is_statement(text: str) -> bool:
    """A sentence that tells rather than asks: no question mark, no question word up front."""
    text = text.strip()
    if not text or _QUESTION_END.search(text) or _QUESTION_START.match(text) or _CHINESE_QUESTION.search(text):
        return False
    words = len(text.split())
    return words >= MIN_STATEMENT_WORDS or (words == 1 and len(text) >= 8 and not text.isascii())


def note_despite_intent(message: Optional[str], intent: Optional[str]) -> Optional[str]:
    """The answer to "anything to add?" when the classifier read a statement as a question intent.

    Commands ("my tickets", "escalate", "help") still interrupt the form; only a statement read
    as a question-only intent is taken as the note it is. None when it is not one.
    """
    text = (message or "").strip()
    if intent not in QUESTION_INTENTS or text.startswith("/") or not is_statement(text):
        return None
    return free_text(text, asked=True)


#: word -> ticket status; longest phrases are tried first.
_STATUS_WORDS = {
    "in progress": "in_progress",
    "in_progress": "in_progress",
    "working on": "in_progress",
    "started": "in_progress",
    "on hold": "waiting",
    "waiting": "waiting",
    "pending": "waiting",
    "blocked": "waiting",
    "paused": "waiting",
    "new": "new",
    "reopen": "new",
    "re-open": "new",
    "unassigned": "new",
    "resolved": "resolved",
    "fixed": "resolved",
    "done": "resolved",
    "closed": "closed",
    "close": "closed",
    "处理中": "in_progress",
    "等待": "waiting",
    "已解决": "resolved",
    "关闭": "closed",
}


def status_from_text(message: Optional[str]) -> Optional[str]:
    """The ticket status a message asks for ("put CLS-2 on hold" -> waiting), else None."""
    text = TICKET_REF.sub(" ", (message or "").lower())
    for phrase in sorted(_STATUS_WORDS, key=len, reverse=True):
        if re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", text):
            return _STATUS_WORDS[phrase]
    return None


@dataclass(frozen=True)
class QueueFilter:
    unassigned: bool = False
    mine: bool = False


def queue_filter_from_text(message: Optional[str]) -> QueueFilter:
    """'unassigned' / 'nobody picked up' and 'mine' / 'assigned to me' in a queue request."""
    text = (message or "").lower()
    unassigned = bool(re.search(
        r"unassigned|not assigned|no assignee|nobody (?:has )?(?:picked|taken|owns)|未分配", text
    ))
    mine = bool(re.search(r"\bmine\b|\bmy (?:queue|tickets|cases)\b|assigned to me|\bmy own\b|我的", text))
    return QueueFilter(unassigned=unassigned, mine=mine and not unassigned)


ME_WORDS = {"me", "myself", "i", "mine", "我"}
_ASSIGNEE = re.compile(r"\b(?i:to|for)\s+(@?[\w.\-]+(?:\s+[A-Z][\w\-]*)?)\s*[.!?]*$")
_POLITE_TAIL = re.compile(r"[\s,]+(?:please|pls|plz|thanks|thx|asap|now)\s*[.!?]*$", re.IGNORECASE)


def assignee_from_text(message: Optional[str]) -> Optional[str]:
    """Who a message assigns to: 'to li.wei', 'to Hana Kim', 'to me'; None when unnamed."""
    text = _POLITE_TAIL.sub("", TICKET_REF.sub(" ", (message or "").strip()))
    match = _ASSIGNEE.search(text)
    if match is None:
        return None
    who = match.group(1).strip()
    return "me" if who.lower() in ME_WORDS else who


#: What narrows a queue to one status; only phrases about tickets, since "what's new?" or "the
#: close" in a queue request name no status.
_QUEUE_STATUSES = {
    "waiting": "waiting", "on hold": "waiting", "in progress": "in_progress", "being worked on": "in_progress",
    "new tickets": "new", "resolved": "resolved", "closed tickets": "closed", "等待": "waiting",
    "处理中": "in_progress", "已解决": "resolved",
}


def queue_status_from_text(message: Optional[str]) -> Optional[str]:
    """The status a queue request asks for ("waiting tickets for C200" -> waiting), else None."""
    text = (message or "").lower()
    for phrase in sorted(_QUEUE_STATUSES, key=len, reverse=True):
        if re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", text):
            return _QUEUE_STATUSES[phrase]
    return None
