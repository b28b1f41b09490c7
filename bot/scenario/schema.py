"""JSON Schema (draft 7) of the scenario contract, version 1 (shared/contracts/SCENARIO.md).

The schema catches the structural errors (unknown keys, missing fields, wrong types,
values outside the vocabulary); what a schema cannot say (unique ids, references,
dependency cycles, exact decimals, datetimes with an offset, IANA zone names) is
checked in :mod:`bot.scenario.semantics` (values by :mod:`bot.scenario.values`).
"""

from typing import Any, Dict, List, Sequence, Tuple

from bot.core import vocabulary as v

PERIOD_PATTERN = v.PERIOD_PATTERN

# The list sections of a scenario, in the contract's order.
LIST_SECTIONS: Tuple[str, ...] = (
    "companies",
    "users",
    "modules",
    "orders",
    "payments",
    "jobs",
    "vouchers",
    "reconciliations",
    "components",
    "tickets",
)
REQUIRED_SECTIONS: Tuple[str, ...] = ("companies", "users", "modules")

# Fields holding an exact decimal, and fields holding a datetime with offset, per section.
DECIMAL_FIELDS: Dict[str, Tuple[str, ...]] = {
    "orders": ("amount",),
    "payments": ("amount",),
    "vouchers": ("amount",),
    "reconciliations": ("subledger_total", "gl_total"),
}
DATETIME_FIELDS: Dict[str, Tuple[str, ...]] = {
    "companies": ("close_deadline",),
    "modules": ("updated_at",),
    "jobs": ("finished_at",),
    "components": ("maintenance_until",),
    "tickets": ("created_at",),
}
# Optional list fields: absent or null means an empty list.
LIST_DEFAULTS: Dict[str, Tuple[str, ...]] = {
    "users": ("close_permissions",),
    "orders": ("issues",),
    "components": ("affects",),
}


def _enum(values: Sequence[str]) -> Dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _nullable(schema: Dict[str, Any]) -> Dict[str, Any]:
    """Optional fields may also be written as an explicit null (``email: ~``)."""
    result = dict(schema)
    kinds = result.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    result["type"] = kinds + ["null"]
    if "enum" in result:
        result["enum"] = list(result["enum"]) + [None]
    return result


_STR = {"type": "string", "minLength": 1}
_TEXT = {"type": "string"}
_PERIOD = {"type": "string", "pattern": PERIOD_PATTERN}
_MODULE = _enum(v.MODULES)
_MODULE_LIST = {"type": "array", "items": _MODULE, "uniqueItems": True}
# Amounts: a YAML/JSON number (read as Decimal, never float) or a string, checked exactly later.
_DECIMAL = {"type": ["number", "string"]}
# Datetimes: strings; the offset and the value are checked in values.py.
_DATETIME = {"type": "string"}
_CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}


def _object(required: Dict[str, Any], optional: Dict[str, Any]) -> Dict[str, Any]:
    properties = dict(required)
    properties.update({name: _nullable(schema) for name, schema in optional.items()})
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(required),
        "properties": properties,
    }


COMPANY = _object(
    {"id": _STR, "name": _STR, "current_period": _PERIOD},
    {
        "close_deadline": _DATETIME,
        "timezone": _STR,
        "depends_on": {
            "type": "object",
            "propertyNames": _MODULE,
            "additionalProperties": _MODULE_LIST,
        },
    },
)
USER = _object(
    {"id": _STR, "name": _STR, "role": _enum(v.ROLES), "company": _STR},
    {"email": _TEXT, "close_permissions": _MODULE_LIST},
)
MODULE_STATE = _object(
    {"company": _STR, "period": _PERIOD, "module": _MODULE, "status": _enum(v.MODULE_STATUSES)},
    {"message": _TEXT, "updated_at": _DATETIME},
)
ORDER = _object(
    {
        "id": _STR,
        "company": _STR,
        "period": _PERIOD,
        "kind": _enum(v.ORDER_KINDS),
        "status": _enum(v.ORDER_STATUSES),
        "amount": _DECIMAL,
        "currency": _CURRENCY,
    },
    {
        "issues": {"type": "array", "items": _enum(v.ORDER_ISSUES), "uniqueItems": True},
        "counterparty": _TEXT,
        "owner": _STR,
    },
)
PAYMENT = _object(
    {
        "id": _STR,
        "company": _STR,
        "period": _PERIOD,
        "direction": _enum(v.PAYMENT_DIRECTIONS),
        "method": _enum(v.PAYMENT_METHODS),
        "status": _enum(v.PAYMENT_STATUSES),
        "amount": _DECIMAL,
        "currency": _CURRENCY,
    },
    {"order": _STR, "failure_reason": _TEXT, "owner": _STR},
)
JOB = _object(
    {
        "id": _STR,
        "name": _STR,
        "company": _STR,
        "period": _PERIOD,
        "module": _MODULE,
        "status": _enum(v.JOB_STATUSES),
    },
    {"error": _TEXT, "finished_at": _DATETIME},
)
VOUCHER = _object(
    {"id": _STR, "company": _STR, "period": _PERIOD, "status": _enum(v.VOUCHER_STATUSES)},
    {"amount": _DECIMAL},
)
RECONCILIATION = _object(
    {
        "company": _STR,
        "period": _PERIOD,
        "module": _MODULE,
        "account": _STR,
        "subledger_total": _DECIMAL,
        "gl_total": _DECIMAL,
    },
    {},
)
COMPONENT = _object(
    {"id": _STR, "name": _STR, "status": _enum(v.COMPONENT_STATUSES)},
    {"affects": _MODULE_LIST, "message": _TEXT, "maintenance_until": _DATETIME},
)
TICKET = _object(
    {
        "number": _STR,
        "requester": _STR,
        "company": _STR,
        "category": _enum(v.TICKET_CATEGORIES),
        "status": _enum(v.TICKET_STATUSES),
        "priority": {"type": "integer", "minimum": 1, "maximum": 4},
        "summary": _STR,
        "created_at": _DATETIME,
    },
    {"period": _PERIOD, "assignee": _STR},
)

ITEM_SCHEMAS: Dict[str, Dict[str, Any]] = {
    "companies": COMPANY,
    "users": USER,
    "modules": MODULE_STATE,
    "orders": ORDER,
    "payments": PAYMENT,
    "jobs": JOB,
    "vouchers": VOUCHER,
    "reconciliations": RECONCILIATION,
    "components": COMPONENT,
    "tickets": TICKET,
}


def _section(name: str) -> Dict[str, Any]:
    schema: Dict[str, Any] = {"type": "array", "items": ITEM_SCHEMAS[name]}
    if name == "companies":
        schema["minItems"] = 1
    return schema


SCENARIO_SCHEMA: Dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://closebot.example/schemas/scenario-v1.json",
    "title": "Closebot scenario (ERP snapshot), version 1",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", *REQUIRED_SECTIONS],
    "properties": {
        "version": {"type": "integer", "const": 1},
        **{name: _section(name) for name in LIST_SECTIONS},
    },
}


def string_fields(section: str) -> List[str]:
    """Fields that must be strings, so a YAML ``id: 1042`` can be read back as ``"1042"``."""
    props = ITEM_SCHEMAS[section]["properties"]
    return [
        name for name, schema in props.items() if "string" in _types(schema) and "number" not in _types(schema)
    ]


def _types(schema: Dict[str, Any]) -> List[str]:
    kinds = schema.get("type", [])
    return [kinds] if isinstance(kinds, str) else list(kinds)
