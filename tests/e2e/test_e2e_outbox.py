"""End to end with ServiceNow configured: a ticket opened while ServiceNow is down reaches it
exactly once after it recovers, and the user is told the incident number.

Its own server stack (Rasa + action server) runs with ``CLOSEBOT_TICKET_BACKEND=servicenow``
pointing at the ServiceNow fake; the action server's own outbox thread does the delivery.
"""

import re
import time
from pathlib import Path
from typing import Iterator, Tuple

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import get_engine
from bot.store.models import OutboxEntry, Ticket, TicketLink
from harness.stack import reply_text as texts
from tests.conftest import Stack
from tests.fakes.servicenow import FakeServiceNow
from tests.outbox_support import write_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sn_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Stack, FakeServiceNow]]:
    workdir: Path = tmp_path_factory.mktemp("outbox_servers")
    fake = FakeServiceNow().start()
    config = write_config(workdir / "closebot.yml", base_delay_seconds=0.2, max_delay_seconds=1.0,
                          poll_seconds=0.2, inline_timeout_seconds=2.0)
    env = {"CLOSEBOT_TICKET_BACKEND": "servicenow", "SERVICENOW_INSTANCE_URL": fake.url,
           "CLOSEBOT_CONFIG": str(config), **fake.basic_env()}
    stack = Stack(workdir, env=env)
    try:
        yield stack, fake
    finally:
        stack.stop()
        fake.stop()


def session_on(stack: Stack) -> Session:
    return sessionmaker(bind=get_engine(stack.db_url), future=True)()


def number_in(reply: str) -> str:
    found = re.search(r"CLS-\d{6}", reply)
    assert found, reply
    return found.group(0)


def test_a_ticket_opened_while_servicenow_is_down_arrives_once(sn_stack) -> None:
    stack, sn = sn_stack
    mei = "u-mei:outbox"
    sn.down()
    stack.say(mei, "I can't close November")
    assert "add" in texts(stack.say(mei, "open a ticket")).lower()  # the form asks for a note
    reply = texts(stack.say(mei, "no"))
    number = number_in(reply)
    assert "ServiceNow isn't answering right now" in reply and f"queued here as {number}" in reply
    assert "INC" not in reply

    sn.up()
    with session_on(stack) as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        deadline = time.monotonic() + 30
        while s.scalar(select(TicketLink).where(TicketLink.ticket_id == ticket.id)) is None:
            assert time.monotonic() < deadline, "the action server's worker never delivered"
            time.sleep(0.2)
            s.rollback()  # read the worker's commits
        link = s.scalar(select(TicketLink).where(TicketLink.ticket_id == ticket.id))
        create = s.scalar(select(OutboxEntry).where(OutboxEntry.ticket_id == ticket.id))
        assert create.state == "delivered" and create.attempts >= 2

    reply = texts(stack.say(mei, f"status of {number}"))
    assert f"{number} is now {link.remote_number} in ServiceNow." in reply  # the notice, once
    assert f"{number} (ServiceNow {link.remote_number}): new" in reply
    matching = [i for i in sn.incidents if i["correlation_id"] == create.correlation_id]
    assert len(matching) == len(sn.incidents) == 1
    assert (matching[0]["number"], matching[0]["sys_id"]) == (link.remote_number, link.remote_id)
    reply = texts(stack.say(mei, "my tickets"))
    assert f"{number} (ServiceNow {link.remote_number})" in reply and "is now" not in reply


def test_with_servicenow_up_the_first_reply_has_the_incident(sn_stack) -> None:
    stack, sn = sn_stack
    alex = "u-alex:outbox"
    stack.say(alex, "why can't we close november?")
    stack.say(alex, "open a ticket")
    reply = texts(stack.say(alex, "the 1405 difference looks odd"))
    number = number_in(reply)
    incident = next(i for i in sn.incidents if number in i["description"])
    assert f"{number} (ServiceNow {incident['number']}) is open" in reply
    assert "is now" not in texts(stack.say(alex, "thanks"))  # no second notice of the same number

