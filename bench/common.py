"""What every benchmark shares: where results go, how tables print, which machine ran it."""

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(os.environ.get("CLOSEBOT_BENCH_RESULTS", ROOT / "bench" / "results"))


def machine() -> Dict[str, Any]:
    """The facts a reader needs to compare two result files."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def write_results(name: str, data: Dict[str, Any], results_dir: Optional[Path] = None) -> Path:
    """Write ``data`` (plus machine and time) to ``<results_dir>/<name>.json`` and return the path."""
    target = Path(results_dir or RESULTS_DIR)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.json"
    payload = {
        "benchmark": name,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "") -> str:
    """A plain-text table with right-aligned numbers, readable in a terminal and in Markdown."""
    cells: List[List[str]] = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    lines = []
    if title:
        lines.append(f"\n{title}")
    lines.append("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        lines.append("| " + " | ".join(_align(c, w) for c, w in zip(row, widths)) + " |")
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "") -> None:
    print(format_table(headers, rows, title), flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(pct / 100.0 * len(ordered) + 0.4999))))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> Dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds of a list of durations in seconds."""
    ms = [s * 1000.0 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 1),
        "p95": round(percentile(ms, 95), 1),
        "p99": round(percentile(ms, 99), 1),
        "mean": round(statistics.fmean(ms), 1),
        "max": round(max(ms), 1),
    }


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return round(total / 1024.0, 1)


def _children(pid: int) -> List[int]:
    found: List[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            for child in map(int, text):
                found.append(child)
                found.extend(_children(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _align(text: str, width: int) -> str:
    numeric = text.replace(",", "").replace(".", "", 1).lstrip("-").replace("%", "").isdigit()
    return text.rjust(width) if numeric else text.ljust(width)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
