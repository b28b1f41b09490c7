"""Everything measured for one assistant: start-up, levels, capacity, layers and memory."""

import argparse
from typing import Any, Dict

from bench.common import log, rss_mb
from bench.latency.assistants import Assistant
from bench.latency.capacity import find_capacity
from bench.latency.layers import layer_costs
from bench.latency.levels import measure_level, warm_up
from bench.latency.load import Plan
from bench.latency.sampling import stack_pids


def bench_assistant(assistant: Assistant, args: argparse.Namespace) -> Dict[str, Any]:
    """Everything measured for one assistant: levels, capacity, layers, memory, start-up."""
    log(f"starting {assistant.label}")
    stack = assistant.start()
    script = assistant.script
    try:
        out: Dict[str, Any] = {"label": assistant.label, "profile": assistant.profile,
                               "ready_seconds": round(stack.ready_seconds, 1)}
        warm_up(stack, script, args.warmup)
        pids = stack_pids(stack)
        out["rss_rest_mb"] = {name: rss_mb(pid) for name, pid in pids.items() if pid}
        levels: Dict[str, Any] = {}
        for users in args.users:
            log(f"  {users} users ...")
            plan = Plan(users=users, conversations=args.conversations,
                        duration=None if args.conversations else args.duration, tag=f"u{users}")
            levels[str(users)] = measure_level(stack, script, plan)
            s = levels[str(users)]
            log(f"  {users} users: p50 {s['latency_ms'].get('p50')} p95 {s['latency_ms'].get('p95')} ms, "
                f"{s['msgs_per_s']} msg/s, {s['errors']} errors")
        out["levels"] = levels
        if args.capacity_step > 0:
            log("  capacity with think time ...")
            out["capacity"] = find_capacity(stack, script, args.think, args.slo_ms, args.capacity_step,
                                            start=args.capacity_start, max_users=args.capacity_max)
        if args.layer_samples > 0 and assistant.replicas == 1:  # per layer, one server is enough
            out["layers"] = layer_costs(stack, script, args.layer_samples, assistant.db_url)
        peaks = [lv["rss_peak_mb"] for lv in levels.values()]
        peaks += [p["rss_peak_mb"] for p in out.get("capacity", {}).get("probes", [])]
        out["rss_load_peak_mb"] = {name: max(p.get(name, 0.0) for p in peaks) for name in out["rss_rest_mb"]}
        return out
    finally:
        assistant.stop()
