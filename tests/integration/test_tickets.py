"""Tickets: numbering, idempotency, priority, triage order, status and comments, CLI JSON."""

import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.core.errors import NotFoundError
from bot.diagnosis.result import Blocker, Diagnosis
from bot.store.models import AuditEntry, Ticket
from bot.tickets import service as tickets
from tests.conftest import BIN, DEMO


def diagnosis(severity: str = "high", kind: str = "payment_issue") -> Diagnosis:
    return Diagnosis(
        company="C100", period="2026-11", module="general_ledger", target_status="open",
        blockers=[
            Blocker(kind, "receivables", ["PAY-88"], "PAY-88 pending", "ask the bank", "accountant", severity),
            Blocker("module_not_closed", "receivables", ["receivables"], "AR open", "close AR",
                    "accountant", severity, caused_by=[0]),
        ],
    )


def test_same_key_gives_one_ticket(demo_session) -> None:
    first = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=diagnosis(),
                                  idempotency_key="u-mei:m1")
    again = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=diagnosis(),
                                  idempotency_key="u-mei:m1")
    other = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=diagnosis(),
                                  idempotency_key="u-mei:m2")
    demo_session.commit()
    assert first.number == again.number != other.number
    count = demo_session.scalar(select(func.count()).select_from(Ticket).where(Ticket.requester_id == "u-mei"))
    assert count == 2


def test_numbers_follow_existing_tickets(demo_session) -> None:
    # The demo already holds CLS-000001.
    ticket = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=diagnosis())
    assert ticket.number == "CLS-000002"
    assert tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100",
                                 diagnosis=diagnosis()).number == "CLS-000003"


def test_category_priority_and_attached_diagnosis(demo_session) -> None:
    far = datetime(2026, 11, 1, tzinfo=timezone.utc)  # the demo deadline is 2026-12-03
    t = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100",
                              diagnosis=diagnosis("critical", "system_fault"), now=far)
    assert (t.category, t.priority) == ("system_fault", 1)
    t = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100",
                              diagnosis=diagnosis("medium"), now=far)
    assert (t.category, t.priority) == ("payment_issue", 3)
    assert t.diagnosis["blockers"][0]["refs"] == ["PAY-88"]
    close = datetime(2026, 12, 3, 0, 0, tzinfo=timezone.utc)  # within 24 h of the deadline
    t = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100",
                              diagnosis=diagnosis("medium"), now=close)
    assert t.priority == 2
    assert tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=None,
                                 now=far).category == "other"


def test_status_comment_and_audit(demo_session) -> None:
    t = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=diagnosis())
    tickets.update_status(demo_session, t.number.lower(), "in_progress", actor="u-hana")
    tickets.add_comment(demo_session, t.number, "Called the bank", author_id="u-hana")
    demo_session.commit()
    again = tickets.get_ticket(demo_session, t.number)
    assert again.status == "in_progress"
    assert [c.body for c in again.comments] == ["Called the bank"]
    actions = demo_session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "u-hana")).all()
    assert actions == ["ticket_status", "ticket_comment"]
    with pytest.raises(ValueError):
        tickets.update_status(demo_session, t.number, "done", actor="u-hana")
    with pytest.raises(NotFoundError):
        tickets.get_ticket(demo_session, "CLS-999999")


def test_list_orders_open_first_then_deadline_and_priority(demo_session) -> None:
    low = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100", diagnosis=diagnosis("low"),
                                now=datetime(2026, 11, 1, tzinfo=timezone.utc))
    high = tickets.create_ticket(demo_session, requester_id="u-mei", company_id="C100",
                                 diagnosis=diagnosis("critical"),
                                 now=datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(hours=1))
    c200 = tickets.create_ticket(demo_session, requester_id="u-sam", company_id="C200",
                                 diagnosis=diagnosis("critical"))
    demo_session.commit()
    order = [t.number for t in tickets.list_tickets(demo_session)]
    # C100's deadline (Dec 3) is before C200's (Dec 5); the resolved demo ticket comes last.
    assert order == [high.number, low.number, c200.number, "CLS-000001"]
    mine = tickets.list_tickets(demo_session, requester_id="u-sam")
    assert [t.number for t in mine] == [c200.number]


def test_cli_lists_tickets_as_json(tmp_path) -> None:
    env = {**os.environ, "CLOSEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    subprocess.run([str(BIN / "closebot"), "scenario", "load", str(DEMO)], env=env, check=True,
                   capture_output=True)
    out = subprocess.run([str(BIN / "closebot"), "tickets", "list", "--json"], env=env,
                         capture_output=True, text=True, check=True)
    rows = json.loads(out.stdout)
    assert rows[0]["number"] == "CLS-000001"
    required = {"number", "requester", "company", "period", "category", "status", "priority",
                "summary", "assignee", "created_at"}
    assert required <= set(rows[0])
    assert rows[0]["assignee"] == "u-hana" and rows[0]["priority"] == 3
    table = subprocess.run([str(BIN / "closebot"), "tickets", "list"], env=env,
                           capture_output=True, text=True, check=True)
    assert "CLS-000001" in table.stdout and "resolved" in table.stdout


def test_cli_changes_tickets_and_notifies_the_requester(tmp_path) -> None:
    env = {**os.environ, "CLOSEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def closebot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "closebot"), *args], env=env, capture_output=True, text=True)

    closebot("scenario", "load", str(DEMO))
    assert closebot("tickets", "status", "CLS-000001", "waiting", "--as", "u-li").returncode == 0
    out = closebot("tickets", "assign", "cls-1", "u-li", "--as", "u-li")
    assert out.stdout.strip() == "CLS-000001: waiting, assigned to u-li"
    assert closebot("tickets", "comment", "CLS-000001", "re-running the job").returncode == 0
    assert closebot("tickets", "assign", "CLS-000001", "u-nobody").returncode == 2
    assert closebot("tickets", "assign", "CLS-999999", "u-li").returncode == 2
    assert closebot("tickets", "resolve", "CLS-000001", "  ").returncode == 1
    out = closebot("tickets", "resolve", "CLS-000001", "job re-run, ageing correct", "--close", "--as", "u-li")
    assert out.returncode == 0 and "closed" in out.stdout
    rows = json.loads(closebot("tickets", "list", "--json", "--assignee", "u-li").stdout)
    assert [r["number"] for r in rows] == ["CLS-000001"]
    assert json.loads(closebot("tickets", "list", "--json", "--open").stdout) == []

    from sqlalchemy.orm import sessionmaker

    from bot.store.db import get_engine
    from bot.store.models import Notification

    with sessionmaker(bind=get_engine(env["CLOSEBOT_DATABASE_URL"]), future=True)() as s:
        bodies = s.scalars(select(Notification.body).where(Notification.user_id == "u-alex")
                           .order_by(Notification.id)).all()
    assert bodies == [
        "CLS-000001 is now waiting (Li Wei).",
        "Li Wei is now handling CLS-000001.",
        "The helpdesk commented on CLS-000001: re-running the job",
        "✅ CLS-000001 is closed by Li Wei: job re-run, ageing correct",
    ]
