"""System status from an Atlassian Statuspage-compatible page (``/api/v2/summary.json``).

One client (one pooled session) per configured page per process, with a short TTL cache so
a busy assistant asks the page at most once per ``cache_seconds``. The page's components
are mapped to close modules by configuration (``status_page.components``: a component id
or name -> modules); unresolved incidents and maintenances in progress enrich them. A failed
fetch never raises: it gives a reading marked unavailable with the reason and the last good
reading's components (stale), so the diagnosis can say "status unknown, last reading 12 min
ago" instead of crashing or claiming all is well.
"""

import logging
import re
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import requests

from bot.core import clock
from bot.core.vocabulary import MODULES
from bot.diagnosis.status import (
    ComponentReading,
    Incident,
    StatusReading,
    StatusSource,
    parse_timestamp,
    read_status,
)
from bot.integrations.http import RemoteError, build_session, call, is_timeout, json_body, safe_url
from bot.integrations.settings import ConfigError, StatusPageSettings, current_settings

log = logging.getLogger(__name__)

SYSTEM = "statuspage"
SUMMARY_PATH = "/api/v2/summary.json"
#: Incident states that are over: their components no longer need a word.
DONE_INCIDENT_STATES = frozenset({"resolved", "postmortem", "completed"})
#: Maintenance states during which the window end is worth telling people.
ACTIVE_MAINTENANCE_STATES = frozenset({"in_progress", "verifying"})
MAX_TEXT = 300  # a page's free text is cut to this in messages


class SummaryError(ValueError):
    """summary.json is JSON, but not the shape of a Statuspage summary."""


# ---- parsing (pure: no HTTP) ------------------------------------------------------------------


@dataclass
class ComponentMap:
    """``status_page.components``: keys match a component's id exactly, or its name ignoring case."""

    by_key: Dict[str, List[str]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, components: Dict[str, List[str]]) -> "ComponentMap":
        for key, modules in components.items():
            unknown = [m for m in modules if m not in MODULES]
            if unknown:
                raise ConfigError(
                    f"status_page.components.{key}: unknown module(s) {', '.join(map(repr, unknown))} "
                    f"(one of {', '.join(MODULES)})")
        return cls(dict(components))

    def modules(self, component_id: str, name: str) -> Optional[List[str]]:
        """The close modules for this component, or None when the map does not name it."""
        if component_id in self.by_key:
            return list(self.by_key[component_id])
        folded = name.casefold()
        for key, modules in self.by_key.items():
            if key.casefold() == folded:
                return list(modules)
        return None


def parse_summary(body: Any, mapping: ComponentMap) -> Tuple[List[ComponentReading], Optional[str]]:
    """The mapped components of a summary.json body, and the page's headline status.

    Defensive: entries that are not objects or have neither id nor name are skipped, a missing
    or odd status reads as ``unknown`` (never as operational), group containers are skipped
    (a group named in the map passes its modules to members the map does not name), and
    components the map does not name affect no close module and are left out.
    """
    if not isinstance(body, dict):
        raise SummaryError(f"expected a JSON object, got {type(body).__name__}")
    raw = body.get("components")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise SummaryError("'components' is not a list")
    entries = [c for c in raw if isinstance(c, dict) and (_text(c.get("id")) or _text(c.get("name")))]
    groups = {_text(c.get("id")): c for c in entries if c.get("group") is True}
    incidents = _incidents_by_component(body.get("incidents"))
    windows = _maintenance_by_component(body.get("scheduled_maintenances"))
    readings: List[ComponentReading] = []
    for entry in entries:
        if entry.get("group") is True:
            continue
        cid = _text(entry.get("id")) or _text(entry.get("name"))
        name = _text(entry.get("name")) or cid
        modules = mapping.modules(cid, name)
        group = groups.get(_text(entry.get("group_id")))
        if modules is None and group is not None:
            modules = mapping.modules(_text(group.get("id")), _text(group.get("name")))
        if modules is None:
            continue
        status = _text(entry.get("status"))[:40] or "unknown"
        open_incidents = incidents.get(cid, [])
        maintenance_name, until = windows.get(cid, (None, None))
        readings.append(ComponentReading(
            id=cid,
            name=name,
            status=status,
            affects=list(dict.fromkeys(modules)),
            message=_message(open_incidents, maintenance_name),
            maintenance_until=until,
            updated_at=parse_timestamp(entry.get("updated_at")),
            incidents=open_incidents,
        ))
    readings.sort(key=lambda c: c.id)
    status = body.get("status")
    headline = _text(status.get("description")) if isinstance(status, dict) else ""
    return readings, headline or None


def _incidents_by_component(raw: Any) -> Dict[str, List[Incident]]:
    found: Dict[str, List[Incident]] = {}
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        state = _text(item.get("status")) or "unknown"
        if state in DONE_INCIDENT_STATES:
            continue
        incident = Incident(
            name=_text(item.get("name"))[:MAX_TEXT] or "Unnamed incident",
            impact=_text(item.get("impact")) or "unknown",
            status=state,
            shortlink=_text(item.get("shortlink")) or None,
            started_at=parse_timestamp(item.get("started_at") or item.get("created_at")),
            latest_update=_latest_update(item.get("incident_updates")),
        )
        for component in _component_ids(item.get("components")):
            found.setdefault(component, []).append(incident)
    return found


def _maintenance_by_component(raw: Any) -> Dict[str, Tuple[str, Optional[datetime]]]:
    found: Dict[str, Tuple[str, Optional[datetime]]] = {}
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or _text(item.get("status")) not in ACTIVE_MAINTENANCE_STATES:
            continue
        until = parse_timestamp(item.get("scheduled_until"))
        for component in _component_ids(item.get("components")):
            found[component] = (_text(item.get("name"))[:MAX_TEXT] or "Maintenance", until)
    return found


def _component_ids(raw: Any) -> List[str]:
    ids = []
    for c in raw if isinstance(raw, list) else []:
        cid = _text(c.get("id")) if isinstance(c, dict) else _text(c)
        if cid:
            ids.append(cid)
    return ids


def _latest_update(raw: Any) -> Optional[str]:
    """The newest update's text (by ``display_at``/``created_at``; the API lists newest first)."""
    updates = [u for u in (raw if isinstance(raw, list) else []) if isinstance(u, dict) and _text(u.get("body"))]
    if not updates:
        return None
    stamped = [(parse_timestamp(u.get("display_at") or u.get("created_at")), i, u) for i, u in enumerate(updates)]
    if all(moment is not None for moment, _, _ in stamped):
        newest = max(stamped, key=lambda t: (t[0], -t[1]))[2]
    else:
        newest = updates[0]
    return " ".join(_text(newest.get("body")).split())[:MAX_TEXT]


def _message(incidents: List[Incident], maintenance: Optional[str]) -> Optional[str]:
    if incidents:
        first = incidents[0]
        more = f" (+{len(incidents) - 1} more)" if len(incidents) > 1 else ""
        return f"incident “{first.name}” ({first.impact} impact, {first.status}){more}"
    if maintenance:
        return f"maintenance “{maintenance}”"
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def error_message(response: requests.Response) -> Optional[str]:
    """The page's own words from an error body: ``{"error": ...}`` or ``{"message": ...}``."""
    data = response.json()
    if isinstance(data, dict):
        for key in ("error", "message", "errors"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return None


# ---- the client -------------------------------------------------------------------------------


def summary_url(url: str) -> str:
    """The page root (or the summary URL itself) -> the summary.json URL; a bad URL is a ConfigError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"status_page.url: expected an http(s) URL, got {safe_url(url)!r}")
    base = url.strip()
    if base.split("?")[0].endswith(SUMMARY_PATH):
        return base
    return base.rstrip("/") + SUMMARY_PATH


class StatusPageClient:
    """Reads one status page through one pooled session; thread-safe, cached for ``cache_seconds``.

    A reader waits at most ``wait_seconds`` for a fetch: a slow page gives "status unknown"
    in time for the conversation, while the fetch goes on in the background and fills the
    cache for the next reader. Concurrent readers share one fetch. ``clock`` (monotonic
    seconds) drives the cache and ``now`` (aware UTC) stamps readings; tests pass their own
    to step time without sleeping.
    """

    def __init__(self, settings: StatusPageSettings,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = clock.now) -> None:
        if not settings.url:
            raise ConfigError("status_page.url: not set (CLOSEBOT_STATUSPAGE_URL or closebot.yml)")
        self.url = summary_url(settings.url)
        self.page = safe_url(settings.url)
        self.cache_seconds = settings.cache_seconds
        self.wait_seconds = settings.wait_seconds
        self.mapping = ComponentMap.from_settings(settings.components)
        self._session = build_session(settings.http.policy())
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._cached: Optional[StatusReading] = None
        self._expires = 0.0
        self._last_good: Optional[StatusReading] = None
        self._inflight: Optional[Future[StatusReading]] = None

    def read(self) -> StatusReading:
        """The cached reading while it is fresh, else the fetch's (or "unknown" if it is slow)."""
        with self._lock:
            if self._cached is not None and self._clock() < self._expires:
                return self._cached
            future = self._start_fetch()
        try:
            return future.result(timeout=self.wait_seconds)
        except FutureTimeout:
            return self._unavailable(
                "is slow to answer", f"{SYSTEM}: no answer from {self.page} within {self.wait_seconds:g} s")

    def wait_for_fetch(self, timeout: float) -> Optional[StatusReading]:
        """The reading once any fetch still running in the background is done (None: never read)."""
        future = self._inflight
        return future.result(timeout=timeout) if future is not None else self._cached

    @property
    def last_good(self) -> Optional[StatusReading]:
        return self._last_good

    def close(self) -> None:
        self._session.close()

    def _start_fetch(self) -> "Future[StatusReading]":
        """The fetch in flight, or a new one on a daemon thread (the caller holds the lock)."""
        if self._inflight is not None:
            return self._inflight
        future: Future[StatusReading] = Future()
        self._inflight = future

        def run() -> None:
            try:
                reading = self._fetch()
            except Exception as exc:  # noqa: BLE001 - _fetch should not raise; if it does: unknown
                reading = self._unavailable("could not be read", f"{SYSTEM}: {type(exc).__name__}")
            with self._lock:
                if reading.available:
                    self._last_good = reading
                self._cached = reading
                self._expires = self._clock() + self.cache_seconds
                self._inflight = None
            future.set_result(reading)

        threading.Thread(target=run, name="statuspage-fetch", daemon=True).start()
        return future

    def _fetch(self) -> StatusReading:
        try:
            response = call(self._session, SYSTEM, "GET", self.url, error_message=error_message)
            body = json_body(response, SYSTEM)
            components, headline = parse_summary(body, self.mapping)
        except RemoteError as exc:
            return self._unavailable(_reason(exc), str(exc))
        except SummaryError as exc:
            return self._unavailable("sent an unexpected summary", f"{SYSTEM}: {exc} at {self.page}")
        except requests.RequestException as exc:  # e.g. an invalid URL: not a crash either
            return self._unavailable("could not be read", f"{SYSTEM}: {type(exc).__name__} at {self.page}")
        now = self._now()
        return StatusReading(source=SYSTEM, page=self.page, available=True, checked_at=now,
                             components=components, read_at=now, page_status=headline)

    def _unavailable(self, reason: str, error: str) -> StatusReading:
        """Status unknown, offering the last good reading's components (stale)."""
        log.warning("status page %s unavailable: %s", self.page, error)
        last = self._last_good
        return StatusReading(
            source=SYSTEM, page=self.page, available=False, checked_at=self._now(),
            components=list(last.components) if last else [],
            read_at=last.read_at if last else None, reason=reason, error=error,
            page_status=last.page_status if last else None,
        )


_TAG = re.compile(r"<[^>]*>")


def _reason(exc: RemoteError) -> str:
    """A few words for people: what went wrong, from the error's type rather than its text."""
    cause = exc.__cause__
    if exc.status is not None and isinstance(cause, ValueError):
        return "sent malformed JSON"
    if exc.status is not None and exc.status < 500 and exc.message:
        # A refusal says why in the remote's words (an HTML error page reduced to its text).
        words = " ".join(_TAG.sub(" ", exc.message).split())[:80]
        return f"HTTP {exc.status}: {words}" if words else f"HTTP {exc.status}"
    if exc.status is not None:
        return f"HTTP {exc.status}"
    if cause is not None and is_timeout(cause):
        return "timed out"
    if isinstance(cause, requests.exceptions.ConnectionError):
        return "cannot be reached"
    return "could not be read"


# ---- one client per configured page per process -------------------------------------------------

_clients: Dict[str, StatusPageClient] = {}
_clients_lock = threading.Lock()


def client_for(settings: StatusPageSettings) -> StatusPageClient:
    """The process's client for this page configuration (created once, then shared)."""
    key = settings.json(sort_keys=True)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = StatusPageClient(settings)
        return client


@dataclass
class UnavailableSource:
    """A status page that is configured but unusable (bad configuration): always unknown."""

    reason: str
    error: str
    page: str = ""

    def read(self) -> StatusReading:
        return StatusReading(source=SYSTEM, page=self.page, available=False, checked_at=clock.now(),
                             reason=self.reason, error=self.error)


def configured_source() -> Optional[StatusSource]:
    """The status page the settings name, or None when none is (no network call at all then)."""
    try:
        settings = current_settings()
        if not settings.status_page.url:
            return None
        return client_for(settings.status_page)
    except ConfigError as exc:
        log.warning("status page not usable: %s", exc)
        return UnavailableSource("is misconfigured", str(exc))


def status_source() -> Optional[StatusSource]:
    """``configured_source()``, or an always-unknown source when setting it up fails: what a
    diagnosis is given, so status trouble never breaks it (None: no page configured)."""
    try:
        return configured_source()
    except Exception as exc:  # noqa: BLE001 - status trouble must never break a reply
        return UnavailableSource("could not be set up", f"{type(exc).__name__}: {exc}"[:300])


def current_status() -> Optional[StatusReading]:
    """The configured status page's reading (None when no page is configured); never raises."""
    return read_status(status_source())
