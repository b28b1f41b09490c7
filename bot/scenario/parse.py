"""Read and check a scenario file (shared/contracts/SCENARIO.md) before anything is written.

Every error is collected (not just the first) and names its path in the contract's
style, ``orders[3].status: 'postd' is not one of [...]``, so one run of
``closebot scenario validate`` shows everything to fix.
"""

from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Union

from bot.errors import ScenarioError
from bot.scenario.reader import normalise, read_document
from bot.scenario.schema import (
    DATETIME_FIELDS,
    DECIMAL_FIELDS,
    ITEM_SCHEMAS,
    LIST_DEFAULTS,
    LIST_SECTIONS,
)
from bot.scenario.schema_check import check_schema, render_errors
from bot.scenario.semantics import semantic_errors
from bot.scenario.values import to_datetime, to_decimal


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
    errors.extend(semantic_errors(document))
    if errors:
        raise ScenarioError(render_errors(errors))
    return _convert(document)


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
