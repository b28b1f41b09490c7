"""People of the directory found in messages (bot.nlp.person_mentions), only after a hand-over."""

import pytest

from bot.nlp.person_mentions import DirectoryEntry, person_spans

PEOPLE = [
    DirectoryEntry("u-hana", "Hana Kim", "hana.kim@northwind.example"),
    DirectoryEntry("u-li", "Li Wei", "li.wei@northwind.example"),
    DirectoryEntry("u-lin", "Lin Zhou", "lin.zhou@northwind.example"),
    DirectoryEntry("u-root", "Root Admin", "root@northwind.example"),
    DirectoryEntry("u-mei", "Mei Chen", "mei.chen@northwind.example"),
]


def found(text: str) -> list:
    return [text[start:end] for start, end in person_spans(text, PEOPLE)]


@pytest.mark.parametrize("text, expected", [
    ("assign CLS-000002 to Hana Kim", ["Hana Kim"]),
    ("give it to hana pls", ["hana"]),
    ("reassign HD-30415 to li.wei", ["li.wei"]),
    ("assign hana to CLS-2", ["hana"]),
    ("把CLS-2转给Li Wei", ["Li Wei"]),
    ("assign INC0012345 to  Lin   Zhou asap", ["Lin   Zhou"]),
    # the longest form wins: "Li Wei", not "Li" nor "Wei"
    ("hand CLS-9 to li wei", ["li wei"]),
])
def test_a_name_after_a_hand_over_is_a_person(text, expected) -> None:
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    "Lin says the root cause is fixed",       # a name with no hand-over
    "Mei Chen's order SO-1042 has no price",  # an owner, not an assignee
    "send it to the root cause owner",        # a directory name that is a common word
    "assign to me",
    "mail hana.kim@northwind.example",        # an address, not a handle
    "assign it to Hanako",                    # not a whole name
])
def test_no_person_without_a_hand_over_or_a_whole_name(text) -> None:
    assert found(text) == []
