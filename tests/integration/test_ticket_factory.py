"""backend_from_settings: the configured backend, one per configuration, clear config errors."""

from pathlib import Path
from typing import Iterator

import pytest

from bot.integrations.settings import ConfigError, Settings, TicketSettings, load_settings
from bot.integrations.ticketing.base import RemoteTicketRequest
from bot.integrations.ticketing.factory import backend_from_settings, close_backends
from bot.integrations.ticketing.jira import JiraBackend
from bot.integrations.ticketing.servicenow import ServiceNowBackend
from tests.fakes.jira import FakeJira
from tests.fakes.servicenow import FakeServiceNow


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    close_backends()
    yield
    close_backends()


def test_local_means_no_remote_backend() -> None:
    assert backend_from_settings(Settings(), {}) is None
    assert backend_from_settings(TicketSettings(), {"SERVICENOW_TOKEN": "t"}) is None


def test_one_instance_per_configuration() -> None:
    settings = TicketSettings(backend="servicenow", servicenow={"url": "https://acme.service-now.com"})
    env = {"SERVICENOW_TOKEN": "t1"}
    first = backend_from_settings(settings, env)
    assert isinstance(first, ServiceNowBackend)
    assert backend_from_settings(settings, dict(env)) is first
    assert backend_from_settings(Settings(tickets=settings), env) is first
    assert backend_from_settings(settings, {"SERVICENOW_TOKEN": "t2"}) is not first  # rotated credentials
    other = TicketSettings(backend="servicenow", servicenow={"url": "https://acme.service-now.com",
                                                             "assignment_group": "g"})
    assert backend_from_settings(other, env) is not first
    close_backends()
    assert backend_from_settings(settings, env) is not first


def test_missing_configuration_names_what_is_missing() -> None:
    with pytest.raises(ConfigError) as servicenow:
        backend_from_settings(TicketSettings(backend="servicenow"), {})
    assert "SERVICENOW_INSTANCE_URL" in str(servicenow.value) and "SERVICENOW_TOKEN" in str(servicenow.value)
    with pytest.raises(ConfigError) as jira:
        backend_from_settings(TicketSettings(backend="jira", jira={"url": "https://acme.atlassian.net"}),
                              {"JIRA_API_TOKEN": "secret-token-value"})
    assert "JIRA_EMAIL" in str(jira.value) and "JIRA_BASE_URL" not in str(jira.value)
    assert "secret-token-value" not in str(jira.value)


def test_a_config_file_and_the_environment_reach_servicenow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "closebot.yml"
    config.write_text(
        "tickets:\n"
        "  backend: servicenow\n"
        "  servicenow:\n"
        "    assignment_group: 8a4dde73c6112278017a6a4baf547aa7\n"
        "    categories: {system_fault: software}\n"
        "    http: {read_timeout: 0.5, retries: 1, backoff_factor: 0}\n", encoding="utf-8")
    with FakeServiceNow() as sn:
        for name, value in {**sn.basic_env(), "CLOSEBOT_CONFIG": str(config),
                            "SERVICENOW_INSTANCE_URL": sn.url}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("SERVICENOW_TOKEN", raising=False)
        backend = backend_from_settings(load_settings())
        assert backend is not None
        ref = backend.create(RemoteTicketRequest("cfg-1", "T-0001", "Summary", "Text", "system_fault", 3,
                                                 "new", "ACME"))
        record = sn.incident(ref.number)
        assert (record["category"], record["assignment_group"]) == ("software", "8a4dde73c6112278017a6a4baf547aa7")


def test_the_environment_selects_jira(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.yml"
    empty.write_text("", encoding="utf-8")
    with FakeJira() as jira:
        for name, value in {**jira.env(), "CLOSEBOT_TICKET_BACKEND": "jira", "JIRA_BASE_URL": jira.url,
                            "CLOSEBOT_CONFIG": str(empty)}.items():
            monkeypatch.setenv(name, value)
        backend = backend_from_settings(load_settings())
        assert isinstance(backend, JiraBackend)
        ref = backend.create(RemoteTicketRequest("env-1", "T-0002", "Summary", "Text", "other", 4, "new", "ACME"))
        assert jira.issue(ref.number)["fields"]["priority"] == "Low"


@pytest.mark.parametrize("backend, env, kind", [
    ("servicenow", {"SERVICENOW_USERNAME": "svc", "SERVICENOW_PASSWORD": "pw"}, ServiceNowBackend),
    ("jira", {"JIRA_EMAIL": "bot@acme.test", "JIRA_API_TOKEN": "tok"}, JiraBackend),
])
def test_the_example_file_configures_each_backend(backend: str, env: dict, kind: type) -> None:
    """closebot.example.yml is what people copy: its tickets section must build both backends."""
    settings = load_settings(Path(__file__).resolve().parents[2] / "closebot.example.yml")
    assert settings.tickets.backend == "local"  # the sample changes nothing until asked
    settings.tickets.backend = backend
    assert isinstance(backend_from_settings(settings, env), kind)
