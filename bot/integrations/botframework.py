"""The Microsoft Bot Framework over HTTP: signing keys, the bot's access token, the connector.

Three small clients, each thread-safe and synchronous (the Teams channel calls them in worker
threads, never on the event loop), each on its own pooled session (``bot.integrations.http``):

- ``SigningKeys``: the OpenID metadata (``TEAMS_OPENID_METADATA_URL``) and the keys its
  ``jwks_uri`` lists, cached for a day. A token naming a ``kid`` the cache does not hold makes
  it fetch both again (Microsoft rotates keys), but at most once per ``min_refetch_seconds``, so
  a flood of made-up kids cannot turn into a flood of requests to the metadata.
- ``TokenClient``: client credentials against the single-tenant token URL, scope
  ``https://api.botframework.com/.default``; the token is reused until shortly before it expires.
- ``Connector``: reply activities to ``{serviceUrl}/v3/conversations/{id}/activities`` and the
  roster lookup ``.../members/{userId}`` (for the e-mail), with that bearer token.

No secret reaches a log line or an error message: ``http.call`` names only the safe URL.
"""

import logging
import threading
import time
from typing import Any, Callable, Dict, Optional
from urllib.parse import quote

import requests

from bot.integrations.http import HttpPolicy, RemoteError, build_session, call, json_body

log = logging.getLogger(__name__)

SYSTEM = "botframework"
DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
#: The legacy multi-tenant authority, used only when no tenant is configured.
MULTI_TENANT = "botframework.com"
SCOPE = "https://api.botframework.com/.default"

#: How long fetched signing keys are trusted before they are fetched again on the next check.
KEYS_TTL_SECONDS = 24 * 3600.0
#: Least time between two fetches caused by an unknown ``kid`` (or by a failed fetch).
MIN_REFETCH_SECONDS = 30.0
#: A token is renewed when less than this is left of its life (or half its life, if shorter).
TOKEN_RENEW_MARGIN_SECONDS = 300.0

#: Key lookups and token requests must never hold a request up for long.
POLICY = HttpPolicy(connect_timeout=3.05, read_timeout=10.0, retries=2, backoff_factor=0.3)


def _error_message(response: requests.Response) -> Optional[str]:
    """Microsoft's error bodies: ``{"error": "...", "error_description": "..."}`` from the token
    endpoint, ``{"error": {"code": ..., "message": ...}}`` from the connector."""
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return ": ".join(str(error[k]) for k in ("code", "message") if error.get(k)) or None
    if isinstance(error, str):
        description = str(body.get("error_description") or "").split("\r\n")[0]
        return f"{error}: {description}" if description else error
    return None


class SigningKeys:
    """The Bot Framework's token signing keys by ``kid``, fetched from the OpenID metadata."""

    def __init__(self, metadata_url: str = DEFAULT_OPENID_METADATA_URL,
                 session: Optional[requests.Session] = None, ttl_seconds: float = KEYS_TTL_SECONDS,
                 min_refetch_seconds: float = MIN_REFETCH_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.metadata_url = metadata_url
        self.session = session or build_session(POLICY)
        self.ttl_seconds = ttl_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self.monotonic = monotonic
        self._keys: Dict[str, Dict[str, Any]] = {}
        self._fetched_at: Optional[float] = None  # the last successful fetch
        self._failed_at: Optional[float] = None  # the last failed fetch
        self._unknown_at: Optional[float] = None  # the last fetch an unknown kid caused
        self._lock = threading.Lock()

    def key(self, kid: str) -> Optional[Dict[str, Any]]:
        """The JWK with this ``kid``, or None when the metadata does not list it.

        Raises ``RemoteError`` only when there are no keys at all to check with.
        """
        with self._lock:
            now = self.monotonic()
            if not self._keys:
                if not self._quiet_since(self._failed_at, now):
                    raise RemoteError(SYSTEM, "signing keys unavailable (the last fetch failed)")
                self._fetch(now)
            elif now - (self._fetched_at or 0.0) >= self.ttl_seconds:
                self._refresh(now)
            if kid not in self._keys and self._quiet_since(self._unknown_at, now):
                log.info("token signed with unknown key %r: fetching the signing keys again", kid[:64])
                self._unknown_at = now
                self._refresh(now)
            return self._keys.get(kid)

    def _quiet_since(self, moment: Optional[float], now: float) -> bool:
        return moment is None or now - moment >= self.min_refetch_seconds

    def _refresh(self, now: float) -> None:
        """Fetch again unless a fetch just failed; keep the keys we have when this one fails."""
        if not self._quiet_since(self._failed_at, now):
            return
        try:
            self._fetch(now)
        except RemoteError as exc:
            log.warning("could not refresh the Bot Framework signing keys (keeping %d): %s",
                        len(self._keys), exc)

    def _fetch(self, now: float) -> None:
        try:
            metadata = json_body(call(self.session, SYSTEM, "GET", self.metadata_url,
                                      error_message=_error_message), SYSTEM)
            jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise RemoteError(SYSTEM, "the OpenID metadata has no jwks_uri")
            document = json_body(call(self.session, SYSTEM, "GET", jwks_uri, error_message=_error_message),
                                 SYSTEM)
            listed = document.get("keys") if isinstance(document, dict) else None
            if not isinstance(listed, list):
                raise RemoteError(SYSTEM, "the key set has no 'keys' list")
            keys = {k["kid"]: k for k in listed if isinstance(k, dict) and isinstance(k.get("kid"), str)}
            if not keys:
                raise RemoteError(SYSTEM, "the key set lists no keys")
        except RemoteError:
            self._failed_at = now  # a dead or broken metadata host is not asked again at once
            raise
        self._keys, self._fetched_at, self._failed_at = keys, now, None


class TokenClient:
    """The bot's access token for the connector: client credentials, cached until near expiry."""

    def __init__(self, token_url: str, app_id: str, app_password: str,
                 session: Optional[requests.Session] = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.token_url = token_url
        self.app_id = app_id
        self._password = app_password
        self.session = session or build_session(POLICY)
        self.monotonic = monotonic
        self._token: Optional[str] = None
        self._renew_at = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or self.monotonic() >= self._renew_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> None:
        """The connector refused ``token``: the next call fetches a new one."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> None:
        asked_at = self.monotonic()
        form = {"grant_type": "client_credentials", "client_id": self.app_id,
                "client_secret": self._password, "scope": SCOPE}
        body = json_body(call(self.session, SYSTEM, "POST", self.token_url, data=form,
                              error_message=_error_message), SYSTEM)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise RemoteError(SYSTEM, "the token endpoint sent no access_token")
        try:
            lifetime = float(body.get("expires_in", 0))
        except (TypeError, ValueError):
            lifetime = 0.0
        self._token = token
        self._renew_at = asked_at + lifetime - min(TOKEN_RENEW_MARGIN_SECONDS, lifetime / 2)


class Connector:
    """The Bot Connector REST API at a conversation's ``serviceUrl``."""

    def __init__(self, tokens: TokenClient, session: Optional[requests.Session] = None) -> None:
        self.tokens = tokens
        self.session = session or build_session(POLICY, headers={"Content-Type": "application/json"})

    def send(self, service_url: str, conversation_id: str, activity: Dict[str, Any]) -> Dict[str, Any]:
        """Post ``activity`` into the conversation (a reply carries its ``replyToId``)."""
        url = f"{_base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        response = self._call("POST", url, json=activity)
        body = json_body(response, SYSTEM) if response.content else {}
        return body if isinstance(body, dict) else {}

    def member(self, service_url: str, conversation_id: str, user_id: str) -> Dict[str, Any]:
        """One member of the conversation (``email``, ``userPrincipalName``, ``aadObjectId``)."""
        url = (f"{_base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}"
               f"/members/{quote(user_id, safe='')}")
        body = json_body(self._call("GET", url), SYSTEM)
        return body if isinstance(body, dict) else {}

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        token = self.tokens.token()
        try:
            return call(self.session, SYSTEM, method, url, error_message=_error_message,
                        headers={"Authorization": f"Bearer {token}"}, **kwargs)
        except RemoteError as exc:
            if exc.status != 401:
                raise
        self.tokens.invalidate(token)  # revoked or rotated early: one new token, one more try
        return call(self.session, SYSTEM, method, url, error_message=_error_message,
                    headers={"Authorization": f"Bearer {self.tokens.token()}"}, **kwargs)


def _base(service_url: str) -> str:
    return service_url.rstrip("/")
