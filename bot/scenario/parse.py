"""Read and check a scenario file (shared/contracts/SCENARIO.md) before anything is written.

Every error is collected (not just the first) and names its path in the contract's
style, ``orders[3].status: 'postd' is not one of [...]``, so one run of
``closebot scenario validate`` shows everything to fix.
"""

from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from bot.errors import ScenarioError
from bot.scenario.reader import normalise, read_document
from bot.scenario.schema import (
    DATETIME_FIELDS,
    DECIMAL_FIELDS,
    ITEM_SCHEMAS,
    LIST_DEFAULTS,
    LIST_SECTIONS,
)
from bot.scenario.schema_check import Error, check_schema, render_errors
from bot.scenario.values import is_time_zone, to_datetime, to_decimal
from bot.vocabulary import DEFAULT_DEPENDENCIES, MODULES


@dataclass
class ScenarioData:
    """A checked scenario: one list of plain dicts per contract section.

    Keys are the contract's field names (``company``, ``owner``...), every field of the
    contract is present (``None`` when absent, ``[]`` for absent lists, ``"UTC"`` for an
    absent timezone), amounts are ``Decimal`` and datetimes are timezone-aware.
    """

    version: int = 1
    companies: List[Dict[str, Any]] = field(default_factory=list)
    users: List[Dict[str, Any]] = field(default_factory=list)
    modules: List[Dict[str, Any]] = field(default_factory=list)
    orders: List[Dict[str, Any]] = field(default_factory=list)
    payments: List[Dict[str, Any]] = field(default_factory=list)
    jobs: List[Dict[str, Any]] = field(default_factory=list)
    vouchers: List[Dict[str, Any]] = field(default_factory=list)
    reconciliations: List[Dict[str, Any]] = field(default_factory=list)
    components: List[Dict[str, Any]] = field(default_factory=list)
    tickets: List[Dict[str, Any]] = field(default_factory=list)

    def section(self, name: str) -> List[Dict[str, Any]]:
        """The entries of one list section, by its contract name."""
        if name not in LIST_SECTIONS:
            raise KeyError(name)
        return getattr(self, name)

    def counts(self) -> Dict[str, int]:
        """Entries per section, in contract order (what a load reports)."""
        return {f.name: len(getattr(self, f.name)) for f in fields(self) if f.name != "version"}


# ---------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------


def parse_file(path: Union[str, Path]) -> ScenarioData:
    """Read and check a scenario file; raise ScenarioError listing every problem."""
    document = read_document(path)
    if not isinstance(document, dict):
        kind = "an empty file" if document is None else f"a {_type_name(document)}"
        raise ScenarioError([f"{path}: the top level must be a mapping, found {kind}"])
    return parse_document(document)


def parse_document(data: Dict[str, Any]) -> ScenarioData:
    """Check an already-read scenario document and convert its values.

    Schema errors and semantic errors (unique ids, references, cycles, decimals,
    datetimes, time zones) are all collected before raising, each naming its path.
    """
    if not isinstance(data, dict):
        raise ScenarioError([f"(top level): must be a mapping, found a {_type_name(data)}"])
    document = normalise(data)
    errors = check_schema(document)
    checker = _SemanticChecker(document)
    errors.extend(checker.check())
    if errors:
        raise ScenarioError(render_errors(errors))
    return _convert(document)


def effective_dependencies(depends_on: Optional[Dict[str, List[str]]]) -> Dict[str, List[str]]:
    """The dependency graph of one company: the defaults, replaced per module it names."""
    graph = {module: list(deps) for module, deps in DEFAULT_DEPENDENCIES.items()}
    for module, deps in (depends_on or {}).items():
        graph[module] = list(deps)
    return graph


def find_cycle(graph: Dict[str, List[str]]) -> Optional[List[str]]:
    """One dependency cycle as ``[a, b, ..., a]``, or None when the graph is acyclic."""
    state: Dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: List[str] = []

    def visit(node: str) -> Optional[List[str]]:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, []):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in graph:
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


# ---------------------------------------------------------------------------------------
# Semantic checks
# ---------------------------------------------------------------------------------------

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

    def __init__(self, document: Dict[str, Any]):
        self.document = document
        self.errors: List[Error] = []

    def entries(self, section: str) -> Iterable[Tuple[int, Dict[str, Any]]]:
        items = self.document.get(section)
        if not isinstance(items, list):
            return []
        return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]

    def add(self, path: Sequence[Any], message: str) -> None:
        self.errors.append((tuple(path), message))

    def check(self) -> List[Error]:
        ids = {section: self.unique_ids(section, key) for section, key in _ID_FIELD.items()}
        self.unique_module_states()
        self.references(ids)
        self.values()
        self.companies()
        return self.errors

    def unique_ids(self, section: str, key: str) -> Dict[str, int]:
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


# ---------------------------------------------------------------------------------------
# Conversion of a valid document
# ---------------------------------------------------------------------------------------


def _convert(document: Dict[str, Any]) -> ScenarioData:
    data = ScenarioData(version=int(document["version"]))
    for section in LIST_SECTIONS:
        names = list(ITEM_SCHEMAS[section]["properties"])
        decimals = DECIMAL_FIELDS.get(section, ())
        datetimes = DATETIME_FIELDS.get(section, ())
        lists = LIST_DEFAULTS.get(section, ())
        target = data.section(section)
        for item in document.get(section) or []:
            entry = {name: item.get(name) for name in names}
            for name in decimals:
                if entry[name] is not None:
                    entry[name] = to_decimal(entry[name])
            for name in datetimes:
                if entry[name] is not None:
                    entry[name] = to_datetime(entry[name])
            for name in lists:
                entry[name] = list(entry[name] or [])
            target.append(entry)
    for company in data.companies:
        company["timezone"] = company["timezone"] or "UTC"
        if company["depends_on"] is not None:
            company["depends_on"] = {k: list(v) for k, v in company["depends_on"].items()}
    for ticket in data.tickets:
        ticket["priority"] = int(ticket["priority"])
    return data
