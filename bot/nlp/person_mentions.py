"""Find the people of the user directory in a message: "assign CLS-2 to Hana Kim", "give it to
hana", "@li.wei", "转给 Li Wei".

The entity ruler knows only the shapes of user ids ("u-hana", "li.wei"); the names people type
are in the directory, so they are looked up there. A name is the ``person`` entity (who a ticket
goes to) only right after a hand-over cue ("to", "assign", "@", "给"): "Mei Chen's order" names
an owner, and "Lin" or "Sam" elsewhere may be anything. Pure text matching: the directory is
read by the caller.
"""

import re
from dataclasses import dataclass
from typing import Iterable, List, Sequence, Tuple

#: Names too common as words to be read as a person, even after a cue.
_NOT_NAMES = frozenset({"root", "admin", "system", "bot", "the", "me", "it", "team", "finance", "helpdesk"})
#: What precedes a lone name that is a person: a hand-over.
_CUE = re.compile(r"(?:\b(?:to|assign|assigned|reassign|for)|@|给|交给|转给|分给|分配给)\s*$", re.IGNORECASE)
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


def _occurrences(text: str, form: str) -> Iterable[Tuple[int, int]]:
    # ASCII boundaries, so "转给Li Wei" (no space after Chinese) still matches
    pattern = r"(?<![A-Za-z0-9_.@-])" + r"\s+".join(map(re.escape, form.split())) + r"(?![A-Za-z0-9_-]|[.@]\w)"
    for match in re.finditer(pattern, text, re.IGNORECASE):
        yield match.start(), match.end()


def person_spans(text: str, people: Sequence[DirectoryEntry]) -> List[Tuple[int, int]]:
    """Character spans of the directory's people in ``text``, longest forms first, no overlaps."""
    specific, lone = name_forms(people)
    spans: List[Tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or e <= start for s, e in spans)

    for form in [*specific, *lone]:
        spans.extend((s, e) for s, e in _occurrences(text, form) if free(s, e) and _CUE.search(text[:s]))
    return sorted(spans)
