"""Understanding in context: multi-turn held-out conversations scored through the real servers.

``tests/dialogue_heldout_third.yml`` holds conversations written from the intent definitions
alone (``docs/intents.md``) by an author who saw neither the training data nor the other sets.
Each conversation is sent turn by turn to a running Rasa server and action server on the demo
scenario, over the REST channel, as the user it names; after each turn the intent and entities
Rasa recorded for it are read from the tracker. Every turn is scored (the same rules as
``bench.nlu_eval.score``); the turns after a conversation's first are the follow-ups, scored
alone too, since those are the ones that lean on context.

    python -m bench.nlu_context                 # the shipped model
    python -m bench.nlu_context --model models/other.tar.gz
"""

import argparse
import re
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from bench.common import ROOT, print_table, write_results
from bench.nlu_eval import Example, Prediction, score
from harness.stack import MODEL, Stack

CONVERSATIONS = ROOT / "tests" / "dialogue_heldout_third.yml"
MARKUP = re.compile(r"\[([^\]]+)\]\(([a-z_]+)\)")


def parse_markup(marked: str) -> Example:
    """``how about [C200](company)?`` -> the plain text and its entity spans."""
    text, entities, last = "", [], 0
    for match in MARKUP.finditer(marked):
        text += marked[last:match.start()]
        start = len(text)
        text += match.group(1)
        entities.append((match.group(2), start, len(text)))
        last = match.end()
    text += marked[last:]
    return Example(text=text, intent="", entities=sorted(entities))


def load_conversations(path: Path = CONVERSATIONS) -> List[Dict[str, Any]]:
    """The conversations, each turn as an ``Example`` with its intent."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for conv in doc["conversations"]:
        turns = []
        for turn in conv["turns"]:
            example = parse_markup(str(turn["text"]))
            example.intent = turn["intent"]
            turns.append(example)
        out.append({"id": conv["id"], "user": conv["user"], "turns": turns})
    return out


def latest_parse(stack: Stack, sender: str) -> Tuple[str, float, List[Tuple[str, int, int]]]:
    """The intent, confidence and entities Rasa recorded for the conversation's latest message."""
    quoted = urllib.parse.quote(sender, safe=":@")  # Sanic does not unquote %3A in a path
    tracker = stack.api.get(f"{stack.rasa_url}/conversations/{quoted}/tracker", timeout=60).json()
    message = tracker.get("latest_message") or {}
    intent = message.get("intent") or {}
    entities = sorted((e["entity"], e["start"], e["end"]) for e in message.get("entities") or []
                      if "start" in e and "end" in e)
    return intent.get("name") or "", float(intent.get("confidence") or 0.0), entities


def run(model: Path, conversations: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Play every conversation against fresh servers; score all turns and the follow-ups."""
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), model=model) as stack:
        return play(stack, conversations)


def play(stack: Stack, conversations: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Play every conversation on running servers, each under a fresh sender id; score the turns."""
    examples: List[Example] = []
    predictions: List[Prediction] = []
    follow: List[int] = []
    errors: List[Dict[str, str]] = []
    started = time.monotonic()
    for conv in conversations:
        sender = f"{conv['user']}:{conv['id']}-{uuid.uuid4().hex[:6]}"
        for i, turn in enumerate(conv["turns"]):
            stack.say(sender, turn.text, timeout=120)
            intent, confidence, entities = latest_parse(stack, sender)
            examples.append(turn)
            predictions.append(Prediction(intent, confidence, intent, entities))
            if i > 0:
                follow.append(len(examples) - 1)
            if intent != turn.intent:
                errors.append({"conversation": conv["id"], "turn": str(i + 1), "want": turn.intent,
                               "got": intent})
    seconds = time.monotonic() - started
    every = score(examples, predictions)
    followups = score([examples[i] for i in follow], [predictions[i] for i in follow])
    return {"conversations": len(conversations), "turns": len(examples), "follow_ups": len(follow),
            "all": every, "follow_up_turns": followups, "seconds": round(seconds, 1),
            "wrong_turns": len(errors)}


def report(result: Dict[str, Any]) -> None:
    rows = []
    for name in ("all", "follow_up_turns"):
        s = result[name]
        oos = s.get("out_of_scope_recall")
        rows.append([name.replace("_", " "), s["n"], f"{s['intent_accuracy']:.3f}", f"{s['intent_macro_f1']:.3f}",
                     f"{oos:.3f}" if oos is not None else "-",
                     f"{s['in_scope_fallback_rate']:.3f}", f"{s['entities']['all']['f1']:.3f}"])
    print(f"{result['conversations']} conversations, {result['turns']} turns ({result['follow_ups']} "
          f"follow-ups), through the real servers in {result['seconds']} s")
    print_table(["turns", "n", "accuracy", "macro F1", "OOS recall", "in-scope fallback", "entity F1"], rows)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--conversations", type=Path, default=CONVERSATIONS)
    parser.add_argument("--results-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args.model, load_conversations(args.conversations))
    report(result)
    write_results("nlu_context", result, args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
