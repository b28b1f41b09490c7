"""The web chat against a real SQLite store: the page's lines kept per person, ticket news queued
for the page by the ``web`` sender, and ``closebot webchat token`` (in process)."""

import asyncio
from datetime import timedelta

import pytest
from click.testing import CliRunner

from bot.channels import webchat, webchat_history
from bot.channels.identity import speaker
from bot.channels.inbound import accept
from bot.channels.notices import NoticePusher
from bot.cli.main import main
from bot.conversation import employee, helpdesk
from bot.core import clock
from bot.store.models import WebChatLine
from channels.webchat import send_notice
from tests.conftest import focus_ticket

SECRET = "w" * 48
MEI = webchat.Visitor("u-mei")


@pytest.fixture
def store(demo_session, db_url: str, monkeypatch: pytest.MonkeyPatch):
    """The demo store, also as the configured database (what the channel's ``in_store`` opens)."""
    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", db_url)
    return demo_session


def test_history_is_kept_per_person_in_order_and_pulled_after_a_cursor(store) -> None:
    first = webchat_history.record_turn(store, MEI.key, "why can't I close November?", [
        {"text": "C100 2026-11: sales not closed", "buttons": [{"title": "Next blocker",
                                                                "payload": "/ask_next_blocker"}]}])
    webchat_history.record_turn(store, "web:u-lin", "my tickets", [{"text": "none", "buttons": []}])
    second = webchat_history.record_turn(store, MEI.key, "Next blocker", [{"text": "2/3 ...", "buttons": []}])
    store.commit()

    shown = webchat_history.history(store, MEI.key)
    assert [(line["who"], line["text"]) for line in shown] == [
        ("user", "why can't I close November?"), ("bot", "C100 2026-11: sales not closed"),
        ("user", "Next blocker"), ("bot", "2/3 ...")]
    assert shown[1]["buttons"] == [{"title": "Next blocker", "payload": "/ask_next_blocker"}]
    assert shown[:2] == first and shown[2:] == second
    assert webchat_history.since(store, MEI.key, first[-1]["id"]) == second
    assert webchat_history.since(store, MEI.key, second[-1]["id"]) == []
    assert webchat_history.history(store, MEI.key, limit=1) == second[-1:]


def test_ticket_news_for_a_web_conversation_waits_for_the_page(store) -> None:
    accepted = accept(store, webchat.inbound(MEI, webchat.parse_message({"text": "open a ticket"})))
    store.commit()
    assert speaker(store, MEI.key, accepted.message_id) == "u-mei"
    employee.open_ticket(store, "u-mei", note="no", idempotency_key="k1", conversation=MEI.key)
    number = focus_ticket(store, "u-mei", MEI.key)
    helpdesk.assign(store, "u-hana", number, "li.wei")
    store.commit()

    pushed = asyncio.run(NoticePusher({"web": send_notice}, owner="p1").run_pass())

    assert pushed == 1
    store.expire_all()
    [line] = webchat_history.history(store, MEI.key)
    assert (line["who"], line["text"]) == (WebChatLine.NOTICE, f"🔔 Li Wei is now handling {number}.")
    assert webchat_history.history(store, "web:u-hana") == []


def test_a_notice_address_without_a_user_is_not_sent(store) -> None:
    with pytest.raises(ValueError):
        asyncio.run(send_notice({"key": "web:u-mei"}, "news"))


def test_the_cli_prints_a_token_for_a_directory_user_only(store, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner(mix_stderr=False)
    monkeypatch.delenv(webchat.SECRET_VARIABLE, raising=False)
    unset = runner.invoke(main, ["webchat", "token", "--user", "u-lin"])
    assert unset.exit_code == 2 and webchat.SECRET_VARIABLE in unset.stderr and unset.stdout == ""

    monkeypatch.setenv(webchat.SECRET_VARIABLE, SECRET)
    made = runner.invoke(main, ["webchat", "token", "--user", "u-lin", "--hours", "2"])
    assert made.exit_code == 0, made.stderr
    token = made.stdout.strip()
    assert webchat.verify(SECRET, f"Bearer {token}", clock.now()).subject == "u-lin"
    with pytest.raises(webchat.Refused, match="expired"):
        webchat.verify(SECRET, f"Bearer {token}", clock.now() + timedelta(hours=2, minutes=2))

    link = runner.invoke(main, ["webchat", "token", "--user", "u-lin", "--url", "https://closebot.example/"])
    assert link.stdout.startswith("https://closebot.example/webchat#token=ey")

    stranger = runner.invoke(main, ["webchat", "token", "--user", "u-nobody"])
    assert stranger.exit_code == 1 and "u-nobody" in stranger.stderr and stranger.stdout == ""
    too_long = runner.invoke(main, ["webchat", "token", "--user", "u-lin", "--hours", "200"])
    assert too_long.exit_code == 2 and too_long.stdout == ""
