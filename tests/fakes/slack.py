"""A fake Slack Web API on 127.0.0.1: chat.postMessage and users.info, as Slack answers them.

It records every call (``posts`` are the chat.postMessage bodies) and checks the bearer token;
``users`` maps Slack user ids to e-mails for users.info. Plus the signing helpers a test needs to
send Slack's own requests to the Rasa server: ``signed_headers`` and ``event``.
"""

import hashlib
import hmac
import json
import time
import uuid
from typing import Any, Dict, List, Optional

from tests.fakes.http_server import FakeService, Reply, Request

TOKEN = "xoxb-test-token"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class FakeSlack(FakeService):
    def __init__(self, users: Optional[Dict[str, str]] = None) -> None:
        super().__init__()
        self.users = dict(users or {})
        self.posts: List[Dict[str, Any]] = []
        self._ts = 1712345678.0

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def handle(self, request: Request) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Reply(200, {"ok": False, "error": "invalid_auth"})
        if request.path == "/api/chat.postMessage":
            body = request.json()
            with self._lock:
                self.posts.append(body)
                self._ts += 1
                ts = f"{self._ts:.6f}"
            return Reply(200, {"ok": True, "channel": body.get("channel"), "ts": ts})
        if request.path == "/api/users.info":
            user = request.arg("user")
            if user not in self.users:
                return Reply(200, {"ok": False, "error": "user_not_found"})
            return Reply(200, {"ok": True, "user": {"id": user, "profile": {"email": self.users[user]}}})
        return Reply(404, {"ok": False, "error": "unknown_method"})

    def texts(self) -> List[str]:
        with self._lock:
            return [p.get("text", "") for p in self.posts]


def signed_headers(body: bytes, secret: str = SECRET, timestamp: Optional[int] = None,
                   content_type: str = "application/json", **extra: str) -> Dict[str, str]:
    """Headers Slack sends: its timestamp and the v0 signature over the raw body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            **extra}


def event(text: str, user: str, channel: str = "D024BE91L", channel_type: str = "im", kind: str = "message",
          ts: Optional[str] = None, thread_ts: Optional[str] = None, team: str = "T061EG9R6",
          event_id: Optional[str] = None, **fields: Any) -> bytes:
    """An Events API ``event_callback`` body, as Slack posts it."""
    inner: Dict[str, Any] = {"type": kind, "user": user, "text": text, "channel": channel,
                             "ts": ts or f"{time.time():.6f}", "team": team, **fields}
    if kind == "message":
        inner["channel_type"] = channel_type
    if thread_ts:
        inner["thread_ts"] = thread_ts
    return json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A0123", "type": "event_callback",
                       "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
                       "event_time": int(time.time()), "event": inner}).encode()
