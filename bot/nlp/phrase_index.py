"""Find many known phrases (thousands of company or people names) in a short message quickly.

One regular expression per phrase, tried at every position, costs seconds per message with a
directory of 5,000 people. Here a phrase is indexed by its first word (Latin script) or its
first two characters (Chinese and other scripts without spaces): at each word start of the
message only the phrases with that first word are tried, each compiled once.
"""

import re
from typing import Dict, Iterable, List, Mapping, Pattern, Set, Tuple

#: A word of Latin script as typed: letters, digits and the joiners of ids and handles.
_WORD = re.compile(r"[A-Za-z0-9_.@'’-]+")
_JOINERS = "_.@'’-"
CJK_KEY_CHARS = 2


def _key(phrase: str) -> str:
    return phrase.split()[0] if phrase[0].isascii() else phrase[:CJK_KEY_CHARS]


def _keys_at(lowered: str, position: int) -> Set[str]:
    """The keys a phrase starting at ``position`` can have: the word there and each of its
    prefixes that ends before a joiner ("li.wei's" -> "li", "li.wei", "li.wei's"); or two
    characters of a script without spaces."""
    if not lowered[position].isascii():
        return {lowered[position:position + CJK_KEY_CHARS]}
    word = _WORD.match(lowered, position)
    if not word:
        return set()
    run = word.group(0)
    return {run} | {run[:i] for i, c in enumerate(run) if c in _JOINERS and i}


class PhraseIndex:
    """Known phrases (lower-cased, words separated by any whitespace in the text), each with a
    value; matched case-insensitively between the given boundaries."""

    def __init__(self, phrases: Mapping[str, str], before: str, after: str) -> None:
        self._before, self._after = before, after
        self._by_key: Dict[str, List[Tuple[str, str]]] = {}
        for phrase, value in sorted(phrases.items(), key=lambda item: len(item[0]), reverse=True):
            if phrase.strip():
                self._by_key.setdefault(_key(phrase.strip()), []).append((phrase.strip(), value))
        self._compiled: Dict[str, Pattern[str]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def _pattern(self, phrase: str) -> Pattern[str]:
        pattern = self._compiled.get(phrase)
        if pattern is None:
            body = r"\s+".join(map(re.escape, phrase.split()))
            pattern = re.compile(self._before + body + self._after, re.IGNORECASE)
            self._compiled[phrase] = pattern
        return pattern

    def occurrences(self, text: str) -> Iterable[Tuple[int, int, str, str]]:
        """Every (start, end, phrase, value) found, possibly overlapping."""
        # one character for one, so positions stay those of ``text``
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        for position, char in enumerate(lowered):
            if char.isspace() or (char.isascii() and position and _WORD.match(lowered, position - 1)):
                continue  # not the start of a word
            for key in _keys_at(lowered, position):
                for phrase, value in self._by_key.get(key, ()):
                    match = self._pattern(phrase).match(text, position)
                    if match:
                        yield match.start(), match.end(), phrase, value


def longest_first(found: Iterable[Tuple[int, int, str, str]]) -> List[Tuple[int, int, str, str]]:
    """The occurrences kept when they overlap: longer phrases first, then earlier ones."""
    kept: List[Tuple[int, int, str, str]] = []
    for start, end, phrase, value in sorted(found, key=lambda f: (-len(f[2]), f[0])):
        if all(end <= s or e <= start for s, e, _, _ in kept):
            kept.append((start, end, phrase, value))
    return sorted(kept)
