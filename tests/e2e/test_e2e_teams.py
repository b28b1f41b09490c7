"""Microsoft Teams end to end: signed Bot Framework activities over real HTTP to the running Rasa
server, with fakes on 127.0.0.1 for the OpenID metadata and keys, the token endpoint and the
connector (which records every reply activity and serves the roster)."""

import itertools
import re
import time
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.channels.inbound import EMPTY, TOO_LONG, not_registered
from bot.integrations.botframework import SCOPE
from bot.store.db import get_engine
from bot.store.models import AuditEntry, InboundMessage
from harness.stack import Stack
from tests.fakes.botframework import KEYS_PATH, ConnectorFake, OpenIdFake, TokenFake, new_key

pytestmark = pytest.mark.slow

APP_ID, PASSWORD, TENANT = "5a1f0c3e-7d2b-4c1a-9e8f-0b6d2c4a8e11", "client-secret-value", "tenant-1"
BOT = {"id": "28:5a1f0c3e-7d2b-4c1a-9e8f-0b6d2c4a8e11", "name": "Closebot"}
MEI_EMAIL = "mei.chen@northwind.example"
_ids = itertools.count(int(time.time() * 1000))


class Teams:
    """The fakes and the stack, and a Teams client that sends what the Bot Connector would."""

    def __init__(self, workdir) -> None:
        self.openid = OpenIdFake(APP_ID).start()
        self.tokens = TokenFake(APP_ID, PASSWORD).start()
        self.connector = ConnectorFake(lambda t: t in self.tokens.issued).start()
        self.connector.add_member("29:mei", "aad-0f3e-mei", MEI_EMAIL, "Mei Chen")
        self.turns: Dict[str, int] = {}  # messages handed to Rasa, per conversation
        self.connector.add_member("29:stranger", "aad-stranger", "pat@elsewhere.example", "Pat Doe")
        try:
            self.stack = Stack(workdir, env={
                "TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": PASSWORD, "TEAMS_TENANT_ID": TENANT,
                "TEAMS_OPENID_METADATA_URL": self.openid.metadata_url, "TEAMS_TOKEN_URL": self.tokens.token_url,
                "CLOSEBOT_NOTICE_POLL_SECONDS": "0.5",
            })
        except Exception:
            self.stop_fakes()
            raise

    @property
    def service_url(self) -> str:
        return self.connector.url + "/"

    def activity(self, conversation: str, text: Optional[str], user: str = "29:mei",
                 aad: Optional[str] = "aad-0f3e-mei", value: Any = None, **extra: Any) -> Dict[str, Any]:
        activity = {
            "type": "message", "id": str(next(_ids)), "channelId": "msteams", "serviceUrl": self.service_url,
            "timestamp": "2026-12-02T14:00:00.000Z", "locale": "en-US",
            "from": {"id": user, "name": "Someone", **({"aadObjectId": aad} if aad else {})},
            "conversation": {"id": conversation, "conversationType": "personal", "tenantId": TENANT},
            "recipient": BOT, "channelData": {"tenant": {"id": TENANT}},
        }
        if text is not None:
            activity["text"] = text
        if value is not None:
            activity["value"] = value
        activity.update(extra)
        return activity

    def post(self, activity: Dict[str, Any], token: Optional[str] = None) -> requests.Response:
        token = token if token is not None else self.openid.sign(self.service_url)
        return requests.post(f"{self.stack.rasa_url}/webhooks/teams/webhook", json=activity,
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def say(self, conversation: str, text: Optional[str] = None, rasa: bool = True,
            **kw: Any) -> List[Dict[str, Any]]:
        """Send a message and return the replies to it, once the turn is over (``rasa``: the
        message reaches Rasa; else the channel answers it alone, with one message)."""
        activity = self.activity(conversation, text, **kw)
        before = len(self.connector.sent_to(conversation))
        assert self.post(activity).status_code == 200
        if rasa:
            self.turns[conversation] = self.turns.get(conversation, 0) + 1
            self.wait_for_turns(conversation)
        else:
            self.connector.wait_for(conversation, lambda sent: len(sent) > before)
        return [a for a in self.connector.sent_to(conversation) if a.get("replyToId") == activity["id"]]

    def wait_for_turns(self, conversation: str, timeout: float = 90) -> None:
        """Until Rasa has finished as many turns in the conversation as it was sent: its tracker
        is saved after the turn's last reply went out, ending with ``action_listen``."""
        url = f"{self.stack.rasa_url}/conversations/{quote(f'teams:{conversation}', safe=':;=@')}/tracker"
        deadline = time.monotonic() + timeout
        api = self.stack.api
        while True:
            events = api.get(url, timeout=30).json().get("events") or []
            users = sum(1 for e in events if e.get("event") == "user")
            if users >= self.turns.get(conversation, 0) and events and events[-1].get("name") == "action_listen":
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"Rasa did not finish {conversation!r}: {events[-3:]}")
            time.sleep(0.2)

    def inbound_rows(self, conversation: str) -> int:
        with sessionmaker(bind=get_engine(self.stack.db_url), future=True)() as s:
            return s.scalar(select(func.count()).select_from(InboundMessage)
                            .where(InboundMessage.conversation_key == f"teams:{conversation}"))

    def stop_fakes(self) -> None:
        for fake in (self.openid, self.tokens, self.connector):
            fake.stop()

    def stop(self) -> None:
        self.stack.stop()
        self.stop_fakes()


@pytest.fixture(scope="module")
def teams(tmp_path_factory: pytest.TempPathFactory):
    running = Teams(tmp_path_factory.mktemp("teams"))
    yield running
    running.stop()


def _texts(activities: List[Dict[str, Any]]) -> str:
    return "\n".join(a.get("text", "") for a in activities)


def _actions(activities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [action for a in activities for card in a.get("attachments", [])
            if card["contentType"] == "application/vnd.microsoft.card.adaptive"
            for action in card["content"]["actions"]]


def test_mei_is_found_by_her_roster_email_and_gets_the_diagnosis_in_her_conversation(teams: Teams) -> None:
    conversation = "a:1Mei-Diagnosis_9xQ;messageid=1712345678901"  # ':' and ';' kept whole
    replies = teams.say(conversation, "hi, I can't close November, the GL says 业务系统未结账")
    text = _texts(replies)
    assert "C100" in text and "2026-11" in text and "Who:" in text
    assert replies == teams.connector.sent_to(conversation)  # every one a reply to this activity
    for reply in replies:
        assert reply["type"] == "message" and reply["conversation"] == {"id": conversation}
        assert reply["from"] == BOT and reply["recipient"] == {"id": "29:mei"}
    actions = _actions(replies)
    assert {"type": "Action.Submit", "title": "Next blocker", "data": {
        "payload": "/ask_next_blocker",
        "msteams": {"type": "messageBack", "displayText": "Next blocker", "text": "/ask_next_blocker"}}} in actions
    # the roster was asked for Mei's e-mail with the bot's token
    lookups = [r for r in teams.connector.requests if r.method == "GET"]
    assert [r.path for r in lookups][-1].endswith("/members/29%3Amei")

    # pressing "Next blocker" continues the same conversation
    pressed = teams.say(conversation, None, value={"payload": "/ask_next_blocker"})
    assert "2/" in _texts(pressed)

    # a ticket opened here ...
    teams.say(conversation, "please open a ticket for this")
    opened = _texts(teams.say(conversation, "customer confirms the SO-1042 price tomorrow"))
    number = re.search(r"CLS-\d{6}", opened)
    assert number, opened
    # ... is assigned by the helpdesk elsewhere, and the news reaches this conversation unasked
    before = len(teams.connector.sent_to(conversation))
    teams.stack.say("u-hana", f"assign {number.group(0)} to li.wei")
    news = teams.connector.wait_for(conversation, lambda s: any(
        f"Li Wei is now handling {number.group(0)}" in a.get("text", "") for a in s[before:]))
    notice = next(a for a in news[before:] if number.group(0) in a.get("text", ""))
    assert notice["conversation"] == {"id": conversation} and notice["from"] == BOT

    # one token for all of it, sent on every connector call
    assert len(teams.tokens.forms()) == 1
    assert teams.tokens.forms()[0] == {"grant_type": "client_credentials", "client_id": APP_ID,
                                       "client_secret": PASSWORD, "scope": SCOPE}
    assert {a["token"] for a in teams.connector.activities} == {teams.tokens.issued[0]}


def test_an_aad_object_id_in_the_directory_needs_no_roster_lookup(teams: Teams) -> None:
    conversation = "a:1Hana-Queue"
    lookups = sum(1 for r in teams.connector.requests if r.method == "GET")
    replies = teams.say(conversation, "show me the ticket queue", user="29:hana", aad="u-hana")
    assert "close tickets" in _texts(replies)
    assert sum(1 for r in teams.connector.requests if r.method == "GET") == lookups


def test_the_keys_are_fetched_again_when_microsoft_rotates_them(teams: Teams) -> None:
    fetched = teams.openid.fetches(KEYS_PATH)
    teams.openid.rotate()
    replies = teams.say("a:1Mei-After-Rotation", "my tickets")
    assert replies and teams.openid.fetches(KEYS_PATH) == fetched + 1


def _refused(teams: Teams, make) -> None:
    conversation = f"a:1Refused-{next(_ids)}"
    audits = _audit_rows(teams)
    activity = teams.activity(conversation, "show me the ticket queue", user="29:hana", aad="u-hana")
    token, activity = make(teams, activity)
    reply = teams.post(activity, token)
    assert reply.status_code == 401 and "ticket" not in reply.text.lower()
    assert teams.inbound_rows(conversation) == 0
    assert _audit_rows(teams) == audits
    # a genuine message sent after it is answered; the refused one never is
    teams.say(f"{conversation}-then", "hi", user="29:hana", aad="u-hana")
    assert teams.connector.sent_to(conversation) == [] and teams.inbound_rows(conversation) == 0


def _audit_rows(teams: Teams) -> int:
    with sessionmaker(bind=get_engine(teams.stack.db_url), future=True)() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


@pytest.mark.parametrize("why, make", [
    ("unsigned", lambda t, a: ("", a)),
    ("forged signature", lambda t, a: (t.openid.sign(t.service_url, key=new_key()), a)),
    ("expired", lambda t, a: (t.openid.sign(t.service_url, expires_in=-600, not_before=-4000), a)),
    ("wrong audience", lambda t, a: (t.openid.sign(t.service_url, audience="another-bot"), a)),
    ("wrong issuer", lambda t, a: (t.openid.sign(t.service_url, issuer="https://sts.windows.net/x/"), a)),
    ("wrong serviceUrl", lambda t, a: (t.openid.sign("https://smba.trafficmanager.net/emea/"), a)),
    ("another tenant", lambda t, a: (t.openid.sign(t.service_url),
                                     {**a, "channelData": {"tenant": {"id": "t9"}}})),
])
def test_a_request_failing_any_check_is_refused_with_no_effect(teams: Teams, why: str, make) -> None:
    _refused(teams, make)


def test_someone_outside_the_directory_gets_no_data(teams: Teams) -> None:
    replies = teams.say("a:1Stranger", "why can't I close November?", rasa=False, user="29:stranger",
                        aad="aad-stranger")
    assert _texts(replies) == not_registered("Teams", "aad-stranger")
    off_roster = teams.say("a:1Ghost", "my tickets", rasa=False, user="29:ghost", aad="aad-ghost")  # roster: 404
    assert _texts(off_roster) == not_registered("Teams", "aad-ghost")


def test_the_same_activity_twice_is_answered_once(teams: Teams) -> None:
    conversation = "a:1Mei-Twice"
    activity = teams.activity(conversation, "my tickets")
    assert teams.post(activity).status_code == 200
    assert teams.post(activity).status_code == 200  # the Bot Framework's redelivery
    teams.turns[conversation] = 1
    teams.say(conversation, "hi")  # handled after both, in arrival order
    first = [a.get("text") for a in teams.connector.sent_to(conversation) if a.get("replyToId") == activity["id"]]
    assert first and len(first) == len(set(first))
    assert teams.inbound_rows(conversation) == 2


def test_an_overlong_or_empty_message_is_answered_before_nlu(teams: Teams) -> None:
    audits = _audit_rows(teams)
    replies = teams.say("a:1Mei-Long", "why can't I close November? " * 200, rasa=False)
    assert _texts(replies) == TOO_LONG and _audit_rows(teams) == audits
    picture = teams.say("a:1Mei-Long", None, rasa=False, attachments=[
        {"contentType": "image/png", "contentUrl": "https://example.invalid/p.png"}])
    assert _texts(picture) == EMPTY


def test_the_channel_is_off_without_its_variables(servers: Stack) -> None:
    reply = requests.post(f"{servers.rasa_url}/webhooks/teams/webhook", json={"type": "message"}, timeout=30)
    assert reply.status_code == 404
