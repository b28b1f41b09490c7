"""One load level on a running stack: warm it up, then measure latency, memory and CPU together."""

from typing import Any, Dict

from bench.common import log
from bench.latency.conversations import Script
from bench.latency.load import Plan, run_load
from bench.latency.replicas import urls_of
from bench.latency.sampling import Sampler, load_pids
from bench.latency.stats import aggregate
from harness.stack import Stack


def measure_level(stack: Stack, script: Script, plan: Plan) -> Dict[str, Any]:
    """One load level: the aggregate, peak memory and CPU milliseconds per correct turn."""
    with Sampler(load_pids(stack)) as sampler:
        records, wall = run_load(urls_of(stack), script, plan)
    result = aggregate(records)
    ok = max(1, result["turns"] - result["errors"])
    result["users"] = plan.users
    result["wall_s"] = round(wall, 1)
    result["rss_peak_mb"] = {k: v for k, v in sampler.peak().items() if k != "client"}
    result["cpu_ms_per_turn"] = {name: round(1000 * s / ok, 1) for name, s in sampler.cpu.items()}
    return result


def warm_up(stack: Stack, script: Script, conversations: int) -> None:
    """First requests build TensorFlow graphs and fill caches: not what a user normally sees."""
    if conversations <= 0:
        return
    records, _ = run_load(urls_of(stack), script, Plan(users=4, conversations=conversations, tag="warm"))
    bad = [r.error for r in records if r.error]
    if bad:
        log(f"  warm-up errors: {bad[:5]}")
