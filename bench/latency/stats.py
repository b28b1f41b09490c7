"""Turn records summed up: latency percentiles, throughput and errors of one run of load."""

from typing import Any, Dict, Sequence

from bench.common import summary_ms
from bench.latency.load import TurnRecord


def aggregate(records: Sequence[TurnRecord]) -> Dict[str, Any]:
    """Latency percentiles (ms) of all turns and per turn, messages per second and errors.

    Throughput counts correct answers over the measured window (first start to last finish),
    so a short warm-up tail or an idle ramp does not dilute it.
    """
    if not records:
        return {"turns": 0, "errors": 0, "msgs_per_s": 0.0, "latency_ms": {"n": 0}, "per_turn": {}}
    ok = [r for r in records if r.error is None]
    window = max(r.started + r.seconds for r in records) - min(r.started for r in records)
    kinds: Dict[str, int] = {}
    for r in records:
        if r.error:
            kind = r.error.split(":")[0] if r.error.startswith("HTTP") else r.error
            kinds[kind] = kinds.get(kind, 0) + 1
    per_turn: Dict[str, Dict[str, float]] = {}
    for name in dict.fromkeys(r.turn for r in records):
        per_turn[name] = summary_ms([r.seconds for r in records if r.turn == name])
    return {
        "turns": len(records),
        "errors": len(records) - len(ok),
        "error_kinds": kinds,
        "msgs_per_s": round(len(ok) / window, 2) if window > 0 else 0.0,
        "latency_ms": summary_ms([r.seconds for r in records]),
        "per_turn": per_turn,
    }
