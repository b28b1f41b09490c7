"""Closebot's figures against the stock assistant's (ratios) and against the issue's targets.

Ratios to the stock ``rasa init`` assistant measured in the same run stay meaningful on a
busy machine where absolute milliseconds do not; the targets are absolute.
"""

from typing import Any, Dict, List, Optional

#: The issue's targets (Closebot, default profile, on the 2-core machine).
TARGETS = {"p95_1_user_ms": 150.0, "p95_32_users_ms": 500.0, "rasa_rss_mb": 1500.0}


def _ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    """``ours / theirs`` to two decimals, or None when either is missing (or theirs is 0)."""
    if ours is None or not theirs:
        return None
    return round(ours / theirs, 2)


def ratios(ours: Dict[str, Any], stock: Dict[str, Any]) -> Dict[str, Any]:
    """Closebot / stock for every figure both have (below 1 is better, except msg/s and capacity)."""
    out: Dict[str, Any] = {"levels": {}}
    for users, level in ours.get("levels", {}).items():
        ref = stock.get("levels", {}).get(users)
        if not ref:
            continue
        out["levels"][users] = {
            **{p: _ratio(level["latency_ms"].get(p), ref["latency_ms"].get(p)) for p in ("p50", "p95", "p99")},
            "msgs_per_s": _ratio(level["msgs_per_s"], ref["msgs_per_s"]),
        }
    if "capacity" in ours and "capacity" in stock:
        out["capacity_users"] = _ratio(ours["capacity"]["users"], stock["capacity"]["users"])
    if "rss_rest_mb" in ours and "rss_rest_mb" in stock:
        out["rasa_rss_rest"] = _ratio(ours["rss_rest_mb"].get("rasa"), stock["rss_rest_mb"].get("rasa"))
        out["rasa_rss_load_peak"] = _ratio(ours["rss_load_peak_mb"].get("rasa"),
                                           stock["rss_load_peak_mb"].get("rasa"))
    out["ready_seconds"] = _ratio(ours.get("ready_seconds"), stock.get("ready_seconds"))
    for layer in ("nlu_parse", "policy_predict"):
        if layer in ours.get("layers", {}) and layer in stock.get("layers", {}):
            out[layer] = _ratio(ours["layers"][layer].get("p50"), stock["layers"][layer].get("p50"))
    return out


def target_checks(ours: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The issue's targets against this run (absolute: only meaningful on a quiet machine)."""
    checks = []
    levels = ours.get("levels", {})
    for users, key in (("1", "p95_1_user_ms"), ("32", "p95_32_users_ms")):
        if users in levels:
            value = levels[users]["latency_ms"].get("p95")
            checks.append({"target": f"p95 {users} user(s) <= {TARGETS[key]:.0f} ms", "value": value,
                           "ok": value is not None and value <= TARGETS[key]})
    errors = sum(lv["errors"] for lv in levels.values())
    checks.append({"target": "zero errors", "value": errors, "ok": errors == 0})
    rss = ours.get("rss_load_peak_mb", {}).get("rasa")
    if rss is not None:
        checks.append({"target": f"Rasa RSS <= {TARGETS['rasa_rss_mb']:.0f} MB", "value": rss,
                       "ok": rss <= TARGETS["rasa_rss_mb"]})
    return checks
