"""One pooled ``requests.Session`` per remote system, with timeouts and retries on every call.

Retries are urllib3's ``Retry`` (a well-kept library, not a hand-written loop): connection
errors on any method (the request never reached the server), and 429/5xx only on idempotent
methods, honouring ``Retry-After`` up to a cap. A POST that got a 429 or 5xx is *not* replayed
here: the caller (the ticket outbox) decides, because replaying a create can duplicate it.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retry budget for one remote system."""

    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    retries: int = 3
    backoff_factor: float = 0.5
    max_retry_after: float = 30.0
    pool_size: int = 10


def worst_case_seconds(policy: HttpPolicy) -> float:
    """The longest one call can take, retries included: every attempt waits out its connect and
    read timeouts, and every retry first sleeps the longer of the capped Retry-After and the
    backoff (urllib3: ``backoff_factor * 2 ** (retry - 1)``, at most ``Retry.DEFAULT_BACKOFF_MAX``).

    With the defaults: 4 x (3.05 + 10) + 3 x 30 = 142.2 s. The outbox lease must outlast this (it
    is renewed before each call). A server that trickles its answer a byte per read timeout
    escapes any bound: a create slowed like that can still race the worker that takes over.
    """
    sleeps = sum(max(policy.max_retry_after, min(Retry.DEFAULT_BACKOFF_MAX, policy.backoff_factor * 2 ** n))
                 for n in range(policy.retries))
    return (policy.retries + 1) * (policy.connect_timeout + policy.read_timeout) + sleeps


#: called with (method, url) before each request this thread sends (``before_each_request``)
_before_request: ContextVar[Optional[Callable[[str, str], None]]] = ContextVar("before_request", default=None)


@contextmanager
def before_each_request(hook: Callable[[str, str], None]) -> Iterator[None]:
    """Run ``hook(method, url)`` before every request sent in this block, on this thread; an
    exception from the hook stops the request from being sent. The outbox renews its lease
    this way before each call the backend makes, however many calls one change needs."""
    token = _before_request.set(hook)
    try:
        yield
    finally:
        _before_request.reset(token)


class RemoteError(Exception):
    """A remote system refused or failed a call; ``message`` is the remote's own words."""

    def __init__(self, system: str, message: str, status: Optional[int] = None,
                 retry_after: Optional[float] = None) -> None:
        super().__init__(f"{system}: {message}" if status is None else f"{system} HTTP {status}: {message}")
        self.system = system
        self.status = status
        self.message = message
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Worth trying again later: unreachable, throttled or a server-side failure."""
        return self.status is None or self.status == 429 or self.status >= 500


class _CappedRetry(Retry):
    """urllib3 ``Retry`` that never sleeps longer than ``max_retry_after`` for one Retry-After."""

    max_retry_after: float = 30.0

    def get_retry_after(self, response: Any) -> Optional[float]:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)

    def new(self, **kw: Any) -> "_CappedRetry":
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        return retry


class TimeoutSession(requests.Session):
    """A session whose every request carries the policy's (connect, read) timeout."""

    def __init__(self, timeout: Tuple[float, float]) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        hook = _before_request.get()
        if hook is not None:
            hook(method, url)
        return super().request(method, url, *args, **kwargs)


def build_session(policy: HttpPolicy, headers: Optional[Mapping[str, str]] = None,
                  auth: Any = None) -> TimeoutSession:
    """A pooled session for one backend: retries, timeouts, default headers and auth."""
    retry = _CappedRetry(
        total=policy.retries,
        connect=policy.retries,
        read=policy.retries,
        status=policy.retries,
        other=0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        backoff_factor=policy.backoff_factor,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry.max_retry_after = policy.max_retry_after
    session = TimeoutSession((policy.connect_timeout, policy.read_timeout))
    adapter = HTTPAdapter(max_retries=retry, pool_connections=policy.pool_size,
                          pool_maxsize=policy.pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"Accept": "application/json", "User-Agent": "closebot"})
    if headers:
        session.headers.update(headers)
    session.auth = auth
    return session


def safe_url(url: str) -> str:
    """The URL without credentials or query string, fit for logs and error messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def retry_after_seconds(response: requests.Response) -> Optional[float]:
    """Retry-After as seconds (delta or HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, Retry.parse_retry_after(Retry(), value))
    except Exception:  # noqa: BLE001 - a malformed header just means "no hint"
        return None


def call(session: requests.Session, system: str, method: str, url: str,
         error_message: Any = None, **kwargs: Any) -> requests.Response:
    """Send one request; a connection failure or an error status becomes a ``RemoteError``.

    ``error_message(response)`` extracts the remote's message from an error body (each vendor
    shapes it differently); secrets never reach the message: only the safe URL is named.
    """
    try:
        response = session.request(method, url, **kwargs)
    except requests.exceptions.RetryError as exc:
        raise RemoteError(system, f"gave up after retries on {method} {safe_url(url)}: {_reason(exc)}") from exc
    except requests.exceptions.Timeout as exc:
        raise RemoteError(system, f"timed out on {method} {safe_url(url)}") from exc
    except requests.exceptions.ConnectionError as exc:
        if is_timeout(exc):  # a read timeout that outlasted the retries arrives as this
            raise RemoteError(system, f"timed out on {method} {safe_url(url)}") from exc
        raise RemoteError(system, f"cannot reach {safe_url(url)}: {_reason(exc)}") from exc
    if response.status_code >= 400:
        message = None
        if error_message is not None:
            try:
                message = error_message(response)
            except Exception:  # noqa: BLE001 - a malformed error body still yields an error
                message = None
        message = message or _fallback_message(response)
        log.warning("%s %s %s -> HTTP %s: %s", system, method, safe_url(url), response.status_code, message)
        raise RemoteError(system, message, status=response.status_code,
                          retry_after=retry_after_seconds(response))
    return response


def json_body(response: requests.Response, system: str) -> Any:
    """The response's JSON, or a ``RemoteError`` saying the remote sent something else."""
    try:
        return response.json()
    except ValueError as exc:
        snippet = response.text[:80].replace("\n", " ")
        raise RemoteError(system, f"malformed JSON from {safe_url(response.url)}: {snippet!r}",
                          status=response.status_code) from exc


def is_timeout(exc: BaseException) -> bool:
    """The request timed out: requests' Timeout, or retries given up on a urllib3 timeout."""
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # urllib3 2 derives "connection refused" (NewConnectionError) from ConnectTimeoutError.
    return (isinstance(reason, urllib3.exceptions.TimeoutError)
            and not isinstance(reason, urllib3.exceptions.NewConnectionError))


def _fallback_message(response: requests.Response) -> str:
    text = (response.text or "").strip().replace("\n", " ")
    return text[:200] or response.reason or f"HTTP {response.status_code}"


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)
    return type(reason).__name__ if not str(reason) else str(reason)[:160]
