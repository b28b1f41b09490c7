"""Find the people of the user directory in a message: "assign CLS-2 to Hana Kim", "give it to
hana", "@li.wei", "转给 Li Wei".

The entity ruler knows only the shapes of user ids ("u-hana", "li.wei"); the names people type
are in the directory, so they are looked up there. A name is the ``person`` entity (who a ticket
goes to, or who is to be told) only right after a hand-over or a nudge ("to", "assign", "@", "给",
"ping", "remind", "提醒"): "Mei Chen's order" names
an owner, and "Lin" or "Sam" elsewhere may be anything. Pure text matching: the directory is
read by the caller.
"""

import re
from dataclasses import dataclass
from typing import Iterable, List, Sequence, Tuple

from bot.nlp.patterns import MODULE_ALIASES, MONTH_WORDS
from bot.nlp.phrase_index import PhraseIndex, longest_first

#: Names too common as words to be read as a person, even after a cue.
_NOT_NAMES = frozenset({"root", "admin", "system", "bot", "the", "me", "it", "team", "finance", "helpdesk"})
#: What precedes a lone name that is a person: a hand-over.
_CUE = re.compile(
    r"(?:\b(?:to|assign|assigned|reassign|for|ping|tell|remind|nudge|notify|ask|cc|message|let)"
    r"|@|给|交给|转给|分给|分配给|提醒|通知|告诉|让|催)\s*$",
    re.IGNORECASE,
)
MIN_NAME_CHARS = 2


@dataclass(frozen=True)
class DirectoryEntry:
    """What the directory says of one user: enough to recognise them in a message."""

    user_id: str
    name: str = ""
    email: str = ""


def name_forms(people: Iterable[DirectoryEntry]) -> Tuple[List[str], List[str]]:
    """(full names and e-mail handles, lone first and last names), lower-cased, longest first; user
    ids are left to the entity ruler's patterns."""
    specific, lone = set(), set()
    for person in people:
        parts = person.name.split()
        if len(parts) > 1:
            specific.add(" ".join(parts).lower())
        handle = person.email.split("@", 1)[0].lower() if "@" in person.email else ""
        if len(handle) >= MIN_NAME_CHARS and handle not in _NOT_NAMES:
            specific.add(handle)
        lone.update(p.lower() for p in parts if len(p) >= MIN_NAME_CHARS and p.lower() not in _NOT_NAMES)
    return sorted(specific, key=len, reverse=True), sorted(lone - specific, key=len, reverse=True)


#: ASCII boundaries, so "转给Li Wei" (no space after Chinese) still matches.
_BEFORE = r"(?<![A-Za-z0-9_.@-])"
_AFTER = r"(?![A-Za-z0-9_-]|[.@]\w)"


class DirectoryNames:
    """The directory's names, indexed once, found in any number of messages."""

    def __init__(self, people: Sequence[DirectoryEntry]) -> None:
        specific, lone = name_forms(people)
        self._index = PhraseIndex(dict.fromkeys([*specific, *lone], ""), _BEFORE, _AFTER)

    def __bool__(self) -> bool:
        return bool(self._index)

    def spans(self, text: str) -> List[Tuple[int, int]]:
        """Character spans of the directory's people in ``text`` after a cue, longest forms
        first, no overlaps."""
        cued = [found for found in self._index.occurrences(text) if _CUE.search(text[:found[0]])]
        return [(start, end) for start, end, _, _ in longest_first(cued)]


def person_spans(text: str, people: Sequence[DirectoryEntry]) -> List[Tuple[int, int]]:
    """Character spans of the directory's people in ``text`` (one message; index
    ``DirectoryNames`` once for many)."""
    return DirectoryNames(people).spans(text)


#: A hand-over of a ticket: the verb, then within the clause "to <who>".
_HANDOVER_EN = re.compile(
    r"\b(?:assign|assigned|reassign|give|hand|route|pass|move|transfer|forward|send)\b[^.?!;\n]{0,60}?"
    r"\bto\s+(?P<who>@?[A-Za-z][A-Za-z._-]*[A-Za-z](?-i:\s+[A-Z][a-z]+)?)\b(?![.@-]\w)",
    re.IGNORECASE,
)
#: "转给张三处理", "派给 bob", "分配给李经理": the name runs to a verb, a particle or punctuation.
_HANDOVER_ZH = re.compile(
    r"(?:转给|派给|分配给|指派给|交给|分给|转交给|转交)\s*"
    r"(?P<who>@?[A-Za-z][A-Za-z._-]*[A-Za-z]|[\u4e00-\u9fff]{2,3}?)"
    r"(?=处理|负责|跟进|来|去|吧|了|看|解决|[\s，。,.!！?？;；]|$)"
)
#: Words after "to" that are no one: pronouns, teams, statuses, times, systems.
_NOBODY = frozenset({
    "me", "myself", "him", "her", "them", "us", "you", "someone", "somebody", "anyone", "anybody",
    "whoever", "nobody", "everyone", "the", "a", "an", "it", "this", "that", "these", "those", "my",
    "our", "their", "his", "its", "another", "other", "next", "level", "tier", "second", "l2", "l3",
    "helpdesk", "support", "finance", "accounting", "team", "ops", "vendor", "customer",
    "supplier", "bank", "erp", "sap", "oracle", "jira", "servicenow", "queue", "backlog", "advisor",
    "waiting", "pending", "progress", "hold", "resolved", "closed", "done", "open", "new", "high",
    "low", "medium", "urgent", "critical", "priority", "status", "tomorrow", "today", "tonight",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "week", "month",
    "whom", "in", "on", "do", "be", "make", "get", "fix", "check", "close", "resolve", "see",
})
_NOBODY_ZH = ("我", "你", "他", "她", "它", "谁", "哪", "什么", "别人", "同事", "财务", "技术", "运维", "信息",
              "IT", "客服", "领导", "供应商", "客户", "银行", "部门", "团队", "组")


#: Words the entity ruler reads as something else: modules ("to AR"), months ("to Nov").
_ENTITY_WORDS = frozenset(
    {alias for aliases in MODULE_ALIASES.values() for alias in aliases}
    | {word for words in MONTH_WORDS.values() for word in words}
)


def _is_somebody(who: str, any_word: bool) -> bool:
    if re.search(r"[\u4e00-\u9fff]", who):
        return not who.startswith(_NOBODY_ZH)
    first = who.split()[0]
    name = first.lstrip("@")
    if name.lower() in _NOBODY or name.lower() in _ENTITY_WORDS or who.lower() in _ENTITY_WORDS:
        return False  # "to Accounts Payable" is a module
    # a person by a mention ("@bob"), a user id's shape ("u-hana", "li.wei", "wang_li") or a
    # capitalised name ("Bob"); after a Chinese hand-over ("派给 bob") any Latin word is a name
    return any_word or first.startswith("@") or bool(re.search(r"[._-]", name)) or name[0].isupper()


def handover_spans(text: str) -> List[Tuple[int, int]]:
    """Character spans of whoever a ticket is handed to, in the directory or not: "assign CLS-2
    to Bob", "转给张三处理", "to @hana" (the mention's "@" kept, as the entity ruler keeps it).
    A stranger is still a name said; the assignment then says it is not in the directory,
    rather than taking the message for one without a person."""
    spans = []
    for pattern, any_word in ((_HANDOVER_EN, False), (_HANDOVER_ZH, True)):
        for match in pattern.finditer(text):
            who = match.group("who")
            if not _is_somebody(who, any_word):
                continue
            start, end = match.span("who")
            words = who.split()
            if len(words) > 1 and words[1].lower() in _NOBODY | _ENTITY_WORDS:
                end = start + len(words[0])  # "to Bob Monday": Bob
            spans.append((start, end))
    return sorted(set(spans))

