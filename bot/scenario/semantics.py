"""What a scenario's schema cannot say: the checks across entries and sections.

Unique ids, references between sections (an order's owner is a user, a payment's order
exists), one state per company/period/module, exact decimals, datetimes with an offset,
known time zones and acyclic module dependencies. Runs after the schema check and is
tolerant of entries it already rejected, so both sets of errors are shown together.
"""

from graphlib import CycleError, TopologicalSorter
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from bot.core.vocabulary import MODULES, effective_dependencies
from bot.scenario.schema import DATETIME_FIELDS, DECIMAL_FIELDS, LIST_SECTIONS
from bot.scenario.schema_check import Error
from bot.scenario.values import is_time_zone, to_datetime, to_decimal


def semantic_errors(document: Dict[str, Any]) -> List[Error]:
    """Every semantic error of a (normalised) document, as (path, message)."""
    return _SemanticChecker(document).check()


def find_cycle(graph: Dict[str, List[str]]) -> Optional[List[str]]:
    """One dependency cycle as ``[a, b, ..., a]`` (a depends on b), or None when the graph is acyclic.

    The sorter is given each module before the modules it depends on (edges point from
    a module to its dependencies, the reverse of a close order), so graphlib walks the
    graph depth first in its own order (the vocabulary's): a graph always names the same
    cycle, from the same module, as the depth-first search this replaced did.
    """
    sorter: TopologicalSorter = TopologicalSorter()
    for module in graph:
        sorter.add(module)
    for module, deps in graph.items():
        for dep in deps:
            sorter.add(dep, module)
    try:
        sorter.prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


_ID_FIELD = {
    "companies": "id",
    "users": "id",
    "orders": "id",
    "payments": "id",
    "jobs": "id",
    "vouchers": "id",
    "components": "id",
    "tickets": "number",
}
# Every section whose entries belong to a company (components apply to all companies).
_COMPANY_SECTIONS = tuple(s for s in LIST_SECTIONS if s not in ("companies", "components"))
_USER_REFS = (
    ("orders", "owner"),
    ("payments", "owner"),
    ("tickets", "requester"),
    ("tickets", "assignee"),
)


class _SemanticChecker:
    """What the schema cannot express; tolerant of entries the schema already rejected."""

    def __init__(self, document: Dict[str, Any]) -> None:
        self.document = document
        self.errors: List[Error] = []

    def entries(self, section: str) -> Iterable[Tuple[int, Dict[str, Any]]]:
        """(index, entry) of a section's mapping entries; nothing if the section is not a list."""
        items = self.document.get(section)
        if not isinstance(items, list):
            return []
        return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]

    def add(self, path: Sequence[Any], message: str) -> None:
        """Record one error at ``path``."""
        self.errors.append((tuple(path), message))

    def check(self) -> List[Error]:
        """Run every check; the errors in the order found (rendering sorts them)."""
        ids = {section: self.unique_ids(section, key) for section, key in _ID_FIELD.items()}
        self.unique_module_states()
        self.references(ids)
        self.values()
        self.companies()
        return self.errors

    def unique_ids(self, section: str, key: str) -> Dict[str, int]:
        """Report repeated ids of a section; return each id's first index."""
        first: Dict[str, int] = {}
        for index, item in self.entries(section):
            value = item.get(key)
            if not isinstance(value, str):
                continue
            if value in first:
                self.add(
                    (section, index, key),
                    f"duplicate {key} {value!r} (already used by {section}[{first[value]}])",
                )
            else:
                first[value] = index
        return first

    def unique_module_states(self) -> None:
        """At most one state per company, period and module."""
        first: Dict[Tuple[Any, ...], int] = {}
        for index, item in self.entries("modules"):
            key = (item.get("company"), item.get("period"), item.get("module"))
            if not all(isinstance(part, str) for part in key):
                continue
            if key in first:
                self.add(
                    ("modules", index),
                    f"duplicate module state for company {key[0]!r}, period {key[1]!r}, "
                    f"module {key[2]!r} (already given by modules[{first[key]}])",
                )
            else:
                first[key] = index

    def references(self, ids: Dict[str, Dict[str, int]]) -> None:
        """Companies, users and orders named by other entries exist."""
        companies, users, orders = ids["companies"], ids["users"], ids["orders"]
        for section in _COMPANY_SECTIONS:
            for index, item in self.entries(section):
                value = item.get("company")
                if isinstance(value, str) and value not in companies:
                    self.add((section, index, "company"), f"unknown company {value!r}")
        for section, key in _USER_REFS:
            for index, item in self.entries(section):
                value = item.get(key)
                if isinstance(value, str) and value not in users:
                    self.add((section, index, key), f"unknown user {value!r}")
        for index, item in self.entries("payments"):
            value = item.get("order")
            if isinstance(value, str) and value not in orders:
                self.add(("payments", index, "order"), f"unknown order {value!r}")

    def values(self) -> None:
        """Amounts are exact decimals and datetimes carry an offset."""
        for section, names in DECIMAL_FIELDS.items():
            for index, item in self.entries(section):
                for name in names:
                    value = item.get(name)
                    if value is None or isinstance(value, bool):
                        continue  # missing/null/wrong type: the schema reports it
                    try:
                        to_decimal(value)
                    except ValueError as exc:
                        self.add((section, index, name), str(exc))
        for section, names in DATETIME_FIELDS.items():
            for index, item in self.entries(section):
                for name in names:
                    value = item.get(name)
                    if not isinstance(value, str):
                        continue
                    try:
                        to_datetime(value)
                    except ValueError as exc:
                        self.add((section, index, name), str(exc))

    def companies(self) -> None:
        """Each company's time zone is known and its module dependencies have no cycle."""
        for index, item in self.entries("companies"):
            zone = item.get("timezone")
            if isinstance(zone, str) and not is_time_zone(zone):
                self.add(("companies", index, "timezone"), f"unknown IANA time zone {zone!r}")
            depends_on = item.get("depends_on")
            if not isinstance(depends_on, dict):
                continue
            override = {
                module: [dep for dep in deps if dep in MODULES]
                for module, deps in depends_on.items()
                if module in MODULES and isinstance(deps, list)
            }
            cycle = find_cycle(effective_dependencies(override))
            if cycle:
                self.add(
                    ("companies", index, "depends_on"),
                    f"dependency cycle {' -> '.join(cycle)}",
                )
