"""The name-lookup benchmark on tiny sizes: its messages name who and what they should, the index
finds exactly those, and the naive baseline agrees. No timing is asserted."""

import json
import random

from bench import name_lookup
from bot.nlp.company_mentions import company_spans
from bot.nlp.person_mentions import DirectoryNames


def test_the_index_finds_what_the_messages_name() -> None:
    rng = random.Random(1)
    directory, firms = name_lookup.people(50, rng), name_lookup.companies(50, rng)
    texts = name_lookup.messages(directory, firms)
    person, firm = directory[25], firms[25]
    names = DirectoryNames(directory)
    assert [texts[0][s:e] for s, e in names.spans(texts[0])] == [person.name]
    assert [ids for _, _, ids in company_spans(texts[2], firms)] == [(firm.company_id,)]
    assert names.spans(texts[4]) == [] and company_spans(texts[5], firms) == []


def test_a_run_writes_its_cases(tmp_path, capsys) -> None:
    name_lookup.main(["--sizes", "20", "60", "--naive", "--results-dir", str(tmp_path)])
    data = json.loads((tmp_path / "name_lookup.json").read_text())
    assert [c["size"] for c in data["cases"]] == [20, 60]
    assert all(c["names_found_per_round"] == 5 and "naive_per_message" in c for c in data["cases"])
    assert "Name lookups per message" in capsys.readouterr().out
