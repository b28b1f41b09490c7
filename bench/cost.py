"""What Closebot costs to build and run (``make bench-cost``).

Training runs in a temporary copy of the files training needs (config, domain, data and the
paths and component packages the config names) with its own empty Rasa cache, so they neither
touch ``models/`` nor profit from a developer's warm cache. Rasa 3.6 takes its cache directory
from ``RASA_CACHE_DIRECTORY`` (default ``.rasa/cache`` under the working directory, see
``rasa/engine/caching.py``).

* full training: empty cache;
* no-op retraining: nothing changed, ``rasa train`` as a developer types it (Rasa 3.6 runs the
  training graph again, every node answered from its cache), and for comparison ``--force``,
  which bypasses the cache;
* responses-only retraining: one response text changed in the copied domain;
* start-up: from launching the action server and the Rasa server to the first correct answer
  to a real message (and to Rasa's ``/status``);
* resident memory of the Rasa server and the action server at rest and under a short
  concurrent burst (``bench.latency``'s simulated users).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import requests
import yaml

from bench.common import ROOT, log, print_table, rss_mb, write_results
from bench.latency.assistants import REFERENCE_DIR, reference_model
from bench.latency.conversations import CLOSEBOT, STOCK, Script, check_reply
from bench.latency.levels import measure_level, warm_up
from bench.latency.load import Plan
from bench.latency.sampling import stack_pids
from harness.stack import BIN, MODEL, Stack

#: The issue's targets.
TARGETS = {"full_training_s": 180.0, "noop_retraining_s": 15.0, "ready_s": 25.0}
TRAINING_FILES = ("config.yml", "domain.yml", "data")


# ---- the project copy -------------------------------------------------------------------


def config_dependencies(config_path: Path, root: Path = ROOT) -> List[str]:
    """Relative paths the config needs besides itself: referenced files and component packages.

    A component named ``pkg.module.Class`` needs ``pkg/`` next to the config (Rasa imports it
    from the working directory); an option value naming an existing relative path (the spaCy
    pipeline ``build/spacy/closebot_en``) needs that path.
    """
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    needed: List[str] = []
    for item in (config.get("pipeline") or []) + (config.get("policies") or []):
        name = str(item.get("name", ""))
        if "." in name and (root / name.split(".")[0]).is_dir():
            needed.append(name.split(".")[0])
        for value in item.values():
            if isinstance(value, str) and "/" in value and not os.path.isabs(value) and (root / value).exists():
                needed.append(value)
    return list(dict.fromkeys(needed))


def copy_project(dest: Path, root: Path = ROOT) -> Path:
    """Copy what ``rasa train`` reads into ``dest`` (created); return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in [*TRAINING_FILES, *config_dependencies(root / "config.yml", root)]:
        source, target = root / rel, dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    return dest


def edit_response(domain_path: Path, response: Optional[str] = None, suffix: str = " (edited)") -> str:
    """Change the text of one response in place (first text of ``response`` or of the first one).

    The file is edited as text so everything else stays byte for byte; the result is parsed
    again to prove exactly that one response changed. Returns the response's name.
    """
    source = domain_path.read_text(encoding="utf-8")
    before = yaml.safe_load(source)
    responses = before.get("responses") or {}
    name = response or next(iter(responses))
    old = responses[name][0]["text"]
    start = source.index(f"{name}:")
    at = source.find(old, start) if "\n" not in old else -1
    if at < 0:
        raise ValueError(f"cannot find the text of {name} in {domain_path} as written")
    edited = source[:at] + old + suffix + source[at + len(old):]
    after = yaml.safe_load(edited)
    expected = {**responses, name: [{**responses[name][0], "text": old + suffix}, *responses[name][1:]]}
    if after.get("responses") != expected or {k: v for k, v in after.items() if k != "responses"} != {
            k: v for k, v in before.items() if k != "responses"}:
        raise ValueError(f"editing {name} changed more than its text")
    domain_path.write_text(edited, encoding="utf-8")
    return name


# ---- training -----------------------------------------------------------------------------


def train(project: Path, name: str, force: bool = False, timeout: float = 1800) -> Dict[str, Any]:
    """Run ``rasa train`` in ``project`` with its own cache; seconds, model size, whether it trained."""
    out = project / "models"
    model = out / f"{name}.tar.gz"
    before = model.stat().st_mtime if model.exists() else None
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(project / ".rasa" / "cache")}
    command = [str(BIN / "rasa"), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
               "--out", str(out), "--fixed-model-name", name]
    if force:
        command.append("--force")
    started = time.monotonic()
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(f"rasa train failed ({result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    output = result.stdout + result.stderr
    return {
        "seconds": round(seconds, 1),
        "model_mb": round(model.stat().st_size / 1e6, 2),
        "wrote_model": before is None or model.stat().st_mtime != before,
        "rasa_said_nothing_changed": bool(re.search(r"[Nn]othing changed", output)),
    }


def training_costs(workdir: Path) -> Dict[str, Any]:
    """Full, no-op (plain and forced) and responses-only training in a fresh copy."""
    project = copy_project(workdir / "project")
    out: Dict[str, Any] = {"project_files": sorted(p.name for p in project.iterdir())}
    log("  full training (empty cache) ...")
    out["full"] = train(project, "cost")
    log(f"  full: {out['full']['seconds']} s; no-op retraining ...")
    out["noop"] = train(project, "cost")
    out["noop_forced"] = train(project, "cost", force=True)
    out["edited_response"] = edit_response(project / "domain.yml", "utter_goodbye")
    log("  responses-only retraining ...")
    out["responses_only"] = train(project, "cost")
    return out


# ---- start-up and memory --------------------------------------------------------------------


def first_answer(stack: Stack, script: Script, timeout: float = 120) -> float:
    """Seconds until the first turn of ``script`` is answered correctly (retrying while it is not)."""
    turn = script.turns[0]
    started = time.monotonic()
    problem: Optional[str] = "no answer"
    while time.monotonic() - started < timeout:
        try:
            answer = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                                   json={"sender": script.sender("startup", 0, 0), "message": turn.text},
                                   timeout=timeout)
            problem = check_reply(turn, answer.json(), {}) if answer.ok else f"HTTP {answer.status_code}"
        except requests.RequestException as exc:
            problem = type(exc).__name__
        if problem is None:
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError(f"no correct first answer within {timeout}s: {problem}")


def run_costs(name: str, model: Path, workdir: Path, burst_users: Sequence[int], burst_seconds: float,
              startups: int) -> Dict[str, Any]:
    """Start-up (best of ``startups`` launches) and memory at rest and under bursts."""
    script = STOCK if name == "stock" else CLOSEBOT
    kwargs: Dict[str, Any] = {}
    if name == "stock":
        kwargs = {"cwd": model.parent.parent, "with_actions": False, "load_demo": False}
    launches: List[Dict[str, float]] = []
    result: Dict[str, Any] = {}
    for attempt in range(startups):
        run_dir = workdir / f"{name}-{attempt}"
        shutil.rmtree(run_dir, ignore_errors=True)
        launched = time.monotonic()
        stack = Stack(run_dir, model=model, **kwargs)
        try:
            # Stack's clock starts at the launch of the servers (after the demo data load).
            ready = stack.ready_seconds
            answered = ready + first_answer(stack, script)
            launches.append({"ready_s": round(ready, 1), "first_answer_s": round(answered, 1),
                             "including_demo_load_s": round(time.monotonic() - launched, 1)})
            log(f"  {name} launch {attempt + 1}: /status after {ready:.1f} s, first answer after {answered:.1f} s")
            if attempt == startups - 1:
                warm_up(stack, script, 1)
                pids = stack_pids(stack)
                result["rss_rest_mb"] = {k: rss_mb(pid) for k, pid in pids.items() if pid}
                bursts = {}
                for users in burst_users:
                    plan = Plan(users=users, duration=burst_seconds, tag=f"b{users}")
                    level = measure_level(stack, script, plan)
                    bursts[str(users)] = {"rss_peak_mb": level["rss_peak_mb"], "turns": level["turns"],
                                          "errors": level["errors"], "msgs_per_s": level["msgs_per_s"]}
                result["bursts"] = bursts
                result["rss_after_load_mb"] = {k: rss_mb(pid) for k, pid in pids.items() if pid}
        finally:
            stack.stop()
    best = min(launches, key=lambda x: x["first_answer_s"])
    result.update({"launches": launches, "ready_s": best["ready_s"], "first_answer_s": best["first_answer_s"]})
    return result


# ---- report ---------------------------------------------------------------------------------


def print_report(data: Dict[str, Any]) -> None:
    training = data.get("training")
    if training:
        rows = []
        for key, label, target in (("full", "full (empty cache)", TARGETS["full_training_s"]),
                                   ("noop", "no-op: rasa train, nothing changed", TARGETS["noop_retraining_s"]),
                                   ("noop_forced", "no-op: rasa train --force (no cache)", None),
                                   ("responses_only", f"one response text changed ({training['edited_response']})",
                                    None)):
            t = training[key]
            verdict = "-" if target is None else f"<= {target:.0f} s: {'met' if t['seconds'] <= target else 'NO'}"
            rows.append([label, t["seconds"], t["model_mb"], "yes" if t["wrote_model"] else "no (kept)", verdict])
        print_table(["training", "seconds", "model MB", "new model", "target"], rows,
                    "Training in a copy of the project with its own cache")
    rows = []
    for name, res in data.get("runs", {}).items():
        met = "met" if res["first_answer_s"] <= TARGETS["ready_s"] else "NO"
        rows.append([name, res["ready_s"], res["first_answer_s"],
                     f"<= {TARGETS['ready_s']:.0f} s: {met}" if name != "stock" else "-"])
    if rows:
        print_table(["assistant", "/status s", "first correct answer s", "target"], rows,
                    "Start-up from launching the servers (best launch)")
    rows = []
    for name, res in data.get("runs", {}).items():
        for process, rest in res.get("rss_rest_mb", {}).items():
            peaks = [res["bursts"][u]["rss_peak_mb"].get(process) for u in res.get("bursts", {})]
            rows.append([name, process, rest, *peaks, res.get("rss_after_load_mb", {}).get(process)])
    if rows:
        burst_headers = [f"peak {u} users MB" for u in next(iter(data["runs"].values())).get("bursts", {})]
        print_table(["assistant", "process", "rest MB", *burst_headers, "after load MB"], rows,
                    "Resident memory (process and children)")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL,
                        help="the model the start-up and memory runs serve")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-reference", action="store_true", help="no stock `rasa init` start-up/memory run")
    parser.add_argument("--reference-dir", type=Path, default=REFERENCE_DIR)
    parser.add_argument("--burst-users", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--burst-seconds", type=float, default=15.0)
    parser.add_argument("--startups", type=int, default=2, help="launches; the best start-up is reported")
    parser.add_argument("--results-dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary project copy")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="closebot-cost-"))
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    data: Dict[str, Any] = {"options": options, "targets": TARGETS}
    try:
        if not args.skip_training:
            log("training in a copy of the project ...")
            data["training"] = training_costs(workdir)
        runs = {"closebot": args.model}
        if not args.skip_reference:
            runs["stock"] = reference_model(args.reference_dir)
        data["runs"] = {}
        for name, model in runs.items():
            log(f"start-up and memory: {name} ...")
            data["runs"][name] = run_costs(name, model, workdir / "runs", args.burst_users, args.burst_seconds,
                                           args.startups)
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print_report(data)
    path = write_results("cost", data, args.results_dir)
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
