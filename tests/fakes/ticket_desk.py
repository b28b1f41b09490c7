"""A minimal remote ticket desk on a real socket, and a ``TicketBackend`` for it.

Vendor-neutral on purpose: it exercises the outbox's contract (create, find by correlation
id, status, comment) over real HTTP with ``bot.integrations.http``, without any vendor's
field mapping. ``tickets`` is what the remote holds; faults come from ``FakeService``.
"""

from typing import Any, Dict, List, Optional

from bot.integrations.http import HttpPolicy, build_session, call, json_body
from bot.integrations.ticketing.base import RemoteRef, RemoteTicketRequest
from tests.fakes.http_server import FakeService, Reply, Request

#: test-fast HTTP: short timeouts, no backoff sleeps, Retry-After honoured up to 1 s
FAST = HttpPolicy(connect_timeout=0.5, read_timeout=0.5, retries=1, backoff_factor=0.0, max_retry_after=1.0)


class FakeDesk(FakeService):
    """``POST /tickets``, ``GET /tickets?correlation_id=``, ``PATCH /tickets/<id>``,
    ``POST /tickets/<id>/comments``; errors as ``{"error": message}``."""

    def __init__(self) -> None:
        super().__init__()
        self.tickets: List[Dict[str, Any]] = []

    def handle(self, request: Request) -> Reply:
        parts = [p for p in request.path.split("/") if p]
        with self._lock:
            if parts == ["tickets"] and request.method == "POST":
                body = request.json()
                if not body.get("summary"):
                    return Reply(400, {"error": "summary is required"})
                ticket = {"id": str(len(self.tickets) + 1), "number": f"DESK-{len(self.tickets) + 1}",
                          "status": body.get("status", "new"), "comments": [], **body}
                self.tickets.append(ticket)
                return Reply(201, ticket)
            if parts == ["tickets"] and request.method == "GET":
                wanted = request.arg("correlation_id")
                return Reply(200, [t for t in self.tickets if t.get("correlation_id") == wanted])
            ticket = next((t for t in self.tickets if len(parts) > 1 and t["id"] == parts[1]), None)
            if ticket is None:
                return Reply(404, {"error": "no such ticket"})
            if len(parts) == 2 and request.method == "PATCH":
                ticket.update(request.json())
                return Reply(200, ticket)
            if parts[2:] == ["comments"] and request.method == "POST":
                ticket["comments"].append(request.json()["body"])
                return Reply(201, {})
        return Reply(405, {"error": "not supported"})

    def with_correlation(self, correlation_id: str) -> List[Dict[str, Any]]:
        with self._lock:
            return [t for t in self.tickets if t.get("correlation_id") == correlation_id]


class DeskBackend:
    """The desk as a ``TicketBackend``; ``system`` is what the outbox rows name."""

    def __init__(self, url: str, system: str = "servicenow", policy: HttpPolicy = FAST) -> None:
        self.system = system
        self.url = url
        self.session = build_session(policy)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = call(self.session, self.system, method, f"{self.url}{path}",
                        error_message=lambda r: r.json().get("error"), **kwargs)
        return json_body(response, self.system) if response.content else None

    def _ref(self, body: Dict[str, Any]) -> RemoteRef:
        return RemoteRef(self.system, body["id"], body["number"], f"{self.url}/tickets/{body['id']}",
                         body.get("status"))

    def create(self, request: RemoteTicketRequest) -> RemoteRef:
        return self._ref(self._call("POST", "/tickets", json=request.__dict__))

    def find_by_correlation(self, correlation_id: str) -> Optional[RemoteRef]:
        found = self._call("GET", "/tickets", params={"correlation_id": correlation_id})
        return self._ref(found[0]) if found else None

    def get(self, number: str) -> RemoteRef:  # pragma: no cover - the outbox never reads back
        raise NotImplementedError

    def update_status(self, ref: RemoteRef, status: str, note: Optional[str] = None) -> None:
        self._call("PATCH", f"/tickets/{ref.remote_id}", json={"status": status, "note": note})

    def add_comment(self, ref: RemoteRef, body: str) -> None:
        self._call("POST", f"/tickets/{ref.remote_id}/comments", json={"body": body})
