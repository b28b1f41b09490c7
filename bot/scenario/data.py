"""ScenarioData: what a checked scenario is, for everything that uses one.

Kept apart from the checks so that the loader and other readers of a scenario depend on
its shape only, not on how a file is read and checked.
"""

from dataclasses import dataclass, field, fields
from typing import Any, Dict, List

from bot.scenario.schema import LIST_SECTIONS


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
