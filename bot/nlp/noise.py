"""Is a message noise? Empty, only emoji or symbols, long runs of one character, random bytes,
keyboard mash or one phrase pasted over and over.

Such a message goes to the fallback, never to a diagnosis or any change: the NLU marks it
``nlu_fallback`` with no entities (``rasa_components.noise_filter``), whatever the intent
classifier would have guessed from its few real characters. Pure text rules, so they are the
same in every channel and cheap enough for every message.
"""

import re
import unicodedata

#: A run of one character this long, making up at least RUN_SHARE of the text, is a key held down.
LONG_RUN = 8
RUN_SHARE = 0.5
#: Below this share of letters and digits (CJK counts as letters) a message is symbols or emoji.
MEANINGFUL_SHARE = 0.3
#: Control characters, replacement characters and private-use glyphs: bytes read as text.
BINARY_SHARE = 0.1
#: No word or id written in Latin letters and digits is this long ("asdfasdfasdf...", base64).
LONGEST_WORD = 40
#: A long message whose words are this repetitive is one phrase pasted over and over.
MANY_WORDS, DISTINCT_SHARE = 30, 0.15

_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")


def is_noise(text: str) -> bool:
    """True when ``text`` carries nothing to understand (see the module docstring)."""
    chars = [c for c in (text or "") if not c.isspace()]
    if not chars:
        return True
    if sum(_binary(c) for c in chars) >= BINARY_SHARE * len(chars):
        return True
    if sum(c.isalnum() for c in chars) < MEANINGFUL_SHARE * len(chars):
        return True
    run = _longest_run(chars)
    if run >= LONG_RUN and run >= RUN_SHARE * len(chars):
        return True
    if max((len(w) for w in _LATIN_WORD.findall(text)), default=0) > LONGEST_WORD:
        return True
    words = text.lower().split()
    return len(words) >= MANY_WORDS and len(set(words)) < DISTINCT_SHARE * len(words)


def _binary(char: str) -> bool:
    category = unicodedata.category(char)
    return char == "\ufffd" or category in ("Cc", "Cs", "Co", "Cn")


def _longest_run(chars: list) -> int:
    longest = current = 0
    previous = None
    for char in chars:
        current = current + 1 if char.lower() == previous else 1
        previous = char.lower()
        longest = max(longest, current)
    return longest
