"""Read and check a scenario file (shared/contracts/SCENARIO.md) before anything is written.

Every error is collected (not just the first) and names its path in the contract's
style, ``orders[3].status: 'postd' is not one of [...]``, so one run of
``closebot scenario validate`` shows everything to fix.

This module only runs the steps, each in its own module: read the file exactly
(:mod:`.reader`), check it against the schema (:mod:`.schema_check`) and for what a
schema cannot say (:mod:`.semantics`), then convert it (:mod:`.convert`) into
:class:`~bot.scenario.data.ScenarioData`.
"""

from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Union

from bot.core.errors import ScenarioError
from bot.scenario.convert import convert
from bot.scenario.data import ScenarioData
from bot.scenario.reader import normalise, read_document
from bot.scenario.schema_check import check_schema, render_errors
from bot.scenario.semantics import semantic_errors


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
    errors.extend(semantic_errors(document))
    if errors:
        raise ScenarioError(render_errors(errors))
    return convert(document)


def _type_name(value: Any) -> str:
    """What a top level that is not a mapping is, in the contract's words."""
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
