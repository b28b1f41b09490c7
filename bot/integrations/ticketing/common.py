"""What the ServiceNow and Jira backends share: credentials from the environment, the
correlation token, text limits, mapping defaults and the "which ticket is this" footer.

Kept here so both backends validate their configuration the same way and fail at start-up
(a ``ConfigError`` naming the setting or variable), not in the middle of a delivery.
"""

import hashlib
import re
from typing import Dict, Iterable, List, Mapping, Optional, Tuple, TypeVar
from urllib.parse import urlsplit

from bot.integrations.http import RemoteError, safe_url
from bot.integrations.settings import ConfigError
from bot.integrations.ticketing.base import RemoteTicketRequest

K = TypeVar("K")
V = TypeVar("V")

_TOKEN_SAFE = re.compile(r"^[A-Za-z0-9_.:-]+$")
_TOKEN_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9_.:-]+")
#: ServiceNow's correlation_id column holds 100 characters; Jira labels 255. One limit for both.
CORRELATION_MAX = 100


class WorkflowError(RemoteError):
    """The remote answered, but its workflow cannot do what the mapping asks (e.g. no Jira
    transition to the mapped status). Retrying will not help: the configuration must change."""

    @property
    def transient(self) -> bool:
        return False


def correlation_token(correlation_id: str, max_len: int = CORRELATION_MAX) -> str:
    """Our correlation id as a value both vendors store and query verbatim.

    A short id of safe characters is used as is; anything else (spaces, ``^`` that would split
    a ServiceNow query, quotes that would break JQL, or too long to be stored whole) becomes a
    readable prefix plus a hash of the whole id, so two different ids never share a token.
    """
    if not correlation_id:
        raise ValueError("a remote ticket needs a correlation id")
    if len(correlation_id) <= max_len and _TOKEN_SAFE.match(correlation_id):
        return correlation_id
    digest = hashlib.sha256(correlation_id.encode("utf-8")).hexdigest()[:16]
    prefix = _TOKEN_UNSAFE_CHARS.sub("-", correlation_id).strip("-")[: max_len - len(digest) - 1]
    return f"{prefix}-{digest}" if prefix else digest


def comment_tag(key: str) -> str:
    """The short tag a comment made for outbox ``key`` ends with, e.g. ``[closebot ref 1a2b3c4d5e6f]``.

    A hash, not the key itself: it is short enough not to bother readers, holds no characters
    either vendor's query syntax or formatting treats specially, and is the same on every retry.
    """
    if not key:
        raise ValueError("a comment tag needs a key")
    return f"[{comment_tag_text(key)}]"


def comment_tag_text(key: str) -> str:
    """The tag without its brackets: what a remote search looks for (brackets are special in
    some query syntaxes, and 48 bits of hash are unique enough within one ticket's comments)."""
    return f"closebot ref {hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}"


def provenance(request: RemoteTicketRequest) -> str:
    """The line that ties the remote ticket to ours: local number, company, period, requester."""
    parts = [f"company {request.company}"]
    if request.period:
        parts.append(f"period {request.period}")
    if request.requester:
        parts.append(f"requested by {request.requester}")
    return f"Closebot ticket {request.local_number} ({', '.join(parts)})."


def merged(defaults: Mapping[K, V], configured: Mapping[K, V]) -> Dict[K, V]:
    """The configured entries over the defaults: overriding one entry keeps the others."""
    return {**defaults, **configured}


def require_keys(system: str, table: str, mapping: Mapping[K, V], keys: Iterable[K]) -> None:
    """A ``ConfigError`` naming every key of ``keys`` the mapping lacks."""
    missing = [str(k) for k in keys if k not in mapping]
    if missing:
        raise ConfigError(f"tickets.{system}.{table}: no entry for {', '.join(missing)}")


def base_url(system: str, url: Optional[str], env_var: str) -> Tuple[Optional[str], List[str]]:
    """The configured site URL without a trailing slash, or the problems with it.

    Credentials in the URL are refused (they would bypass the environment and could end up in
    logs); the message then never repeats the URL.
    """
    if not url:
        return None, [f"the {system} URL (tickets.{system}.url or {env_var})"]
    parts = urlsplit(url)
    if parts.username or parts.password:
        return None, [f"a {system} URL without credentials in it ({env_var}); "
                      "credentials belong in their own environment variables"]
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        return None, [f"a {system} URL like https://host (got {safe_url(url)!r})"]
    return url.rstrip("/"), []


def credentials(environment: Mapping[str, str], *names: str) -> Tuple[Optional[List[str]], List[str]]:
    """The values of ``names`` when all are set, else the names that are missing (never values)."""
    values = [environment.get(name) or "" for name in names]
    missing = [name for name, value in zip(names, values) if not value]
    return (None, missing) if missing else (values, [])


def config_problem(system: str, problems: List[str]) -> ConfigError:
    """One error naming everything missing at once, so the operator fixes it in one go."""
    return ConfigError(f"ticket backend {system}: missing {'; '.join(problems)}")
