"""The Teams channel's pure rules: which Bot Connector tokens are genuine, what an activity
says, and how replies look (no HTTP: the signing keys are handed in)."""

import time
from datetime import datetime, timezone
from typing import Any, Dict

import jwt
import pytest

from bot.channels import teams
from bot.core import clock
from tests.fakes.botframework import OpenIdFake, new_key, public_jwk

APP_ID = "9f1c2b7e-0000-4000-8000-00000000a99b"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
CONVERSATION = "a:1Xyz-9aBcD;messageid=1712345678901"


@pytest.fixture(scope="module")
def signer() -> OpenIdFake:
    return OpenIdFake(APP_ID)  # not started: only its keys and its signing


def _keys(signer: OpenIdFake):
    published = {kid: public_jwk(signer.private[kid], kid) for kid in signer.published}
    return published.get


def _activity(**overrides: Any) -> Dict[str, Any]:
    activity = {
        "type": "message", "id": "1712345678999", "channelId": "msteams", "serviceUrl": SERVICE_URL,
        "from": {"id": "29:1abc", "name": "Mei Chen", "aadObjectId": "aad-mei"},
        "conversation": {"id": CONVERSATION, "conversationType": "personal", "tenantId": "tenant-1"},
        "recipient": {"id": "28:bot", "name": "Closebot"},
        "text": "why can't I close November?",
        "channelData": {"tenant": {"id": "tenant-1"}},
    }
    activity.update(overrides)
    return activity


def _verify(signer: OpenIdFake, token: str, activity=None) -> Dict[str, Any]:
    return teams.verify(f"Bearer {token}", activity or _activity(), APP_ID, _keys(signer))


def test_a_genuine_token_passes(signer) -> None:
    claims = _verify(signer, signer.sign(SERVICE_URL))
    assert claims["aud"] == APP_ID and claims["iss"] == teams.ISSUER


@pytest.mark.parametrize("why, make", [
    ("forged signature", lambda s: s.sign(SERVICE_URL, key=new_key())),
    ("unknown key", lambda s: s.sign(SERVICE_URL, kid="kid-unknown", key=new_key())),
    ("wrong audience", lambda s: s.sign(SERVICE_URL, audience="another-bot")),
    ("wrong issuer", lambda s: s.sign(SERVICE_URL, issuer="https://sts.windows.net/evil/")),
    ("wrong serviceUrl", lambda s: s.sign("https://attacker.example/")),
    ("no serviceUrl", lambda s: jwt.encode({"iss": teams.ISSUER, "aud": APP_ID, "exp": time.time() + 600},
                                           s.private[s.current_kid], "RS256", headers={"kid": s.current_kid})),
    ("expired beyond the skew", lambda s: s.sign(SERVICE_URL, expires_in=-301, not_before=-900)),
    ("not valid yet beyond the skew", lambda s: s.sign(SERVICE_URL, not_before=301)),
    ("no expiry", lambda s: jwt.encode({"iss": teams.ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL},
                                       s.private[s.current_kid], "RS256", headers={"kid": s.current_kid})),
    ("HMAC-signed", lambda s: jwt.encode(
        {"iss": teams.ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "exp": time.time() + 600},
        "a secret of the attacker's, long enough for HS256", "HS256", headers={"kid": s.current_kid})),
    ("unsigned", lambda s: jwt.encode(
        {"iss": teams.ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "exp": time.time() + 600},
        None, "none", headers={"kid": s.current_kid})),
    ("garbage", lambda s: "not.a.token"),
])
def test_anything_else_is_refused(signer, why: str, make) -> None:
    with pytest.raises(teams.Refused):
        _verify(signer, make(signer))


def test_the_clock_skew_is_five_minutes_either_way(signer) -> None:
    now = time.time()
    token = signer.sign(SERVICE_URL, now=now, expires_in=600, not_before=0)
    with clock.frozen(datetime.fromtimestamp(now + 600 + 290, timezone.utc)):
        _verify(signer, token)  # expired 290 s ago: within the skew
    with clock.frozen(datetime.fromtimestamp(now + 600 + 310, timezone.utc)), pytest.raises(teams.Refused):
        _verify(signer, token)
    with clock.frozen(datetime.fromtimestamp(now - 290, timezone.utc)):
        _verify(signer, token)  # 290 s before nbf: a sender's clock ahead of ours
    with clock.frozen(datetime.fromtimestamp(now - 310, timezone.utc)), pytest.raises(teams.Refused):
        _verify(signer, token)


def test_the_service_url_may_differ_only_in_case_and_final_slash(signer) -> None:
    _verify(signer, signer.sign("https://SMBA.trafficmanager.net/emea"))
    with pytest.raises(teams.Refused):
        _verify(signer, signer.sign("https://smba.trafficmanager.net/amer/"))


def test_the_authorization_header_must_be_a_bearer_token(signer) -> None:
    token = signer.sign(SERVICE_URL)
    for header in (None, "", token, f"Basic {token}", f"Bearer {token} extra"):
        with pytest.raises(teams.Refused):
            teams.verify(header, _activity(), APP_ID, _keys(signer))


def test_a_key_endorsed_for_other_channels_is_refused(signer) -> None:
    kid = signer.current_kid
    webchat_only = {kid: public_jwk(signer.private[kid], kid, endorsements=["webchat"])}.get
    with pytest.raises(teams.Refused):
        teams.verify(f"Bearer {signer.sign(SERVICE_URL)}", _activity(), APP_ID, webchat_only)


def test_settings_come_from_the_environment_and_the_channel_is_off_without_them() -> None:
    assert teams.TeamsConfig.from_env({}) is None
    assert teams.TeamsConfig.from_env({"TEAMS_APP_ID": APP_ID}) is None
    assert teams.TeamsConfig.from_env({"TEAMS_APP_PASSWORD": "s3cret"}) is None
    config = teams.TeamsConfig.from_env({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "s3cret",
                                         "TEAMS_TENANT_ID": "tenant-1"})
    assert config.token_url == "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token"
    assert config.openid_metadata_url == "https://login.botframework.com/v1/.well-known/openidconfiguration"
    overridden = teams.TeamsConfig.from_env({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "s3cret",
                                             "TEAMS_TOKEN_URL": "http://127.0.0.1:1/t",
                                             "TEAMS_OPENID_METADATA_URL": "http://127.0.0.1:1/m"})
    assert overridden.token_url == "http://127.0.0.1:1/t"
    assert overridden.openid_metadata_url == "http://127.0.0.1:1/m"


def test_a_message_activity_is_read_whole() -> None:
    message = teams.parse_activity(_activity())
    assert message.key == f"teams:{CONVERSATION}"  # the id kept whole, ':' and ';' included
    assert message.aad_object_id == "aad-mei" and message.user_id == "29:1abc"
    assert message.address == {"serviceUrl": SERVICE_URL, "conversationId": CONVERSATION,
                               "activityId": "1712345678999", "bot": {"id": "28:bot", "name": "Closebot"}}
    inbound = teams.inbound(message, lambda: None)
    assert (inbound.channel, inbound.channel_user_id) == ("teams", "aad-mei")
    assert inbound.conversation_key == message.key


def test_activity_ids_are_scoped_to_their_conversation() -> None:
    one = teams.parse_activity(_activity())
    other = teams.parse_activity(_activity(conversation={"id": "a:1Other"}))
    assert one.activity_id == other.activity_id and one.external_id != other.external_id
    assert one.external_id == teams.parse_activity(_activity()).external_id
    long = teams.parse_activity(_activity(conversation={"id": "19:" + "x" * 400}))
    assert len(long.external_id) <= 200


def test_only_messages_with_something_to_say_are_read() -> None:
    assert teams.parse_activity(_activity(type="conversationUpdate")) is None
    assert teams.parse_activity(_activity(type="invoke")) is None
    assert teams.parse_activity(_activity(text="   ")).text == ""  # answered: nothing to read
    assert teams.parse_activity(_activity(id=None)) is None
    assert teams.parse_activity(_activity(conversation="a:1")) is None


def test_a_button_press_continues_with_its_payload() -> None:
    pressed = teams.parse_activity(_activity(text=None, value={"payload": "/show_all_records"}))
    assert pressed.text == "/show_all_records"
    message_back = teams.parse_activity(_activity(text="/open_ticket", value={"payload": "/open_ticket"}))
    assert message_back.text == "/open_ticket"
    im_back = teams.parse_activity(_activity(text="next", value=None))
    assert im_back.text == "next"


def test_the_bot_mention_is_not_part_of_the_text() -> None:
    activity = _activity(text="<at>Closebot</at>&nbsp;why can't I close?", entities=[
        {"type": "mention", "text": "<at>Closebot</at>", "mentioned": {"id": "28:bot", "name": "Closebot"}},
        {"type": "clientInfo", "locale": "en-US"}])
    assert teams.parse_activity(activity).text == "why can't I close?"


def test_a_sender_without_an_aad_id_is_identified_by_email_only() -> None:
    message = teams.parse_activity(_activity(**{"from": {"id": "29:guest", "name": "Guest"}}))
    assert message.aad_object_id is None and message.channel_user_label == "29:guest"
    assert teams.inbound(message, lambda: None).channel_user_id == ""  # never a directory id


def test_the_roster_email_is_the_email_else_the_upn() -> None:
    assert teams.roster_email({"email": "mei.chen@northwind.example", "userPrincipalName": "x@y"}) == \
        "mei.chen@northwind.example"
    assert teams.roster_email({"userPrincipalName": "mei.chen@northwind.example"}) == "mei.chen@northwind.example"
    assert teams.roster_email({"userPrincipalName": "not-an-address"}) is None


def test_the_tenant_comes_from_channel_data_or_the_conversation() -> None:
    assert teams.tenant_of(_activity()) == "tenant-1"
    assert teams.tenant_of(_activity(channelData={}, conversation={"id": "a", "tenantId": "t2"})) == "t2"
    assert teams.tenant_of(_activity(channelData=None, conversation={"id": "a"})) is None


def test_text_goes_out_plain_and_buttons_as_an_adaptive_card() -> None:
    rendered = teams.render([
        {"recipient_id": "x", "text": "C100 can't close: see [SO-1042](https://evil.example)"},
        {"recipient_id": "x", "text": "What next?", "buttons": [
            {"title": "Open a ticket", "payload": "/open_ticket"},
            {"title": "Docs", "url": "https://docs.example/close"}]},
        {"recipient_id": "x", "image": "https://img.example/a.png"},
        {"recipient_id": "x", "custom": {"anything": 1}},
    ])
    assert rendered[0] == {"type": "message", "text": "C100 can't close: see [SO-1042](https://evil.example)",
                           "textFormat": "plain"}
    card = rendered[1]["attachments"][0]
    assert rendered[1]["text"] == "What next?" and card["contentType"] == teams.ADAPTIVE_CARD
    submit, link = card["content"]["actions"]
    assert submit["type"] == "Action.Submit" and submit["data"]["payload"] == "/open_ticket"
    assert submit["data"]["msteams"] == {"type": "messageBack", "displayText": "Open a ticket",
                                         "text": "/open_ticket"}
    assert link == {"type": "Action.OpenUrl", "title": "Docs", "url": "https://docs.example/close"}
    assert rendered[2]["attachments"][0]["content"]["images"] == [{"url": "https://img.example/a.png"}]
    assert len(rendered) == 3  # nothing to show for a custom payload


def test_a_pressed_card_button_reads_back_as_its_payload() -> None:
    card = teams.render([{"text": "?", "buttons": [{"title": "Next", "payload": "/next_blocker"}]}])
    data = card[0]["attachments"][0]["content"]["actions"][0]["data"]
    # Teams sends the Action.Submit data as the activity's value (and a messageBack's text)
    assert teams.parse_activity(_activity(text=data["msteams"]["text"], value=data)).text == "/next_blocker"


def test_replies_answer_the_activity_in_its_conversation() -> None:
    message = teams.parse_activity(_activity())
    reply = teams.reply_activity({"type": "message", "text": "hi", "textFormat": "plain"}, message)
    assert reply["replyToId"] == "1712345678999" and reply["conversation"] == {"id": CONVERSATION}
    assert reply["from"] == {"id": "28:bot", "name": "Closebot"} and reply["recipient"] == {"id": "29:1abc"}
    notice = teams.notice_activity(message.address, "🔔 news")
    assert notice["conversation"] == {"id": CONVERSATION} and "replyToId" not in notice
