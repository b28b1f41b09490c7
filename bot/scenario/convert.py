"""Turn a checked scenario document into ScenarioData.

Runs only on a document that passed the schema and semantic checks, so it converts
without checking: every contract field present (``None``/``[]``/``"UTC"`` when absent),
amounts as exact Decimals, datetimes timezone-aware.
"""

from typing import Any, Dict

from bot.scenario.data import ScenarioData
from bot.scenario.schema import DATETIME_FIELDS, DECIMAL_FIELDS, ITEM_SCHEMAS, LIST_DEFAULTS, LIST_SECTIONS
from bot.scenario.values import to_datetime, to_decimal


def convert(document: Dict[str, Any]) -> ScenarioData:
    """A checked document as ScenarioData: every contract field present, values converted."""
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
