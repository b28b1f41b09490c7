"""Fakes of the Microsoft Bot Framework on 127.0.0.1, with the documented shapes.

- ``OpenIdFake``: ``GET /v1/.well-known/openidconfiguration`` (metadata naming ``jwks_uri``) and
  ``GET /v1/.well-known/keys`` (the JWKS: RSA keys generated here with ``cryptography``, each
  endorsed for ``msteams``). ``sign(...)`` makes the token the Bot Connector would send;
  ``rotate()`` publishes a new key (the old ones dropped), as Microsoft does.
- ``TokenFake``: ``POST /oauth2/v2.0/token`` (client credentials); records every request and
  issues tokens with ``expires_in``.
- ``ConnectorFake``: ``POST /v3/conversations/{id}/activities`` records reply activities (only
  with a bearer token the ``TokenFake`` issued); ``GET /v3/conversations/{id}/members/{userId}``
  serves the roster entries tests add with ``add_member``.
"""

import base64
import itertools
import threading
import time
import uuid
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import parse_qs, unquote

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.http_server import FakeService, Reply, Request

ISSUER = "https://api.botframework.com"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"
TOKEN_PATH = "/oauth2/v2.0/token"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str, endorsements: Optional[List[str]] = None) -> Dict[str, Any]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "use": "sig", "kid": kid, "n": _b64(numbers.n), "e": _b64(numbers.e),
            "endorsements": endorsements if endorsements is not None else ["msteams"]}


class OpenIdFake(FakeService):
    """The OpenID metadata and its key set; signs tokens as the Bot Connector would."""

    def __init__(self, app_id: str) -> None:
        super().__init__()
        self.app_id = app_id
        self.private: Dict[str, rsa.RSAPrivateKey] = {}
        self.published: List[str] = []
        self.rotate()

    @property
    def current_kid(self) -> str:
        return self.published[-1]

    def rotate(self) -> str:
        """Publish a new signing key and drop the old ones; returns its kid."""
        kid = f"kid-{uuid.uuid4().hex[:12]}"
        self.private[kid] = new_key()
        self.published = [kid]
        return kid

    def handle(self, request: Request) -> Reply:
        if request.method == "GET" and request.path == METADATA_PATH:
            return Reply(body={"issuer": ISSUER, "authorization_endpoint": "https://invalid.botframework.com",
                               "jwks_uri": f"{self.url}{KEYS_PATH}",
                               "id_token_signing_alg_values_supported": ["RS256"],
                               "token_endpoint_auth_methods_supported": ["private_key_jwt"]})
        if request.method == "GET" and request.path == KEYS_PATH:
            return Reply(body={"keys": [public_jwk(self.private[k], k) for k in self.published]})
        return Reply(404, {"error": "not found"})

    @property
    def metadata_url(self) -> str:
        return f"{self.url}{METADATA_PATH}"

    def fetches(self, path: str = KEYS_PATH) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def sign(self, service_url: str, audience: Optional[str] = None, issuer: str = ISSUER,
             expires_in: float = 3600, not_before: float = -60, kid: Optional[str] = None,
             key: Optional[rsa.RSAPrivateKey] = None, claims: Optional[Dict[str, Any]] = None,
             now: Optional[float] = None) -> str:
        """A Bot Connector token for ``service_url`` (claim ``serviceurl``, as Microsoft names it)."""
        moment = time.time() if now is None else now
        kid = kid or self.current_kid
        payload = {"iss": issuer, "aud": audience or self.app_id, "serviceurl": service_url,
                   "nbf": int(moment + not_before), "exp": int(moment + expires_in), **(claims or {})}
        return jwt.encode(payload, key or self.private[kid], algorithm="RS256", headers={"kid": kid})


class TokenFake(FakeService):
    """The Entra ID token endpoint (client credentials)."""

    def __init__(self, app_id: str, app_password: str, expires_in: int = 3599) -> None:
        super().__init__()
        self.app_id, self.app_password, self.expires_in = app_id, app_password, expires_in
        self.issued: List[str] = []
        self._numbers = itertools.count(1)

    @property
    def token_url(self) -> str:
        return f"{self.url}{TOKEN_PATH}"

    def forms(self) -> List[Dict[str, str]]:
        return [{k: v[0] for k, v in parse_qs(r.body.decode()).items()} for r in self.requests
                if r.path == TOKEN_PATH]

    def handle(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != TOKEN_PATH:
            return Reply(404, {"error": "not_found"})
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("client_id") != self.app_id or form.get("client_secret") != self.app_password:
            return Reply(401, {"error": "invalid_client",
                               "error_description": "AADSTS7000215: Invalid client secret provided."})
        token = f"at-{next(self._numbers)}-{uuid.uuid4().hex[:8]}"
        with self._lock:
            self.issued.append(token)
        return Reply(body={"token_type": "Bearer", "expires_in": self.expires_in,
                           "ext_expires_in": self.expires_in, "access_token": token})


class ConnectorFake(FakeService):
    """The Bot Connector at a ``serviceUrl``: reply activities and the conversation roster."""

    def __init__(self, valid_token: Callable[[str], bool]) -> None:
        super().__init__()
        self.valid_token = valid_token
        self.members: Dict[str, Dict[str, Any]] = {}
        self.activities: List[Dict[str, Any]] = []  # {"conversation": id, "activity": {...}, "token": ...}
        self._changed = threading.Condition(self._lock)

    def add_member(self, user_id: str, aad_object_id: str, email: Optional[str], name: str = "Someone",
                   upn: Optional[str] = None) -> None:
        entry = {"id": user_id, "name": name, "aadObjectId": aad_object_id, "objectId": aad_object_id,
                 "givenName": name.split()[0], "tenantId": "tenant-1", "userRole": "user"}
        if email is not None:
            entry["email"] = email
        entry["userPrincipalName"] = upn or email or f"{aad_object_id}@example.invalid"
        self.members[user_id] = entry

    def handle(self, request: Request) -> Reply:
        auth = request.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or not self.valid_token(auth[len("Bearer "):]):
            return Reply(401, {"error": {"code": "Unauthorized", "message": "Authorization has been denied."}})
        parts = request.path.split("/")  # ['', 'v3', 'conversations', '{id}', 'activities' | 'members', ...]
        if len(parts) < 5 or parts[1:3] != ["v3", "conversations"]:
            return Reply(404, {"error": {"code": "NotFound", "message": "no such route"}})
        conversation = unquote(parts[3])
        if request.method == "POST" and parts[4:] == ["activities"]:
            with self._changed:
                self.activities.append({"conversation": conversation, "activity": request.json(),
                                        "token": auth[len("Bearer "):]})
                self._changed.notify_all()
            return Reply(201, {"id": f"r-{len(self.activities)}"})
        if request.method == "GET" and len(parts) == 6 and parts[4] == "members":
            member = self.members.get(unquote(parts[5]))
            if member is None:
                return Reply(404, {"error": {"code": "MemberNotFoundInConversation",
                                             "message": "The member could not be found in the conversation."}})
            return Reply(body=member)
        return Reply(404, {"error": {"code": "NotFound", "message": "no such route"}})

    def sent_to(self, conversation: str) -> List[Dict[str, Any]]:
        with self._lock:
            return [a["activity"] for a in self.activities if a["conversation"] == conversation]

    def wait_for(self, conversation: str, predicate: Callable[[List[Dict[str, Any]]], bool],
                 timeout: float = 60) -> List[Dict[str, Any]]:
        """The activities sent to ``conversation`` once ``predicate`` holds for them (else fail)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                sent = [a["activity"] for a in self.activities if a["conversation"] == conversation]
                if predicate(sent):
                    return sent
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching activity in {conversation!r} after {timeout}s: {sent}")
                self._changed.wait(left)
