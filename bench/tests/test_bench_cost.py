"""bench.cost's parts without training: the project copy, the response edit, the report."""

from pathlib import Path

import pytest
import yaml

from bench import cost
from bench.common import ROOT


def test_config_dependencies_name_component_packages_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "mycomponents").mkdir()
    (tmp_path / "build" / "spacy" / "x").mkdir(parents=True)
    (tmp_path / "config.yml").write_text(
        "pipeline:\n"
        "  - name: SpacyNLP\n    model: build/spacy/x\n"
        "  - name: mycomponents.featurizer.Thing\n    mode: a/b\n"
        "  - name: notthere.module.Class\n"
        "policies:\n  - name: RulePolicy\n", encoding="utf-8")
    assert cost.config_dependencies(tmp_path / "config.yml", tmp_path) == ["build/spacy/x", "mycomponents"]


def test_copy_project_holds_what_training_reads(tmp_path: Path) -> None:
    copy = cost.copy_project(tmp_path / "copy")
    for rel in ("config.yml", "domain.yml", "data", *cost.config_dependencies(ROOT / "config.yml")):
        assert (copy / rel).exists(), rel
    assert (copy / "config.yml").read_bytes() == (ROOT / "config.yml").read_bytes()
    assert not (copy / "models").exists() and not (copy / ".rasa").exists()


def test_edit_response_changes_that_one_text_only(tmp_path: Path) -> None:
    copy = cost.copy_project(tmp_path / "copy")
    before = yaml.safe_load((copy / "domain.yml").read_text(encoding="utf-8"))
    assert cost.edit_response(copy / "domain.yml", "utter_goodbye") == "utter_goodbye"
    after = yaml.safe_load((copy / "domain.yml").read_text(encoding="utf-8"))
    assert after["responses"]["utter_goodbye"][0]["text"] == before["responses"]["utter_goodbye"][0]["text"] + \
        " (edited)"
    after["responses"]["utter_goodbye"] = before["responses"]["utter_goodbye"]
    assert after == before
    assert (ROOT / "domain.yml").read_text(encoding="utf-8") != (copy / "domain.yml").read_text(encoding="utf-8")


def test_edit_response_defaults_to_the_first_and_refuses_what_it_cannot_find(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text("version: '3.1'\nresponses:\n  utter_a:\n  - text: 'it''s'\n  utter_b:\n  - text: b\n",
                      encoding="utf-8")
    with pytest.raises(ValueError):
        cost.edit_response(domain)  # written as 'it''s', parsed as it's: not found as written
    domain.write_text('version: "3.1"\nresponses:\n  utter_a:\n  - text: "hello"\n  utter_b:\n  - text: hello\n',
                      encoding="utf-8")
    assert cost.edit_response(domain, suffix="!") == "utter_a"
    assert yaml.safe_load(domain.read_text())["responses"] == {"utter_a": [{"text": "hello!"}],
                                                              "utter_b": [{"text": "hello"}]}


def test_report_prints_every_table(capsys) -> None:
    run = {"ready_s": 5.0, "first_answer_s": 6.0, "rss_rest_mb": {"rasa": 900.0, "action": 120.0},
           "bursts": {"8": {"rss_peak_mb": {"rasa": 910.0, "action": 125.0}}},
           "rss_after_load_mb": {"rasa": 905.0, "action": 124.0}}
    step = {"seconds": 1.0, "model_mb": 0.2, "wrote_model": True}
    training = {"full": {**step, "seconds": 100.0}, "noop": {**step, "wrote_model": False},
                "noop_forced": step, "responses_only": step, "edited_response": "utter_goodbye"}
    cost.print_report({"training": training, "runs": {"closebot": run, "stock": {**run, "first_answer_s": 30.0}}})
    out = capsys.readouterr().out
    assert "full (empty cache)" in out and "no (kept)" in out and "peak 8 users MB" in out
    assert "<= 25 s: met" in out
