"""The action server's door: a bearer token when one is configured, else 127.0.0.1 only.

Rasa SDK imports the package ``rasa_sdk_plugins`` (this one, from the project root) when
``rasa run actions`` starts, and calls ``init_hooks``. With ``CLOSEBOT_ACTION_TOKEN`` set every
call but ``/health`` needs ``Authorization: Bearer <token>`` (the Rasa server sends it, see
``channels.runtime``); unset, the server binds to 127.0.0.1, and refuses to start on any
other address (``SANIC_HOST``), since anyone who reaches it could run any action as anyone.
"""

import hmac
import ipaddress
import logging
import os
from typing import Any, Optional

import pluggy
from sanic import Sanic, response
from sanic.request import Request

log = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")

TOKEN_VARIABLE = "CLOSEBOT_ACTION_TOKEN"
OPEN_PATHS = ("/health",)


class ActionServerDoor:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        token = os.environ.get(TOKEN_VARIABLE) or None
        if token is None:
            host = os.environ.setdefault("SANIC_HOST", "127.0.0.1")
            if not _is_loopback(host):
                raise SystemExit(f"The action server would listen on {host} without a token: set "
                                 f"{TOKEN_VARIABLE} (and the same on the Rasa server), or SANIC_HOST=127.0.0.1.")
            log.info("action server: no %s, listening on %s only", TOKEN_VARIABLE, host)
            return

        @app.middleware("request")
        async def require_token(request: Request) -> Optional[Any]:
            if request.path in OPEN_PATHS:
                return None
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return response.json({"error": "unauthorized"}, status=401)
            return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionServerDoor())
