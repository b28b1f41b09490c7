"""Slack's pure parts: signatures and their window, which events are messages, what a click
says, and replies that can neither ping a channel nor disguise a link."""

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from bot.channels import slack
from tests.fakes.slack import SECRET, event, signed_headers

NOW = datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)


def _verify(body: bytes, headers: dict, now: datetime = NOW, secret: str = SECRET) -> bool:
    return slack.verify(secret, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature"),
                        body, now)


def test_a_signed_request_within_five_minutes_is_verified() -> None:
    body = event("hi", "U1")
    headers = signed_headers(body, timestamp=int(NOW.timestamp()) - 290)
    assert _verify(body, headers)
    assert not _verify(body, headers, now=NOW + timedelta(seconds=20))  # now 310 s old: a replay
    assert not _verify(body + b" ", headers)  # the body changed after signing
    assert not _verify(body, headers, secret="another-secret")
    assert not _verify(body, {**headers, "X-Slack-Signature": "v0=" + "0" * 64})
    assert not _verify(body, {"X-Slack-Request-Timestamp": headers["X-Slack-Request-Timestamp"]})
    assert not _verify(body, {**headers, "X-Slack-Request-Timestamp": "yesterday"})
    assert not slack.verify("", headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"], body, NOW)


def test_a_direct_message_is_one_conversation_and_a_mention_is_one_per_thread() -> None:
    dm = slack.parse_event(json.loads(event("why can't I close november", "U1", channel="D9")))
    assert dm.inbound.conversation_key == "slack:T061EG9R6:D9" and dm.inbound.address == {"channel": "D9"}
    mention = slack.parse_event(json.loads(event("<@U0BOT> what's blocking C200?", "U1", channel="C7",
                                                 kind="app_mention", ts="1712.000100")))
    assert mention.text == "what's blocking C200?"
    assert mention.inbound.conversation_key == "slack:T061EG9R6:C7:1712.000100"
    assert mention.inbound.address == {"channel": "C7", "thread_ts": "1712.000100"}
    follow_up = slack.parse_event(json.loads(event("<@U0BOT> and C100?", "U2", channel="C7", kind="app_mention",
                                                   ts="1713.000200", thread_ts="1712.000100")))
    assert follow_up.inbound.conversation_key == mention.inbound.conversation_key  # the same thread
    assert follow_up.inbound.channel_user_id == "U2" and follow_up.inbound.external_id.startswith("Ev")


@pytest.mark.parametrize("fields", [
    {"bot_id": "B1"}, {"subtype": "bot_message"}, {"subtype": "message_changed"}, {"subtype": "message_deleted"},
    {"subtype": "channel_join"},
])
def test_bots_edits_and_other_subtypes_are_ignored(fields: dict) -> None:
    assert slack.parse_event(json.loads(event("hi", "U1", **fields))) is None


def test_channel_messages_without_a_mention_are_not_for_closebot() -> None:
    assert slack.parse_event(json.loads(event("hi all", "U1", channel="C7", channel_type="channel"))) is None


def test_a_click_continues_the_conversation_it_was_offered_in() -> None:
    payload = {"type": "block_actions", "user": {"id": "U1", "team_id": "T1"}, "team": {"id": "T1"},
               "container": {"type": "message", "message_ts": "1714.1", "channel_id": "C7",
                             "thread_ts": "1712.000100"},
               "channel": {"id": "C7"}, "message": {"ts": "1714.1", "thread_ts": "1712.000100"},
               "actions": [{"action_id": "closebot-0", "value": "/open_ticket", "action_ts": "1715.5"}]}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    click = slack.parse_click(slack.form_payload(body))
    assert click.text == "/open_ticket"
    assert click.inbound.conversation_key == "slack:T1:C7:1712.000100"
    assert click.inbound.external_id == "click:1715.5:closebot-0"
    in_dm = slack.parse_click({**payload, "container": {"channel_id": "D9", "message_ts": "1714.1"},
                               "message": {}})
    assert in_dm.inbound.conversation_key == "slack:T1:D9"
    assert slack.parse_click({**payload, "actions": []}) is None
    assert slack.form_payload(b"payload=not-json") is None


@pytest.mark.parametrize("note,shown", [
    ("<!channel> the bank is back", "&lt;!channel&gt; the bank is back"),
    ("<!here> and <@U0ADMIN>", "&lt;!here&gt; and &lt;@U0ADMIN&gt;"),
    ("see <https://evil.example|the bank's portal>", "see &lt;https://evil.example|the bank's portal&gt;"),
    ("AR & AP < 5 > 3", "AR &amp; AP &lt; 5 &gt; 3"),
])
def test_every_text_sent_is_escaped(note: str, shown: str) -> None:
    fallback, blocks = slack.render(f"Li Wei: {note}")
    assert fallback == f"Li Wei: {shown}"
    assert blocks[0]["text"] == {"type": "mrkdwn", "text": f"Li Wei: {shown}"}


def test_buttons_become_block_kit_and_long_texts_split() -> None:
    buttons = [{"title": "Open a ticket", "payload": "/open_ticket"},
               {"title": "Take CLS-000002", "payload": '/assign_ticket{"ticket_number": "CLS-000002"}'},
               {"title": "x" * 100, "payload": "/ask_help"}]
    text = "\n".join(f"line {n} " + "word " * 20 for n in range(60))  # ~6,500 characters
    fallback, blocks = slack.render(text, buttons)
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) >= 3 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert "\n".join(b["text"]["text"] for b in sections) == text
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["value"] for e in actions["elements"]] == [b["payload"] for b in buttons]
    assert len(actions["elements"][2]["text"]["text"]) == 75
    assert len({e["action_id"] for e in actions["elements"]}) == 3


def test_the_app_manifest_subscribes_what_the_channel_handles() -> None:
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "slack" / "manifest.yml").read_text())
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"].endswith("/webhooks/slack/webhook")
    assert settings["interactivity"]["request_url"] == settings["event_subscriptions"]["request_url"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert {"chat:write", "im:history", "app_mentions:read", "users:read", "users:read.email"} <= set(
        manifest["oauth_config"]["scopes"]["bot"])
