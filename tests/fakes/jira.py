"""A stateful fake of Jira Cloud's REST v3 issues API, on a real socket.

Shapes follow the documented API: create answers ``201 {"id", "key", "self"}``; an issue is
``{"id", "key", "self", "fields": {...}}`` with ``status {name, id, statusCategory{key,...}}``;
transitions are listed and applied (``204``); comments are ADF documents; the enhanced search
``/rest/api/3/search/jql`` answers ``{"issues": [...], "isLast": true}`` (ids only unless
``fields`` is asked for) while the retired ``/rest/api/3/search`` answers ``410 Gone``. Errors
are ``{"errorMessages": [...], "errors": {field: message}}``; descriptions and comment bodies
that are not ADF (a plain string, an empty text node) are refused with Jira's own 400 wording;
bad credentials get 401.

Use: ``with FakeJira() as jira: backend = JiraBackend(jira.settings(), jira.env())`` then read
``jira.issues``, ``jira.issue("CLOSE-1")``, ``jira.comments("CLOSE-1")`` or move an issue with
``jira.set_state("CLOSE-1", "Done")``.
"""

import base64
import re
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.integrations.settings import JiraSettings
from tests.fakes.http_server import FakeService, Reply, Request
from tests.fakes.settings import fast_http

EMAIL = "closebot@example.com"
API_TOKEN = "ATATT-jira-token-do-not-log"

#: status name -> (status id, category id, category key, category colour, category name)
STATUSES: Dict[str, Tuple[str, int, str, str, str]] = {
    "To Do": ("10000", 2, "new", "blue-gray", "To Do"),
    "In Progress": ("3", 4, "indeterminate", "yellow", "In Progress"),
    "Done": ("10001", 3, "done", "green", "Done"),
}
#: (transition id, transition name, target status): Jira's simplified "any to any" workflow
TRANSITIONS: Tuple[Tuple[str, str, str], ...] = (
    ("11", "To Do", "To Do"), ("21", "In Progress", "In Progress"), ("31", "Done", "Done"))
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
ISSUE_TYPES = ("Task", "Bug", "Story")
NOT_FOUND = "Issue does not exist or you do not have permission to see it."
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
_ISSUE = re.compile(r"^/rest/api/3/issue/([^/]+)(?:/(transitions|comment))?/?$")
_CLAUSE = re.compile(r'^\s*(\w+)\s*(=|!=)\s*(?:"([^"]*)"|([\w.:-]+))\s*$')
_BLOCKS = {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "rule", "panel"}
_INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard"}


def errors(status: int, messages: Sequence[str] = (), fields: Optional[Dict[str, str]] = None) -> Reply:
    """An error in Jira's shape."""
    return Reply(status, {"errorMessages": list(messages), "errors": dict(fields or {})})


def adf_problem(doc: Any) -> Optional[str]:
    """Why ``doc`` is not a valid ADF document (None when it is), checked like Jira does for
    the node types we use: a doc of version 1, block nodes with inline content, no empty text."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return "not a doc of version 1"
    content = doc.get("content")
    if not isinstance(content, list):
        return "doc without content"
    return next(filter(None, (_node_problem(node, block=True) for node in content)), None)


def _node_problem(node: Any, block: bool) -> Optional[str]:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return "a node without a type"
    kind = node["type"]
    allowed = _BLOCKS | {"listItem"} if block else _INLINE
    if kind not in allowed:
        return f"{kind!r} is not allowed here"
    if kind == "text":
        text = node.get("text")
        return None if isinstance(text, str) and text else "a text node needs non-empty text"
    children = node.get("content", [])
    if not isinstance(children, list):
        return f"{kind} content must be a list"
    inline_children = kind in ("paragraph", "heading", "codeBlock")
    return next(filter(None, (_node_problem(c, block=not inline_children) for c in children)), None)


def adf_plain(node: Any) -> str:
    """The text of an ADF node (paragraphs separated by blank lines, hard breaks as newlines)."""
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    parts = [adf_plain(child) for child in node.get("content") or []]
    return ("\n\n" if node.get("type") == "doc" else "").join(parts)


class FakeJira(FakeService):
    """One Jira Cloud site with a CLOSE project and the simplified workflow."""

    def __init__(self, projects: Sequence[str] = ("CLOSE",),
                 transitions: Sequence[Tuple[str, str, str]] = TRANSITIONS) -> None:
        super().__init__()
        self.accounts: Dict[str, str] = {EMAIL: API_TOKEN}
        self.projects = list(projects)
        #: (id, name, target status); edit to model another workflow
        self.transitions = list(transitions)
        #: every issue, in creation order: {"id", "key", "fields": {...}, "comments": [...]}
        self.issues: List[Dict[str, Any]] = []
        self._next_id = 10000
        self._next_number: Dict[str, int] = {}
        self._next_comment = 10100

    # -- helpers for tests --------------------------------------------------------------------
    def settings(self, **overrides: Any) -> JiraSettings:
        """Settings pointing at this fake, with test-fast HTTP (``http=`` overrides it)."""
        values: Dict[str, Any] = {"url": self.url, "http": fast_http()}
        values.update(overrides)
        return JiraSettings(**values)

    @staticmethod
    def env() -> Dict[str, str]:
        return {"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": API_TOKEN}

    def issue(self, id_or_key: str) -> Dict[str, Any]:
        with self._lock:
            for issue in self.issues:
                if id_or_key in (issue["id"], issue["key"]):
                    return issue
        raise KeyError(id_or_key)

    def comments(self, id_or_key: str) -> List[str]:
        """The plain text of each comment on an issue, oldest first."""
        return [adf_plain(c["body"]) for c in self.issue(id_or_key)["comments"]]

    def status(self, id_or_key: str) -> str:
        return str(self.issue(id_or_key)["fields"]["status"])

    def set_state(self, id_or_key: str, status: str) -> None:
        """Move an issue to a status as a person would on the board."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._lock:
            self.issue(id_or_key)["fields"]["status"] = status

    # -- the vendor's behaviour ---------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        if not self._authenticated(request):
            return Reply(401, "Client must be authenticated to access this resource.",
                         {"Content-Type": "text/plain;charset=UTF-8"})
        path = request.path.rstrip("/")
        with self._lock:
            if path == "/rest/api/3/search":
                return errors(410, ["The requested API has been removed. Please migrate to the "
                                    "/rest/api/3/search/jql API. A full migration guideline is available "
                                    "at https://developer.atlassian.com/changelog/#CHANGE-2046"])
            if path == "/rest/api/3/search/jql" and request.method in ("GET", "POST"):
                return self._search(request)
            if path == "/rest/api/3/issue" and request.method == "POST":
                return self._create(request)
            route = _ISSUE.match(path)
            if route is None:
                return errors(404, ["null for uri: " + request.path])
            issue = self._find(route.group(1))
            if issue is None:
                return errors(404, [NOT_FOUND])
            part = route.group(2)
            if part is None and request.method == "GET":
                return Reply(200, self._render(issue, request.arg("fields")))
            if part == "transitions":
                return self._transitions(request, issue)
            if part == "comment":
                return self._comment(request, issue)
        return errors(405, [f"Method {request.method} is not allowed here"])

    def _authenticated(self, request: Request) -> bool:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            email, _, token = base64.b64decode(credential).decode().partition(":")
        except ValueError:
            return False
        return bool(email) and self.accounts.get(email) == token

    def _create(self, request: Request) -> Reply:
        body = _json(request)
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return errors(400, ["Unexpected request body: 'fields' is required"])
        problems: Dict[str, str] = {}
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            problems["project"] = "Specify a valid project ID or key"
        if (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            problems["issuetype"] = "The issue type selected is invalid."
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            problems["summary"] = "You must specify a summary of the issue."
        elif "\n" in summary or "\r" in summary:
            problems["summary"] = "The summary is invalid because it contains newline characters."
        elif len(summary) > 255:
            problems["summary"] = "Summary must be less than 255 characters."
        if "description" in fields and adf_problem(fields["description"]) is not None:
            problems["description"] = NOT_ADF
        priority = (fields.get("priority") or {}).get("name", "Medium")
        if priority not in PRIORITIES:
            problems["priority"] = f"The priority selected is invalid: {priority}"
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(lab, str) and lab for lab in labels):
            problems["labels"] = "Labels must be a list of non-empty strings."
        else:
            spaced = [lab for lab in labels if re.search(r"\s", lab)]
            if spaced:
                problems["labels"] = f"The label '{spaced[0]}' contains spaces which is invalid."
        if problems:
            return errors(400, [], problems)
        number = self._next_number.get(project, 1)
        self._next_number[project] = number + 1
        issue_id = str(self._next_id)
        self._next_id += 1
        now = _now()
        issue = {
            "id": issue_id,
            "key": f"{project}-{number}",
            "fields": {
                "summary": summary, "description": fields.get("description"), "project": project,
                "issuetype": fields["issuetype"]["name"], "priority": priority, "labels": list(labels),
                "status": "To Do", "created": now, "updated": now,
            },
            "comments": [],
        }
        self.issues.append(issue)
        return Reply(201, {"id": issue_id, "key": issue["key"], "self": self._self(issue_id)})

    def _transitions(self, request: Request, issue: Dict[str, Any]) -> Reply:
        current = issue["fields"]["status"]
        available = [t for t in self.transitions if t[2] != current]
        if request.method == "GET":
            return Reply(200, {"expand": "transitions", "transitions": [
                {"id": tid, "name": name, "to": self._status(target), "hasScreen": False, "isGlobal": True,
                 "isInitial": False, "isAvailable": True, "isConditional": False, "isLooped": False}
                for tid, name, target in available]})
        if request.method != "POST":
            return errors(405, [f"Method {request.method} is not allowed here"])
        body = _json(request)
        wanted = str(((body or {}).get("transition") or {}).get("id")) if isinstance(body, dict) else None
        chosen = next((t for t in available if t[0] == wanted), None)
        if chosen is None:
            return errors(400, [f"Transition id '{wanted}' is not valid for this issue."])
        issue["fields"]["status"] = chosen[2]
        issue["fields"]["updated"] = _now()
        return Reply(204, b"")

    def _comment(self, request: Request, issue: Dict[str, Any]) -> Reply:
        if request.method == "GET":
            order = request.arg("orderBy", "created") or "created"
            comments = sorted(issue["comments"], key=lambda c: int(c["id"]), reverse=order.startswith("-"))
            start = int(request.arg("startAt", "0") or 0)
            limit = int(request.arg("maxResults", "5000") or 5000)
            return Reply(200, {"startAt": start, "maxResults": limit, "total": len(comments),
                               "comments": comments[start:start + limit]})
        if request.method != "POST":
            return errors(405, [f"Method {request.method} is not allowed here"])
        body = _json(request)
        document = body.get("body") if isinstance(body, dict) else None
        if adf_problem(document) is not None:
            return errors(400, [], {"comment": "Comment body is not valid!"})
        comment_id = str(self._next_comment)
        self._next_comment += 1
        now = _now()
        comment = {"self": f"{self._self(issue['id'])}/comment/{comment_id}", "id": comment_id,
                   "author": {"emailAddress": EMAIL, "displayName": "Closebot"}, "body": document,
                   "created": now, "updated": now, "jsdPublic": True}
        issue["comments"].append(comment)
        return Reply(201, comment)

    def _search(self, request: Request) -> Reply:
        if request.method == "POST":
            body = _json(request) or {}
            jql = str(body.get("jql") or "")
            fields = ",".join(body.get("fields") or [])
            limit = int(body.get("maxResults") or 50)
        else:
            jql = request.arg("jql", "") or ""
            fields = request.arg("fields", "") or ""
            limit = int(request.arg("maxResults", "50") or 50)
        try:
            found = self._query(jql)
        except ValueError as exc:
            return errors(400, [str(exc)])
        page = found[:limit]
        issues = [self._render(i, fields) if fields else {"id": i["id"]} for i in page]
        reply: Dict[str, Any] = {"issues": issues, "isLast": len(found) <= limit}
        if len(found) > limit:
            reply["nextPageToken"] = f"page-{limit}"
        return Reply(200, reply)

    def _query(self, jql: str) -> List[Dict[str, Any]]:
        """Issues matching ``a = "x" AND b != y ORDER BY created ASC|DESC``."""
        parts = re.split(r"(?i)\border\s+by\b", jql, maxsplit=1)
        where, order = parts[0], (parts[1] if len(parts) > 1 else "")
        if not where.strip():
            raise ValueError("Unbounded JQL queries are not allowed here. "
                             "Please add a search restriction to your query.")
        found = list(self.issues)
        for clause in re.split(r"(?i)\s+and\s+", where.strip()):
            match = _CLAUSE.match(clause)
            if match is None or match.group(1) not in ("labels", "project", "key", "status", "issuetype"):
                raise ValueError(f"Error in the JQL Query: cannot parse {clause!r}.")
            field, operator, quoted, bare = match.groups()
            value = quoted if quoted is not None else bare
            found = [i for i in found if (_field_has(i, field, value)) == (operator == "=")]
        descending = order.strip().lower().endswith("desc")
        return sorted(found, key=lambda i: int(i["id"]), reverse=descending)

    def _render(self, issue: Dict[str, Any], fields: Optional[str]) -> Dict[str, Any]:
        stored = issue["fields"]
        everything = {
            "summary": stored["summary"], "description": stored["description"],
            "status": self._status(stored["status"]),
            "priority": {"name": stored["priority"], "id": str(PRIORITIES.index(stored["priority"]) + 1)},
            "labels": list(stored["labels"]), "issuetype": {"name": stored["issuetype"]},
            "project": {"key": stored["project"]}, "created": stored["created"], "updated": stored["updated"],
        }
        wanted = [f.strip() for f in (fields or "").split(",") if f.strip()]
        if wanted and not {"*all", "*navigable"} & set(wanted):
            everything = {name: value for name, value in everything.items() if name in wanted}
        return {"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
                "id": issue["id"], "self": self._self(issue["id"]), "key": issue["key"], "fields": everything}

    def _status(self, name: str) -> Dict[str, Any]:
        status_id, category_id, key, colour, category = STATUSES[name]
        return {"self": f"{self.url}/rest/api/3/status/{status_id}", "description": "", "iconUrl": f"{self.url}/",
                "name": name, "id": status_id,
                "statusCategory": {"self": f"{self.url}/rest/api/3/statuscategory/{category_id}",
                                   "id": category_id, "key": key, "colorName": colour, "name": category}}

    def _find(self, id_or_key: str) -> Optional[Dict[str, Any]]:
        return next((i for i in self.issues if id_or_key in (i["id"], i["key"])), None)

    def _self(self, issue_id: str) -> str:
        return f"{self.url}/rest/api/3/issue/{issue_id}"


def _field_has(issue: Dict[str, Any], field: str, value: str) -> bool:
    if field == "labels":
        return value in issue["fields"]["labels"]
    if field == "key":
        return issue["key"].lower() == value.lower()
    return str(issue["fields"][field]).lower() == value.lower()


def _json(request: Request) -> Any:
    try:
        return request.json()
    except ValueError:
        return None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
