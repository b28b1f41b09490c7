"""The conversation service on the demo scenario: roles, root causes first, tickets, status."""

from sqlalchemy import func, select

from bot.conversation import employee, fixing
from bot.conversation.reply import Reply
from bot.store.models import AuditEntry, Component, Ticket
from tests.conftest import focus_ticket, in_view, shown_dict


def all_text(reply: Reply) -> str:
    return "\n".join(reply.texts)


def test_unknown_sender_is_told_how_to_get_access(demo_session) -> None:
    for reply in (employee.diagnose_close(demo_session, "nobody"),
                  employee.my_tickets(demo_session, "nobody"),
                  employee.system_status(demo_session, "nobody")):
        assert "admin or the helpdesk" in all_text(reply)
        assert "C100" not in all_text(reply) and not reply.slots


def test_employee_diagnosis_names_root_cause_fix_owner(demo_session) -> None:
    reply = employee.diagnose_close(demo_session, "u-mei", period_text="November")
    text = all_text(reply)
    first = shown_dict(demo_session, "u-mei")["blockers"][0]
    assert first["caused_by"] == []
    assert all(ref in text for ref in first["refs"])
    assert "Fix:" in text and "Who:" in text and "Next time:" in text
    assert "业务系统未结账" in text
    assert reply.slots == {"has_blockers": True} and in_view(demo_session, "u-mei").period == "2026-11"
    assert [b.payload for b in reply.buttons] == ["/ask_next_blocker", "/open_ticket"]
    audit = demo_session.scalars(select(AuditEntry).where(AuditEntry.action == "diagnose")).all()
    assert [(a.actor, a.company_id) for a in audit] == [("u-mei", "C100")]


def test_employee_cannot_look_at_another_company(demo_session) -> None:
    reply = employee.diagnose_close(demo_session, "u-mei", company_text="c200")
    assert "only look at company C100" in all_text(reply)
    assert in_view(demo_session, "u-mei") is None


def test_helpdesk_may_diagnose_any_company(demo_session) -> None:
    reply = employee.diagnose_close(demo_session, "u-hana", company_text="c200")
    assert in_view(demo_session, "u-hana").company == "C200" and reply.slots["has_blockers"] is False
    assert "can run the close" in all_text(reply)


def test_walks_through_every_root_cause_then_stops(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-alex")
    roots = [b for b in shown_dict(demo_session, "u-alex")["blockers"] if not b["caused_by"]]
    seen = [roots[0]["refs"]]
    for _ in range(len(roots) - 1):
        reply = employee.next_blocker(demo_session, "u-alex")
        seen.append(next(r["refs"] for r in roots if all(ref in all_text(reply) for ref in r["refs"])))
    assert len(seen) == len(roots)
    end = employee.next_blocker(demo_session, "u-alex")
    assert "last root cause" in all_text(end)


def test_open_ticket_diagnoses_first_and_is_idempotent(demo_session) -> None:
    employee.open_ticket(demo_session, "u-mei", note="no", idempotency_key="u-mei:42")
    number = focus_ticket(demo_session, "u-mei")
    employee.open_ticket(demo_session, "u-mei", note="no", idempotency_key="u-mei:42")
    assert focus_ticket(demo_session, "u-mei") == number
    assert demo_session.scalar(select(func.count()).select_from(Ticket).where(Ticket.requester_id == "u-mei")) == 1
    ticket = demo_session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.company_id == "C100" and ticket.diagnosis["blockers"]
    assert "Requester" not in ticket.summary  # "no" means no note


def test_ticket_visibility_by_role(demo_session) -> None:
    # CLS-000001 was opened by u-alex (accountant of C100).
    assert "isn't yours" in all_text(employee.ticket_status(demo_session, "u-mei", "CLS-000001"))
    assert "resolved" in all_text(employee.ticket_status(demo_session, "u-hana", "cls-000001"))
    assert "can't find" in all_text(employee.ticket_status(demo_session, "u-alex", "CLS-404404"))
    assert "resolved" in all_text(employee.ticket_status(demo_session, "u-alex", "#cls-1"))
    assert "CLS-000001" in all_text(employee.my_tickets(demo_session, "u-alex"))
    assert "no tickets" in all_text(employee.my_tickets(demo_session, "u-mei"))


def test_system_status_lists_faults_and_failed_jobs(demo_session) -> None:
    text = all_text(employee.system_status(demo_session, "u-alex"))
    assert "Bank payment gateway" in text and "partial outage" in text
    assert "JOB-AR-AGING" in text
    assert "ERP database" not in text  # operational components are not listed
    for component in demo_session.scalars(select(Component)):
        component.status = "operational"
    demo_session.flush()
    assert "All monitored components are operational" in all_text(
        employee.system_status(demo_session, "u-alex"))


def test_asking_again_in_the_same_conversation_finds_the_first_ticket(demo_session) -> None:
    """A retry after a slow answer, or a second "open a ticket", must not open a twin."""
    def open_ticket(key: str, conversation: str) -> str:
        reply = employee.open_ticket(demo_session, "u-mei", note="no", idempotency_key=key,
                                     conversation=conversation)
        return focus_ticket(demo_session, "u-mei",
                            conversation) + ("*" if "already have" in all_text(reply) else "")

    first = open_ticket("t1", "slack:T1:D1")
    assert open_ticket("t2", "slack:T1:D1") == first + "*"
    elsewhere = open_ticket("t3", "slack:T1:C9:1.2")
    assert elsewhere != first
    fixing.fix_blocker(demo_session, "u-mei", conversation="slack:T1:D1", message="the bank gateway")
    outage = open_ticket("t4", "slack:T1:D1")  # the bank gateway: an incident, not a twin
    assert outage not in (first, elsewhere) and not outage.endswith("*")
    assert demo_session.scalar(select(func.count()).select_from(Ticket).where(Ticket.requester_id == "u-mei")) == 3
