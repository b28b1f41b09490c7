"""Resident memory and CPU time of the servers (and of this load generator) while load runs.

Linux ``/proc`` only: Sanic workers are child processes, so a server's figures are those of its
whole process tree.
"""

import os
import threading
from pathlib import Path
from typing import Dict, List

from bench.common import rss_mb
from harness.stack import Stack


def process_tree(pid: int) -> List[int]:
    """``pid`` and all its descendants (Sanic workers are child processes)."""
    found = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found.extend(process_tree(int(child)))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def cpu_seconds(pid: int, tree: bool = True) -> float:
    """User+system CPU seconds used so far by a process (and its descendants) (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in process_tree(pid) if tree else [pid]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total / ticks


class Sampler:
    """Samples the resident memory of some process trees in a thread while load runs; their CPU on exit."""

    def __init__(self, pids: Dict[str, int], interval: float = 0.5) -> None:
        """``pids`` by name; the one named ``client`` is counted without its children."""
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self.interval = interval
        self.samples: Dict[str, List[float]] = {name: [] for name in self.pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cpu0 = {name: self._cpu(name, pid) for name, pid in self.pids.items()}
        self.cpu: Dict[str, float] = {}

    def _run(self) -> None:
        """The sampling thread: every ``interval`` seconds until stopped."""
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.samples[name].append(rss_mb(pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = {name: self._cpu(name, pid) - self._cpu0[name] for name, pid in self.pids.items()}

    @staticmethod
    def _cpu(name: str, pid: int) -> float:
        # The servers are this process's children: the client is this process alone.
        return cpu_seconds(pid, tree=name != "client")

    def peak(self) -> Dict[str, float]:
        """The highest resident memory (MB) seen per name."""
        return {name: max(values, default=0.0) for name, values in self.samples.items()}


def stack_pids(stack: Stack) -> Dict[str, int]:
    """The Rasa server's and the action server's process ids (0: no action server); every
    replica's for ``bench.latency.replicas.Replicas``."""
    if hasattr(stack, "pids"):
        return stack.pids()
    action = stack.action_proc
    return {"rasa": stack.rasa_proc.pid, "action": action.pid if action else 0}


def load_pids(stack: Stack) -> Dict[str, int]:
    """The servers plus this process, whose CPU the load generator takes from the same cores."""
    return {**stack_pids(stack), "client": os.getpid()}
