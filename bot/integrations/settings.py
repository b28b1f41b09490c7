"""Integration settings: a YAML file (``CLOSEBOT_CONFIG``, default ``closebot.yml`` in the
project) validated with pydantic, plus environment variables for URLs and every secret.

Secrets are never read from the file: ServiceNow ``SERVICENOW_USERNAME``/``SERVICENOW_PASSWORD``
or ``SERVICENOW_TOKEN`` (OAuth bearer), Jira ``JIRA_EMAIL``/``JIRA_API_TOKEN``. Environment
variables that pick the setup: ``CLOSEBOT_TICKET_BACKEND`` (local|servicenow|jira),
``CLOSEBOT_STATUSPAGE_URL``, ``SERVICENOW_INSTANCE_URL``, ``JIRA_BASE_URL``.
"""

import os
import threading
from pathlib import Path
from typing import Dict, List, Literal, Optional, Tuple

import yaml
from pydantic import BaseModel, Extra, Field, ValidationError

from bot.core.config import PROJECT_ROOT
from bot.core.errors import ClosebotError
from bot.integrations.http import HttpPolicy, worst_case_seconds


class ConfigError(ClosebotError):
    """The integration configuration is unusable; the message names the file and the field."""


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid


class HttpSettings(_Strict):
    connect_timeout: float = Field(3.05, gt=0)
    read_timeout: float = Field(10.0, gt=0)
    retries: int = Field(3, ge=0, le=10)
    backoff_factor: float = Field(0.5, ge=0)
    max_retry_after: float = Field(30.0, ge=0)

    def policy(self) -> HttpPolicy:
        return HttpPolicy(self.connect_timeout, self.read_timeout, self.retries,
                          self.backoff_factor, self.max_retry_after)


class StatusPageSettings(_Strict):
    url: Optional[str] = None  # the page root; /api/v2/summary.json is appended
    cache_seconds: float = Field(60.0, ge=0)
    #: how long a diagnosis waits for the page before saying "status unknown" (the fetch goes
    #: on in the background and fills the cache); keep it well under CLOSEBOT_ACTION_TIMEOUT
    wait_seconds: float = Field(3.0, gt=0)
    #: status page component id or name -> close modules it affects
    components: Dict[str, List[str]] = Field(default_factory=dict)
    http: HttpSettings = Field(default_factory=HttpSettings)


class ServiceNowSettings(_Strict):
    url: Optional[str] = None  # https://INSTANCE.service-now.com
    table: str = "incident"
    assignment_group: Optional[str] = None
    caller_id: Optional[str] = None
    #: our ticket category -> ServiceNow category
    categories: Dict[str, str] = Field(default_factory=dict)
    default_category: str = "inquiry"
    #: our priority (1..4) -> {"urgency": "1".."3", "impact": "1".."3"}
    priorities: Dict[int, Dict[str, str]] = Field(default_factory=lambda: {
        1: {"urgency": "1", "impact": "1"}, 2: {"urgency": "1", "impact": "2"},
        3: {"urgency": "2", "impact": "2"}, 4: {"urgency": "3", "impact": "3"}})
    #: our ticket status -> ServiceNow incident state
    states: Dict[str, str] = Field(default_factory=lambda: {
        "new": "1", "assigned": "2", "in_progress": "2", "waiting": "3",
        "resolved": "6", "closed": "7"})
    #: close_code sent with a resolved/closed state (the instance's Resolution code choice list)
    close_code: str = "Solution provided"
    http: HttpSettings = Field(default_factory=HttpSettings)


class JiraSettings(_Strict):
    url: Optional[str] = None  # https://SITE.atlassian.net
    project: str = "CLOSE"
    issue_type: str = "Task"
    labels: List[str] = Field(default_factory=lambda: ["closebot"])
    #: our priority (1..4) -> Jira priority name
    priorities: Dict[int, str] = Field(default_factory=lambda: {
        1: "Highest", 2: "High", 3: "Medium", 4: "Low"})
    #: our ticket status -> Jira transition (or status) name
    statuses: Dict[str, str] = Field(default_factory=lambda: {
        "new": "To Do", "assigned": "To Do", "in_progress": "In Progress",
        "waiting": "In Progress", "resolved": "Done", "closed": "Done"})
    #: our ticket category -> extra Jira label
    categories: Dict[str, str] = Field(default_factory=dict)
    http: HttpSettings = Field(default_factory=HttpSettings)


class OutboxSettings(_Strict):
    #: first retry delay; doubled per attempt up to ``max_delay_seconds``
    base_delay_seconds: float = Field(5.0, gt=0)
    max_delay_seconds: float = Field(900.0, gt=0)
    #: how long a worker may hold a delivery before another worker may take it over; renewed
    #: before each remote call, so it must outlast the slowest single call (``check_lease``):
    #: 142.2 s with the default HTTP settings, hence 300 s
    lease_seconds: float = Field(300.0, gt=0)
    #: the worker's poll interval when nothing is due
    poll_seconds: float = Field(5.0, gt=0)
    #: how long "open a ticket" waits for the first delivery before saying "queued"
    inline_timeout_seconds: float = Field(4.0, ge=0)


class TicketSettings(_Strict):
    backend: Literal["local", "servicenow", "jira"] = "local"
    servicenow: ServiceNowSettings = Field(default_factory=ServiceNowSettings)
    jira: JiraSettings = Field(default_factory=JiraSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)


class Settings(_Strict):
    status_page: StatusPageSettings = Field(default_factory=StatusPageSettings)
    tickets: TicketSettings = Field(default_factory=TicketSettings)


def config_path() -> Optional[Path]:
    """``CLOSEBOT_CONFIG`` when set (it must exist), else ``closebot.yml`` if present."""
    named = os.environ.get("CLOSEBOT_CONFIG")
    if named:
        return Path(named)
    default = PROJECT_ROOT / "closebot.yml"
    return default if default.exists() else None


def load_settings(path: Optional[Path] = None) -> Settings:
    """Read and validate the configuration, then apply the environment's overrides."""
    path = path if path is not None else config_path()
    raw: dict = {}
    if path is not None:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the configuration must be a mapping")
    try:
        settings = Settings.parse_obj(raw)
    except ValidationError as exc:
        where = path or "configuration"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"{where}: {problems}") from exc
    _apply_environment(settings)
    check_lease(settings, path or "configuration")
    return settings


def check_lease(settings: Settings, where: object = "configuration") -> None:
    """The outbox lease must outlast the slowest single call to the configured ticket system.

    Otherwise a second worker may take a row over while the first still waits for the remote's
    answer, and both send the same change (two remote tickets for one of ours).
    """
    system = settings.tickets.backend
    if system == "local":
        return
    http: HttpSettings = getattr(settings.tickets, system).http
    slowest = worst_case_seconds(http.policy())
    lease = settings.tickets.outbox.lease_seconds
    if lease <= slowest:
        raise ConfigError(
            f"{where}: tickets.outbox.lease_seconds: {lease:g} s is not longer than the slowest call to "
            f"{system} ({slowest:g} s: {http.retries + 1} attempts of {http.connect_timeout:g} s connect + "
            f"{http.read_timeout:g} s read, {http.retries} waits of up to {http.max_retry_after:g} s), so a "
            f"second worker could take a delivery over mid-call and create the ticket twice; set it above "
            f"{slowest:g} s, or lower tickets.{system}.http's timeouts or retries")


#: The environment variables that override the file (``_apply_environment``).
OVERRIDE_VARIABLES: Tuple[str, ...] = (
    "CLOSEBOT_TICKET_BACKEND", "CLOSEBOT_STATUSPAGE_URL", "SERVICENOW_INSTANCE_URL", "JIRA_BASE_URL")

_current: Dict[Tuple[object, ...], Settings] = {}
_current_lock = threading.Lock()


def current_settings() -> Settings:
    """The settings now, re-read only when the file or an overriding variable changed.

    Every diagnosis and ticket change asks for them; parsing and validating the file each
    time would be wasted work, and a restart to pick up an edit would be a trap. Callers must
    not modify the returned object (it is shared).
    """
    path = config_path()
    try:
        stat = path.stat() if path is not None else None
        stamp = (stat.st_mtime_ns, stat.st_size) if stat is not None else None
    except OSError:
        stamp = None  # load_settings names the unreadable file
    key = (str(path), stamp, *(os.environ.get(name) for name in OVERRIDE_VARIABLES))
    with _current_lock:
        settings = _current.get(key)
    if settings is None:
        settings = load_settings(path)
        with _current_lock:
            _current.clear()
            _current[key] = settings
    return settings


def _apply_environment(settings: Settings) -> None:
    env = os.environ
    backend = env.get("CLOSEBOT_TICKET_BACKEND")
    if backend:
        if backend not in ("local", "servicenow", "jira"):
            raise ConfigError(
                f"CLOSEBOT_TICKET_BACKEND={backend!r}: expected local, servicenow or jira")
        settings.tickets.backend = backend  # type: ignore[assignment]
    if env.get("CLOSEBOT_STATUSPAGE_URL"):
        settings.status_page.url = env["CLOSEBOT_STATUSPAGE_URL"]
    if env.get("SERVICENOW_INSTANCE_URL"):
        settings.tickets.servicenow.url = env["SERVICENOW_INSTANCE_URL"]
    if env.get("JIRA_BASE_URL"):
        settings.tickets.jira.url = env["JIRA_BASE_URL"]
