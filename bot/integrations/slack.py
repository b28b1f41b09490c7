"""The Slack Web API, as Closebot uses it: post a message (in a thread), look up a user's e-mail.

One pooled session with the bot token, timeouts and retries from ``bot.integrations.http``:
``users.info`` (a read) is retried on 429/5xx honouring Retry-After; ``chat.postMessage`` is
not replayed on an error status, since a second post is a second message. Slack answers
errors as HTTP 200 with ``{"ok": false, "error": "..."}``; those become ``RemoteError`` too.
Variables: ``SLACK_BOT_TOKEN``, ``SLACK_API_URL`` (default ``https://slack.com/api/``).
"""

import os
import threading
from typing import Any, Dict, List, Optional

import requests

from bot.integrations.http import HttpPolicy, RemoteError, build_session, call, json_body

SYSTEM = "slack"
DEFAULT_API_URL = "https://slack.com/api/"


class SlackClient:
    """Calls the Web API methods Closebot needs; thread-safe (one pooled session)."""

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, policy: Optional[HttpPolicy] = None) -> None:
        self.api_url = api_url.rstrip("/") + "/"
        self._session = build_session(policy or HttpPolicy(read_timeout=10.0),
                                      headers={"Authorization": f"Bearer {token}"})

    def post_message(self, channel: str, text: str, blocks: Optional[List[Dict[str, Any]]] = None,
                     thread_ts: Optional[str] = None) -> Dict[str, Any]:
        """``chat.postMessage``: ``text`` is the notification fallback when ``blocks`` are given."""
        body: Dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
        if blocks:
            body["blocks"] = blocks
        if thread_ts:
            body["thread_ts"] = thread_ts
        return self._ok(call(self._session, SYSTEM, "POST", self.api_url + "chat.postMessage", json=body,
                             headers={"Content-Type": "application/json; charset=utf-8"}))

    def user_email(self, user_id: str) -> Optional[str]:
        """The e-mail of a Slack user (``users.info``; needs the users:read.email scope)."""
        answer = self._ok(call(self._session, SYSTEM, "GET", self.api_url + "users.info",
                               params={"user": user_id}))
        return ((answer.get("user") or {}).get("profile") or {}).get("email") or None

    def close(self) -> None:
        self._session.close()

    def _ok(self, response: requests.Response) -> Dict[str, Any]:
        answer = json_body(response, SYSTEM)
        if not isinstance(answer, dict) or not answer.get("ok"):
            error = answer.get("error") if isinstance(answer, dict) else "unexpected answer"
            raise RemoteError(SYSTEM, str(error), status=response.status_code)
        return answer


_clients: Dict[str, SlackClient] = {}
_lock = threading.Lock()


def configured_client() -> Optional[SlackClient]:
    """The client for ``SLACK_BOT_TOKEN`` and ``SLACK_API_URL`` (one per configuration), or
    None when no token is set."""
    token = os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        return None
    api_url = os.environ.get("SLACK_API_URL") or DEFAULT_API_URL
    key = f"{api_url}|{token}"
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = SlackClient(token, api_url)
        return client
