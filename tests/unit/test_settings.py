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


# ---- the outbox lease against the slowest remote call ---------------------------------------


def test_the_slowest_call_with_the_default_http_settings() -> None:
    from bot.integrations.http import HttpPolicy, worst_case_seconds

    # 4 attempts of 3.05 s connect + 10 s read, 3 Retry-After waits of 30 s (the case)
    assert worst_case_seconds(HttpPolicy()) == pytest.approx(4 * 13.05 + 3 * 30)
    # a backoff longer than the Retry-After cap counts instead: 40, 80, then 120 (urllib3's maximum)
    assert worst_case_seconds(HttpPolicy(backoff_factor=40.0)) == pytest.approx(4 * 13.05 + 40 + 80 + 120)
    assert worst_case_seconds(HttpPolicy(retries=0)) == pytest.approx(13.05)


def test_the_default_lease_outlasts_the_slowest_call(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for backend in ("servicenow", "jira"):
        monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", backend)
        assert current_settings().tickets.outbox.lease_seconds == 300.0


def test_a_lease_shorter_than_the_slowest_call_is_refused(config: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config.write_text("tickets: {backend: servicenow, outbox: {lease_seconds: 120}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        current_settings()
    message = str(caught.value)
    assert message.startswith(f"{config}: tickets.outbox.lease_seconds: 120 s is not longer than the slowest "
                              "call to servicenow (142.2 s")
    assert "create the ticket twice" in message

    # the backend chosen by the environment is the one checked; faster HTTP makes 120 s enough
    config.write_text("tickets: {outbox: {lease_seconds: 120}, jira: {http: {max_retry_after: 5}}}\n",
                      encoding="utf-8")
    assert current_settings().tickets.backend == "local"  # no outbox: nothing to check
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "servicenow")
    with pytest.raises(ConfigError, match="slowest call to servicenow"):
        current_settings()
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "jira")
    assert current_settings().tickets.outbox.lease_seconds == 120.0  # 4 x 13.05 + 3 x 5 = 67.2 s
