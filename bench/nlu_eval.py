"""Train an NLU pipeline on some examples and score it on others: the engine of the NLU benchmarks.

Models are trained with Rasa's own ``train_nlu`` and queried through ``Agent.parse_message``,
so what is measured is exactly what the server runs (tokeniser, entity ruler, featurisers,
classifier and the FallbackClassifier), not a re-implementation.

Scoring rules (the README's Performance section repeats them):
- An out-of-scope message is *handled* when the pipeline answers ``out_of_scope`` or
  ``nlu_fallback``: both lead to the fallback reply.
- An in-scope message *falls back wrongly* when it gets either of those.
- Intent accuracy counts an out-of-scope message as right when it is handled, and an
  in-scope message as right only when its intent is exact.
- Entities match on (type, start, end); precision, recall and F1 per type.
"""

import asyncio
import logging
import os
import random
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

# Caching across folds would only fill a disk: every fold has new data. Set before rasa loads.
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TQDM_DISABLE", "1")  # DIET's per-epoch progress bars would bury the tables

OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
NOT_IN_SCOPE = {OUT_OF_SCOPE, FALLBACK}


@dataclass
class Example:
    """One labelled message."""

    text: str
    intent: str
    entities: List[Tuple[str, int, int]] = field(default_factory=list)


@dataclass
class Prediction:
    """What the pipeline said about one message."""

    intent: str
    confidence: float
    #: the classifier's best guess before the FallbackClassifier stepped in
    top_intent: str
    entities: List[Tuple[str, int, int]]


def load_examples(path: Path) -> List[Example]:
    """Read labelled examples from a Rasa NLU file or a directory of them."""
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([str(path)], is_nlu_file))
    if not files:
        raise ValueError(f"no NLU data in {path}")
    data = TrainingData().merge(*(load_data(f) for f in files))
    return [
        Example(
            text=m.get("text"),
            intent=m.get("intent"),
            entities=sorted((e["entity"], e["start"], e["end"]) for e in m.get("entities") or []),
        )
        for m in data.intent_examples
    ]


def stratified_folds(examples: Sequence[Example], k: int, seed: int) -> List[List[Example]]:
    """Split into k folds keeping each intent's share; deterministic for a seed."""
    rng = random.Random(seed)
    by_intent: Dict[str, List[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    folds: List[List[Example]] = [[] for _ in range(k)]
    offset = 0
    for intent in sorted(by_intent):
        items = list(by_intent[intent])
        rng.shuffle(items)
        for i, example in enumerate(items):
            folds[(i + offset) % k].append(example)
        offset += len(items)
    return folds


def write_nlu_yaml(examples: Iterable[Example], path: Path) -> Path:
    """Write examples as a Rasa NLU training file (entities annotated inline)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = [
        Message(data={
            "text": e.text,
            "intent": e.intent,
            "entities": [{"entity": t, "start": start, "end": end, "value": e.text[start:end]}
                         for t, start, end in e.entities],
        })
        for e in examples
    ]
    RasaYAMLWriter().dump(path, TrainingData(training_examples=messages))
    return path


def write_config(pipeline: List[Dict[str, Any]], path: Path, language: str = "en") -> Path:
    """A config file with only an NLU pipeline (no policies: NLU benchmarks train NLU only)."""
    import yaml

    path.write_text(yaml.safe_dump({"recipe": "default.v1", "language": language, "pipeline": pipeline},
                                   sort_keys=False, allow_unicode=True))
    return path


def read_pipeline(config_path: Path) -> List[Dict[str, Any]]:
    import yaml

    return yaml.safe_load(Path(config_path).read_text())["pipeline"]


@dataclass
class TrainedModel:
    path: Path
    train_seconds: float


def train(pipeline: List[Dict[str, Any]], examples: Sequence[Example], workdir: Path) -> TrainedModel:
    """Train an NLU-only model on ``examples`` into ``workdir`` (run from the project root)."""
    from rasa.model_training import train_nlu

    workdir.mkdir(parents=True, exist_ok=True)
    data = write_nlu_yaml(examples, workdir / "nlu.yml")
    config = write_config(pipeline, workdir / "config.yml")
    started = time.perf_counter()
    model = train_nlu(str(config), str(data), str(workdir), fixed_model_name="nlu")
    elapsed = time.perf_counter() - started
    if not model:
        raise RuntimeError(f"training failed in {workdir}")
    return TrainedModel(Path(model), elapsed)


class Parser:
    """A loaded model answering parse requests, as the Rasa server does."""

    def __init__(self, model: Path):
        from rasa.core.agent import Agent

        self._loop = asyncio.new_event_loop()
        self._agent = Agent.load(str(model))

    def parse(self, text: str) -> Prediction:
        result = self._loop.run_until_complete(self._agent.parse_message(text))
        intent = result.get("intent") or {}
        ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != FALLBACK]
        top = ranking[0]["name"] if ranking else intent.get("name", "")
        entities = sorted((e["entity"], e["start"], e["end"]) for e in result.get("entities") or [])
        return Prediction(intent.get("name", ""), float(intent.get("confidence") or 0.0), top, entities)

    def close(self) -> None:
        self._loop.close()


def evaluate(parser: Parser, examples: Sequence[Example]) -> Tuple[List[Prediction], List[float]]:
    """Parse every example; return predictions and per-message seconds."""
    predictions, seconds = [], []
    for example in examples:
        started = time.perf_counter()
        predictions.append(parser.parse(example.text))
        seconds.append(time.perf_counter() - started)
    return predictions, seconds


#: Intents that lead to the same answer, scored as one. "How do we stop this happening
#: again?" is ``prevent_recurrence`` (prevention advice for the blocker in view, or the topic
#: overview without one) and "how do we plan maintenance?" is ``prevent`` (one topic's
#: answer): either way the user gets prevention advice, and people writing test messages
#: cannot tell the two apart from a description.
SAME_ANSWER = {"prevent_recurrence": "prevent"}


def canonical(intent: str) -> str:
    return SAME_ANSWER.get(intent, intent)


def intent_right(gold: str, predicted: str) -> bool:
    gold, predicted = canonical(gold), canonical(predicted)
    if gold == OUT_OF_SCOPE:
        return predicted in NOT_IN_SCOPE
    return predicted == gold


def score(examples: Sequence[Example], predictions: Sequence[Prediction]) -> Dict[str, Any]:
    """Intent, out-of-scope and entity metrics for aligned examples and predictions."""
    from sklearn.metrics import f1_score

    golds = [canonical(e.intent) for e in examples]
    # for F1, an out-of-scope message that fell back counts as labelled out_of_scope
    predicted = [OUT_OF_SCOPE if (g == OUT_OF_SCOPE and p.intent in NOT_IN_SCOPE) else canonical(p.intent)
                 for g, p in zip(golds, predictions)]
    right = [intent_right(g, p.intent) for g, p in zip(golds, predictions)]
    oos = [p for g, p in zip(golds, predictions) if g == OUT_OF_SCOPE]
    in_scope = [p for g, p in zip(golds, predictions) if g != OUT_OF_SCOPE]
    confusions = Counter((g, p) for g, p in zip(golds, predicted) if g != p)
    labels = sorted(set(golds))
    per_intent = {}
    for label in labels:
        idx = [i for i, g in enumerate(golds) if g == label]
        per_intent[label] = {"n": len(idx), "accuracy": round(sum(right[i] for i in idx) / len(idx), 4)}
    return {
        "n": len(examples),
        "intent_accuracy": round(sum(right) / max(1, len(right)), 4),
        "intent_macro_f1": round(float(f1_score(golds, predicted, labels=labels, average="macro",
                                                zero_division=0)), 4),
        "out_of_scope_n": len(oos),
        "out_of_scope_recall": round(sum(p.intent in NOT_IN_SCOPE for p in oos) / len(oos), 4) if oos else None,
        "in_scope_n": len(in_scope),
        "in_scope_fallback_rate": round(sum(p.intent in NOT_IN_SCOPE for p in in_scope) / len(in_scope), 4)
        if in_scope else None,
        "worst_confusions": [{"gold": g, "predicted": p, "count": c} for (g, p), c in confusions.most_common(6)],
        "per_intent": per_intent,
        "entities": entity_scores(examples, predictions),
        "errors": [
            {"text": e.text, "gold": e.intent, "predicted": p.intent, "confidence": round(p.confidence, 3)}
            for e, p, ok in zip(examples, predictions, right) if not ok
        ],
    }


def entity_scores(examples: Sequence[Example], predictions: Sequence[Prediction]) -> Dict[str, Any]:
    """Exact-span precision/recall/F1 per entity type and micro-averaged over all types."""
    counts: Dict[str, Counter] = defaultdict(Counter)
    for example, prediction in zip(examples, predictions):
        gold, found = set(example.entities), set(prediction.entities)
        for entity, *_ in gold & found:
            counts[entity]["tp"] += 1
        for entity, *_ in found - gold:
            counts[entity]["fp"] += 1
        for entity, *_ in gold - found:
            counts[entity]["fn"] += 1
    total: Counter = Counter()
    result: Dict[str, Any] = {}
    for entity in sorted(counts):
        result[entity] = _prf(counts[entity])
        total.update(counts[entity])
    result["all"] = _prf(total)
    return result


def _prf(c: Counter) -> Dict[str, Any]:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"support": tp + fn, "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def train_and_score(
    pipeline: List[Dict[str, Any]],
    train_examples: Sequence[Example],
    test_examples: Sequence[Example],
    workdir: Optional[Path] = None,
) -> Dict[str, Any]:
    """Train on one set, score on the other; includes train seconds and parse latency."""
    from bench.common import summary_ms

    own_dir = workdir is None
    directory = Path(workdir or tempfile.mkdtemp(prefix="closebot-nlu-"))
    try:
        model = train(pipeline, train_examples, directory)
        parser = Parser(model.path)
        try:
            predictions, seconds = evaluate(parser, test_examples)
        finally:
            parser.close()
        result = score(test_examples, predictions)
        result["train_seconds"] = round(model.train_seconds, 1)
        result["parse_ms"] = summary_ms(seconds[1:] if len(seconds) > 1 else seconds)
        result["predictions"] = predictions
        return result
    finally:
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)


def quiet_logs() -> None:
    """Rasa and TensorFlow are chatty at INFO; a benchmark table should not drown."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)  # unconfigured structlog prints every parse at debug level
    for name in ("rasa", "tensorflow", "absl", "transformers", "spacy"):
        logging.getLogger(name).setLevel(logging.ERROR)
