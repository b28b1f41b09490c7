"""Read a scenario file as it was written: YAML and JSON without losing exactness.

PyYAML's and json's defaults guess: a float becomes binary, ``no`` becomes False, an
unquoted datetime becomes an object, ``id: 0042`` becomes 42 and a repeated key silently
wins. This module reads a document so that the checks after it see what the file says,
and :func:`normalise` undoes the guesses that a schema cannot (numbers meant as text).
"""

import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Tuple, Union

import yaml

from bot.core.errors import ScenarioError
from bot.scenario.schema import LIST_SECTIONS, string_fields

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class SourceInt(int):
    """A YAML integer that remembers how it was written (``id: 0042`` must stay "0042")."""

    source: str


_YamlBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ScenarioLoader(_YamlBase):  # type: ignore[misc,valid-type]
    """SafeLoader that keeps timestamps as text, floats as Decimal, and only true/false as bools.

    PyYAML would turn an unquoted datetime into a datetime object (dropping or keeping the
    offset depending on the version), ``0.1`` into a binary float and ``no`` into False;
    all three silently change what the file says.
    """


ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ScenarioLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Union[Decimal, str]:
    """A YAML float as an exact Decimal; non-finite or odd floats stay text."""
    text = loader.construct_scalar(node)
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text  # .inf, .nan, 1:30.5: kept as text, rejected where a decimal is needed
    return value if value.is_finite() else text


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> SourceInt:
    """A YAML integer that keeps its source text (see :class:`SourceInt`)."""
    result = SourceInt(yaml.SafeLoader.construct_yaml_int(loader, node))
    result.source = node.value
    return result


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Dict[Any, Any]:
    """A mapping that rejects duplicate keys: the second ``orders:`` would silently win."""
    seen: Dict[Any, Any] = {}
    for key_node, _value in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # unhashable key: construct_mapping reports it
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen[key] = True
    return loader.construct_mapping(node, deep=True)


ScenarioLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
ScenarioLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
ScenarioLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _json_pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    """json's object hook that rejects a duplicate key instead of keeping the last."""
    result: Dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _json_constant(name: str) -> Any:
    """json's hook for NaN and Infinity, which are not amounts."""
    raise ValueError(f"{name} is not a number")


def read_document(path: Union[str, Path]) -> Any:
    """The raw document of a YAML or JSON file; any reading problem is one ScenarioError."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError([f"cannot read {path}: no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"cannot read {path}: it is a directory"]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"cannot read {path}: not UTF-8 text ({exc.reason})"]) from None
    except OSError as exc:
        raise ScenarioError([f"cannot read {path}: {exc.strerror or exc}"]) from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(
                text,
                parse_float=Decimal,
                parse_constant=_json_constant,
                object_pairs_hook=_json_pairs,
            )
        except ValueError as exc:
            raise ScenarioError([f"JSON error in {path}: {exc}"]) from None
    try:
        return yaml.load(text, Loader=ScenarioLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ScenarioError([f"YAML error in {path}: {detail}"]) from None


# ---------------------------------------------------------------------------------------
# Normalisation: undo YAML's guesses before validating
# ---------------------------------------------------------------------------------------

_STRING_FIELDS = {section: frozenset(string_fields(section)) for section in LIST_SECTIONS}


def normalise(data: Dict[str, Any]) -> Dict[str, Any]:
    """Copy the document, reading YAML numbers in string fields back as their text.

    ``id: 1042`` or ``number: 000017`` was meant as text; an empty ``orders:`` (null)
    means no orders; datetime objects from a caller's dict become ISO text so they are
    checked like any other datetime.
    """
    document = dict(data)
    for section in LIST_SECTIONS:
        if section in document and document[section] is None:
            document[section] = []
        items = document.get(section)
        if isinstance(items, list):
            document[section] = [
                _normalise_item(item, _STRING_FIELDS[section]) if isinstance(item, dict) else item
                for item in items
            ]
    return document


def _normalise_item(item: Dict[Any, Any], text_fields: FrozenSet[str]) -> Dict[Any, Any]:
    """One entry with its datetimes as ISO text and its numbers in ``text_fields`` as text."""
    result = dict(item)
    for key, value in item.items():
        if isinstance(value, (datetime, date)):
            result[key] = value.isoformat()
        elif key in text_fields and not isinstance(value, bool):
            if isinstance(value, SourceInt):
                result[key] = value.source
            elif isinstance(value, (int, Decimal)):
                result[key] = str(value)
    return result
