"""Two replicas of the production profile: two Rasa servers and two action servers on their own
ports, sharing one PostgreSQL tracker database, the Redis lock store (a key prefix of this
module's own), the RabbitMQ broker (a queue of its own) and Closebot's store on PostgreSQL.

One conversation may reach either replica on each turn (a load balancer without affinity): its
dialogue state, its tickets and its channel messages must not split or double. Without
PostgreSQL, Redis or RabbitMQ these tests fail (``harness.production``).
"""

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List, Tuple

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.store.db import get_engine
from bot.store.models import InboundMessage, Ticket
from harness.production import ProductionServices
from harness.stack import Stack, reply_text
from tests.fakes.slack import SECRET, TOKEN, FakeSlack, event, signed_headers

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

MEI = "U07MEICHEN"
TICKET = re.compile(r"CLS-\d{6}")


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack({MEI: "Mei.Chen@northwind.example"}) as service:
        yield service


@pytest.fixture(scope="module")
def replicas(slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Stack, Stack]]:
    """Both replicas, on this module's own databases, queue and Redis prefix (removed afterwards)."""
    env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.api_url}
    with ProductionServices("replicas") as services:
        first = services.stack(tmp_path_factory.mktemp("replica_a"), load_demo=True, env=env)
        second = services.stack(tmp_path_factory.mktemp("replica_b"), env=env)
        yield first, second


def tickets_with(stack: Stack, text: str) -> List[str]:
    """The numbers of the tickets whose summary holds ``text``."""
    with sessionmaker(bind=get_engine(stack.db_url), future=True)() as s:
        return list(s.scalars(select(Ticket.number).where(Ticket.summary.contains(text))))


def tracker(stack: Stack, sender: str) -> dict:
    answer = stack.api.get(f"{stack.rasa_url}/conversations/{sender}/tracker", timeout=30)
    answer.raise_for_status()
    return answer.json()


def user_texts(state: dict) -> List[str]:
    return [e.get("text") for e in state["events"] if e["event"] == "user"]


def test_one_conversation_alternating_between_replicas_keeps_its_state_and_one_ticket(
        replicas: Tuple[Stack, Stack]) -> None:
    a, b = replicas
    sender, note = f"u-mei:alt-{uuid.uuid4().hex[:8]}", f"price agreed, ref {uuid.uuid4().hex[:8]}"
    first = reply_text(a.say(sender, "why can't I close november?"))
    assert "C100" in first and "1/" in first
    second = reply_text(b.say(sender, "next"))  # replica B knows where replica A left off
    assert second.startswith("2/") or "\n2/" in second, second
    assert reply_text(a.say(sender, "open a ticket")).count("Anything to add") == 1
    opened = reply_text(b.say(sender, note))
    assert TICKET.search(opened), opened
    assert tickets_with(a, note) == [TICKET.search(opened).group(0)]
    seen_by_a, seen_by_b = tracker(a, sender), tracker(b, sender)
    assert user_texts(seen_by_a) == ["why can't I close november?", "next", "open a ticket", note]
    assert seen_by_a["events"] == seen_by_b["events"]
    assert seen_by_a["slots"] == seen_by_b["slots"]


def test_concurrent_conversations_across_replicas_answer_every_turn_once(replicas: Tuple[Stack, Stack]) -> None:
    run = uuid.uuid4().hex[:8]
    conversations = [(f"u-mei:many-{run}-{i}", f"note {run}-{i}") for i in range(6)]

    def converse(index: int) -> List[str]:
        sender, note = conversations[index]
        turns = ["why can't I close november?", "open a ticket", note]
        return [reply_text(replicas[(index + turn) % 2].say(sender, text, timeout=180))
                for turn, text in enumerate(turns)]

    with ThreadPoolExecutor(max_workers=len(conversations)) as pool:
        replies = list(pool.map(converse, range(len(conversations))))
    numbers = []
    for (sender, note), (diagnosis, asked, opened) in zip(conversations, replies):
        assert diagnosis.count("C100 can't close") == 1, diagnosis
        assert asked.count("Anything to add") == 1, asked
        assert len(set(TICKET.findall(opened))) == 1, opened
        [number] = tickets_with(replicas[0], note)
        assert number in opened
        numbers.append(number)
        assert user_texts(tracker(replicas[len(numbers) % 2], sender)) == [
            "why can't I close november?", "open a ticket", note]
    assert len(set(numbers)) == len(conversations)


def test_a_slack_retry_on_the_other_replica_is_answered_once(replicas: Tuple[Stack, Stack],
                                                            slack: FakeSlack) -> None:
    a, b = replicas
    channel, event_id = f"D0R{uuid.uuid4().hex[:6].upper()}", f"Ev{uuid.uuid4().hex[:10]}"
    body = event("why can't I close november?", MEI, channel=channel, event_id=event_id)

    def deliver(stack: Stack, **headers: str) -> None:
        answer = requests.post(f"{stack.rasa_url}/webhooks/slack/webhook", data=body,
                               headers=signed_headers(body, **headers), timeout=10)
        assert answer.status_code == 200

    def to_channel() -> List[dict]:
        return [p for p in list(slack.posts) if p["channel"] == channel]

    deliver(a)
    deadline = time.monotonic() + 60
    while not any("Also blocking" in p["text"] for p in to_channel()) and time.monotonic() < deadline:
        time.sleep(0.2)
    answered = to_channel()
    assert any("Also blocking" in p["text"] for p in answered), json.dumps(slack.posts)[-2000:]
    deliver(b, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    time.sleep(5)  # time for replica B to answer, were it to answer the retry
    assert to_channel() == answered
    with sessionmaker(bind=get_engine(a.db_url), future=True)() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)
                        .where(InboundMessage.external_id == event_id)) == 1
