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
    # whoever is to be told: a nudge is a cue too
    ("ping Mei Chen about SO-1042", ["Mei Chen"]),
    ("remind lin the voucher is still draft", ["lin"]),
    ("提醒Mei Chen改价格", ["Mei Chen"]),
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
    "tell me who owns SO-1042",
])
def test_no_person_without_a_hand_over_or_a_whole_name(text) -> None:
    assert found(text) == []


@pytest.mark.parametrize("text, expected", [
    ("assign CLS-2 to Bob", ["Bob"]),
    ("assign CLS-2 to Bob Stone, thanks", ["Bob Stone"]),
    ("give CLS-2 to Bob Monday", ["Bob"]),
    ("pls reassign HD-30415 to j.smith asap", ["j.smith"]),
    ("give INC0012345 to wang_li", ["wang_li"]),
    ("把工单30415转给张三处理", ["张三"]),
    ("HD-30502 派给 bob", ["bob"]),
    ("分配给李经理", ["李经理"]),
    ("give that one to @li.wei", ["@li.wei"]),
    ("reassign cls-4 to @bob", ["@bob"]),
    ("把#4411指派给@hana吧", ["@hana"]),
])
def test_a_hand_over_names_a_person_in_the_directory_or_not(text, expected) -> None:
    from bot.nlp.person_mentions import handover_spans

    assert [text[s:e] for s, e in handover_spans(text)] == expected


@pytest.mark.parametrize("text", [
    "assign CLS-2 to me",
    "move CLS-2 to waiting",
    "give it to the helpdesk",
    "send it to finance tomorrow",
    "转给我吧",
    "它被分给谁了",
    "INC0012345: move to In Progress",
    "pass CLS-3 to Accounts Payable",
    "交给财务部处理",
    "assign it to someone in AP",
    "reassign cls-4 to bob",  # a lowercase word is only a person by a user id's shape
])
def test_a_hand_over_to_nobody_in_particular_names_no_one(text) -> None:
    from bot.nlp.person_mentions import handover_spans

    assert handover_spans(text) == []
