"""Capacity with think time: the most concurrent users served within the latency objective.

Closed-loop levels without think time say how fast a turn is; this says how many people at
a realistic pace one stack serves, found by probing rather than derived from throughput.
"""

from typing import Any, Callable, Dict, List, Tuple

from bench.common import log
from bench.latency.conversations import Script
from bench.latency.levels import measure_level
from bench.latency.load import Plan
from harness.stack import Stack


def search_capacity(probe: Callable[[int], bool], start: int, max_users: int) -> Tuple[int, bool]:
    """The largest user count ``probe`` accepts, assuming acceptance falls off monotonically.

    Doubles from ``start`` while probes pass (halves when even ``start`` fails), then bisects
    between the last passing and the first failing count until they are within 10 %. Returns
    the count (0 if even one user fails) and whether ``max_users`` passed (the real capacity
    may be higher).
    """
    good, bad = 0, None
    users = max(1, min(start, max_users))
    if probe(users):
        good = users
        while users < max_users:
            users = min(users * 2, max_users)
            if not probe(users):
                bad = users
                break
            good = users
    else:
        bad = users
        while users > 1:
            users //= 2
            if probe(users):
                good = users
                break
            bad = users
    if bad is None:
        return good, True
    while bad - good > max(1, good // 10):
        middle = (good + bad) // 2
        if probe(middle):
            good = middle
        else:
            bad = middle
    return good, False


def find_capacity(
    stack: Stack, script: Script, think: float, slo_ms: float, step_seconds: float,
    start: int = 8, max_users: int = 512, tag: str = "cap",
) -> Dict[str, Any]:
    """The most concurrent users (mean ``think`` s between messages) served at p95 <= ``slo_ms``.

    Measured, not derived (``search_capacity``). Every probe ramps its users in over one think
    time, then measures for ``step_seconds``; a probe with any error fails.
    """
    probes: List[Dict[str, Any]] = []

    def probe(users: int) -> bool:
        plan = Plan(users=users, duration=step_seconds, think=think, ramp=think,
                    tag=f"{tag}{users}", seed=users)
        result = measure_level(stack, script, plan)
        p95 = result["latency_ms"].get("p95", float("inf"))
        ok = result["turns"] > 0 and result["errors"] == 0 and p95 <= slo_ms
        probes.append({"users": users, "ok": ok, "turns": result["turns"], "errors": result["errors"],
                       "error_kinds": result["error_kinds"], "p95_ms": p95,
                       "p50_ms": result["latency_ms"].get("p50"),
                       "msgs_per_s": result["msgs_per_s"], "rss_peak_mb": result["rss_peak_mb"],
                       "cpu_ms_per_turn": result["cpu_ms_per_turn"]})
        log(f"  capacity probe {users} users: p95 {p95} ms, {result['errors']} errors -> {'ok' if ok else 'over'}")
        return ok

    good, capped = search_capacity(probe, start, max_users)
    best = next((p for p in probes if p["users"] == good and p["ok"]), None)
    return {"users": good, "think_s": think, "slo_p95_ms": slo_ms, "capped": capped,
            "at_capacity": best, "probes": probes}
