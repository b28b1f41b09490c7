"""A fake Atlassian Statuspage (public API v2) on 127.0.0.1, with the documented shapes.

``GET /api/v2/summary.json`` returns ``page``, ``status``, ``components`` (one group with two
members), unresolved ``incidents`` with ``incident_updates`` (newest first, as the API lists
them) and ``scheduled_maintenances`` (one in progress, one scheduled). Tests change it with
``set_status``, ``resolve_incident`` and ``end_maintenance``, and script faults through
``FakeService`` (``fail_next``, ``delay_next``, ``down``/``up``). The ids are shaped like real
ones (12 lowercase letters and digits); the timestamps are fixed, so tests are repeatable.
"""

import copy
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from bot.integrations.settings import HttpSettings, StatusPageSettings
from tests.fakes.http_server import FakeService, Reply, Request

PAGE_ID = "kctbh9vrtdwd"
GROUP = "x1ygh8mq3bvn"  # "Banking": a group container
PAYMENTS = "b13yz5g2cw10"  # "Payments API", member of Banking
BANK_FILES = "k3j2l1mnop90"  # "Bank file transfer", member of Banking
LEDGER_API = "vjz8h2l4r7tq"  # "Ledger API"
REPORTING = "r8b6w2c5n1ds"  # "Reporting"
EMAIL = "m2n4c6v8b0zx"  # "Email notifications" (no close module cares)
INCIDENT = "p31zjtct2jer"
MAINTENANCE = "w1zdr745wmfy"
SHORTLINK = "https://stspg.io/p31zjtct2jer"

CREATED = "2024-03-01T09:00:00.000Z"


def _component(cid: str, name: str, status: str, position: int, group_id: Optional[str] = None,
               description: Optional[str] = None) -> Dict[str, Any]:
    return {
        "id": cid, "page_id": PAGE_ID, "group_id": group_id, "name": name,
        "description": description, "status": status, "position": position, "showcase": True,
        "only_show_if_degraded": False, "group": False, "start_date": "2024-03-01",
        "created_at": CREATED, "updated_at": "2026-11-30T07:40:11.182Z",
    }


def initial_components() -> List[Dict[str, Any]]:
    group = _component(GROUP, "Banking", "partial_outage", 1, description="Bank connectivity")
    group.update({"group": True, "components": [PAYMENTS, BANK_FILES], "showcase": False})
    return [
        group,
        _component(PAYMENTS, "Payments API", "partial_outage", 2, GROUP, "Card and transfer settlement"),
        _component(BANK_FILES, "Bank file transfer", "operational", 3, GROUP),
        _component(LEDGER_API, "Ledger API", "operational", 4),
        _component(REPORTING, "Reporting", "under_maintenance", 5),
        _component(EMAIL, "Email notifications", "operational", 6),
    ]


def _update(uid: str, parent: str, status: str, body: str, at: str,
            affected: Optional[List[Dict[str, str]]] = None) -> Dict[str, Any]:
    return {
        "id": uid, "incident_id": parent, "status": status, "body": body, "created_at": at,
        "updated_at": at, "display_at": at, "affected_components": affected,
        "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
    }


def initial_incidents(components: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    payments = next(c for c in components if c["id"] == PAYMENTS)
    return [{
        "id": INCIDENT, "page_id": PAGE_ID, "name": "Delayed bank settlements",
        "status": "identified", "impact": "major",
        "created_at": "2026-11-30T07:38:02.000Z", "updated_at": "2026-11-30T08:05:12.345Z",
        "started_at": "2026-11-30T07:35:00.000Z", "monitoring_at": None, "resolved_at": None,
        "shortlink": SHORTLINK, "components": [copy.deepcopy(payments)],
        "incident_updates": [
            _update("h0x1s9m8c2vd", INCIDENT, "identified",
                    "The settlement queue at our banking partner is backed up; payments post "
                    "with a delay of up to 2 hours.", "2026-11-30T08:05:12.345Z",
                    [{"code": PAYMENTS, "name": "Payments API", "old_status": "degraded_performance",
                      "new_status": "partial_outage"}]),
            _update("q9w8e7r6t5y4", INCIDENT, "investigating",
                    "We are investigating delayed settlements.", "2026-11-30T07:38:02.000Z"),
        ],
    }]


def initial_maintenances(components: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    reporting = next(c for c in components if c["id"] == REPORTING)
    ledger = next(c for c in components if c["id"] == LEDGER_API)
    return [
        {
            "id": MAINTENANCE, "page_id": PAGE_ID, "name": "Reporting database upgrade",
            "status": "in_progress", "impact": "maintenance", "shortlink": "https://stspg.io/w1zdr745wmfy",
            "created_at": "2026-11-20T10:00:00.000Z", "updated_at": "2026-11-30T06:00:00.000Z",
            "monitoring_at": None, "resolved_at": None, "started_at": "2026-11-30T06:00:00.000Z",
            "scheduled_for": "2026-11-30T06:00:00.000Z", "scheduled_until": "2026-11-30T14:00:00.000Z",
            "components": [copy.deepcopy(reporting)],
            "incident_updates": [_update("u7i6o5p4a3s2", MAINTENANCE, "in_progress",
                                         "Scheduled maintenance is currently in progress.",
                                         "2026-11-30T06:00:00.000Z")],
        },
        {
            "id": "z9x8c7v6b5n4", "page_id": PAGE_ID, "name": "Ledger API failover test",
            "status": "scheduled", "impact": "maintenance", "shortlink": "https://stspg.io/z9x8c7v6b5n4",
            "created_at": "2026-11-25T10:00:00.000Z", "updated_at": "2026-11-25T10:00:00.000Z",
            "monitoring_at": None, "resolved_at": None, "started_at": None,
            "scheduled_for": "2026-12-05T01:00:00.000Z", "scheduled_until": "2026-12-05T02:00:00.000Z",
            "components": [copy.deepcopy(ledger)], "incident_updates": [],
        },
    ]


INDICATORS = {"operational": "none", "degraded_performance": "minor", "under_maintenance": "minor",
              "partial_outage": "major", "major_outage": "critical"}
DESCRIPTIONS = {"none": "All Systems Operational", "minor": "Minor Service Outage",
                "major": "Partial System Outage", "critical": "Major System Outage"}


class FakeStatusPage(FakeService):
    """An Atlassian Statuspage-compatible page; its state is plain dicts tests may change."""

    def __init__(self) -> None:
        super().__init__()
        self.components = initial_components()
        self.incidents = initial_incidents(self.components)
        self.maintenances = initial_maintenances(self.components)

    # -- what tests change ------------------------------------------------------------------
    def set_status(self, id_or_name: str, status: str) -> None:
        with self._lock:
            component = next(c for c in self.components if id_or_name in (c["id"], c["name"]))
            component["status"] = status
            component["updated_at"] = "2026-11-30T09:00:00.000Z"

    def resolve_incident(self, incident_id: str = INCIDENT) -> None:
        """Resolved incidents leave ``incidents`` (the summary lists unresolved ones only)."""
        with self._lock:
            self.incidents = [i for i in self.incidents if i["id"] != incident_id]

    def end_maintenance(self, maintenance_id: str = MAINTENANCE) -> None:
        with self._lock:
            for m in self.maintenances:
                if m["id"] == maintenance_id:
                    m["status"] = "completed"

    def summary(self) -> Dict[str, Any]:
        with self._lock:
            members = [c for c in self.components if not c.get("group")]
            worst = max((INDICATORS.get(c["status"], "minor") for c in members),
                        key=list(DESCRIPTIONS).index, default="none")
            return copy.deepcopy({
                "page": {"id": PAGE_ID, "name": "Acme Banking Cloud", "url": self.url,
                         "time_zone": "Etc/UTC", "updated_at": "2026-11-30T08:05:12.345Z"},
                "status": {"indicator": worst, "description": DESCRIPTIONS[worst]},
                "components": self.components,
                "incidents": self.incidents,
                "scheduled_maintenances": [m for m in self.maintenances if m["status"] != "completed"],
            })

    # -- the API ------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        if request.method != "GET":
            return Reply(405, {"error": "Method Not Allowed"})
        if request.path == "/api/v2/summary.json":
            return Reply(200, self.summary())
        if request.path == "/api/v2/status.json":
            summary = self.summary()
            return Reply(200, {"page": summary["page"], "status": summary["status"]})
        return Reply(404, {"error": "Not Found"})

    def summary_requests(self) -> int:
        return sum(1 for r in self.requests if r.path == "/api/v2/summary.json")


# ---- for tests that drive a client against the fake ---------------------------------------------

#: A components map touching every case: by id, by name in another case, by group.
MAP = {
    PAYMENTS: ["cash", "receivables"],  # by id
    "ledger api": ["general_ledger"],  # by name, any case
    "Banking": ["payables"],  # a group: passes its modules to members not named themselves
    REPORTING: ["general_ledger"],
}
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


class Clock:
    """Monotonic seconds and wall time that move only when the test says so."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def monotonic(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.seconds - 1000.0)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


def fast_http(**overrides: Any) -> HttpSettings:
    values = dict(connect_timeout=0.5, read_timeout=0.5, retries=2, backoff_factor=0, max_retry_after=1)
    values.update(overrides)
    return HttpSettings(**values)


def settings(url: str, **overrides: Any) -> StatusPageSettings:
    """Page settings for tests: short timeouts, no backoff, a 60 s cache (stepped by ``Clock``)."""
    values: dict = dict(url=url, cache_seconds=60, wait_seconds=5, components=MAP, http=fast_http())
    values.update(overrides)
    return StatusPageSettings(**values)
