"""The first step of every bearer-token check (Teams' Bot Connector tokens, the web chat's):
take the token out of ``Authorization: Bearer …`` and read its header, without trusting either."""

import re
from typing import Any, Dict, Optional, Tuple

import jwt


class Refused(Exception):
    """The request carries no valid token for this channel; the reason is for the log only."""


def bearer_token(authorization: Optional[str]) -> Tuple[str, Dict[str, Any]]:
    """(token, unverified header) of an ``Authorization`` header, else ``Refused``."""
    match = re.fullmatch(r"Bearer\s+(\S+)", (authorization or "").strip())
    if match is None:
        raise Refused("no bearer token")
    token = match.group(1)
    try:
        return token, jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Refused(f"malformed token: {exc}") from exc
