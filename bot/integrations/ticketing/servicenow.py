"""ServiceNow incidents through the Table API (``/api/now/table/incident``).

One pooled session per backend; GET and PUT are retried on connection errors, 429 and 5xx
(``bot.integrations.http``), POST and PATCH are not: a replayed create makes a second incident
and a replayed PATCH of ``work_notes`` writes the note twice. Every incident we create carries
our correlation id in ``correlation_id`` so a retry after a lost answer finds it instead.
A work note sent for an outbox row ends with a tag made from the row's key; a retry that may
follow a lost answer first looks for that tag in the incident's journal (``sys_journal_field``).
"""

import os
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from bot.core.text import one_line
from bot.core.vocabulary import TICKET_STATUSES
from bot.integrations.http import RemoteError, build_session, call, json_body, safe_url
from bot.integrations.settings import ConfigError, ServiceNowSettings
from bot.integrations.ticketing.base import RemoteRef, RemoteTicketRequest
from bot.integrations.ticketing.common import (
    base_url,
    comment_tag,
    comment_tag_text,
    config_problem,
    correlation_token,
    merged,
    provenance,
    require_keys,
)

SYSTEM = "servicenow"
#: every variable this backend reads (the factory keys its cache on them)
ENV_VARS = ("SERVICENOW_TOKEN", "SERVICENOW_USERNAME", "SERVICENOW_PASSWORD")
#: the incident state model's codes, for ``RemoteRef.status``
STATE_NAMES = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"}
#: states that ServiceNow's data policy only accepts with close_code and close_notes
CLOSING_STATES = frozenset({"6", "7"})
FIELDS = "sys_id,number,state"
SHORT_DESCRIPTION_MAX = 160  # the incident table's column length
_NUMBER = re.compile(r"^[A-Za-z0-9_-]+$")


class BearerAuth(AuthBase):
    """OAuth bearer token; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(<token>)"


def auth_from_environment(environment: Mapping[str, str]) -> Tuple[Optional[AuthBase], Optional[str]]:
    """``SERVICENOW_TOKEN`` (OAuth bearer) wins, else basic auth from username and password;
    or, when neither is complete, what is missing (variable names, never values)."""
    token = environment.get("SERVICENOW_TOKEN")
    if token:
        return BearerAuth(token), None
    username = environment.get("SERVICENOW_USERNAME")
    password = environment.get("SERVICENOW_PASSWORD")
    if username and password:
        return HTTPBasicAuth(username, password), None
    if username:
        return None, "credentials (SERVICENOW_PASSWORD: SERVICENOW_USERNAME is set without it)"
    if password:
        return None, "credentials (SERVICENOW_USERNAME: SERVICENOW_PASSWORD is set without it)"
    return None, "credentials (SERVICENOW_TOKEN, or SERVICENOW_USERNAME and SERVICENOW_PASSWORD)"


def error_message(response: requests.Response) -> Optional[str]:
    """ServiceNow's ``{"error": {"message", "detail"}, "status": "failure"}`` as one line."""
    error = response.json().get("error") or {}
    message = str(error.get("message") or "").strip()
    detail = " ".join(str(error.get("detail") or "").split())
    if message and detail:
        return f"{message}: {detail}"
    return message or detail or None


class ServiceNowBackend:
    """Incidents in one ServiceNow instance (``TicketBackend``)."""

    system = SYSTEM

    def __init__(self, settings: ServiceNowSettings, environment: Optional[Mapping[str, str]] = None) -> None:
        env = os.environ if environment is None else environment
        base, problems = base_url(SYSTEM, settings.url, "SERVICENOW_INSTANCE_URL")
        auth, missing = auth_from_environment(env)
        if missing:
            problems.append(missing)
        if problems:
            raise config_problem(SYSTEM, problems)
        defaults = ServiceNowSettings()
        self._states = merged(defaults.states, settings.states)
        self._priorities = merged(defaults.priorities, settings.priorities)
        require_keys(SYSTEM, "states", self._states, TICKET_STATUSES)
        require_keys(SYSTEM, "priorities", self._priorities, (1, 2, 3, 4))
        for priority, codes in sorted(self._priorities.items()):
            absent = [name for name in ("urgency", "impact") if not codes.get(name)]
            if absent:
                raise ConfigError(f"tickets.servicenow.priorities.{priority}: missing {' and '.join(absent)}")
        self._settings = settings
        self._base = base
        self._table_url = f"{base}/api/now/table/{quote(settings.table, safe='')}"
        self._session = build_session(settings.http.policy(), auth=auth)

    # -- TicketBackend ------------------------------------------------------------------------
    def create(self, request: RemoteTicketRequest) -> RemoteRef:
        response = self._call("POST", self._table_url, params={"sysparm_fields": FIELDS},
                              json=self.incident_fields(request))
        return self._ref(self._result(response, dict))

    def find_by_correlation(self, correlation_id: str) -> Optional[RemoteRef]:
        token = correlation_token(correlation_id)
        rows = self._query(f"correlation_id={token}^ORDERBYsys_created_on")
        return self._ref(rows[0]) if rows else None

    def get(self, number: str) -> RemoteRef:
        rows = self._query(f"number={number}") if _NUMBER.match(number or "") else []
        if not rows:
            raise RemoteError(SYSTEM, f"no {self._settings.table} numbered {number!r}", status=404)
        return self._ref(rows[0])

    def update_status(self, ref: RemoteRef, status: str, note: Optional[str] = None) -> None:
        state = self._state_for(status)
        fields: Dict[str, str] = {"state": state}
        closing = state in CLOSING_STATES
        if closing:
            fields["close_code"] = self._settings.close_code
            fields["close_notes"] = (note or "").strip() or f"{status.capitalize()} in Closebot."
        # PUT sets fields to values: replaying it (a retry) changes nothing, so it is retried.
        self._call("PUT", self._record_url(ref), params={"sysparm_fields": FIELDS}, json=fields)
        if note and note.strip() and not closing:
            self.add_comment(ref, note)

    def add_comment(self, ref: RemoteRef, body: str, *, key: Optional[str] = None,
                    maybe_sent: bool = False) -> None:
        if not body or not body.strip():
            raise ValueError("a work note needs some text")
        if key is not None:
            if maybe_sent and self._has_work_note(ref, key):
                return
            body = f"{body.rstrip()}\n\n{comment_tag(key)}"
        self._call("PATCH", self._record_url(ref), params={"sysparm_fields": FIELDS},
                   json={"work_notes": body})

    def _has_work_note(self, ref: RemoteRef, key: str) -> bool:
        """Whether the incident's journal already holds the work note tagged with ``key``.

        Journal entries are not readable through the incident record (``work_notes`` reads back
        empty), only as ``sys_journal_field`` rows; the integration user needs read access there.
        """
        query = f"element_id={ref.remote_id}^element=work_notes^valueLIKE{comment_tag_text(key)}"
        params = {"sysparm_query": query, "sysparm_limit": "1", "sysparm_fields": "sys_id"}
        try:
            response = self._call("GET", f"{self._base}/api/now/table/sys_journal_field", params=params)
        except RemoteError as exc:
            if exc.status == 404 and "no record" in exc.message.lower():
                return False
            if exc.status == 403:
                raise RemoteError(SYSTEM, f"{exc.message} (reading sys_journal_field, needed to avoid "
                                  "duplicate work notes: grant the integration user read access)",
                                  status=403) from exc
            raise
        return bool(self._result(response, list))

    # -- mapping ------------------------------------------------------------------------------
    def incident_fields(self, request: RemoteTicketRequest) -> Dict[str, str]:
        """The incident's fields for our ticket (empty optional ones left out)."""
        codes = self._priorities.get(request.priority)
        if codes is None:
            raise ValueError(f"priority must be 1..4, not {request.priority!r}")
        settings = self._settings
        description = "\n\n".join(p for p in (request.description.strip(), provenance(request)) if p)
        fields = {
            "short_description": one_line(request.summary, SHORT_DESCRIPTION_MAX),
            "description": description,
            "urgency": codes["urgency"],
            "impact": codes["impact"],
            "category": settings.categories.get(request.category, settings.default_category),
            "caller_id": settings.caller_id or "",
            "assignment_group": settings.assignment_group or "",
            "correlation_id": correlation_token(request.correlation_id),
            "correlation_display": "closebot",
        }
        return {name: value for name, value in fields.items() if value}

    def _state_for(self, status: str) -> str:
        try:
            return self._states[status]
        except KeyError:
            raise ValueError(f"unknown ticket status {status!r}") from None

    # -- HTTP ---------------------------------------------------------------------------------
    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return call(self._session, SYSTEM, method, url, error_message=error_message, **kwargs)
        except RemoteError as exc:
            if exc.status == 401:
                raise RemoteError(SYSTEM, f"{exc.message} (check SERVICENOW_TOKEN or SERVICENOW_USERNAME/"
                                  "SERVICENOW_PASSWORD)", status=401) from exc
            raise

    def _query(self, query: str) -> List[Dict[str, Any]]:
        """Records matching an encoded query, first one only; "no record" is an empty list
        whichever API version answers (v1: 404 "No Record found", v2: 200 with ``[]``)."""
        params = {"sysparm_query": query, "sysparm_limit": "1", "sysparm_fields": FIELDS}
        try:
            response = self._call("GET", self._table_url, params=params)
        except RemoteError as exc:
            if exc.status == 404 and "no record" in exc.message.lower():
                return []
            raise
        return self._result(response, list)

    def _result(self, response: requests.Response, kind: type) -> Any:
        body = json_body(response, SYSTEM)
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, kind) or (kind is list and not all(isinstance(r, dict) for r in result)):
            raise RemoteError(SYSTEM, f"unexpected answer from {safe_url(response.url)}: "
                              f"no 'result' {kind.__name__}", status=response.status_code)
        return result

    def _ref(self, record: Dict[str, Any]) -> RemoteRef:
        sys_id, number, state = (_value(record.get(name)) for name in ("sys_id", "number", "state"))
        if not sys_id or not number:
            raise RemoteError(SYSTEM, "a record without sys_id or number in the answer")
        url = f"{self._base}/nav_to.do?uri={self._settings.table}.do?sys_id={sys_id}"
        return RemoteRef(SYSTEM, sys_id, number, url, STATE_NAMES.get(state, state or None))

    def _record_url(self, ref: RemoteRef) -> str:
        return f"{self._table_url}/{quote(ref.remote_id, safe='')}"

    def close(self) -> None:
        """Release the pooled connections."""
        self._session.close()


def _value(field: Any) -> str:
    """A field's value whether it came as a string or as ``{"value": ..., "display_value": ...}``."""
    if isinstance(field, dict):
        field = field.get("value")
    return "" if field is None else str(field)
