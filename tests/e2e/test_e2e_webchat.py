"""The web chat end to end: the real Rasa server and action server with CLOSEBOT_WEBCHAT_SECRET
set, over HTTP as the page calls it, then the page itself in headless Chromium (Debian's
``chromium`` driven by Playwright), with a screenshot kept in tests/artifacts/webchat.png."""

import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import jwt
import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.channels import webchat
from bot.channels.inbound import TOO_LONG, not_registered
from bot.core import clock
from bot.store.db import get_engine
from bot.store.models import InboundMessage, WebChatLine
from harness.stack import ROOT, Stack

pytestmark = pytest.mark.slow

SECRET = "e2e-webchat-secret-" + "k" * 40
CHROMIUM = Path(os.environ.get("CLOSEBOT_CHROMIUM", "/usr/bin/chromium"))
ARTIFACT = ROOT / "tests" / "artifacts" / "webchat.png"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("webchat"), env={
        webchat.SECRET_VARIABLE: SECRET, "CLOSEBOT_NOTICE_POLL_SECONDS": "0.3"})
    yield running
    running.stop()


def token(user: str, secret: str = SECRET) -> str:
    return webchat.issue(secret, user, clock.now())


class Page:
    """The page's API calls, as one person (the token is all that says who)."""

    def __init__(self, stack: Stack, user: Optional[str] = None, raw_token: Optional[str] = None) -> None:
        self.base = f"{stack.rasa_url}/webhooks/webchat/"
        self.token = raw_token if raw_token is not None else token(user or "")

    @property
    def headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def post(self, body: Any) -> requests.Response:
        return requests.post(self.base + "message", json=body, headers=self.headers, timeout=90)

    def say(self, text: str, **extra: Any) -> List[Dict[str, Any]]:
        answer = self.post({"text": text, "id": uuid.uuid4().hex, **extra})
        assert answer.status_code == 200, answer.text
        return answer.json()["messages"]

    def press(self, payload: str, title: str) -> List[Dict[str, Any]]:
        answer = self.post({"payload": payload, "title": title, "id": uuid.uuid4().hex})
        assert answer.status_code == 200, answer.text
        return answer.json()["messages"]

    def history(self) -> Dict[str, Any]:
        answer = requests.get(self.base + "history", headers=self.headers, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def updates(self, after: int) -> List[Dict[str, Any]]:
        answer = requests.get(self.base + "updates", params={"after": after}, headers=self.headers, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["messages"]


def texts(lines: List[Dict[str, Any]], who: str = "bot") -> str:
    return "\n".join(line["text"] for line in lines if line["who"] == who)


def counts(stack: Stack) -> tuple:
    """Rows every accepted message leaves: (inbound messages, web chat lines)."""
    with sessionmaker(bind=get_engine(stack.db_url), future=True)() as s:
        return (s.scalar(select(func.count()).select_from(InboundMessage)),
                s.scalar(select(func.count()).select_from(WebChatLine)))


def user_turns(stack: Stack, key: str) -> int:
    """How many messages Rasa's tracker of conversation ``key`` holds."""
    events = stack.api.get(f"{stack.rasa_url}/conversations/{key}/tracker", timeout=30).json().get("events") or []
    return sum(1 for e in events if e.get("event") == "user")


# ---- the API, over HTTP ------------------------------------------------------------------------


def test_the_page_is_served_at_webchat_with_a_strict_policy(stack: Stack) -> None:
    page = requests.get(f"{stack.rasa_url}/webchat", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<title>Closebot</title>" in page.text and "innerHTML" not in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy and "connect-src 'self'" in policy
    assert "http://" not in page.text.replace("http://www.w3.org", "")  # nothing fetched from elsewhere


@pytest.mark.parametrize("forge", ["none", "other secret", "alg none", "expired", "garbage"])
def test_a_missing_or_forged_token_is_401_and_changes_nothing(stack: Stack, forge: str) -> None:
    now = int(clock.now().timestamp())
    raw = {
        "none": "",
        "other secret": token("u-root", secret="another-secret-" + "z" * 40),
        "alg none": jwt.encode({"sub": "u-root", "aud": webchat.AUDIENCE, "iat": now, "exp": now + 3600},
                               None, algorithm="none"),
        "expired": webchat.issue(SECRET, "u-root", clock.now().replace(year=2020), hours=1),
        "garbage": "not.a.token",
    }[forge]
    page = Page(stack, raw_token=raw)
    before = counts(stack)
    answer = page.post({"text": "show me the ticket queue", "sender": "u-root"})
    assert answer.status_code == 401 and answer.json() == {"error": "unauthorized"}
    for path in ("history", "updates?after=0"):
        refused = requests.get(page.base + path, headers=page.headers, timeout=10)
        assert refused.status_code == 401 and "ticket" not in refused.text.lower()
    assert counts(stack) == before
    assert user_turns(stack, "web:u-root") == 0


def test_a_body_claiming_another_user_is_ignored(stack: Stack) -> None:
    lin = Page(stack, "u-lin")
    lines = lin.say("show me the ticket queue", sender="u-hana", user="u-hana", user_id="u-hana",
                    metadata={"user": "u-hana"})
    assert lines[0] == {**lines[0], "who": "user", "text": "show me the ticket queue"}
    with sessionmaker(bind=get_engine(stack.db_url), future=True)() as s:
        row = s.scalars(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(1)).one()
    assert (row.channel, row.conversation_key, row.user_id) == ("web", "web:u-lin", "u-lin")
    assert user_turns(stack, "web:u-lin") == 1 and user_turns(stack, "web:u-hana") == 0
    assert lin.history()["user"] == {"name": "Lin Zhou"}


def test_the_diagnosis_its_buttons_and_history_survive(stack: Stack) -> None:
    alex = Page(stack, "u-alex")
    lines = alex.say("why can't I close November?")
    answer = texts(lines)
    assert "C100" in answer and "2026-11" in answer, answer
    buttons = [b for line in lines for b in line["buttons"]]
    assert {"title": "Next blocker", "payload": "/ask_next_blocker"} in buttons
    pressed = alex.press("/ask_next_blocker", "Next blocker")
    assert pressed[0]["who"] == "user" and pressed[0]["text"] == "Next blocker"
    assert "2/" in texts(pressed)

    kept = alex.history()
    assert kept["registered"] is True and kept["messages"] == lines + pressed
    others = {line["id"] for line in Page(stack, "u-lin").history()["messages"]}
    assert others and not others & {line["id"] for line in kept["messages"]}  # each sees their own


def test_a_resent_message_is_handled_once(stack: Stack) -> None:
    hana = Page(stack, "u-hana")
    body = {"text": "my tickets", "id": "resend-1"}
    first = hana.post(body)
    before = counts(stack)
    again = hana.post(body)
    assert first.status_code == again.status_code == 200
    assert again.json() == {"messages": [], "duplicate": True} and counts(stack) == before


def test_an_overlong_message_is_refused_before_nlu(stack: Stack) -> None:
    omar = Page(stack, "u-omar")
    lines = omar.say("x" * 4001)
    assert texts(lines) == TOO_LONG
    assert user_turns(stack, "web:u-omar") == 0
    before = counts(stack)
    huge = requests.post(omar.base + "message", data=b'{"text": "' + b"x" * 70_000 + b'"}',
                         headers={**omar.headers, "Content-Type": "application/json"}, timeout=30)
    assert huge.status_code == 413 and counts(stack) == before


def test_someone_outside_the_directory_is_told_so_and_shown_nothing(stack: Stack) -> None:
    ghost = Page(stack, "u-ghost")
    answer = ghost.post({"text": "why can't I close November?"}).json()
    assert answer == {"registered": False, "messages": [
        {"id": 0, "who": "bot", "text": not_registered("web chat", "u-ghost"), "buttons": []}]}
    assert ghost.history()["registered"] is False and ghost.updates(0) == []
    assert user_turns(stack, "web:u-ghost") == 0


def test_ticket_news_reaches_the_page_through_updates(stack: Stack) -> None:
    lin = Page(stack, "u-lin")
    lin.say("why can't I close November?")
    lin.say("please open a ticket for this")
    opened = lin.say("the customer confirms the price tomorrow")
    number = re.search(r"CLS-\d{6}", texts(opened))
    assert number, texts(opened)
    cursor = opened[-1]["id"]
    stack.say("u-hana", f"assign {number.group(0)} to li.wei")
    deadline = time.monotonic() + 30
    news: List[Dict[str, Any]] = []
    while time.monotonic() < deadline and not news:
        news = [line for line in lin.updates(cursor) if line["who"] == "notice"]
        time.sleep(0.3)
    assert [line["text"] for line in news] == [f"🔔 Li Wei is now handling {number.group(0)}."]
    assert lin.history()["messages"][-1] == news[0]  # and it is there after a reload


def test_the_web_chat_is_off_without_its_secret(servers: Stack) -> None:
    for method, path in (("get", "/webchat"), ("post", "/webhooks/webchat/message"),
                         ("get", "/webhooks/webchat/history")):
        answer = requests.request(method, servers.rasa_url + path, timeout=10,
                                  headers={"Authorization": f"Bearer {token('u-mei')}"})
        assert answer.status_code == 404, (path, answer.text)


# ---- the page, in headless Chromium --------------------------------------------------------------


def chromium_or_skip() -> Path:
    """Debian's chromium: its absence fails the build in CI (scripts/setup.sh installs it)."""
    missing = []
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (requirements.txt)")
    if missing:
        reason = "the web chat browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM if CHROMIUM.exists() else Path(shutil.which("chromium") or "")


def test_a_missing_chromium_fails_in_ci_and_skips_only_locally(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.setattr(f"{__name__}.CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        chromium_or_skip()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        chromium_or_skip()


#: Records that the typing indicator was shown, however briefly (a MutationObserver at page start).
WATCH_TYPING = """
window.__typingShown = 0;
document.addEventListener("DOMContentLoaded", () => {
  const typing = document.getElementById("typing");
  new MutationObserver(() => { if (!typing.hidden) window.__typingShown += 1; })
    .observe(typing, { attributes: true, attributeFilter: ["hidden"] });
});
"""


def test_the_page_in_headless_chromium(stack: Stack) -> None:
    executable = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1000})
            page.set_default_timeout(90_000)
            expect.set_options(timeout=90_000)
            page.add_init_script(WATCH_TYPING)
            errors: List[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{stack.rasa_url}/webchat#token={token('u-mei')}")

            expect(page.locator("#who")).to_have_text("Signed in as Mei Chen")
            assert "token" not in page.url  # taken off the address bar (and out of its history)
            box = page.get_by_label("Message to Closebot")
            box.fill("why can't I close November?")
            box.press("Enter")
            diagnosis = page.locator(".msg.bot", has_text="2026-11").first
            expect(diagnosis).to_contain_text("C100")
            assert page.evaluate("window.__typingShown") >= 1
            expect(page.locator("#typing")).to_be_hidden()

            page.get_by_role("button", name="Next blocker").last.click()
            expect(page.locator(".msg.user").last).to_have_text("Next blocker")
            expect(page.locator(".msg.bot", has_text="2/").first).to_be_visible()
            shown_before = page.locator(".msg:not(.system)").all_inner_texts()

            page.reload()
            expect(page.locator("#who")).to_have_text("Signed in as Mei Chen")
            expect(page.locator(".msg.user")).to_have_count(2)
            assert page.locator(".msg.user").all_inner_texts() == ["why can't I close November?", "Next blocker"]
            assert page.locator(".msg:not(.system)").all_inner_texts() == shown_before
            # only the latest answer's buttons are live
            assert page.get_by_role("button", name="Next blocker").first.is_disabled()

            ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
            page.set_viewport_size({"width": 900, "height": 1700})  # the whole conversation in view
            page.screenshot(path=str(ARTIFACT))
            page.set_viewport_size({"width": 900, "height": 1000})

            # what anyone types is shown as text, never run as HTML
            box.fill('<img src=x onerror="window.__xss=1"><b>bold</b>')
            box.press("Enter")
            expect(page.locator(".msg.user").last).to_have_text('<img src=x onerror="window.__xss=1"><b>bold</b>')
            expect(page.locator("#typing")).to_be_hidden()
            assert page.evaluate("window.__xss") is None and page.locator(".msg img, .msg b").count() == 0
            assert errors == []
        finally:
            browser.close()
    assert ARTIFACT.stat().st_size > 10_000
