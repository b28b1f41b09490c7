"""Jira Cloud issues through REST v3 (``/rest/api/3``), API-token basic auth.

Descriptions and comments go as Atlassian Document Format (v3 refuses plain strings). Every
issue we create carries the label ``closebot-<correlation>`` so a retry after a lost answer
finds it with ``/rest/api/3/search/jql`` (the old ``/rest/api/3/search`` answers 410 Gone).
Status changes go through the issue's workflow transitions: Jira has no "set status".
A comment sent for an outbox row ends with a paragraph tagged with the row's key; a retry that
may follow a lost answer first looks for that tag among the issue's latest comments.
"""

import os
import re
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import quote

import requests
from requests.auth import HTTPBasicAuth

from bot.core.text import one_line
from bot.core.vocabulary import TICKET_STATUSES
from bot.integrations.http import RemoteError, build_session, call, json_body, safe_url
from bot.integrations.settings import JiraSettings
from bot.integrations.ticketing.adf import adf_text, to_adf
from bot.integrations.ticketing.base import RemoteRef, RemoteTicketRequest
from bot.integrations.ticketing.common import (
    WorkflowError,
    base_url,
    comment_tag,
    comment_tag_text,
    config_problem,
    correlation_token,
    credentials,
    merged,
    provenance,
    require_keys,
)

SYSTEM = "jira"
#: every variable this backend reads (the factory keys its cache on them)
ENV_VARS = ("JIRA_EMAIL", "JIRA_API_TOKEN")
SUMMARY_MAX = 255
LABEL_MAX = 255
CORRELATION_LABEL_PREFIX = "closebot-"
#: how many recent comments are checked before a resolution note is added (a retried
#: update_status must not post the same note twice)
RECENT_COMMENTS = 20
#: how many of the latest comments are searched for an outbox row's tag before posting again
TAGGED_COMMENTS = 50
_LABEL_UNSAFE = re.compile(r"\s+")


def correlation_label(correlation_id: str) -> str:
    """The label that marks the issue made for this correlation id (label- and JQL-safe)."""
    return CORRELATION_LABEL_PREFIX + correlation_token(correlation_id)


def label(text: str) -> str:
    """Jira labels cannot hold spaces: whitespace runs become hyphens."""
    return _LABEL_UNSAFE.sub("-", text.strip())[:LABEL_MAX]


def error_message(response: requests.Response) -> Optional[str]:
    """Jira's ``{"errorMessages": [...], "errors": {field: message}}`` as one line."""
    body = response.json()
    if not isinstance(body, dict):
        return None
    parts = [str(m) for m in body.get("errorMessages") or []]
    parts += [f"{field}: {message}" for field, message in (body.get("errors") or {}).items()]
    if not parts and body.get("message"):
        parts.append(str(body["message"]))
    return "; ".join(parts) or None


class JiraBackend:
    """Issues in one Jira Cloud site (``TicketBackend``)."""

    system = SYSTEM

    def __init__(self, settings: JiraSettings, environment: Optional[Mapping[str, str]] = None) -> None:
        env = os.environ if environment is None else environment
        base, problems = base_url(SYSTEM, settings.url, "JIRA_BASE_URL")
        values, missing = credentials(env, *ENV_VARS)
        if missing:
            problems.append(f"credentials ({' and '.join(missing)})")
        if problems or values is None:
            raise config_problem(SYSTEM, problems)
        defaults = JiraSettings()
        self._priorities = merged(defaults.priorities, settings.priorities)
        self._statuses = merged(defaults.statuses, settings.statuses)
        require_keys(SYSTEM, "priorities", self._priorities, (1, 2, 3, 4))
        require_keys(SYSTEM, "statuses", self._statuses, TICKET_STATUSES)
        self._settings = settings
        self._base = base
        self._api = f"{base}/rest/api/3"
        self._session = build_session(settings.http.policy(), auth=HTTPBasicAuth(*values))

    # -- TicketBackend ------------------------------------------------------------------------
    def create(self, request: RemoteTicketRequest) -> RemoteRef:
        response = self._call("POST", f"{self._api}/issue", json={"fields": self.issue_fields(request)})
        body = self._object(response)
        return self._ref(body)

    def find_by_correlation(self, correlation_id: str) -> Optional[RemoteRef]:
        jql = f'labels = "{correlation_label(correlation_id)}" ORDER BY created ASC'
        response = self._call("GET", f"{self._api}/search/jql",
                              params={"jql": jql, "fields": "status", "maxResults": "1"})
        issues = self._object(response).get("issues")
        if not isinstance(issues, list):
            raise RemoteError(SYSTEM, f"unexpected answer from {safe_url(response.url)}: no 'issues' list",
                              status=response.status_code)
        if not issues:
            return None
        issue = issues[0]
        if isinstance(issue, dict) and not issue.get("key") and issue.get("id"):
            return self.get(str(issue["id"]))  # the enhanced search may return ids only
        return self._ref(issue)

    def get(self, number: str) -> RemoteRef:
        response = self._call("GET", self._issue_url(number), params={"fields": "status"})
        return self._ref(self._object(response))

    def update_status(self, ref: RemoteRef, status: str, note: Optional[str] = None) -> None:
        target = self._status_for(status)
        current = self.get(_id(ref)).status or ""
        if current.casefold() != target.casefold():
            transition = self._transition_to(ref, target, current)
            self._call("POST", f"{self._issue_url(_id(ref))}/transitions",
                       json={"transition": {"id": str(transition["id"])}})
        if note and note.strip() and not self._has_comment(ref, note):
            self.add_comment(ref, note)

    def add_comment(self, ref: RemoteRef, body: str, *, key: Optional[str] = None,
                    maybe_sent: bool = False) -> None:
        if not body or not body.strip():
            raise ValueError("a comment needs some text")
        if key is None:
            document = to_adf(body)
        else:
            if maybe_sent and self._has_tagged_comment(ref, key):
                return
            document = to_adf(body, comment_tag(key))  # the tag is a paragraph of its own
        self._call("POST", f"{self._issue_url(_id(ref))}/comment", json={"body": document})

    def _has_tagged_comment(self, ref: RemoteRef, key: str) -> bool:
        """Whether one of the latest comments carries ``key``'s tag (an earlier attempt landed)."""
        response = self._call("GET", f"{self._issue_url(_id(ref))}/comment",
                              params={"orderBy": "-created", "maxResults": str(TAGGED_COMMENTS)})
        comments = self._object(response).get("comments")
        if not isinstance(comments, list):
            raise RemoteError(SYSTEM, f"unexpected answer from {safe_url(response.url)}: no 'comments' list",
                              status=response.status_code)
        tag = comment_tag_text(key)
        return any(isinstance(c, dict) and tag in adf_text(c.get("body")) for c in comments)

    # -- mapping ------------------------------------------------------------------------------
    def issue_fields(self, request: RemoteTicketRequest) -> Dict[str, Any]:
        """The issue's fields for our ticket. A priority mapped to "" is left out (for projects
        whose create screen has no Priority field: Jira refuses fields it cannot set)."""
        priority = self._priorities.get(request.priority)
        if priority is None:
            raise ValueError(f"priority must be 1..4, not {request.priority!r}")
        fields: Dict[str, Any] = {
            "project": {"key": self._settings.project},
            "issuetype": {"name": self._settings.issue_type},
            "summary": one_line(request.summary, SUMMARY_MAX),
            "description": to_adf(request.description, provenance(request)),
            "labels": self.labels_for(request),
        }
        if priority:
            fields["priority"] = {"name": priority}
        return fields

    def labels_for(self, request: RemoteTicketRequest) -> List[str]:
        """Configured labels, the request's own, the category's and the correlation label."""
        category = self._settings.categories.get(request.category, request.category)
        wanted = [*self._settings.labels, *request.labels, category, correlation_label(request.correlation_id)]
        return list(dict.fromkeys(lab for lab in map(label, wanted) if lab))

    def _status_for(self, status: str) -> str:
        try:
            return self._statuses[status]
        except KeyError:
            raise ValueError(f"unknown ticket status {status!r}") from None

    def _transition_to(self, ref: RemoteRef, target: str, current: str) -> Dict[str, Any]:
        """The transition whose target status (or, failing that, whose own name) is ``target``."""
        response = self._call("GET", f"{self._issue_url(_id(ref))}/transitions")
        transitions = [t for t in self._object(response).get("transitions") or []
                       if isinstance(t, dict) and t.get("id") is not None]
        wanted = target.casefold()
        by_status = [t for t in transitions if str((t.get("to") or {}).get("name", "")).casefold() == wanted]
        by_name = [t for t in transitions if str(t.get("name", "")).casefold() == wanted]
        for found in (by_status, by_name):
            if found:
                return found[0]
        available = ", ".join(f"{t.get('name')} (to {(t.get('to') or {}).get('name', '?')})"
                              for t in transitions) or "none"
        raise WorkflowError(SYSTEM, f"{ref.number}: no transition to {target!r} from {current or '?'!r}; "
                            f"available: {available} (see tickets.jira.statuses)")

    def _has_comment(self, ref: RemoteRef, text: str) -> bool:
        """Whether one of the latest comments already says ``text`` (a retried resolve)."""
        response = self._call("GET", f"{self._issue_url(_id(ref))}/comment",
                              params={"orderBy": "-created", "maxResults": str(RECENT_COMMENTS)})
        wanted = adf_text(to_adf(text))
        comments = self._object(response).get("comments") or []
        return any(isinstance(c, dict) and adf_text(c.get("body")) == wanted for c in comments)

    # -- HTTP ---------------------------------------------------------------------------------
    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return call(self._session, SYSTEM, method, url, error_message=error_message, **kwargs)
        except RemoteError as exc:
            if exc.status == 401:
                raise RemoteError(SYSTEM, f"{exc.message} (check JIRA_EMAIL and JIRA_API_TOKEN)",
                                  status=401) from exc
            raise

    def _object(self, response: requests.Response) -> Dict[str, Any]:
        body = json_body(response, SYSTEM)
        if not isinstance(body, dict):
            raise RemoteError(SYSTEM, f"unexpected answer from {safe_url(response.url)}: not a JSON object",
                              status=response.status_code)
        return body

    def _ref(self, issue: Any) -> RemoteRef:
        if not isinstance(issue, dict) or not issue.get("id") or not issue.get("key"):
            raise RemoteError(SYSTEM, "an issue without id or key in the answer")
        key = str(issue["key"])
        status = ((issue.get("fields") or {}).get("status") or {}).get("name")
        return RemoteRef(SYSTEM, str(issue["id"]), key, f"{self._base}/browse/{key}", status)

    def _issue_url(self, id_or_key: str) -> str:
        return f"{self._api}/issue/{quote(id_or_key, safe='')}"

    def close(self) -> None:
        """Release the pooled connections."""
        self._session.close()


def _id(ref: RemoteRef) -> str:
    """The issue id (stable when an issue moves to another project), else its key."""
    return ref.remote_id or ref.number
