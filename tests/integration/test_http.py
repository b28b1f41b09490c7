"""bot.integrations.http over real sockets: retries, Retry-After, timeouts, errors, no secrets.

The Retry-After tests record urllib3's sleep instead of sleeping (the value asked for is what
matters, and no test waits two minutes or asserts a duration).
"""

import base64
import logging
import time
from types import SimpleNamespace
from typing import Any, Iterator, List

import pytest
import requests
import urllib3.util.retry

from bot.integrations.http import HttpPolicy, RemoteError, build_session, call, json_body, safe_url
from tests.fakes.http_server import FakeService, Reply, Request

FAST = HttpPolicy(connect_timeout=0.5, read_timeout=0.5, retries=2, backoff_factor=0, max_retry_after=1)
PASSWORD = "s3cr3t-Pa55word"
TOKEN = "tok-9f8e7d6c5b4a"


class Echo(FakeService):
    """Answers every request with 200 and what it received (tests script the faults)."""

    def handle(self, request: Request) -> Reply:
        return Reply(200, {"ok": True, "method": request.method, "path": request.path})


@pytest.fixture
def echo() -> Iterator[Echo]:
    with Echo() as service:
        yield service  # type: ignore[misc]


@pytest.fixture
def sleeps(monkeypatch) -> List[float]:
    """What urllib3 asked to sleep for between retries (recorded, not slept)."""
    asked: List[float] = []
    clock = SimpleNamespace(sleep=asked.append, time=time.time, monotonic=time.monotonic)
    monkeypatch.setattr(urllib3.util.retry, "time", clock)  # urllib3's sleeps only
    return asked


def test_get_is_retried_on_503_then_succeeds(echo) -> None:
    echo.fail_next(503, {"error": "warming up"})
    response = call(build_session(FAST), "svc", "GET", echo.url + "/thing")
    assert response.json()["ok"] is True
    assert len(echo.requests) == 2


def test_post_is_not_replayed_on_500(echo) -> None:
    echo.fail_next(500, {"message": "database is locked"}, times=5)
    with pytest.raises(RemoteError) as caught:
        call(build_session(FAST), "svc", "POST", echo.url + "/create", json={"a": 1},
             error_message=lambda r: r.json()["message"])
    assert len(echo.requests) == 1  # replaying a create could duplicate it: the caller decides
    assert caught.value.status == 500 and caught.value.transient
    assert caught.value.message == "database is locked"


def test_get_gives_up_after_the_retry_budget(echo) -> None:
    echo.fail_next(500, "boom", times=10)
    with pytest.raises(RemoteError) as caught:
        call(build_session(FAST), "svc", "GET", echo.url + "/thing")
    assert len(echo.requests) == FAST.retries + 1
    assert caught.value.status == 500 and "boom" in str(caught.value)


def test_retry_after_is_honoured(echo, sleeps) -> None:
    echo.fail_next(429, {"error": "slow down"}, headers={"Retry-After": "1"})
    call(build_session(FAST), "svc", "GET", echo.url + "/thing")
    assert sleeps == [1.0] and len(echo.requests) == 2


def test_retry_after_is_capped(echo, sleeps) -> None:
    echo.fail_next(503, "maintenance", headers={"Retry-After": "120"})
    policy = HttpPolicy(connect_timeout=0.5, read_timeout=0.5, retries=2, backoff_factor=0,
                        max_retry_after=0.25)
    call(build_session(policy), "svc", "GET", echo.url + "/thing")
    assert sleeps == [0.25] and len(echo.requests) == 2


def test_429_on_post_is_reported_with_its_retry_after(echo) -> None:
    echo.fail_next(429, {"error": "rate limited"}, headers={"Retry-After": "7"})
    with pytest.raises(RemoteError) as caught:
        call(build_session(FAST), "svc", "POST", echo.url + "/create", json={})
    assert caught.value.status == 429 and caught.value.retry_after == 7.0 and caught.value.transient
    assert len(echo.requests) == 1


def test_4xx_is_a_clear_error_with_the_remote_message(echo) -> None:
    echo.fail_next(404, {"error": {"message": "No Record found"}}, times=3)
    with pytest.raises(RemoteError) as caught:
        call(build_session(FAST), "svc", "GET", echo.url + "/table/x?sysparm_query=a",
             error_message=lambda r: r.json()["error"]["message"])
    assert str(caught.value) == "svc HTTP 404: No Record found"
    assert not caught.value.transient and len(echo.requests) == 1


def test_unreadable_error_body_still_gives_an_error(echo) -> None:
    echo.fail_next(400, "<html>Bad Request</html>")
    with pytest.raises(RemoteError) as caught:
        call(build_session(FAST), "svc", "GET", echo.url, error_message=lambda r: r.json()["error"])
    assert caught.value.status == 400 and "Bad Request" in caught.value.message


def test_every_call_has_a_timeout(echo) -> None:
    echo.delay_next(2, times=5)
    policy = HttpPolicy(connect_timeout=0.5, read_timeout=0.3, retries=0, backoff_factor=0)
    with pytest.raises(RemoteError, match="timed out on GET"):
        call(build_session(policy), "svc", "GET", echo.url + "/slow")


def test_a_timeout_that_outlasts_the_retries_is_still_a_timeout(echo) -> None:
    echo.delay_next(2, times=5)
    policy = HttpPolicy(connect_timeout=0.5, read_timeout=0.3, retries=1, backoff_factor=0)
    with pytest.raises(RemoteError, match="timed out on GET") as caught:
        call(build_session(policy), "svc", "GET", echo.url + "/slow")
    assert caught.value.status is None and caught.value.transient
    assert len(echo.requests) == 2


def test_refused_connection_is_cannot_reach() -> None:
    with Echo() as gone:
        url = gone.url
    with pytest.raises(RemoteError, match="cannot reach") as caught:
        call(build_session(FAST), "svc", "GET", url + "/x")
    assert caught.value.status is None and caught.value.transient


def test_malformed_json_is_a_remote_error(echo) -> None:
    echo.fail_next(200, "not json {", headers={"Content-Type": "application/json"})
    response = call(build_session(FAST), "svc", "GET", echo.url + "/x")
    with pytest.raises(RemoteError, match="malformed JSON"):
        json_body(response, "svc")


def test_safe_url_drops_credentials_and_query() -> None:
    assert (safe_url(f"https://user:{PASSWORD}@example.com:8443/api/now?token={TOKEN}")
            == "https://example.com:8443/api/now")


def _secret_free(text: str) -> bool:
    basic = base64.b64encode(f"svc-user:{PASSWORD}".encode()).decode()
    return all(secret not in text for secret in (PASSWORD, TOKEN, basic))


def _calls_with_secrets(echo: Echo) -> List[str]:
    """Successes, retried failures, a 401 and an unreachable host, with basic auth and a token."""
    texts: List[str] = []
    basic = build_session(FAST, auth=("svc-user", PASSWORD))
    bearer = build_session(FAST, headers={"Authorization": f"Bearer {TOKEN}"})
    for session in (basic, bearer):
        call(session, "svc", "GET", echo.url + "/ok")
        echo.fail_next(503, "down", times=10)
        echo.fail_next(401, {"error": "bad credentials"}, match=lambda r: r.method == "POST")
        for method in ("GET", "POST"):
            try:
                call(session, "svc", method, echo.url + "/fail", json={"x": 1})
            except RemoteError as exc:
                texts.append(str(exc))
        echo.clear_faults()
    with Echo() as gone:
        url = gone.url
    in_url = url.replace("http://", f"http://svc-user:{PASSWORD}@") + "/x"
    for session, target in ((basic, url + "/x"), (requests.Session(), in_url)):
        try:
            call(session, "svc", "GET", target, timeout=0.5)
        except RemoteError as exc:
            texts.append(str(exc))
    return texts


def test_secrets_never_reach_logs_or_errors(echo, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs every request line and retry at DEBUG
    for name in ("urllib3", "urllib3.connectionpool", "urllib3.util.retry", "bot.integrations.http"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    errors = _calls_with_secrets(echo)
    assert len(errors) == 6
    # The secrets were really sent (else this test could not fail) ...
    sent = [r.headers.get("Authorization", "") for r in echo.requests]
    assert any(h.startswith("Basic ") for h in sent) and f"Bearer {TOKEN}" in sent
    # ... and urllib3 did log at DEBUG ...
    assert any(r.name.startswith("urllib3") and r.levelno == logging.DEBUG for r in caplog.records)
    # ... yet no record and no error text holds them.
    for record in caplog.records:
        assert _secret_free(record.getMessage()), record.getMessage()
    for text in errors:
        assert _secret_free(text), text


def test_session_carries_defaults(echo) -> None:
    session = build_session(FAST, headers={"X-Client": "closebot-test"})
    call(session, "svc", "GET", echo.url + "/h")
    headers: Any = echo.requests[-1].headers
    assert headers["X-Client"] == "closebot-test" and headers["User-Agent"] == "closebot"
    assert session.default_timeout == (FAST.connect_timeout, FAST.read_timeout)
