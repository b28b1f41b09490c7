"""The Bot Framework clients over real HTTP to fakes on 127.0.0.1: signing keys cached and
refetched on an unknown kid (but not hammered), the access token cached until near expiry,
reply activities and roster lookups with that token."""

import threading
from typing import List

import pytest

from bot.integrations.botframework import SCOPE, Connector, SigningKeys, TokenClient
from bot.integrations.http import RemoteError
from tests.fakes.botframework import KEYS_PATH, METADATA_PATH, ConnectorFake, OpenIdFake, TokenFake

APP_ID, PASSWORD = "app-1", "s3cret-value"


class Clock:
    """A monotonic clock the test moves by hand (no sleeping, no timing asserts)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def openid():
    with OpenIdFake(APP_ID) as fake:
        yield fake


@pytest.fixture
def tokens():
    with TokenFake(APP_ID, PASSWORD, expires_in=3599) as fake:
        yield fake


@pytest.fixture
def connector(tokens: TokenFake):
    with ConnectorFake(lambda t: t in tokens.issued) as fake:
        yield fake


def test_keys_are_fetched_once_and_cached(openid: OpenIdFake) -> None:
    keys = SigningKeys(openid.metadata_url)
    kid = openid.current_kid
    assert keys.key(kid)["kid"] == kid
    assert keys.key(kid)["kid"] == kid
    assert (openid.fetches(METADATA_PATH), openid.fetches(KEYS_PATH)) == (1, 1)


def test_an_unknown_kid_refetches_the_keys_once_per_interval(openid: OpenIdFake) -> None:
    clock = Clock()
    keys = SigningKeys(openid.metadata_url, min_refetch_seconds=30, monotonic=clock)
    old = openid.current_kid
    keys.key(old)
    new = openid.rotate()
    assert keys.key(new)["kid"] == new  # Microsoft rotated: the new key is fetched
    assert keys.key(old) is None  # ... and the dropped one is gone
    assert openid.fetches() == 2
    for n in range(50):  # a flood of made-up kids
        assert keys.key(f"made-up-{n}") is None
    assert openid.fetches() == 2
    clock.now += 31
    assert keys.key("made-up-again") is None
    assert openid.fetches() == 3  # one more look after the interval, no more


def test_keys_are_refreshed_after_a_day_and_kept_when_that_fails(openid: OpenIdFake) -> None:
    clock = Clock()
    keys = SigningKeys(openid.metadata_url, monotonic=clock)
    kid = openid.current_kid
    keys.key(kid)
    clock.now += 24 * 3600
    openid.fail_next(503, {"error": "busy"}, times=10)
    assert keys.key(kid)["kid"] == kid  # the refresh failed: the cached keys still serve
    assert openid.fetches(METADATA_PATH) >= 2


def test_no_keys_at_all_is_an_error_and_is_not_retried_at_once(openid: OpenIdFake) -> None:
    clock = Clock()
    keys = SigningKeys(openid.metadata_url, monotonic=clock)
    openid.down()
    try:
        with pytest.raises(RemoteError):
            keys.key("any")
        with pytest.raises(RemoteError, match="unavailable"):
            keys.key("any")  # not asked again within the interval
    finally:
        openid.up()
    clock.now += 31
    kid = openid.current_kid
    assert keys.key(kid)["kid"] == kid


def test_metadata_without_a_key_set_is_an_error(openid: OpenIdFake) -> None:
    openid.fail_next(200, {"issuer": "x"}, match=lambda r: r.path == METADATA_PATH)
    with pytest.raises(RemoteError, match="jwks_uri"):
        SigningKeys(openid.metadata_url).key(openid.current_kid)


def test_the_token_is_fetched_once_and_reused_until_near_expiry(tokens: TokenFake) -> None:
    clock = Clock()
    client = TokenClient(tokens.token_url, APP_ID, PASSWORD, monotonic=clock)
    first = client.token()
    assert client.token() == first
    clock.now += 3599 - 301
    assert client.token() == first
    clock.now += 2  # less than 5 minutes left
    second = client.token()
    assert second != first and len(tokens.forms()) == 2
    assert tokens.forms()[0] == {"grant_type": "client_credentials", "client_id": APP_ID,
                                 "client_secret": PASSWORD, "scope": SCOPE}


def test_concurrent_callers_share_one_token_request(tokens: TokenFake) -> None:
    client = TokenClient(tokens.token_url, APP_ID, PASSWORD)
    got: List[str] = []
    threads = [threading.Thread(target=lambda: got.append(client.token())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 1 and len(tokens.forms()) == 1


def test_a_wrong_secret_is_a_clear_error_without_the_secret(tokens: TokenFake) -> None:
    with pytest.raises(RemoteError) as refused:
        TokenClient(tokens.token_url, APP_ID, "wrong-secret").token()
    assert refused.value.status == 401 and "invalid_client" in str(refused.value)
    assert "wrong-secret" not in str(refused.value)


def test_replies_and_roster_lookups_carry_the_token(tokens: TokenFake, connector: ConnectorFake) -> None:
    client = Connector(TokenClient(tokens.token_url, APP_ID, PASSWORD))
    conversation = "19:abc@thread.tacv2;messageid=1712345678901"
    answer = client.send(connector.url + "/", conversation, {"type": "message", "text": "hi", "replyToId": "1"})
    assert answer == {"id": "r-1"}
    assert connector.sent_to(conversation) == [{"type": "message", "text": "hi", "replyToId": "1"}]
    assert connector.activities[0]["token"] == tokens.issued[0]
    connector.add_member("29:mei", "aad-mei", "mei.chen@northwind.example")
    assert client.member(connector.url, conversation, "29:mei")["email"] == "mei.chen@northwind.example"
    with pytest.raises(RemoteError) as missing:
        client.member(connector.url, conversation, "29:nobody")
    assert missing.value.status == 404 and "MemberNotFoundInConversation" in str(missing.value)
    assert len(tokens.forms()) == 1


def test_a_refused_token_is_replaced_once(tokens: TokenFake, connector: ConnectorFake) -> None:
    client = Connector(TokenClient(tokens.token_url, APP_ID, PASSWORD))
    client.send(connector.url, "a:1", {"type": "message", "text": "one"})
    tokens.issued.clear()  # the connector no longer accepts the cached token
    client.send(connector.url, "a:1", {"type": "message", "text": "two"})
    assert [a["text"] for a in connector.sent_to("a:1")] == ["one", "two"]
    assert len(tokens.forms()) == 2
