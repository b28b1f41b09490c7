"""``closebot outbox status|flush``: what operators read, and the exit codes scripts rely on."""

import json

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.outbox import store
from tests.fakes.servicenow import FakeServiceNow
from tests.outbox_support import backend, open_ticket, rows, worker, write_config


@pytest.fixture
def env(monkeypatch, tmp_path, db_url) -> None:
    """The CLI's database is the test's; tickets go to ServiceNow."""
    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "servicenow")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(write_config(tmp_path / "closebot.yml")))


def cli(*args: str):
    return CliRunner(mix_stderr=False).invoke(main, ["outbox", *args])


def three_states(session) -> list:
    """One ticket delivered, one refused (failed), one waiting after an outage (pending)."""
    made = [open_ticket(session, f"u-mei:{i}") for i in range(3)]
    with FakeServiceNow() as sn:
        w = worker(session, backend(sn))
        w.deliver_one(rows(session)[0].id)
        sn.fail_next(422, {"error": {"message": "Invalid category"}, "status": "failure"},
                     match=lambda r: r.method == "POST")
        w.deliver_one(rows(session)[1].id)
        sn.down()
        w.deliver_one(rows(session)[2].id)
    return made


def test_status_counts_oldest_wait_and_failures(demo_session, env) -> None:
    delivered, refused, waiting = three_states(demo_session)
    result = cli("status")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "backend: servicenow (ServiceNow)" in out
    assert "pending 1 · delivered 1 · failed 1" in out
    assert f"oldest pending: {waiting.number} create for servicenow" in out and "1 attempt(s)" in out
    assert f"retrying: {waiting.number} create" in out and "cannot reach" in out
    assert f"failed: {refused.number} create to servicenow (1 attempt(s)): " \
           "servicenow HTTP 422: Invalid category" in out
    assert "--retry-failed" in out

    data = json.loads(cli("status", "--json").output)
    assert data["counts"] == {"pending": 1, "delivered": 1, "failed": 1}
    assert data["oldest_pending"]["ticket"] == waiting.number and data["oldest_pending"]["age_seconds"] >= 0
    assert data["next_attempt_at"] == data["retrying"][0]["next_attempt_at"]
    assert [f["ticket"] for f in data["failed"]] == [refused.number]


def test_empty_outbox(session, env) -> None:
    result = cli("status", "--json")
    assert json.loads(result.output)["counts"] == {"pending": 0, "delivered": 0, "failed": 0}


def test_flush_with_local_tickets_reports_what_is_left(demo_session, env, monkeypatch) -> None:
    open_ticket(demo_session)
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "local")
    result = cli("flush")
    assert result.exit_code == 1
    assert "tickets are local" in result.stderr and "1 still pending" in result.stderr
    assert rows(demo_session)[0].state == store.PENDING


def test_a_broken_configuration_exits_2(session, env, monkeypatch, tmp_path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("tickets:\n  outbox:\n    base_delay_seconds: -1\n")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(bad))
    for command in ("status", "flush"):
        result = cli(command)
        assert result.exit_code == 2
        assert "tickets.outbox.base_delay_seconds" in result.stderr
