"""The production profile when a part of it fails: PostgreSQL, a replica, the action server,
RabbitMQ. Real servers on the local services (``harness.production``), each test with its own
databases, queue and Redis key prefix; without PostgreSQL, Redis or RabbitMQ these tests fail.
"""

import asyncio
import json
import re
import signal
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from bot.store.db import get_engine
from bot.store.models import Ticket
from channels.action_outage import UNAVAILABLE
from harness.production import ProductionServices
from harness.stack import Stack, free_port, reply_text
from tests.fakes.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def services() -> Iterator[ProductionServices]:
    with ProductionServices("faults") as running:
        yield running


def test_rasa_refuses_to_start_without_its_tracker_store(services: ProductionServices, tmp_path: Path) -> None:
    """Nothing listens where the tracker store should be: no server on an in-memory store, but exit 1."""
    dead = str(free_port())
    with pytest.raises(RuntimeError, match=r"server exited \(1\)"):
        services.stack(tmp_path, env={"CLOSEBOT_PG_PORT": dead, "CLOSEBOT_TRACKER_STORE_WAIT_SECONDS": "2"})
    log = (tmp_path / "rasa.log").read_text()
    assert f"tracker store unreachable at 127.0.0.1:{dead}" in log and "refusing to start" in log
    assert "Rasa server is up and running" not in log
    assert "InMemoryTrackerStore" not in log


def say(stack: Stack, sender: str, text: str) -> str:
    return reply_text(stack.say(sender, text, timeout=120))


def user_texts(stack: Stack, sender: str) -> List[str]:
    answer = stack.api.get(f"{stack.rasa_url}/conversations/{sender}/tracker", timeout=30)
    answer.raise_for_status()
    return [e.get("text") for e in answer.json()["events"] if e["event"] == "user"]


def test_a_killed_replica_leaves_the_conversation_to_the_other(services: ProductionServices,
                                                               tmp_path: Path) -> None:
    a = services.stack(tmp_path / "a", load_demo=True)
    b = services.stack(tmp_path / "b")
    sender = f"u-mei:killed-{uuid.uuid4().hex[:8]}"
    assert "1/" in say(a, sender, "why can't I close november?")
    a.rasa_proc.send_signal(signal.SIGKILL)  # no goodbye: the replica's memory is gone
    a.rasa_proc.wait(timeout=30)
    nxt = say(b, sender, "next")
    assert nxt.startswith("2/") or "\n2/" in nxt, nxt
    assert "Anything to add" in say(b, sender, "open a ticket")
    assert re.search(r"CLS-\d{6}", say(b, sender, "no"))
    assert user_texts(b, sender) == ["why can't I close november?", "next", "open a ticket", "no"]


def test_a_dead_action_server_is_reported_and_the_conversation_resumes(services: ProductionServices,
                                                                       tmp_path: Path) -> None:
    stack = services.stack(tmp_path, load_demo=True)
    sender = f"u-mei:outage-{uuid.uuid4().hex[:8]}"
    assert "1/" in say(stack, sender, "why can't I close november?")
    stack.action_proc.send_signal(signal.SIGKILL)
    stack.action_proc.wait(timeout=30)
    down = say(stack, sender, "next")
    assert down.count(UNAVAILABLE) == 1, down  # said once, not once per retried prediction
    assert "2/" not in down
    assert "action server unreachable for action_" in (tmp_path / "rasa.log").read_text()
    stack.restart_actions()
    back = say(stack, sender, "next")
    assert back.startswith("2/") or "\n2/" in back, back
    assert UNAVAILABLE not in back


def drop_connections(services: ProductionServices, database: str) -> int:
    """``pg_terminate_backend`` every connection to ``database`` (as a failover or restart would)."""
    admin = create_engine(services.db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT",
                          poolclass=NullPool)
    with admin.connect() as conn:
        dropped = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = :name AND pid <> pg_backend_pid()"),
                               {"name": database}).scalar()
    admin.dispose()
    return dropped


def test_dropped_database_connections_lose_no_ticket(services: ProductionServices, tmp_path: Path) -> None:
    stack = services.stack(tmp_path, load_demo=True)
    store, tracker_db = services.db_url.rsplit("/", 1)[1], services.env["CLOSEBOT_TRACKER_DB"]
    sender, note = f"u-mei:dropped-{uuid.uuid4().hex[:8]}", f"after a failover {uuid.uuid4().hex[:8]}"
    assert "1/" in say(stack, sender, "why can't I close november?")
    assert drop_connections(services, store) > 0  # the action server's pooled connections
    assert "Anything to add" in say(stack, sender, "open a ticket")
    assert drop_connections(services, store) + drop_connections(services, tracker_db) > 0
    opened = say(stack, sender, note)
    number = re.search(r"CLS-\d{6}", opened)
    assert number, opened
    with sessionmaker(bind=get_engine(services.db_url), future=True)() as s:
        assert list(s.scalars(select(Ticket.number).where(Ticket.summary.contains(note)))) == [number.group(0)]
    assert user_texts(stack, sender) == ["why can't I close november?", "open a ticket", note]


def queued_events(env: Dict[str, str]) -> List[dict]:
    """Take every message now in the test's RabbitMQ queue (Rasa's tracker events)."""
    import aio_pika

    async def drain() -> List[dict]:
        connection = await aio_pika.connect(host=env["CLOSEBOT_RABBITMQ_HOST"],
                                            port=int(env["CLOSEBOT_RABBITMQ_PORT"]),
                                            login=env["CLOSEBOT_RABBITMQ_USER"],
                                            password=env["CLOSEBOT_RABBITMQ_PASSWORD"])
        async with connection:
            queue = await (await connection.channel()).declare_queue(env["CLOSEBOT_RABBITMQ_QUEUE"], durable=True)
            taken = []
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                taken.append(json.loads(message.body))
            return taken

    return asyncio.run(drain())


def test_rabbitmq_out_of_reach_leaves_the_assistant_answering(services: ProductionServices,
                                                              tmp_path: Path) -> None:
    broker = (services.env["CLOSEBOT_RABBITMQ_HOST"], int(services.env["CLOSEBOT_RABBITMQ_PORT"]))
    with TcpProxy(broker) as proxy:
        stack = services.stack(tmp_path, load_demo=True, env={"CLOSEBOT_RABBITMQ_PORT": str(proxy.port)})
        sender = f"u-mei:nobroker-{uuid.uuid4().hex[:8]}"
        assert "1/" in say(stack, sender, "why can't I close november?")
        proxy.cut()  # the broker is gone for this Rasa server only
        nxt = say(stack, sender, "next")
        assert nxt.startswith("2/") or "\n2/" in nxt, nxt
        assert "Anything to add" in say(stack, sender, "open a ticket")
        log = tmp_path / "rasa.log"
        deadline = time.monotonic() + 60
        while "pika.events.publish.failed" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        failed = [line for line in log.read_text().splitlines() if "pika.events.publish.failed" in line]
        assert any(sender in line and '"text": "next"' in line for line in failed)  # each lost event is logged
        assert user_texts(stack, sender) == ["why can't I close november?", "next", "open a ticket"]
        proxy.restore()  # back: Rasa reconnects and publishes what it kept
        published: List[dict] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(
                e.get("sender_id") == sender and e.get("text") == "next" for e in published):
            time.sleep(2)
            published += queued_events(services.env)
        assert any(e.get("sender_id") == sender and e.get("text") == "next" for e in published)
