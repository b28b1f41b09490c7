"""An action's timeout is longer than everything it may legitimately wait on."""

from pathlib import Path

import pytest

from bot.conversation.budget import WORK_MARGIN, action_timeout_seconds, longest_wait_seconds


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "closebot.yml"
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(path))
    for name in ("CLOSEBOT_TICKET_BACKEND", "CLOSEBOT_STATUSPAGE_URL", "CLOSEBOT_ACTION_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOSEBOT_LOCK_WAIT_SECONDS", "5")
    return path


def test_the_embedded_default_waits_only_for_locks(config: Path) -> None:
    config.write_text("{}\n")
    assert longest_wait_seconds() == 5
    assert action_timeout_seconds() == 5 + WORK_MARGIN


def test_a_status_page_and_a_remote_backend_lengthen_it(config: Path, monkeypatch) -> None:
    config.write_text("status_page: {url: 'https://status.example.com', wait_seconds: 3}\n"
                      "tickets: {backend: servicenow, outbox: {inline_timeout_seconds: 4}}\n")
    assert longest_wait_seconds() == 5 + 3 + 4
    monkeypatch.setenv("CLOSEBOT_ACTION_TIMEOUT", "8")  # too short: raised
    assert action_timeout_seconds() == 5 + 3 + 4 + WORK_MARGIN
    monkeypatch.setenv("CLOSEBOT_ACTION_TIMEOUT", "30")  # longer is kept
    assert action_timeout_seconds() == 30


def test_a_broken_integrations_file_assumes_every_default_wait(config: Path) -> None:
    config.write_text("status_page: [not, a, mapping]\n")
    assert longest_wait_seconds() == 5 + 3 + 4
