"""A stateful fake of ServiceNow's Table API for the ``incident`` table, on a real socket.

Shapes follow the documented API: every value a string, answers wrapped in ``{"result": ...}``,
``201`` + ``Location`` on create, reference fields as ``{"link", "value"}`` (``""`` when
empty), ``sysparm_query`` (``field=value`` terms joined by ``^``, ``ORDERBY``/``ORDERBYDESC``),
``sysparm_fields``/``sysparm_limit``, errors as ``{"error": {"message", "detail"},
"status": "failure"}``. An empty query answers ``404 No Record found`` on ``/api/now/v1/``
(and on the unversioned path when ``empty_404`` is set, like an instance whose default is v1)
and ``200 {"result": []}`` otherwise. Resolving or closing without ``close_code`` and
``close_notes`` is refused with the instance's data-policy error. Work notes are journal entries:
they read back empty on the incident and live as ``sys_journal_field`` rows (``element_id`` the
incident's sys_id, ``element`` ``work_notes``, ``name`` the table, ``value`` the text), which
can be listed with the same query syntax (``valueLIKE...``).

Use: ``with FakeServiceNow() as sn: backend = ServiceNowBackend(sn.settings(), sn.basic_env())``
then read ``sn.incidents``, ``sn.incident("INC0010001")``, ``sn.work_notes(...)`` or move an
incident with ``sn.set_state(number, "6")``.
"""

import base64
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from bot.integrations.settings import ServiceNowSettings
from tests.fakes.http_server import FakeService, Reply, Request
from tests.fakes.settings import fast_http

USER = "closebot.integration"
PASSWORD = "sn-Pa55word-do-not-log"
TOKEN = "sn-oauth-token-do-not-log"

REFERENCE_FIELDS = {"caller_id": "sys_user", "assignment_group": "sys_user_group", "opened_by": "sys_user",
                    "assigned_to": "sys_user"}
COLUMNS = (
    "sys_id", "number", "state", "incident_state", "impact", "urgency", "priority", "short_description",
    "description", "category", "subcategory", "caller_id", "assignment_group", "assigned_to", "opened_by",
    "correlation_id", "correlation_display", "close_code", "close_notes", "work_notes", "comments",
    "active", "opened_at", "sys_created_on", "sys_updated_on", "resolved_at", "closed_at",
    "sys_class_name", "contact_type",
)
WRITABLE = set(COLUMNS) - {"sys_id", "number", "priority", "sys_created_on", "sys_updated_on",
                           "opened_at", "sys_class_name", "opened_by"}
#: urgency x impact -> priority, the instance's default priority lookup
PRIORITY = {("1", "1"): "1", ("1", "2"): "2", ("2", "1"): "2", ("1", "3"): "3", ("2", "2"): "3",
            ("3", "1"): "3", ("2", "3"): "4", ("3", "2"): "4", ("3", "3"): "5"}
_ROUTE = re.compile(r"^/api/now(?:/(v1|v2))?/table/([^/]+)(?:/([^/]+))?/?$")
_TERM = re.compile(r"^([a-z_]+)(=|!=|LIKE|STARTSWITH)(.*)$")
JOURNAL = "sys_journal_field"
JOURNAL_COLUMNS = ("sys_id", "element_id", "element", "name", "value", "sys_created_on", "sys_created_by")


def failure(status: int, message: str, detail: Optional[str] = None,
            headers: Optional[Dict[str, str]] = None) -> Reply:
    """An error in ServiceNow's shape."""
    return Reply(status, {"error": {"message": message, "detail": detail}, "status": "failure"}, headers or {})


class FakeServiceNow(FakeService):
    """ServiceNow's incident table, with basic and bearer auth."""

    def __init__(self, empty_404: bool = False) -> None:
        super().__init__()
        self.users: Dict[str, str] = {USER: PASSWORD}
        self.tokens = {TOKEN}
        self.empty_404 = empty_404
        self.tables = {"incident", JOURNAL}
        #: every incident, in creation order (the fake's storage: mutate via set_state)
        self.incidents: List[Dict[str, str]] = []
        #: how each request authenticated: "basic:<user>", "bearer" or "none"
        self.auth_seen: List[str] = []
        #: sys_journal_field rows, oldest first (work notes of every incident)
        self.journal: List[Dict[str, str]] = []
        self._next_number = 10001

    # -- helpers for tests --------------------------------------------------------------------
    def settings(self, **overrides: Any) -> ServiceNowSettings:
        """Settings pointing at this fake, with test-fast HTTP (``http=`` overrides it)."""
        values: Dict[str, Any] = {"url": self.url, "http": fast_http()}
        values.update(overrides)
        return ServiceNowSettings(**values)

    @staticmethod
    def basic_env() -> Dict[str, str]:
        return {"SERVICENOW_USERNAME": USER, "SERVICENOW_PASSWORD": PASSWORD}

    @staticmethod
    def bearer_env() -> Dict[str, str]:
        return {"SERVICENOW_TOKEN": TOKEN}

    def incident(self, number_or_sys_id: str) -> Dict[str, str]:
        with self._lock:
            for record in self.incidents:
                if number_or_sys_id in (record["number"], record["sys_id"]):
                    return record
        raise KeyError(number_or_sys_id)

    def work_notes(self, number_or_sys_id: str) -> List[str]:
        """The work notes journal of one incident, oldest first."""
        sys_id = self.incident(number_or_sys_id)["sys_id"]
        with self._lock:
            return [e["value"] for e in self.journal if e["element_id"] == sys_id and e["element"] == "work_notes"]

    def set_state(self, number_or_sys_id: str, state: str, **fields: str) -> None:
        """Move an incident as an agent would in the UI (resolving fills in close data)."""
        changes: Dict[str, str] = {"state": state, **fields}
        if state in ("6", "7"):
            changes.setdefault("close_code", "Solution provided")
            changes.setdefault("close_notes", "Resolved by the service desk.")
        with self._lock:
            error = self._apply(self.incident(number_or_sys_id), changes)
        if error is not None:
            raise ValueError(error.body)

    # -- the vendor's behaviour ---------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        route = _ROUTE.match(request.path)
        if route is None:
            return failure(400, "Requested URI does not represent any resource", request.path)
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        version, table, sys_id = route.groups()
        if table not in self.tables:
            return failure(400, f"Invalid table {table}")
        with self._lock:
            if table == JOURNAL:
                if sys_id is None and request.method == "GET":
                    return self._list(request, version, JOURNAL)
                return failure(403, "Operation Failed", "ACL restricts the record operation")
            if sys_id is None and request.method == "GET":
                return self._list(request, version)
            if sys_id is None and request.method == "POST":
                return self._create(request, table)
            if sys_id is not None:
                return self._one(request, sys_id)
        return failure(405, "Method not Supported", f"{request.method} is not supported on this resource")

    def _authenticate(self, request: Request) -> Optional[Reply]:
        header = request.headers.get("Authorization", "")
        scheme, _, credential = header.partition(" ")
        seen = "none"
        ok = False
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credential).decode().partition(":")
            except ValueError:
                user, password = "", ""
            seen = f"basic:{user}"
            ok = self.users.get(user) == password and user != ""
        elif scheme.lower() == "bearer":
            seen = "bearer"
            ok = credential in self.tokens
        with self._lock:
            self.auth_seen.append(seen)
        if ok:
            return None
        return failure(401, "User Not Authenticated", "Required to provide Auth information")

    def _list(self, request: Request, version: Optional[str], table: str = "incident") -> Reply:
        try:
            records = self._select(request.arg("sysparm_query", "") or "", table)
        except ValueError as exc:
            return failure(400, "Invalid query", str(exc))
        offset = int(request.arg("sysparm_offset", "0") or 0)
        limit = int(request.arg("sysparm_limit", "10000") or 10000)
        page = records[offset:offset + limit]
        if not page and (version == "v1" or (version is None and self.empty_404)):
            return failure(404, "No Record found",
                           "Records matching query not found. Check query parameter or offset parameter")
        fields = request.arg("sysparm_fields")
        return Reply(200, {"result": [self._render(r, fields) for r in page]},
                     {"X-Total-Count": str(len(records))})

    def _create(self, request: Request, table: str) -> Reply:
        body = _json_object(request)
        if body is None:
            return failure(400, "Exception while reading request", "The payload is not valid JSON.")
        now = _now()
        sys_id = uuid.uuid4().hex
        record = {name: "" for name in COLUMNS}
        record.update(sys_id=sys_id, number=f"INC{self._next_number:07d}", state="1", incident_state="1",
                      impact="3", urgency="3", active="true", opened_at=now, sys_created_on=now,
                      sys_updated_on=now, sys_class_name=table, opened_by=uuid.uuid5(uuid.NAMESPACE_DNS, USER).hex)
        self._next_number += 1
        error = self._apply(record, body)
        if error is not None:
            return error
        self.incidents.append(record)
        return Reply(201, {"result": self._render(record, request.arg("sysparm_fields"))},
                     {"Location": f"{self.url}/api/now/table/{table}/{sys_id}"})

    def _one(self, request: Request, sys_id: str) -> Reply:
        record = next((r for r in self.incidents if r["sys_id"] == sys_id), None)
        if record is None:
            return failure(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        if request.method == "DELETE":
            self.incidents.remove(record)
            return Reply(204, b"")
        if request.method in ("PUT", "PATCH"):
            body = _json_object(request)
            if body is None:
                return failure(400, "Exception while reading request", "The payload is not valid JSON.")
            error = self._apply(record, body)
            if error is not None:
                return error
        elif request.method != "GET":
            return failure(405, "Method not Supported", f"{request.method} is not supported on this resource")
        return Reply(200, {"result": self._render(record, request.arg("sysparm_fields"))})

    def _apply(self, record: Dict[str, str], changes: Dict[str, Any]) -> Optional[Reply]:
        """Write fields like the instance does: strings, unknown fields ignored, journal fields
        appended, the resolution data policy enforced, priority derived."""
        updated = dict(record)
        note = None
        for name, value in changes.items():
            if name not in WRITABLE:
                continue  # ServiceNow silently ignores fields the table does not have
            if name == "work_notes":
                note = str(value)
                continue
            updated[name] = "" if value is None else str(value)
        if updated["state"] in ("6", "7"):
            required = (("close_code", "Resolution code"), ("close_notes", "Resolution notes"))
            missing = [label for field, label in required if not updated[field]]
            if missing:
                return failure(403, "Operation Failed",
                               "Data Policy Exception: " + " ".join(f"{m} is mandatory" for m in missing))
        updated["incident_state"] = updated["state"]
        updated["active"] = "false" if updated["state"] in ("7", "8") else "true"
        updated["priority"] = PRIORITY.get((updated["urgency"], updated["impact"]), "5")
        if updated["state"] == "6" and record["state"] != "6":
            updated["resolved_at"] = _now()
        if updated["state"] == "7" and record["state"] != "7":
            updated["closed_at"] = _now()
        updated["sys_updated_on"] = _now()
        record.update(updated)
        if note:
            self.journal.append({"sys_id": uuid.uuid4().hex, "element_id": record["sys_id"],
                                 "element": "work_notes", "name": record["sys_class_name"], "value": note,
                                 "sys_created_on": _now(), "sys_created_by": USER})
        return None

    def _select(self, query: str, table: str = "incident") -> List[Dict[str, str]]:
        """Records of ``table`` matching an encoded query (``a=b^c!=d^ORDERBYe``)."""
        columns, rows = (JOURNAL_COLUMNS, self.journal) if table == JOURNAL else (COLUMNS, self.incidents)
        conditions: List[Tuple[str, str, str]] = []
        order: List[Tuple[str, bool]] = []
        for term in filter(None, query.split("^")):
            if term.startswith("ORDERBYDESC"):
                order.append((term[len("ORDERBYDESC"):], True))
                continue
            if term.startswith("ORDERBY"):
                order.append((term[len("ORDERBY"):], False))
                continue
            match = _TERM.match(term)
            if match is None or match.group(1) not in columns:
                raise ValueError(f"unsupported query term {term!r}")
            conditions.append(match.groups())  # type: ignore[arg-type]
        records = [r for r in rows if all(_holds(r, *c) for c in conditions)]
        for field, descending in reversed(order):
            records.sort(key=lambda r, f=field: r.get(f, ""), reverse=descending)
        return records

    def _render(self, record: Dict[str, str], fields: Optional[str]) -> Dict[str, Any]:
        names = [f.strip() for f in fields.split(",") if f.strip()] if fields else list(record)
        shown: Dict[str, Any] = {}
        for name in names:
            if name not in record:
                continue
            value = record[name]
            if name in REFERENCE_FIELDS and value:
                shown[name] = {"link": f"{self.url}/api/now/table/{REFERENCE_FIELDS[name]}/{value}",
                               "value": value}
            elif name == "work_notes":
                shown[name] = ""  # journal fields read back empty through the Table API
            else:
                shown[name] = value
        return shown


def _holds(record: Dict[str, str], field: str, operator: str, value: str) -> bool:
    actual = record.get(field, "")
    if operator == "=":
        return actual == value
    if operator == "!=":
        return actual != value
    if operator == "LIKE":
        return value.lower() in actual.lower()
    return actual.lower().startswith(value.lower())


def _json_object(request: Request) -> Optional[Dict[str, Any]]:
    try:
        body = request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
