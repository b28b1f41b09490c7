"""Analytics end to end: a real Rasa server publishes its tracker events to RabbitMQ (a queue of this
test's own), the consumer drains them into a throwaway PostgreSQL database, and ``closebot report``
turns the facts into plots, a page and printed figures.

Needs RabbitMQ (127.0.0.1:5672, guest) and PostgreSQL (127.0.0.1:5432, trust): without them the
test fails under CI and skips only locally.
"""

import asyncio
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.db import get_engine
from bot.store.models import AnalyticsFact, AnalyticsTurn
from harness.stack import BIN, Stack
from tests.pg_support import throwaway_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "report"
SERVICES = {"RabbitMQ": ("127.0.0.1", 5672), "PostgreSQL": ("127.0.0.1", 5432)}


def require_services(services: Dict[str, tuple] = SERVICES) -> None:
    """Fail under CI, skip locally, when a service the test talks to is not listening."""
    down = []
    for name, (host, port) in services.items():
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError:
            down.append(f"{name} on {host}:{port}")
    if down:
        reason = "the analytics test needs " + " and ".join(down)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def test_unreachable_services_fail_in_ci_and_skip_only_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = {"RabbitMQ": ("127.0.0.1", 1)}
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="RabbitMQ on 127.0.0.1:1"):
        require_services(nowhere)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="RabbitMQ on 127.0.0.1:1"):
        require_services(nowhere)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    require_services()
    with throwaway_database("closebot_analytics") as url:
        yield url


@pytest.fixture(scope="module")
def queue() -> Iterator[str]:
    name = f"closebot_test_events_{uuid.uuid4().hex[:8]}"
    yield name
    asyncio.run(_delete_queues(name, f"{name}.malformed"))


async def _delete_queues(*names: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(host="127.0.0.1", port=5672, login="guest", password="guest")
    async with connection:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)


def _env(pg_url: str, queue: str) -> Dict[str, str]:
    return {**os.environ, "CLOSEBOT_DATABASE_URL": pg_url, "CLOSEBOT_RABBITMQ_QUEUE": queue}


@pytest.fixture(scope="module")
def conversations(tmp_path_factory: pytest.TempPathFactory, pg_url: str, queue: str) -> Dict[str, List[str]]:
    """Three conversations held over the REST channel of a Rasa server whose broker is RabbitMQ.

    Mei diagnoses November (turn 1), types noise (a fallback) and opens a ticket; Alex diagnoses
    and escalates; Hana (helpdesk) asks about C100's October, which is closed. Li resolves Mei's ticket.
    """
    broker = (f"event_broker:\n  type: pika\n  url: 127.0.0.1\n  port: 5672\n  username: guest\n"
              f"  password: guest\n  queues:\n    - {queue}\n")
    said: Dict[str, List[str]] = {}
    with Stack(tmp_path_factory.mktemp("analytics"), db_url=pg_url, endpoints_extra=broker) as stack:
        for sender, texts in {
            "u-mei": ["I can't close November, GL says 业务系统未结账", "kkkkkkkkkkkkkkkkkk",
                      "open a ticket pls", "payments from Bank of Shanghai stuck since this morning"],
            "u-alex": ["why can't we close november? the 1405 difference looks odd",
                       "escalate to a finance advisor please"],
            "u-hana": ["what is blocking C100 in october?"],
        }.items():
            said[sender] = [" ".join(m.get("text", "") for m in stack.say(sender, t)) for t in texts]
        _settle(queue)  # Rasa publishes in the background: let it finish before the server stops
    ticket = re.search(r"CLS-\d{6}", said["u-mei"][-1])
    assert ticket, said["u-mei"]
    subprocess.run([str(BIN / "closebot"), "tickets", "resolve", ticket.group(0), "bank interface back",
                    "--as", "u-li"], env=_env(pg_url, queue), check=True, capture_output=True)
    said["ticket"] = [ticket.group(0)]
    return said


def _settle(queue: str, quiet_seconds: float = 1.5, limit_seconds: float = 60) -> None:
    """Wait until no new message arrived on ``queue`` for ``quiet_seconds``."""
    deadline, last, quiet_since = time.monotonic() + limit_seconds, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = asyncio.run(_count(queue))
        if count != last:
            last, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_seconds:
            return
        time.sleep(0.3)


def _consume(pg_url: str, queue: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "closebot"), "analytics", "consume", "--drain", "--queue", queue],
                          env=_env(pg_url, queue), capture_output=True, text=True, timeout=300)


def _facts(pg_url: str) -> Dict[str, object]:
    with Session(get_engine(pg_url)) as s:
        facts = s.scalars(select(AnalyticsFact).order_by(AnalyticsFact.at)).all()
        turns = s.scalars(select(AnalyticsTurn).order_by(AnalyticsTurn.at)).all()
        return {
            "facts": sorted((f.conversation_key, f.kind, f.ticket_number or f.period or "") for f in facts),
            "turns": len(turns),
            "rows": s.scalar(select(func.count()).select_from(AnalyticsFact)),
            "diagnoses": [f for f in facts if f.kind == AnalyticsFact.DIAGNOSIS],
            "turn_list": turns,
        }


async def _publish(queue: str, bodies: List[bytes]) -> None:
    import aio_pika

    connection = await aio_pika.connect(host="127.0.0.1", port=5672, login="guest", password="guest")
    async with connection:
        channel = await connection.channel()
        for body in bodies:
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=queue)


async def _take_all(queue: str) -> List[bytes]:
    """Every message on ``queue`` (acknowledged: the test publishes them again)."""
    import aio_pika

    connection = await aio_pika.connect(host="127.0.0.1", port=5672, login="guest", password="guest")
    bodies = []
    async with connection:
        channel = await connection.channel()
        q = await channel.declare_queue(queue, durable=True)
        while (message := await q.get(fail=False)) is not None:
            bodies.append(message.body)
            await message.ack()
    return bodies


async def _count(queue: str) -> int:
    import aio_pika

    connection = await aio_pika.connect(host="127.0.0.1", port=5672, login="guest", password="guest")
    async with connection:
        channel = await connection.channel()
        q = await channel.declare_queue(queue, durable=True, passive=True)
        return q.declaration_result.message_count


@pytest.fixture(scope="module")
def consumed(conversations: Dict[str, List[str]], pg_url: str, queue: str) -> Dict[str, object]:
    """The queue drained once, after a copy of every message was kept for the redelivery test."""
    bodies = asyncio.run(_take_all(queue))
    assert len(bodies) > 40, "Rasa published the tracker events"
    asyncio.run(_publish(queue, bodies))
    run = _consume(pg_url, queue)
    assert run.returncode == 0, run.stderr
    return {"bodies": bodies, "run": run, "facts": _facts(pg_url)}


def test_the_conversations_become_facts(consumed: Dict[str, object], conversations: Dict[str, List[str]]) -> None:
    facts = consumed["facts"]
    kinds = [(key, kind) for key, kind, _ in facts["facts"] if kind != AnalyticsFact.SESSION]
    assert kinds.count(("u-mei", AnalyticsFact.DIAGNOSIS)) == 1
    assert ("u-mei", AnalyticsFact.TICKET, conversations["ticket"][0]) in facts["facts"]
    assert ("u-alex", AnalyticsFact.ESCALATION) in kinds and ("u-alex", AnalyticsFact.TICKET) in kinds
    assert ("u-hana", AnalyticsFact.TICKET) not in kinds
    mei = next(d for d in facts["diagnoses"] if d.conversation_key == "u-mei")
    assert mei.blocked is True and mei.period == "2026-11" and mei.company_id == "C100"
    found = {kind for kind, _ in mei.root_causes}
    assert {"order_error", "system_fault", "payment_issue", "job_failed"} <= found
    assert ["order_error", "SO-1042"] in mei.root_causes
    assert mei.components == ["bank-gateway"]
    hana = next(d for d in facts["diagnoses"] if d.conversation_key == "u-hana")
    assert hana.blocked is False and hana.period == "2026-10"
    mei_turns = [t for t in facts["turn_list"] if t.conversation_key == "u-mei"]
    assert len(mei_turns) == 4 and mei_turns[0].message_id == mei.message_id  # diagnosed at turn 1
    assert mei_turns[1].fallback is True and mei_turns[1].intent == "nlu_fallback"
    assert mei_turns[0].intent == "report_blocked_close" and mei_turns[0].confidence > 0.5
    assert "stored" in consumed["run"].stdout


def test_redelivery_never_counts_twice(consumed: Dict[str, object], pg_url: str, queue: str) -> None:
    before = _facts(pg_url)
    asyncio.run(_publish(queue, consumed["bodies"]))
    run = _consume(pg_url, queue)
    assert run.returncode == 0, run.stderr
    assert re.search(r"\b0 stored\b", run.stdout), run.stdout
    after = _facts(pg_url)
    assert (after["facts"], after["turns"], after["rows"]) == (before["facts"], before["turns"], before["rows"])


def test_a_malformed_message_is_set_aside_with_a_log_line(consumed: Dict[str, object], pg_url: str,
                                                          queue: str) -> None:
    before = _facts(pg_url)
    good = consumed["bodies"][0]
    asyncio.run(_publish(queue, [b"not json at all", b'{"event": "user", "text": "no sender"}', good]))
    run = _consume(pg_url, queue)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("skipping a message on") == 2, run.stderr
    assert "no sender_id" in run.stderr and "not JSON" in run.stderr
    assert "2 malformed" in run.stdout and "0 stored" in run.stdout
    assert asyncio.run(_count(queue)) == 0
    assert asyncio.run(_count(f"{queue}.malformed")) == 2
    assert _facts(pg_url)["rows"] == before["rows"]


def _printed(stdout: str) -> Dict[str, str]:
    return dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line)


def test_the_report_shows_the_stored_facts(consumed: Dict[str, object], pg_url: str, queue: str,
                                           tmp_path: Path) -> None:
    out = tmp_path / "report"
    run = subprocess.run([str(BIN / "closebot"), "report", "--out", str(out)], env=_env(pg_url, queue),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["blockers_by_kind.png", "containment.png", "failing_components.png", "index.html",
                            "time_to_resolution.png", "worst_understood.png"])
    assert all((out / n).read_bytes().startswith(b"\x89PNG") for n in names if n.endswith(".png"))
    facts = consumed["facts"]
    printed = _printed(run.stdout)
    diagnoses = len(facts["diagnoses"])
    tickets = sum(1 for _, kind, _ in facts["facts"] if kind == AnalyticsFact.TICKET)
    assert printed["conversations"] == "3"
    assert printed["diagnoses"] == str(diagnoses)
    assert printed["blocked conversations"] == "2"
    assert printed["containment (blocked, no ticket or escalation)"] == "0 %"  # both asked for a person
    assert printed["tickets"] == f"{tickets}, escalations: 1"
    assert printed["median turns to diagnosis"] == "1"
    assert re.fullmatch(rf"[\d.]+ % \(1 of {facts['turns']} messages\)", printed["fallback rate"])
    assert printed["median time to resolution"].endswith("(1 resolved, 1 open)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # to look at (README's plot: docs/img/)
    for name in names:
        shutil.copy(out / name, ARTIFACTS / name)
    page = (out / "index.html").read_text()
    assert "kkkkkkkkkkkkkkkkkk" in page and "<img src='containment.png'" in page

    october = subprocess.run([str(BIN / "closebot"), "report", "--period", "2026-10", "--out",
                              str(tmp_path / "oct")], env=_env(pg_url, queue), capture_output=True, text=True,
                             timeout=300)
    assert october.returncode == 0, october.stderr
    only = _printed(october.stdout)
    assert (only["period"], only["conversations"], only["diagnoses"], only["blocked conversations"]) == \
        ("2026-10", "1", "1", "0")
    assert only["median time to resolution"] == "– (0 resolved, 0 open)"
