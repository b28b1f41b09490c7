"""BANKING77 10-shot: how the shipped NLU pipeline generalises on data nobody here wrote.

Samples ``--shots`` training examples per intent (fixed seed) from the official train
split and scores on the full official test split (3,080 messages, 77 intents), the
protocol of Casanueva et al. 2020 ("Efficient Intent Detection with Dual Sentence
Encoders": USE+ConveRT 85.19% at 10 shots).

The data is not in this repository. Get the official CSV files (``train.csv``,
``test.csv``, columns ``text,category``, CC-BY-4.0) from the PolyAI-LDN/task-specific-datasets
repository (``banking_data/``) and point ``--data-dir`` or ``BANKING77_DIR`` at them; on
the project's machines they are in ``../shared/data/banking77``.

Accuracy is the classifier's top intent: BANKING77 has no out-of-scope class, so the
FallbackClassifier's verdict is reported separately (share of test messages it would
have sent to the fallback) rather than counted as an error.

    python -m bench.banking77
    python -m bench.banking77 --configs config.yml bench/pipelines/sparse_diet.yml
"""

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bench.common import ROOT, print_table, write_results
from bench.nlu_eval import FALLBACK, Example, quiet_logs, read_pipeline, train_and_score

DEFAULT_DIR = ROOT.parent / "shared" / "data" / "banking77"
PUBLISHED = {"USE+ConveRT": 85.19, "USE": 84.23, "ConveRT": 83.32}


def data_dir(option: Optional[Path]) -> Path:
    """The directory holding train.csv and test.csv, or a clear error saying where to get them."""
    directory = option or Path(os.environ.get("BANKING77_DIR", DEFAULT_DIR))
    missing = [name for name in ("train.csv", "test.csv") if not (directory / name).is_file()]
    if missing:
        raise SystemExit(
            f"BANKING77 data not found in {directory} (missing {', '.join(missing)}). Download train.csv and "
            "test.csv from github.com/PolyAI-LDN/task-specific-datasets (banking_data/) and pass --data-dir "
            "or set BANKING77_DIR."
        )
    return directory


def read_split(path: Path) -> List[Example]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [Example(row["text"].strip(), row["category"].strip()) for row in csv.DictReader(handle)]


def sample_shots(examples: Sequence[Example], shots: int, seed: int) -> List[Example]:
    """``shots`` examples per intent, drawn with a fixed seed from the sorted intents."""
    rng = random.Random(seed)
    by_intent: Dict[str, List[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    chosen: List[Example] = []
    for intent in sorted(by_intent):
        chosen.extend(rng.sample(by_intent[intent], min(shots, len(by_intent[intent]))))
    return chosen


def run(configs: Sequence[Path], directory: Path, shots: int, seeds: Sequence[int],
        test_limit: int = 0) -> Dict[str, Any]:
    """Each pipeline on each seed's sample; the mean over seeds is the headline (10-shot varies by sample)."""
    full_train = read_split(directory / "train.csv")
    test = read_split(directory / "test.csv")
    if test_limit:
        test = random.Random(0).sample(test, min(test_limit, len(test)))
    results: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="closebot-bench-b77-") as tmp:
        for n, config in enumerate(configs):
            name = str(config.relative_to(ROOT)) if config.is_relative_to(ROOT) else str(config)
            runs = []
            for seed in seeds:
                train = sample_shots(full_train, shots, seed)
                print(f"... {config.name} seed {seed}: {len(train)} training examples, {len(test)} test",
                      file=sys.stderr, flush=True)
                result = train_and_score(read_pipeline(config), train, test, Path(tmp) / f"c{n}s{seed}")
                predictions = result.pop("predictions")
                correct = sum(p.top_intent == e.intent for p, e in zip(predictions, test))
                runs.append({
                    "seed": seed,
                    "accuracy": round(100.0 * correct / len(test), 2),
                    "fallback_rate": round(sum(p.intent == FALLBACK for p in predictions) / len(test), 4),
                    "macro_f1": result["intent_macro_f1"],
                    "train_seconds": result["train_seconds"],
                    "parse_ms": result["parse_ms"],
                })
            accuracies = [r["accuracy"] for r in runs]
            results[name] = {
                "accuracy": round(statistics.fmean(accuracies), 2),
                "accuracy_min": min(accuracies),
                "accuracy_max": max(accuracies),
                "macro_f1": round(statistics.fmean(r["macro_f1"] for r in runs), 4),
                "fallback_rate": round(statistics.fmean(r["fallback_rate"] for r in runs), 4),
                "train_seconds": round(statistics.fmean(r["train_seconds"] for r in runs), 1),
                "parse_ms": runs[0]["parse_ms"],
                "runs": runs,
            }
    return {"shots": shots, "seeds": list(seeds), "train_examples": shots * len({e.intent for e in full_train}),
            "test_examples": len(test), "intents": len({e.intent for e in full_train}), "data_dir": str(directory),
            "published": PUBLISHED, "pipelines": results}


def report(data: Dict[str, Any]) -> None:
    rows = [
        [name, r["accuracy"], f"{r['accuracy_min']}-{r['accuracy_max']}", r["macro_f1"], r["fallback_rate"],
         r["train_seconds"], r["parse_ms"]["p50"]]
        for name, r in data["pipelines"].items()
    ]
    rows += [[f"published: {name}", acc, "-", "-", "-", "-", "-"] for name, acc in data["published"].items()]
    title = (f"BANKING77 {data['shots']}-shot ({data['train_examples']} training, {data['test_examples']} "
             f"test, {data['intents']} intents; mean over seeds {', '.join(map(str, data['seeds']))})")
    print_table(["pipeline", "accuracy %", "range over seeds", "macro F1", "would fall back", "train s",
                 "parse p50 ms"], rows, title)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", type=Path, default=[ROOT / "config.yml"])
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="default: $BANKING77_DIR or ../shared/data/banking77")
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="one 10-shot sample per seed; the table shows the mean")
    parser.add_argument("--test-limit", type=int, default=0,
                        help="score on a sample of the test split (smoke runs)")
    parser.add_argument("--results-dir", type=Path, default=None)
    args = parser.parse_args(list(argv) or None)
    directory = data_dir(args.data_dir.resolve() if args.data_dir else None)
    os.chdir(ROOT)
    quiet_logs()
    data = run([c.resolve() for c in args.configs], directory, args.shots, args.seeds, args.test_limit)
    report(data)
    print(f"results: {write_results('banking77', data, args.results_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
