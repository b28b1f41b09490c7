"""Which modules matter for closing a target module, and in which order to report them.

The close order is a DAG of module dependencies. A company's ``depends_on`` replaces
the default list of each module it names. Only not-closed modules that the company
uses (that have a state row) matter: the walk stops at a closed module (what it
depends on was already good enough to close it) and at a module without a row.
"""

from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Dict, List, Mapping, Sequence

from bot.core.vocabulary import MODULES


@dataclass
class ClosePath:
    """The not-closed modules that stand between the target and its close.

    ``modules`` lists them dependencies first (topological order, vocabulary order
    between independent modules), the target last. ``depends`` maps each of them to
    its direct dependencies that are also on the path.
    """

    target: str
    modules: List[str] = field(default_factory=list)
    depends: Dict[str, List[str]] = field(default_factory=dict)

    def __contains__(self, module: object) -> bool:
        return module in self.depends

    def index(self, module: str) -> int:
        """Position in the reporting order (unknown modules sort last)."""
        return self.modules.index(module) if module in self.modules else len(self.modules)

    @property
    def dependencies(self) -> List[str]:
        """Every module on the path except the target, in reporting order."""
        return [m for m in self.modules if m != self.target]


def close_path(
    target: str,
    statuses: Mapping[str, str],
    dependencies: Mapping[str, Sequence[str]],
) -> ClosePath:
    """Walk from ``target`` through not-closed modules that have a state row.

    ``statuses`` maps module -> status for the company and period (modules without a
    row are absent). A closed target gives an empty path. Cycles (which validation
    rejects) cannot loop forever: each module is visited once.
    """
    path = ClosePath(target=target)
    if statuses.get(target, "closed") == "closed":
        return path
    stack = [target]
    while stack:
        module = stack.pop()
        if module in path.depends:
            continue
        on_path = [
            dep
            for dep in dependencies.get(module, [])
            if dep in statuses and statuses[dep] != "closed" and dep != module
        ]
        path.depends[module] = sorted(set(on_path), key=_vocabulary_index)
        stack.extend(path.depends[module])
    path.modules = _topological(path.depends)
    return path


def _vocabulary_index(module: str) -> int:
    return MODULES.index(module) if module in MODULES else len(MODULES)


def _topological(depends: Mapping[str, Sequence[str]]) -> List[str]:
    """Dependencies before dependents, each round of ready modules in vocabulary order.

    A cycle (which scenario validation rejects) cannot be ordered: the modules are then
    reported in vocabulary order.
    """
    sorter = TopologicalSorter(depends)
    try:
        sorter.prepare()
    except CycleError:
        return sorted(depends, key=_vocabulary_index)
    order: List[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=_vocabulary_index)
        order.extend(ready)
        sorter.done(*ready)
    return order
