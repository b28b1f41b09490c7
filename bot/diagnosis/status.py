"""System status from outside the store (a status page), as the diagnosis sees it.

A ``StatusSource`` hands out a ``StatusReading``: the components it knows (mapped to close
modules), whether it could be read just now, and when its components were last read. The
diagnosis treats those components like the store's; when the source cannot be read, the
reading says so, with the reason and the age of the last good reading, so no reply ever
claims the systems are fine without one. Nothing here knows about HTTP.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Protocol

from bot.core import clock

OPERATIONAL = "operational"


@dataclass(frozen=True)
class Incident:
    """An unresolved incident the status page lists against a component."""

    name: str
    impact: str  # none | minor | major | critical (or whatever the page sent)
    status: str  # investigating | identified | monitoring | ...
    shortlink: Optional[str] = None
    started_at: Optional[datetime] = None
    latest_update: Optional[str] = None  # the newest incident update's text


@dataclass(frozen=True)
class ComponentReading:
    """One component as a status page reports it, with the close modules it affects.

    Has the attributes the diagnosis reads from a store ``Component`` (id, name, status,
    affects, message, maintenance_until), so both are checked and rendered alike.
    """

    id: str
    name: str
    status: str
    affects: List[str] = field(default_factory=list)
    message: Optional[str] = None
    maintenance_until: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    incidents: List[Incident] = field(default_factory=list)

    @property
    def operational(self) -> bool:
        return self.status == OPERATIONAL


@dataclass
class StatusReading:
    """What a status source said when last asked.

    ``available`` is False when the source could not be read just now; ``components`` are
    then those of the last good reading (``stale``), or none when there never was one.
    """

    source: str  # "statuspage"
    page: str  # the page's address without credentials or query, for people
    available: bool
    checked_at: datetime
    components: List[ComponentReading] = field(default_factory=list)
    read_at: Optional[datetime] = None  # when ``components`` were read; None: never
    reason: Optional[str] = None  # short, for people: "timed out", "HTTP 500", ...
    error: Optional[str] = None  # the full error (never with secrets)
    page_status: Optional[str] = None  # the page's own headline, e.g. "Partial System Outage"

    @property
    def stale(self) -> bool:
        return not self.available and self.read_at is not None

    def age_seconds(self, now: Optional[datetime] = None) -> Optional[float]:
        """Seconds between the last good reading and ``now`` (default: this check), None if never."""
        if self.read_at is None:
            return None
        return max(0.0, ((now or self.checked_at) - self.read_at).total_seconds())

    def component_ids(self) -> List[str]:
        return [c.id for c in self.components]

    def find(self, component_id: str) -> Optional[ComponentReading]:
        return next((c for c in self.components if c.id == component_id), None)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready (the ``system_status`` of ``diagnose --json``, and the Rasa slot)."""
        out = asdict(self)
        out["stale"] = self.stale
        out["age_seconds"] = _round(self.age_seconds())
        return _isoformat(out)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "StatusReading":
        components = [
            ComponentReading(
                id=c["id"], name=c["name"], status=c["status"], affects=list(c.get("affects") or []),
                message=c.get("message"), maintenance_until=_dt(c.get("maintenance_until")),
                updated_at=_dt(c.get("updated_at")),
                incidents=[Incident(i["name"], i["impact"], i["status"], i.get("shortlink"),
                                    _dt(i.get("started_at")), i.get("latest_update"))
                           for i in c.get("incidents") or []],
            )
            for c in data.get("components") or []
        ]
        return cls(
            source=data["source"], page=data["page"], available=bool(data["available"]),
            checked_at=_dt(data["checked_at"]) or clock.now(), components=components,
            read_at=_dt(data.get("read_at")), reason=data.get("reason"), error=data.get("error"),
            page_status=data.get("page_status"),
        )


class StatusSource(Protocol):
    """Anything that can say what state the systems are in (a status page client)."""

    def read(self) -> StatusReading:
        """The current reading; never raises (a failure is a reading marked unavailable)."""


def read_status(source: Optional[StatusSource], name: str = "statuspage") -> Optional[StatusReading]:
    """``source.read()``, or an unavailable reading if the source itself breaks its promise.

    An error here must never stop the diagnosis of the other blockers.
    """
    if source is None:
        return None
    try:
        return source.read()
    except Exception as exc:  # noqa: BLE001 - any failure means "status unknown", never a crash
        return StatusReading(source=name, page="", available=False, checked_at=clock.now(),
                             reason="could not be read", error=f"{type(exc).__name__}: {exc}"[:300])


# ---- wording --------------------------------------------------------------------------------


def age_text(seconds: Optional[float]) -> str:
    """``last reading 12 min ago`` / ``no reading yet``."""
    if seconds is None:
        return "no reading yet"
    if seconds < 60:
        return "last reading less than a minute ago"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"last reading {minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"last reading {hours} h {minutes} min ago" if minutes else f"last reading {hours} h ago"
    return f"last reading {hours // 24} days ago"


def unknown_text(reading: StatusReading, now: Optional[datetime] = None) -> str:
    """Why the system status is unknown and how old the last reading is (one sentence)."""
    where = f"the status page {reading.page}" if reading.page else "the status page"
    why = reading.reason or "could not be read"
    return (f"System status unknown: {where} {_verb(why)} ({age_text(reading.age_seconds(now))}), so "
            "I can't confirm the systems are up.")


def caveat(reading: Optional[StatusReading]) -> str:
    """``unknown_text`` when a configured page could not be read, else "" (nothing to warn of)."""
    return unknown_text(reading) if reading is not None and not reading.available else ""


def stale_note(reading: StatusReading, now: Optional[datetime] = None) -> str:
    """The label on a component taken from an old reading."""
    return f"status page, stale: {age_text(reading.age_seconds(now))}, the page cannot be read now"


def _verb(reason: str) -> str:
    """``timed out`` reads as is; ``HTTP 500`` becomes ``answered HTTP 500``."""
    if reason.startswith("HTTP"):
        return f"answered {reason}"
    return reason


# ---- (de)serialisation helpers ----------------------------------------------------------------


def _round(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 1)


def _isoformat(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _isoformat(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_isoformat(v) for v in value]
    return value


def _dt(value: Any) -> Optional[datetime]:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    return parse_timestamp(value)


def parse_timestamp(value: Any) -> Optional[datetime]:
    """An ISO-8601 timestamp (``Z`` or an offset; naive ones taken as UTC), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
