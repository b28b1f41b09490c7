"""The NLU benchmarks' parts on tiny inputs: splitting, scoring, sampling, data files.

No model is trained here (the benchmark itself does that); scoring runs on hand-made
predictions whose right answers are obvious.
"""

from collections import Counter
from pathlib import Path

import pytest

from bench.banking77 import data_dir, read_split, sample_shots
from bench.common import ROOT
from bench.nlu_eval import Example, Prediction, load_examples, score, stratified_folds, write_nlu_yaml


def make(n: int, intent: str) -> list:
    return [Example(f"{intent} message {i}", intent) for i in range(n)]


def test_folds_partition_the_data_and_keep_each_intents_share() -> None:
    examples = make(10, "a") + make(5, "b") + make(3, "c")
    folds = stratified_folds(examples, 5, seed=1)
    flat = [e.text for fold in folds for e in fold]
    assert sorted(flat) == sorted(e.text for e in examples)  # every example exactly once
    for fold in folds:
        counts = Counter(e.intent for e in fold)
        assert counts["a"] == 2 and counts["b"] == 1
    assert stratified_folds(examples, 5, seed=1)[0][0].text == folds[0][0].text  # deterministic


def pred(intent: str, entities=()) -> Prediction:
    return Prediction(intent, 0.9, intent, list(entities))


def test_out_of_scope_counts_as_handled_when_it_reaches_the_fallback() -> None:
    examples = [Example("weather?", "out_of_scope"), Example("joke", "out_of_scope"),
                Example("lunch", "out_of_scope"), Example("cant close", "report_blocked_close"),
                Example("next", "ask_next_blocker")]
    predictions = [pred("out_of_scope"), pred("nlu_fallback"), pred("greet"),
                   pred("report_blocked_close"), pred("nlu_fallback")]
    result = score(examples, predictions)
    assert result["out_of_scope_recall"] == round(2 / 3, 4)
    assert result["in_scope_fallback_rate"] == 0.5
    assert result["intent_accuracy"] == 0.6
    assert {"gold": "out_of_scope", "predicted": "greet", "count": 1} in result["worst_confusions"]
    assert [e["text"] for e in result["errors"]] == ["lunch", "next"]


def test_intents_with_the_same_answer_score_as_one_and_no_others() -> None:
    examples = [Example("how do we stop this", "prevent"), Example("stop it recurring", "prevent_recurrence"),
                Example("plan maintenance", "prevent")]
    predictions = [pred("prevent_recurrence"), pred("prevent"), pred("get_help")]
    result = score(examples, predictions)
    assert result["intent_accuracy"] == round(2 / 3, 4)
    assert [e["text"] for e in result["errors"]] == ["plan maintenance"]


def test_entities_score_exact_spans_per_type() -> None:
    examples = [Example("close Nov for C200", "report_blocked_close",
                        [("company", 14, 18), ("period", 6, 9)])]
    predictions = [pred("report_blocked_close", [("period", 6, 9), ("module", 0, 5)])]
    entities = score(examples, predictions)["entities"]
    assert entities["period"] == {"support": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert entities["company"]["recall"] == 0.0
    assert entities["module"]["precision"] == 0.0
    assert entities["all"]["precision"] == 0.5 and entities["all"]["recall"] == 0.5


def test_training_file_round_trips_with_entities(tmp_path: Path) -> None:
    examples = [Example("close Nov for C200", "report_blocked_close", [("company", 14, 18), ("period", 6, 9)]),
                Example("hi", "greet")]
    path = write_nlu_yaml(examples, tmp_path / "nlu.yml")
    assert sorted((e.text, e.intent, tuple(e.entities)) for e in load_examples(path)) == sorted(
        (e.text, e.intent, tuple(e.entities)) for e in examples)


@pytest.mark.parametrize("name", ["nlu_heldout.yml", "nlu_heldout_fresh.yml"])
def test_heldout_set_is_mostly_new_wording(name: str) -> None:
    """Short replies ("yes", "hi") recur by nature; the rest of a held-out set must not be training data.

    The benchmark also scores the novel part on its own; this guards against a held-out
    file being copied into data/ (which would make the held-out numbers meaningless).
    """
    heldout = [e.text.lower() for e in load_examples(ROOT / "tests" / name)]
    training = {e.text.lower() for e in load_examples(ROOT / "data")}
    assert len(heldout) >= 150
    shared = [text for text in heldout if text in training]
    assert len(shared) / len(heldout) < 0.3
    assert not [text for text in shared if len(text.split()) > 6]


def test_shots_are_sampled_per_intent_with_a_fixed_seed(tmp_path: Path) -> None:
    rows = ["text,category"] + [f'"msg {i} of {c}",{c}' for c in ("card_arrival", "top_up") for i in range(30)]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "test.csv").write_text("text,category\n\"where is my card, it's late\",card_arrival\n")
    train = read_split(tmp_path / "train.csv")
    shots = sample_shots(train, 10, seed=0)
    assert Counter(e.intent for e in shots) == {"card_arrival": 10, "top_up": 10}
    assert [e.text for e in shots] == [e.text for e in sample_shots(train, 10, seed=0)]
    assert [e.text for e in shots] != [e.text for e in sample_shots(train, 10, seed=1)]
    assert read_split(tmp_path / "test.csv")[0].text == "where is my card, it's late"  # quoted comma kept
    assert data_dir(tmp_path) == tmp_path


def test_missing_banking77_data_says_where_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="PolyAI-LDN/task-specific-datasets.*BANKING77_DIR"):
        data_dir(tmp_path)


def test_benchmarks_run_end_to_end_on_tiny_data(tmp_path: Path) -> None:
    """Both NLU benchmark commands train the shipped pipeline and write their JSON (tiny sizes)."""
    import json

    from bench import banking77, nlu

    rows = ["text,category"]
    phrases = {"card_arrival": "where is my new card {}", "top_up_failed": "my top up number {} failed",
               "exchange_rate": "what rate do you use for currency {}"}
    for intent, phrase in phrases.items():
        rows += [f"{phrase.format(i)},{intent}" for i in range(8)]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "test.csv").write_text("\n".join(rows[:1] + rows[1::4]) + "\n")
    assert banking77.main(["--data-dir", str(tmp_path), "--shots", "4", "--seeds", "0",
                           "--results-dir", str(tmp_path / "out")]) == 0
    result = json.loads((tmp_path / "out" / "banking77.json").read_text())
    only = result["pipelines"]["config.yml"]
    assert result["intents"] == 3 and result["train_examples"] == 12
    assert 0 <= only["accuracy"] <= 100 and len(only["runs"]) == 1

    training = tmp_path / "nlu.yml"
    write_nlu_yaml([Example(f"i cant close november {i}", "report_blocked_close") for i in range(6)]
                   + [Example(f"hello number {i}", "greet") for i in range(6)], training)
    heldout = write_nlu_yaml([Example("why cant we close", "report_blocked_close"), Example("hi", "greet")],
                             tmp_path / "heldout.yml")
    assert nlu.main(["--skip-cv", "--configs", str(ROOT / "config.yml"), "--training", str(training),
                     "--heldout", str(heldout), "--results-dir", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "nlu.json").read_text())
    assert report["heldout_examples"] == 2 and report["best"].startswith("config.yml")
