"""The diagnosis result, shaped as the scenario contract's ``diagnose --json`` output."""

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

from bot.diagnosis.status import StatusReading


@dataclass
class Blocker:
    kind: str
    module: str
    refs: List[str]
    summary: str
    fix: str
    owner_role: str
    severity: str
    caused_by: List[int] = field(default_factory=list)

    @property
    def is_root_cause(self) -> bool:
        return not self.caused_by


@dataclass
class Diagnosis:
    company: str
    period: str
    module: str
    target_status: str
    blockers: List[Blocker] = field(default_factory=list)
    target_message: Optional[str] = None
    deadline: Optional[str] = None  # ISO-8601, for the people reading it
    #: the status page's reading the components were judged by (None: no page configured)
    system_status: Optional[StatusReading] = None

    @property
    def can_close(self) -> bool:
        return not self.blockers

    @property
    def status_unknown(self) -> bool:
        """A status page is configured but could not be read: "can close" is not the whole story."""
        return self.system_status is not None and not self.system_status.available

    @property
    def root_causes(self) -> List[Blocker]:
        return [b for b in self.blockers if b.is_root_cause]

    def to_dict(self) -> Dict[str, Any]:
        """The contract's JSON shape (plus ``module``, ``deadline`` and, when a status page is
        configured, ``system_status`` for context)."""
        out: Dict[str, Any] = {
            "company": self.company,
            "period": self.period,
            "module": self.module,
            "can_close": self.can_close,
            "target_status": self.target_status,
        }
        if self.target_message:
            out["target_message"] = self.target_message
        if self.deadline:
            out["deadline"] = self.deadline
        if self.system_status is not None:
            out["system_status"] = self.system_status.to_dict()
        out["blockers"] = [asdict(b) for b in self.blockers]
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Diagnosis":
        return cls(
            company=data["company"],
            period=data["period"],
            module=data.get("module", "general_ledger"),
            target_status=data["target_status"],
            target_message=data.get("target_message"),
            deadline=data.get("deadline"),
            blockers=[Blocker(**b) for b in data.get("blockers", [])],
            system_status=(StatusReading.from_dict(data["system_status"])
                           if data.get("system_status") else None),
        )
