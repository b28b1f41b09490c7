"""The web chat's pure rules: which tokens say who is chatting, what the page's messages say,
and how replies look there (no HTTP, no store)."""

import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from bot.channels import webchat
from bot.channels.keys import channel_of

SECRET = "s" * 64 + "-webchat-test-secret"
NOW = datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def signed(claims: dict, secret: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def claims(**overrides) -> dict:
    base = {"sub": "u-lin", "aud": webchat.AUDIENCE, "iat": int(NOW.timestamp()),
            "exp": int((NOW + timedelta(hours=12)).timestamp())}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_an_issued_token_names_its_user_and_their_one_conversation() -> None:
    token = webchat.issue(SECRET, "u-lin", NOW)
    visitor = webchat.verify(SECRET, bearer(token), NOW + timedelta(hours=11))
    assert visitor == webchat.Visitor("u-lin")
    assert visitor.key == "web:u-lin" and channel_of(visitor.key) == "web"
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_an_email_claim_is_carried_for_the_directory_fallback() -> None:
    token = signed(claims(sub="portal-7781", email="mei.chen@northwind.example"))
    assert webchat.verify(SECRET, bearer(token), NOW).email == "mei.chen@northwind.example"


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic dTpw", "bearer-less-token"])
def test_no_bearer_token_is_refused(authorization) -> None:
    with pytest.raises(webchat.Refused):
        webchat.verify(SECRET, authorization, NOW)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(webchat.Refused):
        webchat.verify(SECRET, bearer(webchat.issue("x" * 40, "u-lin", NOW)), NOW)


def test_a_forged_payload_under_a_real_signature_is_refused() -> None:
    header, _payload, signature = webchat.issue(SECRET, "u-mei", NOW).split(".")
    other = base64.urlsafe_b64encode(json.dumps(claims(sub="u-root")).encode()).rstrip(b"=").decode()
    with pytest.raises(webchat.Refused):
        webchat.verify(SECRET, bearer(f"{header}.{other}.{signature}"), NOW)


def test_alg_none_is_refused() -> None:
    unsigned = jwt.encode(claims(sub="u-root"), None, algorithm="none")
    with pytest.raises(webchat.Refused, match="algorithm"):
        webchat.verify(SECRET, bearer(unsigned), NOW)


def test_another_hmac_algorithm_is_refused() -> None:
    with pytest.raises(webchat.Refused, match="algorithm"):
        webchat.verify(SECRET, bearer(signed(claims(), algorithm="HS512")), NOW)


def test_an_expired_token_is_refused_after_a_minute_of_skew() -> None:
    token = webchat.issue(SECRET, "u-lin", NOW, hours=1)
    webchat.verify(SECRET, bearer(token), NOW + timedelta(hours=1, seconds=30))
    with pytest.raises(webchat.Refused, match="expired"):
        webchat.verify(SECRET, bearer(token), NOW + timedelta(hours=1, minutes=2))


def test_a_token_from_the_future_or_living_over_a_week_is_refused() -> None:
    later = NOW + timedelta(hours=1)
    with pytest.raises(webchat.Refused, match="future"):
        webchat.verify(SECRET, bearer(signed(claims(iat=int(later.timestamp())))), NOW)
    forever = int((NOW + timedelta(days=365)).timestamp())
    with pytest.raises(webchat.Refused, match="longer"):
        webchat.verify(SECRET, bearer(signed(claims(exp=forever))), NOW)


@pytest.mark.parametrize("missing", ["sub", "exp", "iat", "aud"])
def test_a_token_missing_a_claim_is_refused(missing: str) -> None:
    with pytest.raises(webchat.Refused):
        webchat.verify(SECRET, bearer(signed(claims(**{missing: None}))), NOW)


@pytest.mark.parametrize("sub", ["", "   ", 42, "u" * 65])
def test_a_token_without_a_usable_user_is_refused(sub) -> None:
    with pytest.raises(webchat.Refused):
        webchat.verify(SECRET, bearer(signed(claims(sub=sub))), NOW)


def test_a_token_for_another_audience_is_refused() -> None:
    """A token the same secret signed for something else (e.g. Rasa's API) is no chat token."""
    with pytest.raises(webchat.Refused):
        webchat.verify(SECRET, bearer(signed(claims(aud="rasa"))), NOW)


def test_the_channel_is_off_without_a_secret_and_refuses_a_short_one() -> None:
    assert webchat.WebChatConfig.from_env({}) is None
    assert webchat.WebChatConfig.from_env({webchat.SECRET_VARIABLE: SECRET}) == webchat.WebChatConfig(SECRET)
    with pytest.raises(ValueError, match="32"):
        webchat.WebChatConfig.from_env({webchat.SECRET_VARIABLE: "short"})


def test_issue_refuses_a_lifetime_over_the_limit() -> None:
    with pytest.raises(ValueError):
        webchat.issue(SECRET, "u-lin", NOW, hours=webchat.MAX_HOURS + 1)
    with pytest.raises(ValueError):
        webchat.issue(SECRET, "", NOW)


def test_a_body_naming_another_sender_says_only_its_text() -> None:
    said = webchat.parse_message({"text": "my tickets", "sender": "u-root", "user": "u-root", "id": "abc-1"})
    assert said == webchat.PageMessage("my tickets", "my tickets", "abc-1")
    inbound = webchat.inbound(webchat.Visitor("u-mei"), said)
    assert inbound.channel_user_id == "u-mei" and inbound.conversation_key == "web:u-mei"
    assert inbound.channel == "web" and inbound.address == {"key": "web:u-mei", "user": "u-mei"}


def test_a_button_is_its_payload_shown_by_its_title() -> None:
    said = webchat.parse_message({"payload": "/ask_next_blocker", "title": "Next blocker", "text": "ignored"})
    assert (said.text, said.shown) == ("/ask_next_blocker", "Next blocker")


def test_the_same_page_message_is_one_delivery_per_person() -> None:
    said = webchat.parse_message({"text": "hi", "id": "same"})
    mei, lin = webchat.Visitor("u-mei"), webchat.Visitor("u-lin")
    assert webchat.inbound(mei, said).external_id == webchat.inbound(mei, said).external_id
    assert webchat.inbound(mei, said).external_id != webchat.inbound(lin, said).external_id
    # a missing or odd id gets a fresh one: never merged with another message
    odd = [webchat.parse_message({"text": "hi", "id": v}).client_id for v in (None, "a b", "x" * 65)]
    assert len(set(odd)) == 3 and "a b" not in odd


@pytest.mark.parametrize("body", [None, [], "text", {"text": 5}, {"payload": "  "}, {}])
def test_a_body_without_a_message_is_none(body) -> None:
    assert webchat.parse_message(body) is None


def test_replies_keep_text_and_buttons_and_drop_unsafe_links() -> None:
    shown = webchat.render([
        {"recipient_id": "web:u-mei", "text": "C100 2026-11: <b>sales</b> not closed",
         "buttons": [{"title": "Next blocker", "payload": "/ask_next_blocker"},
                     {"title": "Runbook", "url": "https://wiki.example/close"},
                     {"title": "Bad", "url": "javascript:alert(1)"}]},
        {"recipient_id": "web:u-mei", "image": "https://x/y.png"},
        {"recipient_id": "web:u-mei", "text": "ok"},
    ])
    assert shown == [
        {"text": "C100 2026-11: <b>sales</b> not closed", "buttons": [
            {"title": "Next blocker", "payload": "/ask_next_blocker"},
            {"title": "Runbook", "url": "https://wiki.example/close"}]},
        {"text": "ok", "buttons": []},
    ]
