"""Turn latency, throughput, capacity and per-layer cost of the real stack (``make bench-latency``).

The command line: options, the assistants they select, the run of each, the printed report
and ``bench/results/latency.json``.
"""

import argparse
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

from bench.common import ROOT, log, write_results
from bench.latency.assistants import REFERENCE_DIR, Assistant, reference_model
from bench.latency.benchmark import bench_assistant
from bench.latency.comparison import TARGETS, ratios, target_checks
from bench.latency.conversations import CLOSEBOT, STOCK
from bench.latency.profiles import PRODUCTION_ENDPOINTS, production_env
from bench.latency.report import print_report
from harness.stack import MODEL


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The benchmark's options (``--help``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 8, 32], help="closed-loop levels")
    parser.add_argument("--conversations", type=int, default=None,
                        help="conversations per user per level (default: run --duration seconds)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per level")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up conversations of 4 users")
    parser.add_argument("--skip-reference", action="store_true", help="do not run the stock assistant")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--reference-dir", type=Path, default=REFERENCE_DIR)
    parser.add_argument("--profile", nargs="+", choices=["default", "production"], default=["default"],
                        help="production: endpoints.production.yml (PostgreSQL, Redis, RabbitMQ) + workers")
    parser.add_argument("--rasa-workers", type=int, default=None,
                        help="SANIC_WORKERS of the production profile (default: production.env)")
    parser.add_argument("--action-workers", type=int, default=None,
                        help="ACTION_SERVER_SANIC_WORKERS (default: production.env / 1)")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1],
                        help="replica pairs (Rasa + action server) of the production profile, e.g. 1 2")
    parser.add_argument("--production-endpoints", type=Path, default=PRODUCTION_ENDPOINTS,
                        help="endpoints file of the production profile (to compare stores)")
    parser.add_argument("--think", type=float, default=5.0, help="mean think time of the capacity search")
    parser.add_argument("--slo-ms", type=float, default=300.0, help="p95 the capacity search must keep")
    parser.add_argument("--capacity-step", type=float, default=30.0,
                        help="measured seconds per capacity probe (0: skip the capacity search)")
    parser.add_argument("--capacity-start", type=int, default=16)
    parser.add_argument("--capacity-max", type=int, default=512)
    parser.add_argument("--layer-samples", type=int, default=40, help="samples per layer (0: skip)")
    parser.add_argument("--results-dir", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench" / "latency")
    return parser.parse_args(argv)


def assistants(args: argparse.Namespace) -> Iterator[Tuple[str, Assistant]]:
    """Closebot in each chosen profile, then the stock assistant unless skipped, by result key."""
    for profile in args.profile:
        rasa_workers = args.rasa_workers
        action_workers = args.action_workers
        if profile == "production":
            env = production_env()
            rasa_workers = rasa_workers or int(env.get("SANIC_WORKERS", "1"))
            action_workers = action_workers or int(env.get("ACTION_SERVER_SANIC_WORKERS", "1"))
        elif rasa_workers and rasa_workers > 1:
            raise SystemExit("SANIC_WORKERS > 1 needs the production profile (Rasa ignores it otherwise)")
        counts = args.replicas if profile == "production" else [1]
        for n in counts:
            key = f"closebot_{profile}" + (f"_x{n}" if n > 1 else "")
            yield key, Assistant("closebot", args.model, args.workdir / f"{profile}{n}", profile,
                                 rasa_workers, action_workers, args.production_endpoints, replicas=n)
    if not args.skip_reference:
        yield "stock", Assistant("stock", reference_model(args.reference_dir), args.workdir / "stock")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run every assistant, print the report, write the JSON; 1 when a Closebot run had errors."""
    args = parse_args(argv)
    results: Dict[str, Dict[str, Any]] = {}
    for name, assistant in assistants(args):
        if assistant.workdir.exists():
            shutil.rmtree(assistant.workdir)
        results[name] = bench_assistant(assistant, args)
        if name != "stock":
            results[name]["targets"] = target_checks(results[name])
    all_ratios = {name: ratios(res, results["stock"]) for name, res in results.items()
                  if name != "stock" and "stock" in results}
    print_report(results, all_ratios)
    path = write_results("latency", {
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "scripts": {s.assistant: [t.name for t in s.turns] for s in (CLOSEBOT, STOCK)},
        "assistants": results,
        "ratios_to_stock": all_ratios,
        "targets": TARGETS,
    }, args.results_dir)
    log(f"wrote {path}")
    failed = [c for res in results.values() for c in res.get("targets", []) if c["target"] == "zero errors"
              and not c["ok"]]
    return 1 if failed else 0
