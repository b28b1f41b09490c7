"""current_settings: read once, re-read when the file or an overriding variable changes."""

from pathlib import Path

import pytest

from bot.integrations.settings import OVERRIDE_VARIABLES, ConfigError, current_settings


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in OVERRIDE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "closebot.yml"
    path.write_text("tickets: {backend: local}\n", encoding="utf-8")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(path))
    return path


def test_the_same_settings_while_nothing_changes(config: Path) -> None:
    first = current_settings()
    assert current_settings() is first
    assert first.tickets.backend == "local"


def test_an_edited_file_is_read_again(config: Path) -> None:
    first = current_settings()
    config.write_text("tickets: {backend: jira, jira: {project: FIN}}\n", encoding="utf-8")
    second = current_settings()
    assert second is not first
    assert (second.tickets.backend, second.tickets.jira.project) == ("jira", "FIN")


def test_an_override_variable_is_seen_at_once(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert current_settings().status_page.url is None
    monkeypatch.setenv("CLOSEBOT_STATUSPAGE_URL", "https://status.example.com")
    assert current_settings().status_page.url == "https://status.example.com"
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "servicenow")
    assert current_settings().tickets.backend == "servicenow"


def test_a_broken_file_still_fails_loudly(config: Path) -> None:
    current_settings()
    config.write_text("tickets: {backend: zendesk}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="closebot.yml"):
        current_settings()
