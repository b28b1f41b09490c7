"""The tables ``make bench-latency`` prints: levels, per turn, capacity, memory, layers, targets."""

from typing import Any, Dict, Optional

from bench.common import print_table


def print_report(results: Dict[str, Dict[str, Any]], all_ratios: Dict[str, Dict[str, Any]]) -> None:
    """Print every table of the run: ``results`` per assistant, ``all_ratios`` per Closebot profile."""
    rows = []
    for name, res in results.items():
        rat = all_ratios.get(name, {}).get("levels", {})
        for users, lv in res.get("levels", {}).items():
            lat = lv["latency_ms"]
            r = rat.get(users, {})
            rows.append([res["label"], users, lv["turns"], lv["errors"], lat.get("p50"), lat.get("p95"),
                         lat.get("p99"), lv["msgs_per_s"], _fmt(r.get("p95")), _fmt(r.get("msgs_per_s")),
                         lv["cpu_ms_per_turn"].get("rasa"), lv["cpu_ms_per_turn"].get("action", "-"),
                         lv["cpu_ms_per_turn"].get("client")])
    print_table(["assistant", "users", "turns", "errors", "p50 ms", "p95 ms", "p99 ms", "msg/s",
                 "p95 x stock", "msg/s x stock", "rasa CPU ms/turn", "action CPU ms/turn", "client CPU ms/turn"],
                rows,
                "Turn latency, closed loop without think time (ratios: Closebot / stock, same run)")

    rows = []
    for res in results.values():
        if res["label"].startswith("stock"):
            continue
        for users, lv in res.get("levels", {}).items():
            for turn, s in lv["per_turn"].items():
                rows.append([res["label"], users, turn, s.get("n"), s.get("p50"), s.get("p95"), s.get("p99")])
    if rows:
        print_table(["assistant", "users", "turn", "n", "p50 ms", "p95 ms", "p99 ms"], rows, "Closebot per turn")

    rows = []
    for name, res in results.items():
        cap = res.get("capacity")
        if cap:
            best = cap.get("at_capacity") or {}
            rows.append([res["label"], f"{cap['users']}{'+' if cap['capped'] else ''}", best.get("p95_ms"),
                         best.get("msgs_per_s"), len(cap["probes"]),
                         _fmt(all_ratios.get(name, {}).get("capacity_users"))])
    if rows:
        print_table(["assistant", "users", "p95 ms there", "msg/s there", "probes", "x stock"], rows,
                    "Capacity: concurrent users with ~5 s think time at p95 <= 300 ms, zero errors")

    rows = []
    for res in results.values():
        rest, peak = res.get("rss_rest_mb", {}), res.get("rss_load_peak_mb", {})
        rows.append([res["label"], res["ready_seconds"], rest.get("rasa"), peak.get("rasa"),
                     rest.get("action", "-"), peak.get("action", "-")])
    print_table(["assistant", "ready s", "rasa RSS rest MB", "rasa RSS peak MB", "action RSS rest MB",
                 "action RSS peak MB"], rows, "Start-up (until /status answers) and resident memory")

    rows = []
    for res in results.values():
        for layer, s in res.get("layers", {}).items():
            if isinstance(s, dict):
                rows.append([res["label"], layer, s.get("n"), s.get("p50"), s.get("p95")])
    if rows:
        print_table(["assistant", "layer", "n", "p50 ms", "p95 ms"], rows,
                    "Cost of each layer of one turn, timed alone on the idle stack")

    rows = []
    for res in results.values():
        for check in res.get("targets", []):
            rows.append([res["label"], check["target"], check["value"], "yes" if check["ok"] else "NO"])
    if rows:
        print_table(["assistant", "target", "this run", "met"], rows,
                    "Targets (absolute: re-run on a quiet machine)")


def _fmt(value: Optional[float]) -> str:
    """A ratio for a table cell: two decimals, or ``-`` when there is none."""
    return "-" if value is None else f"{value:.2f}"
