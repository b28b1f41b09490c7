"""The outbox with the configured ServiceNow backend against the ServiceNow fake.

The CLI runs as operators run it (a ``closebot`` subprocess), including the worst case: a
flush killed after ServiceNow created the incident and before our commit. The assistant's
"open a ticket" gets the incident number at once when ServiceNow answers, "queued" when not.
"""

import json
import logging
import os
import signal
import subprocess
import time
from typing import Dict

import pytest
from sqlalchemy import select

from bot.conversation import employee
from bot.core.clock import now as utcnow
from bot.integrations.ticketing.factory import close_backends
from bot.outbox import worker as outbox_worker
from bot.store.models import AuditEntry, Notification, OutboxEntry, TicketLink
from tests.conftest import BIN, focus_ticket
from tests.fakes.servicenow import FakeServiceNow
from tests.outbox_support import open_ticket, rows, write_config


@pytest.fixture
def sn():
    with FakeServiceNow() as fake:
        yield fake
    close_backends()


@pytest.fixture
def env(sn, db_url, tmp_path, monkeypatch) -> Dict[str, str]:
    """ServiceNow configured through the environment, for this process and for subprocesses."""
    values = {
        "CLOSEBOT_DATABASE_URL": db_url,
        "CLOSEBOT_TICKET_BACKEND": "servicenow",
        "SERVICENOW_INSTANCE_URL": sn.url,
        # a 3 s lease: a killed worker's row is free again soon, yet longer than the slowest
        # call (one 0.5 s connect + 2 s read, no retry: settings.check_lease); reads wait long
        # enough for the test to kill a flush while ServiceNow holds its answer
        "CLOSEBOT_CONFIG": str(write_config(tmp_path / "closebot.yml", {"read_timeout": 2.0, "retries": 0},
                                            lease_seconds=3.0)),
        **sn.basic_env(),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **values}


def closebot(env: Dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "closebot"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_a_flush_killed_after_servicenow_answered_never_duplicates(demo_session, env, sn) -> None:
    ticket = open_ticket(demo_session)
    [row] = rows(demo_session)
    # ServiceNow creates the incident, then holds its answer: the flush is killed meanwhile
    sn.delay_next(30, match=lambda r: r.method == "POST", after=True)
    flush = subprocess.Popen([str(BIN / "closebot"), "outbox", "flush"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: len(sn.incidents) == 1)
    finally:
        flush.send_signal(signal.SIGKILL)
        flush.wait(10)
    [row] = rows(demo_session)
    assert row.state == "pending" and row.lease_owner is not None
    assert demo_session.scalar(select(TicketLink)) is None

    wait_until(lambda: rows(demo_session)[0].lease_expires_at <= utcnow())  # the dead worker's 3 s lease
    again = closebot(env, "outbox", "flush")
    assert again.returncode == 0, again.stdout + again.stderr
    [incident] = sn.incidents
    assert incident["correlation_id"] == row.correlation_id
    link = demo_session.scalar(select(TicketLink))
    assert (link.ticket_id, link.remote_number, link.remote_id) == (ticket.id, incident["number"],
                                                                   incident["sys_id"])
    audit = demo_session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket_remote_delivered"))
    assert audit.detail["found_existing"] is True
    creates = [r for r in sn.requests if r.method == "POST"]
    assert len(creates) == 1


def test_flush_exit_codes_follow_what_is_left(demo_session, env, sn) -> None:
    ticket = open_ticket(demo_session)
    sn.down()
    result = closebot(env, "outbox", "flush")
    assert result.returncode == 1
    assert "1 still pending" in result.stderr and "cannot reach" in result.stderr
    assert "SERVICENOW_PASSWORD" not in result.stderr and env["SERVICENOW_PASSWORD"] not in result.stdout

    sn.up()
    sn.fail_next(400, {"error": {"message": "Invalid assignment group", "detail": None}, "status": "failure"},
                 match=lambda r: r.method == "POST")
    result = closebot(env, "outbox", "flush", "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["outcomes"] == {"failed": 1} and data["undelivered"] == 1
    assert "Invalid assignment group" in data["status"]["failed"][0]["last_error"]
    assert "--retry-failed" in result.stderr

    result = closebot(env, "outbox", "flush")  # a refusal is not retried by itself
    assert result.returncode == 1 and not sn.incidents
    result = closebot(env, "outbox", "flush", "--retry-failed")
    assert result.returncode == 0, result.stderr
    assert "1 delivered" in result.stdout and "(1 failed row(s) requeued)" in result.stdout
    [incident] = sn.incidents
    assert incident["short_description"].startswith("C100 2026-11 general_ledger blocked")
    assert f"Closebot ticket {ticket.number}" in incident["description"]


def test_the_work_loop_delivers_and_stops_on_sigterm(demo_session, env, sn) -> None:
    work = subprocess.Popen([str(BIN / "closebot"), "outbox", "work"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        open_ticket(demo_session)
        wait_until(lambda: len(sn.incidents) == 1)
    finally:
        work.send_signal(signal.SIGTERM)
        output, _ = work.communicate(timeout=20)
    assert work.returncode == 0, output
    assert "stopped" in output
    wait_until(lambda: rows(demo_session)[0].state == "delivered")


def test_open_a_ticket_names_the_incident_when_servicenow_answers(demo_session, env, sn) -> None:
    employee.diagnose_close(demo_session, "u-mei")
    opened = employee.open_ticket(demo_session, "u-mei", note=None, idempotency_key="u-mei:t1")
    demo_session.commit()
    number = focus_ticket(demo_session, "u-mei")
    assert f"{number} (ServiceNow INC0010001) is open" in opened.texts[0]
    # the reply said it: no second notice at the next message
    assert not demo_session.scalars(select(Notification).where(
        Notification.user_id == "u-mei", Notification.delivered_at.is_(None))).all()


def test_open_a_ticket_while_servicenow_is_down_says_queued(demo_session, env, sn) -> None:
    sn.down()
    employee.diagnose_close(demo_session, "u-mei")
    opened = employee.open_ticket(demo_session, "u-mei", note=None, idempotency_key="u-mei:t1")
    demo_session.commit()
    number = focus_ticket(demo_session, "u-mei")
    text = opened.texts[0]
    assert f"{number} is open" in text and "queued here as " + number in text
    assert "I'll tell you its ServiceNow number" in text
    assert demo_session.scalar(select(OutboxEntry)).attempts == 1


def test_the_background_thread_needs_a_usable_configuration(env, monkeypatch, caplog) -> None:
    monkeypatch.delenv("SERVICENOW_INSTANCE_URL")
    with caplog.at_level(logging.ERROR, logger="bot.outbox.worker"):
        assert outbox_worker.start_background() is None
    assert "ticket outbox not started" in caplog.text and "url" in caplog.text.lower()
    monkeypatch.setenv("CLOSEBOT_TICKET_BACKEND", "local")
    assert outbox_worker.start_background() is None
