"""Read and check a scenario file (shared/contracts/SCENARIO.md) before anything is written.

Every error is collected (not just the first) and names its path in the contract's
style, ``orders[3].status: 'postd' is not one of [...]``, so one run of
``closebot scenario validate`` shows everything to fix.
"""

import copy
import re
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from bot.errors import ScenarioError
from bot.scenario.reader import normalise, read_document
from bot.scenario.schema import (
    DATETIME_FIELDS,
    DECIMAL_FIELDS,
    ITEM_SCHEMAS,
    LIST_DEFAULTS,
    LIST_SECTIONS,
    SCENARIO_SCHEMA,
)
from bot.scenario.values import is_time_zone, short_repr, to_datetime, to_decimal
from bot.vocabulary import DEFAULT_DEPENDENCIES, MODULES

MAX_ERRORS = 1000
"""A broken million-row file must not print a million lines; the rest are counted."""

PathPart = Union[str, int]


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
    errors = _schema_check(document)
    checker = _SemanticChecker(document)
    errors.extend(checker.check())
    if errors:
        raise ScenarioError(_render(errors))
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


@lru_cache(maxsize=1)
def _top_validator() -> Draft7Validator:
    """The top level only: entries are checked one by one by ``_schema_check``."""
    Draft7Validator.check_schema(SCENARIO_SCHEMA)
    schema = copy.deepcopy(SCENARIO_SCHEMA)
    for section in LIST_SECTIONS:
        del schema["properties"][section]["items"]
    return Draft7Validator(schema)


@lru_cache(maxsize=None)
def _item_validator(section: str) -> Draft7Validator:
    return Draft7Validator(ITEM_SCHEMAS[section])


def _schema_check(document: Dict[str, Any]) -> List[Tuple[Tuple[Any, ...], str]]:
    """Every schema error of the document, as (path, message).

    jsonschema costs ~30 µs per entry, too slow for a million rows; entries that pass an
    exact compiled check of the same item schema skip it, and only the others go through
    jsonschema, which writes the messages.
    """
    errors: List[Tuple[Tuple[Any, ...], str]] = []
    for error in _top_validator().iter_errors(document):
        errors.extend(_schema_errors(error))
    for section in LIST_SECTIONS:
        items = document.get(section)
        if not isinstance(items, list):
            continue
        fast = _FAST_CHECKS[section]
        for index, item in enumerate(items):
            if fast is not None and fast(item):
                continue
            for error in _item_validator(section).iter_errors(item):
                errors.extend(_schema_errors(error, (section, index)))
    # A value of the wrong type also fails its const/enum/pattern: say it once.
    wrong_type = {path for path, message in errors if " is not of type " in message}
    return [
        (path, message)
        for path, message in errors
        if path not in wrong_type or " is not of type " in message
    ]


Check = Callable[[Any], bool]


def _compile_field(schema: Dict[str, Any]) -> Optional[Check]:
    """A predicate equal to jsonschema for this field schema, or None when not sure."""
    kinds = _schema_types(schema)
    nullable = "null" in kinds
    kinds = sorted(kind for kind in kinds if kind != "null")
    keywords = set(schema) - {"type"}
    if kinds == ["string"] and keywords <= {"enum", "pattern", "minLength"}:
        allowed = frozenset(e for e in schema.get("enum", []) if e is not None) or None
        regex = re.compile(schema["pattern"]) if "pattern" in schema else None
        min_length = schema.get("minLength", 0)

        def check_string(value: Any) -> bool:
            if value is None:
                return nullable
            return (
                isinstance(value, str)
                and (allowed is None or value in allowed)
                and len(value) >= min_length
                and (regex is None or regex.search(value) is not None)
            )

        return check_string
    if kinds == ["number", "string"] and not keywords:

        def check_amount(value: Any) -> bool:
            if value is None:
                return nullable
            return isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool)

        return check_amount
    if kinds == ["integer"] and keywords <= {"minimum", "maximum"}:
        low, high = schema.get("minimum"), schema.get("maximum")

        def check_integer(value: Any) -> bool:
            if value is None:
                return nullable
            return (
                isinstance(value, int)
                and not isinstance(value, bool)
                and (low is None or value >= low)
                and (high is None or value <= high)
            )

        return check_integer
    if kinds == ["array"] and keywords <= {"items", "uniqueItems"}:
        item_check = _compile_field(schema.get("items", {"type": "string"}))
        unique = schema.get("uniqueItems", False)
        if item_check is None:
            return None

        def check_array(value: Any) -> bool:
            if value is None:
                return nullable
            if not isinstance(value, list) or not all(item_check(v) for v in value):
                return False
            return not unique or len(set(value)) == len(value)

        return check_array
    return None


def _compile_item(schema: Dict[str, Any]) -> Optional[Check]:
    """A predicate for a whole entry (closed object), or None if any field is not compiled."""
    fields_ = {name: _compile_field(sub) for name, sub in schema["properties"].items()}
    if any(check is None for check in fields_.values()):
        return None
    required = tuple(schema["required"])

    def check_item(item: Any) -> bool:
        if not isinstance(item, dict):
            return False
        for key, value in item.items():
            check = fields_.get(key)
            if check is None or not check(value):
                return False
        return all(name in item for name in required)

    return check_item


def _schema_types(schema: Dict[str, Any]) -> List[str]:
    kinds = schema.get("type", [])
    return [kinds] if isinstance(kinds, str) else list(kinds)


_FAST_CHECKS: Dict[str, Optional[Check]] = {
    section: _compile_item(ITEM_SCHEMAS[section]) for section in LIST_SECTIONS
}


# ---------------------------------------------------------------------------------------
# Error formatting
# ---------------------------------------------------------------------------------------


def format_path(parts: Iterable[PathPart]) -> str:
    """``["orders", 3, "status"]`` -> ``orders[3].status``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


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


def _schema_errors(error: ValidationError, prefix: Tuple[Any, ...] = ()) -> List[Tuple[Tuple[Any, ...], str]]:
    """One jsonschema error as (path, message) pairs, messages kept short and concrete."""
    path = prefix + tuple(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and error.validator_value is False:
        allowed = list(error.schema.get("properties", {}))
        extra = [key for key in instance if key not in allowed]
        return [(path + (str(key),), f"unknown key (allowed: {', '.join(allowed)})") for key in extra]
    if error.validator == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        expected = [kind for kind in expected if kind != "null"]
        return [(path, f"{short_repr(instance)} is not of type {' or '.join(expected)}")]
    if error.validator == "minItems" and path == ("companies",):
        return [(path, "at least one company is required")]
    if error.validator == "pattern" and error.validator_value.endswith("(0[1-9]|1[0-2])$"):
        return [(path, f"{short_repr(instance)} is not a period YYYY-MM")]
    if error.validator == "uniqueItems":
        return [(path, f"{short_repr(instance)} lists a value twice")]
    if error.validator == "enum" and error.path == error.relative_path and _is_key(error):
        return [(path, f"key {short_repr(instance)} is not one of {list(MODULES)}")]
    message = error.message
    if len(message) > 400:
        message = message[:397] + "..."
    return [(path, message)]


def _is_key(error: ValidationError) -> bool:
    """An enum error raised by propertyNames (a depends_on key), not by a value."""
    return "propertyNames" in error.schema_path


_SECTION_ORDER = {name: index for index, name in enumerate(("version",) + LIST_SECTIONS)}


def _sort_key(path: Tuple[Any, ...]) -> Tuple[Any, ...]:
    key: List[Tuple[int, Any]] = []
    for position, part in enumerate(path):
        if isinstance(part, int):
            key.append((0, part))
        elif position == 0:
            key.append((1, _SECTION_ORDER.get(part, len(_SECTION_ORDER))))
        else:
            key.append((2, str(part)))
    return tuple(key)


def _render(errors: List[Tuple[Tuple[Any, ...], str]]) -> List[str]:
    unique: Dict[Tuple[Tuple[Any, ...], str], None] = {}
    for error in errors:
        unique.setdefault(error, None)
    ordered = sorted(unique, key=lambda e: _sort_key(e[0]))
    lines = [f"{format_path(path)}: {message}" for path, message in ordered[:MAX_ERRORS]]
    if len(ordered) > MAX_ERRORS:
        lines.append(f"... and {len(ordered) - MAX_ERRORS} more errors")
    return lines


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
        self.errors: List[Tuple[Tuple[Any, ...], str]] = []

    def entries(self, section: str) -> Iterable[Tuple[int, Dict[str, Any]]]:
        items = self.document.get(section)
        if not isinstance(items, list):
            return []
        return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]

    def add(self, path: Sequence[Any], message: str) -> None:
        self.errors.append((tuple(path), message))

    def check(self) -> List[Tuple[Tuple[Any, ...], str]]:
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
