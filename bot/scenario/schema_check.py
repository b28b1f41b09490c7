"""The JSON-schema check of a scenario document, and how its errors are collected and shown.

jsonschema writes good messages but costs ~30 µs per entry, too slow for a million rows;
each list section therefore gets a compiled check equal to its item schema
(``_FAST_CHECKS``), and only entries that fail it go through jsonschema. Every error is a
``(path, message)`` pair; :func:`render_errors` sorts them in document order, names each
path in the contract's style (``orders[3].status``) and caps the list at MAX_ERRORS.
"""

import copy
import re
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from bot.core.vocabulary import MODULES
from bot.scenario.schema import ITEM_SCHEMAS, LIST_SECTIONS, SCENARIO_SCHEMA
from bot.scenario.values import short_repr

MAX_ERRORS = 1000
"""A broken million-row file must not print a million lines; the rest are counted."""

PathPart = Union[str, int]

Error = Tuple[Tuple[Any, ...], str]
"""One problem: where it is (``("orders", 3, "status")``) and what is wrong there."""


@lru_cache(maxsize=1)
def _top_validator() -> Draft7Validator:
    """The top level only: entries are checked one by one by ``check_schema``."""
    Draft7Validator.check_schema(SCENARIO_SCHEMA)
    schema = copy.deepcopy(SCENARIO_SCHEMA)
    for section in LIST_SECTIONS:
        del schema["properties"][section]["items"]
    return Draft7Validator(schema)


@cache
def _item_validator(section: str) -> Draft7Validator:
    """jsonschema's validator of one entry of ``section`` (it writes the messages)."""
    return Draft7Validator(ITEM_SCHEMAS[section])


def check_schema(document: Dict[str, Any]) -> List[Error]:
    """Every schema error of the document, as (path, message).

    jsonschema costs ~30 µs per entry, too slow for a million rows; entries that pass an
    exact compiled check of the same item schema skip it, and only the others go through
    jsonschema, which writes the messages.
    """
    errors: List[Error] = []
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


# ---------------------------------------------------------------------------------------
# Compiled fast checks: the same answer as jsonschema, without its per-entry cost
# ---------------------------------------------------------------------------------------

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
    """The ``type`` keyword of a schema as a list."""
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


def _schema_errors(error: ValidationError, prefix: Tuple[Any, ...] = ()) -> List[Error]:
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
    """Document order: sections as the contract lists them, entries by index, keys by name."""
    key: List[Tuple[int, Any]] = []
    for position, part in enumerate(path):
        if isinstance(part, int):
            key.append((0, part))
        elif position == 0:
            key.append((1, _SECTION_ORDER.get(part, len(_SECTION_ORDER))))
        else:
            key.append((2, str(part)))
    return tuple(key)


def render_errors(errors: List[Error]) -> List[str]:
    """The error lines a ScenarioError carries: unique, in document order, at most MAX_ERRORS."""
    unique: Dict[Error, None] = {}
    for error in errors:
        unique.setdefault(error, None)
    ordered = sorted(unique, key=lambda e: _sort_key(e[0]))
    lines = [f"{format_path(path)}: {message}" for path, message in ordered[:MAX_ERRORS]]
    if len(ordered) > MAX_ERRORS:
        lines.append(f"... and {len(ordered) - MAX_ERRORS} more errors")
    return lines
