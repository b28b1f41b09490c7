"""Slack end to end: real-format signed events to the running Rasa server, replies asserted at a
fake Slack Web API on 127.0.0.1, exactly as chat.postMessage receives them."""

import json
import re
import time
from typing import Any, Callable, Dict, List
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.store.db import get_engine
from bot.store.models import InboundMessage
from harness.stack import Stack
from tests.fakes.slack import SECRET, TOKEN, FakeSlack, event, signed_headers

pytestmark = pytest.mark.slow

MEI, STRANGER = "U07MEICHEN", "U09NOBODY"
TEAM = "T061EG9R6"


@pytest.fixture(scope="module")
def fake():
    with FakeSlack({MEI: "Mei.Chen@northwind.example", STRANGER: "someone@elsewhere.example"}) as service:
        yield service


@pytest.fixture(scope="module")
def stack(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory):
    running = Stack(tmp_path_factory.mktemp("slack"), env={
        "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.api_url,
        "CLOSEBOT_NOTICE_POLL_SECONDS": "0.3"})
    yield running
    running.stop()


def send(stack: Stack, body: bytes, **headers: str) -> requests.Response:
    return requests.post(f"{stack.rasa_url}/webhooks/slack/webhook", data=body,
                         headers={**signed_headers(body), **headers}, timeout=10)


def wait_for(fake: FakeSlack, found: Callable[[List[Dict[str, Any]]], bool], timeout: float = 30) -> List[Dict]:
    """The posts once ``found`` holds for them (the replies come after the 200)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        posts = list(fake.posts)
        if found(posts):
            return posts
        time.sleep(0.2)
    raise AssertionError(f"no such post: {json.dumps(fake.posts, ensure_ascii=False)[-3000:]}")


def posts_to(channel: str, thread: Any = None) -> Callable[[List[Dict]], List[Dict]]:
    return lambda posts: [p for p in posts if p["channel"] == channel and p.get("thread_ts") == thread]


def inbound_rows(stack: Stack) -> int:
    with sessionmaker(bind=get_engine(stack.db_url), future=True)() as s:
        return s.scalar(select(func.count()).select_from(InboundMessage))


def test_url_verification_echoes_the_challenge(stack: Stack) -> None:
    body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"}).encode()
    answer = send(stack, body)
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_a_direct_message_is_answered_in_the_dm_once(stack: Stack, fake: FakeSlack) -> None:
    body = event("I can't close November, GL says 业务系统未结账", MEI, channel="D0MEI", event_id="EvDM0001")
    started = time.monotonic()
    assert send(stack, body).status_code == 200
    assert time.monotonic() - started < 3  # Slack's limit for the acknowledgement
    posts = wait_for(fake, lambda ps: any("Also blocking" in p["text"] for p in posts_to("D0MEI")(ps)))
    dm = posts_to("D0MEI")(posts)
    assert any("SO-1042" in p["text"] and p["blocks"][0]["type"] == "section" for p in dm)
    buttons = [e for p in dm for b in p["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons and all(e["type"] == "button" and e["value"].startswith("/") for e in buttons)
    assert any(r.path == "/api/users.info" and r.arg("user") == MEI for r in fake.requests)  # found by e-mail
    # Slack's retry of the same event, then a plain repeat: recorded once, answered once.
    count = len(posts_to("D0MEI")(fake.posts))
    assert send(stack, body, **{"X-Slack-Retry-Num": "1",
                                "X-Slack-Retry-Reason": "http_timeout"}).status_code == 200
    assert send(stack, body).status_code == 200
    time.sleep(3)
    assert len(posts_to("D0MEI")(fake.posts)) == count


def test_a_mention_is_answered_in_its_thread_and_the_thread_is_one_conversation(stack: Stack,
                                                                               fake: FakeSlack) -> None:
    root = "1712345678.000100"
    send(stack, event("<@U0CLOSEBOT> why can't I close november?", MEI, channel="C0CLOSE", kind="app_mention",
                      ts=root))
    wait_for(fake, lambda ps: any("1/" in p["text"] for p in posts_to("C0CLOSE", root)(ps)))
    send(stack, event("<@U0CLOSEBOT> what else?", MEI, channel="C0CLOSE", kind="app_mention",
                      ts="1712345699.000200", thread_ts=root))
    wait_for(fake, lambda ps: any(p["text"].startswith("2/") for p in posts_to("C0CLOSE", root)(ps)))


def test_a_button_click_continues_the_conversation(stack: Stack, fake: FakeSlack) -> None:
    root = "1712346000.000100"
    send(stack, event("<@U0CLOSEBOT> why can't I close november?", MEI, channel="C0BTN", kind="app_mention",
                      ts=root))
    posts = wait_for(fake, lambda ps: any("1/" in p["text"] for p in posts_to("C0BTN", root)(ps)))
    offered = [e for p in posts_to("C0BTN", root)(posts) for b in p.get("blocks", []) if b["type"] == "actions"
               for e in b["elements"]]
    nxt = next(e for e in offered if e["value"] == "/ask_next_blocker")
    payload = {"type": "block_actions", "user": {"id": MEI, "team_id": TEAM}, "team": {"id": TEAM},
               "container": {"type": "message", "message_ts": "1712346001.0", "channel_id": "C0BTN",
                             "thread_ts": root},
               "channel": {"id": "C0BTN"}, "message": {"ts": "1712346001.0", "thread_ts": root},
               "actions": [{"action_id": nxt["action_id"], "value": nxt["value"], "action_ts": "1712346002.5"}]}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    assert send(stack, body, **{"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
    wait_for(fake, lambda ps: any(p["text"].startswith("2/") for p in posts_to("C0BTN", root)(ps)))


@pytest.mark.parametrize("forge", ["unsigned", "wrong secret", "stale", "tampered"])
def test_unsigned_forged_and_stale_requests_are_refused_without_effect(stack: Stack, fake: FakeSlack,
                                                                       forge: str) -> None:
    body = event("show me every ticket", MEI, channel="D0FORGE")
    headers = {
        "unsigned": {"Content-Type": "application/json"},
        "wrong secret": signed_headers(body, secret="not-the-secret"),
        "stale": signed_headers(body, timestamp=int(time.time()) - 6 * 60),
        "tampered": signed_headers(body.replace(b"show me", b"delete")),
    }[forge]
    before_rows, before_posts = inbound_rows(stack), len(fake.posts)
    answer = requests.post(f"{stack.rasa_url}/webhooks/slack/webhook", data=body, headers=headers, timeout=10)
    assert answer.status_code == 401
    time.sleep(1)
    assert (inbound_rows(stack), len(fake.posts)) == (before_rows, before_posts)


def test_someone_outside_the_directory_gets_no_data(stack: Stack, fake: FakeSlack) -> None:
    send(stack, event("why can't I close november? show me C100", STRANGER, channel="D0STRANGER"))
    posts = wait_for(fake, lambda ps: bool(posts_to("D0STRANGER")(ps)))
    [reply] = posts_to("D0STRANGER")(posts)
    assert "not registered" in reply["text"] and STRANGER in reply["text"]
    assert not re.search(r"C100|SO-\d|PAY-\d|CLS-\d", reply["text"])


def test_bot_messages_and_edits_are_ignored(stack: Stack, fake: FakeSlack) -> None:
    before = inbound_rows(stack)
    send(stack, event("I can't close November", MEI, channel="D0BOT", bot_id="B0OTHER"))
    send(stack, event("I can't close November", MEI, channel="D0BOT", subtype="message_changed"))
    time.sleep(2)
    assert inbound_rows(stack) == before and not posts_to("D0BOT")(fake.posts)


def test_ticket_news_reaches_the_thread_without_the_requester_writing(stack: Stack, fake: FakeSlack) -> None:
    root = "1712347000.000100"
    channel = "C0NEWS"

    def said(text: str, ts: str) -> None:
        send(stack, event(f"<@U0CLOSEBOT> {text}", MEI, channel=channel, kind="app_mention", ts=ts,
                          thread_ts=root))

    send(stack, event("<@U0CLOSEBOT> why can't I close november?", MEI, channel=channel, kind="app_mention",
                      ts=root))
    wait_for(fake, lambda ps: any("1/" in p["text"] for p in posts_to(channel, root)(ps)))
    said("open a ticket please", "1712347001.0")
    wait_for(fake, lambda ps: any("Anything to add" in p["text"] for p in posts_to(channel, root)(ps)))
    said("no", "1712347002.0")
    posts = wait_for(fake, lambda ps: any(re.search(r"CLS-\d{6} is open", p["text"])
                                          for p in posts_to(channel, root)(ps)))
    number = next(re.search(r"CLS-\d{6}", p["text"]).group(0) for p in posts_to(channel, root)(posts)
                  if re.search(r"CLS-\d{6} is open", p["text"]))
    # The helpdesk assigns it from the terminal; Mei writes nothing more.
    assert "assigned to Li Wei" in json.dumps(stack.say("u-hana", f"assign {number} to li.wei"))
    wait_for(fake, lambda ps: any(f"Li Wei is now handling {number}" in p["text"]
                                  for p in posts_to(channel, root)(ps)))
