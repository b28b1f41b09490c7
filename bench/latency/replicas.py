"""Several replica pairs (a Rasa server and its action server) on one profile's shared services.

The production profile keeps conversations in PostgreSQL, locks them in Redis and publishes
events to RabbitMQ, so any Rasa replica can answer any turn. ``Replicas`` starts N pairs on
the same databases, queue and key prefix and stands in for a ``Stack`` wherever the benchmark
needs one: the load spreads its users over every Rasa server (user ``u`` talks to server
``u mod N``, as a load balancer with sticky sessions would), and memory and CPU are sampled
per process (``rasa``, ``rasa_2``, ``action``, ``action_2`` …).
"""

from typing import Dict, List, Sequence

from harness.stack import Stack


class Replicas:
    """N running stacks sharing one profile's services; stopped together."""

    def __init__(self, stacks: Sequence[Stack]) -> None:
        self.stacks: List[Stack] = list(stacks)

    @property
    def rasa_url(self) -> str:
        return self.stacks[0].rasa_url

    @property
    def rasa_urls(self) -> List[str]:
        return [s.rasa_url for s in self.stacks]

    @property
    def ready_seconds(self) -> float:
        return max(s.ready_seconds for s in self.stacks)

    def pids(self) -> Dict[str, int]:
        """Every server's process id, named as the single-stack report names them, then numbered."""
        out: Dict[str, int] = {}
        for i, stack in enumerate(self.stacks):
            suffix = "" if i == 0 else f"_{i + 1}"
            action = stack.action_proc
            out[f"rasa{suffix}"] = stack.rasa_proc.pid
            out[f"action{suffix}"] = action.pid if action else 0
        return out

    def stop(self) -> None:
        for stack in self.stacks:
            stack.stop()


def urls_of(stack: object) -> List[str]:
    """The Rasa servers a load talks to: every replica's, or the one stack's."""
    return list(getattr(stack, "rasa_urls", None) or [stack.rasa_url])  # type: ignore[attr-defined]
