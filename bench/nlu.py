"""NLU benchmark: intent accuracy, macro F1, confusions, entity P/R/F1 and out-of-scope handling.

Two measurements per candidate pipeline, in one run:
- k-fold cross-validation on the training data (``data/``), stratified by intent;
- train on all training data, test on the held-out sets, each written independently of the
  training examples and never trained on: ``tests/nlu_heldout.yml`` (the first, 374 messages;
  its errors were studied while the intents grew, so it flatters the model a little) and
  ``tests/nlu_heldout_fresh.yml`` (213 messages written on 2026-12-02 from the intent
  definitions alone, by an author who saw neither the training data nor the first set) and
  ``tests/nlu_heldout_third.yml`` (223 messages written on 2026-12-04 from ``docs/intents.md``,
  the two intents of issue 13 included, by an author who saw none of the data). Do not tune on
  the errors of the fresh sets. Each set is scored alone and all together ("all held-out");
  the multi-turn third set is scored in context by ``bench.nlu_context``.

Candidates are ``config.yml`` (what ships) and the pipelines in ``bench/pipelines/``.
The best by held-out accuracy is named at the end; ``config.yml`` should be it.

    python -m bench.nlu                     # all candidates, 5 folds
    python -m bench.nlu --folds 3 --configs config.yml bench/pipelines/sparse_diet.yml
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence

from bench.common import ROOT, print_table, write_results
from bench.nlu_eval import (
    Example,
    load_examples,
    quiet_logs,
    read_pipeline,
    score,
    stratified_folds,
    train_and_score,
)

HELDOUT = [ROOT / "tests" / "nlu_heldout.yml", ROOT / "tests" / "nlu_heldout_fresh.yml",
           ROOT / "tests" / "nlu_heldout_third.yml"]
TRAINING = ROOT / "data"
CANDIDATES = [ROOT / "config.yml", *sorted((ROOT / "bench" / "pipelines").glob("*.yml"))]


def cross_validate(pipeline: List[Dict[str, Any]], examples: Sequence[Example], folds: int, seed: int,
                   workdir: Path) -> Dict[str, Any]:
    """Pool the predictions of k train/test splits and score them together."""
    parts = stratified_folds(examples, folds, seed)
    pooled_examples: List[Example] = []
    pooled_predictions = []
    train_seconds = []
    for i, test_part in enumerate(parts):
        train_part = [e for j, part in enumerate(parts) if j != i for e in part]
        result = train_and_score(pipeline, train_part, test_part, workdir / f"fold{i}")
        pooled_examples.extend(test_part)
        pooled_predictions.extend(result["predictions"])
        train_seconds.append(result["train_seconds"])
    scored = score(pooled_examples, pooled_predictions)
    scored["folds"] = folds
    scored["train_seconds_per_fold"] = round(sum(train_seconds) / len(train_seconds), 1)
    return scored


def label(path: Path) -> str:
    return "config.yml (shipped)" if path.name == "config.yml" else path.stem


def run(configs: Sequence[Path], folds: int, seed: int, heldout: Sequence[Path], training: Path,
        skip_cv: bool) -> Dict[str, Any]:
    examples = load_examples(training)
    sets = {path.stem: load_examples(path) for path in heldout}
    test = [example for part in sets.values() for example in part]
    results: Dict[str, Any] = {}
    # a candidate identical to the shipped config.yml is trained once, under both names
    pipelines = {config: read_pipeline(config) for config in configs}
    shipped = next((c for c in configs if c.name == "config.yml"), None)
    same_as_shipped = [c for c in configs if c != shipped and shipped and pipelines[c] == pipelines[shipped]]
    with tempfile.TemporaryDirectory(prefix="closebot-bench-nlu-") as tmp:
        for n, config in enumerate(configs):
            if config in same_as_shipped:
                continue
            pipeline = pipelines[config]
            name = label(config)
            if config == shipped and same_as_shipped:
                name = f"config.yml (shipped = {same_as_shipped[0].stem})"
            print(f"... {name}: training on {len(examples)} examples, testing on {len(test)} held-out",
                  file=sys.stderr, flush=True)
            started = time.perf_counter()
            held = train_and_score(pipeline, examples, test, Path(tmp) / f"c{n}" / "heldout")
            predictions = held.pop("predictions")
            # short replies ("yes", "hi") also occur in the training data; score the rest alone too
            seen = {e.text.lower() for e in examples}
            novel = [(e, p) for e, p in zip(test, predictions) if e.text.lower() not in seen]
            novel_score = score([e for e, _ in novel], [p for _, p in novel])
            held["novel_only"] = {k: novel_score[k] for k in (
                "n", "intent_accuracy", "intent_macro_f1", "out_of_scope_recall", "in_scope_fallback_rate")}
            held["sets"], start = {}, 0
            for set_name, part in sets.items():
                held["sets"][set_name] = score(part, predictions[start:start + len(part)])
                start += len(part)
            entry: Dict[str, Any] = {"config": str(config.relative_to(ROOT)), "pipeline": pipeline,
                                     "heldout": held}
            if not skip_cv:
                print(f"... {name}: {folds}-fold cross-validation", file=sys.stderr, flush=True)
                entry["cross_validation"] = cross_validate(pipeline, examples, folds, seed, Path(tmp) / f"c{n}")
            entry["wall_seconds"] = round(time.perf_counter() - started, 1)
            results[name] = entry
    best = max(results, key=lambda k: (results[k]["heldout"]["intent_accuracy"],
                                        results[k]["heldout"]["intent_macro_f1"]))
    return {"training_examples": len(examples), "heldout_examples": len(test),
            "heldout_sets": {name: len(part) for name, part in sets.items()}, "folds": folds, "seed": seed,
            "candidates": results, "best": best}


def report(data: Dict[str, Any]) -> None:
    rows = []
    for name, entry in data["candidates"].items():
        held, cv = entry["heldout"], entry.get("cross_validation", {})
        rows.append([
            name, cv.get("intent_accuracy", "-"), cv.get("intent_macro_f1", "-"),
            held["intent_accuracy"], held["novel_only"]["intent_accuracy"], held["intent_macro_f1"],
            held["out_of_scope_recall"],
            held["in_scope_fallback_rate"], held["entities"]["all"]["f1"], held["train_seconds"],
            held["parse_ms"]["p50"], held["parse_ms"]["p95"],
        ])
    print_table(
        ["pipeline", "CV acc", "CV F1", "held-out acc", "novel-only acc", "held-out F1", "OOS recall",
         "in-scope fallback",
         "entity F1", "train s", "parse p50 ms", "parse p95 ms"],
        rows, f"NLU: {data['folds']}-fold CV on {data['training_examples']} training examples; "
              f"all held-out sets together: {data['heldout_examples']}",
    )
    print_table(
        ["pipeline", "held-out set", "n", "acc", "F1", "OOS recall", "in-scope fallback", "entity F1"],
        [[name, set_name, part["n"], part["intent_accuracy"], part["intent_macro_f1"],
          part["out_of_scope_recall"], part["in_scope_fallback_rate"], part["entities"]["all"]["f1"]]
         for name, entry in data["candidates"].items()
         for set_name, part in entry["heldout"].get("sets", {}).items()],
        "Each held-out set alone",
    )
    best = data["candidates"][data["best"]]["heldout"]
    print_table(["gold", "predicted", "count"],
                [[c["gold"], c["predicted"], c["count"]] for c in best["worst_confusions"]],
                f"Worst confusions on the held-out set ({data['best']})")
    print_table(["entity", "support", "precision", "recall", "F1"],
                [[k, v["support"], v["precision"], v["recall"], v["f1"]] for k, v in best["entities"].items()],
                f"Entities on the held-out set ({data['best']})")
    print(f"\nbest on held-out: {data['best']}")


@contextlib.contextmanager
def store_for_nlu(store: str, workdir: Path) -> Iterator[None]:
    """Point CLOSEBOT_DATABASE_URL at a fresh SQLite with the demo scenario ("demo") or at nothing
    ("none") while NLU is scored: the store lookups (ticket prefixes, directory names) read it."""
    before = os.environ.pop("CLOSEBOT_DATABASE_URL", None)
    try:
        if store == "demo":
            from bot.scenario.load import load_file
            from bot.store.db import session_scope

            os.environ["CLOSEBOT_DATABASE_URL"] = f"sqlite:///{workdir / 'demo.db'}"
            with session_scope() as session:
                load_file(session, ROOT / "bot" / "scenarios" / "demo.yml")
        yield
    finally:
        os.environ.pop("CLOSEBOT_DATABASE_URL", None)
        if before is not None:
            os.environ["CLOSEBOT_DATABASE_URL"] = before


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", type=Path, default=CANDIDATES)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--heldout", type=Path, nargs="+", default=HELDOUT)
    parser.add_argument("--training", type=Path, default=TRAINING)
    parser.add_argument("--skip-cv", action="store_true", help="held-out only (much faster)")
    parser.add_argument("--results-dir", type=Path, default=None)
    parser.add_argument("--name", default="nlu", help="results file name (bench/results/<name>.json)")
    parser.add_argument("--store", choices=("demo", "none"), default="demo",
                        help="the store NLU may look names up in: the demo scenario (as on the servers, which "
                             "always have one) or none (the pipeline alone)")
    args = parser.parse_args(list(argv) or None)
    os.chdir(ROOT)  # pipelines refer to build/spacy/closebot_en relative to the project
    quiet_logs()
    configs = [c.resolve() for c in args.configs]
    with tempfile.TemporaryDirectory() as tmp, store_for_nlu(args.store, Path(tmp)):
        data = run(configs, args.folds, args.seed, [h.resolve() for h in args.heldout], args.training.resolve(),
                   args.skip_cv)
    data["store"] = args.store
    report(data)
    path = write_results(args.name, data, args.results_dir)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
