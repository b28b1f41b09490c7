"""Over the real servers: a helpdesk command naming a ticket in another helpdesk's numbering acts
on that ticket, never on the one the conversation was about; a number not held changes nothing."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.store.db import get_engine
from bot.store.models import Ticket
from harness.stack import reply_text as texts

pytestmark = pytest.mark.slow


def test_assign_a_foreign_number_while_another_ticket_is_in_focus(servers) -> None:
    factory = sessionmaker(bind=get_engine(servers.db_url), future=True, expire_on_commit=False)
    with factory() as s:
        s.add(Ticket(number="HD-30415", requester_id="u-mei", company_id="C100", period="2026-11",
                     category="other", status="new", priority=3, summary="imported from the helpdesk",
                     created_at=datetime(2026, 11, 20, tzinfo=timezone.utc)))
        s.commit()
    sender = "u-hana:foreign"
    assert "CLS-000001" in texts(servers.say(sender, "status of CLS-000001"))  # now in focus

    reply = texts(servers.say(sender, "assign HD-30415 to li.wei"))
    assert "HD-30415 is assigned to Li Wei" in reply, reply
    missing = texts(servers.say(sender, "assign HD-99999 to li.wei"))
    assert "I can't find ticket HD-99999" in missing, missing
    with factory() as s:
        numbers = {t.number: t.assignee_id for t in s.scalars(select(Ticket)).all()}
    assert numbers["HD-30415"] == "u-li"
    assert numbers["CLS-000001"] != "u-li"  # the ticket in focus was never touched
