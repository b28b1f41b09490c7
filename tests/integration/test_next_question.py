"""The next question after a diagnosis, on the demo scenario: how to fix what the user names,
follow-ups from the focus, and bare "and X?" continuing what was asked."""

import pytest
from sqlalchemy import select

from bot.conversation import context, employee, fixing, followup, helpdesk, view
from bot.conversation.named_blocker import meant
from bot.conversation.reply import Reply
from bot.store.models import Notification, Ticket
from tests.conftest import in_view, typed


def text(reply: Reply) -> str:
    return "\n".join(reply.texts)


def fix(session, message: str, user: str = "u-alex", **kwargs) -> str:
    return text(fixing.fix_blocker(session, user, message=message, **kwargs))


@pytest.mark.parametrize(("message", "kind", "record"), [
    ("how do I fix SO-1042?", "order_error", "SO-1042"),
    ("how do i fix so1042", "order_error", "SO-1042"),
    ("what about the 1043 order", "order_error", "SO-1043"),
    ("PAY 88 怎么处理", "payment_issue", "PAY-88"),
    ("how to fix V-2026-11-0087", "voucher_unposted", "V-2026-11-0087"),
    ("the bank gateway", "system_fault", "bank-gateway"),
    ("account 1405", "data_mismatch", "1405 Inventory"),
])
def test_a_record_named_any_way_is_found(demo_session, message, kind, record) -> None:
    employee.diagnose_close(demo_session, "u-alex")
    found = meant(in_view(demo_session, "u-alex"), message)
    assert [b.kind for b in found.blockers] == [kind] and found.record == record


@pytest.mark.parametrize(("message", "kinds"), [
    ("how do I fix the two sales orders", ["order_error"]),
    ("the price problem", ["order_error"]),
    ("how to fix the roll-up job", ["job_failed"]),
    ("the unmatched wechat payment", ["payment_issue"]),
    ("the draft voucher", ["voucher_unposted"]),
    ("凭证怎么处理", ["voucher_unposted"]),
    ("那个价格的问题怎么处理", ["order_error"]),
    ("the 750 difference", ["data_mismatch"]),
    ("the missing permission", ["permission_denied"]),
    ("权限的问题", ["permission_denied"]),
])
def test_a_record_described_is_found(demo_session, message, kinds) -> None:
    employee.diagnose_close(demo_session, "u-lin")  # Lin may not close the ledger: a permission blocker too
    found = meant(in_view(demo_session, "u-lin"), message)
    assert [b.kind for b in found.blockers] == kinds and not found.ambiguous


def test_words_that_fit_several_ask_which_and_a_module_lists_its_causes(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-alex")
    shown = in_view(demo_session, "u-alex")
    bank = meant(shown, "and the bank one?")
    assert bank.ambiguous and {b.kind for b in bank.blockers} == {"system_fault", "payment_issue"}
    payments = meant(shown, "the payment")
    assert payments.ambiguous and {tuple(b.refs) for b in payments.blockers} == {("PAY-88",), ("PAY-95",)}
    ar = meant(shown, "how do I get receivables closed?")
    assert ar.module == "receivables" and "job_failed" in {b.kind for b in ar.blockers}
    assert "voucher_unposted" not in {b.kind for b in ar.blockers}  # the GL's own, not AR's
    assert meant(shown, "how do I fix SO-9999").missing == "SO-9999"
    assert not meant(shown, "how do I fix this one?").named


def test_the_fix_answer_steps_owner_wait_and_buttons(demo_session) -> None:
    reply = fixing.fix_blocker(demo_session, "u-alex", message="PAY-88 怎么解决？")
    body = text(reply)
    assert body.startswith("I checked C100 2026-11 first")  # nothing was in view: diagnosed first
    assert "How to fix PAY-88" in body and "check the transfer with the bank" in body
    assert "bank-gateway" in body and "moot" in body  # what it waits on
    assert "PAY-95" not in body
    assert [b.payload for b in reply.buttons][:1] == ["/open_ticket"] or "/notify_owner" in [
        b.payload for b in reply.buttons]
    # the blocker is in view now: a ticket opened next is about it
    employee.open_ticket(demo_session, "u-alex", note=None, idempotency_key="k-pay")
    ticket = demo_session.scalar(select(Ticket).where(Ticket.requester_id == "u-alex", Ticket.status == "new"))
    assert ticket.category == "payment_issue"


def test_a_job_waits_on_the_outage_and_the_record_only_is_shown(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-alex")
    job = fix(demo_session, "how do I rerun the failed job?")
    assert "JOB-AR-AGING" in job and "It waits on bank-gateway" in job
    order = fix(demo_session, "SO-1043")
    assert "SO-1043" in order and "SO-1042 (" not in order


def test_this_one_is_the_blocker_in_view_and_nothing_named_missing_says_so(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-alex")
    employee.next_blocker(demo_session, "u-alex")  # the bank gateway
    assert "How to fix bank-gateway" in fix(demo_session, "怎么解决？")
    missing = fixing.fix_blocker(demo_session, "u-alex", message="how do I fix SO-1040?")
    assert "Order SO-1040" in text(missing) and "does not block" in text(missing)
    assert [b.title for b in missing.buttons][:1] == ["Fix SO-1042, SO-1043"]
    unknown = fix(demo_session, "how do I fix SO-9999")
    assert "can't find SO-9999" in unknown and "How to fix" not in unknown


def test_a_record_of_another_company_is_not_found_and_nothing_leaks(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-alex")
    reply = fix(demo_session, "how do I fix SO-2001?")  # C200's order
    assert "can't find SO-2001" in reply and "Fabrikam" not in reply


def test_a_nothing_blocks_close_has_nothing_to_fix(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-sam")
    assert "nothing to fix" in fix(demo_session, "how do I fix this one", user="u-sam")


def test_follow_ups_answer_from_the_focus(demo_session) -> None:
    employee.ticket_status(demo_session, "u-alex", "status of CLS-000001")
    who = text(followup.follow_up(demo_session, "u-alex", message="who has it?"))
    assert who.startswith("Hana Kim (u-hana) has CLS-000001; it is ")
    employee.diagnose_close(demo_session, "u-alex")
    back = text(followup.follow_up(demo_session, "u-alex", message="when's it back?"))
    assert "Bank payment gateway" in back and "no maintenance window announced" in back
    account = text(followup.follow_up(demo_session, "u-alex", message="which account and how much?"))
    assert "1405 Inventory" in account and "750.00" in account
    # the ticket is still remembered: a ticket question after the diagnosis is about it
    assert "CLS-000001" in text(followup.follow_up(demo_session, "u-alex", message="is anyone working on it?"))


def test_what_did_they_say_gives_the_latest_word_first(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-mei")
    note = typed(demo_session, "u-mei", "price confirmed tomorrow")
    opened = employee.open_ticket(demo_session, "u-mei", note=note, idempotency_key="u-mei:said")
    number = next(w for w in text(opened).split() if w.startswith("CLS-"))
    employee.ticket_status(demo_session, "u-mei", f"status of {number}")
    nothing = text(followup.follow_up(demo_session, "u-mei", message="what did they say?"))
    assert nothing.startswith(f"No one has written on {number} yet")
    nobody = text(followup.follow_up(demo_session, "u-mei", message="who has it?"))
    assert nobody.startswith(f"Nobody has picked up {number} yet")
    note = typed(demo_session, "u-hana", "SO-1042 re-approved with its price")
    helpdesk.resolve(demo_session, "u-hana", number, note)
    said = text(followup.follow_up(demo_session, "u-mei", message="what did they say?"))
    assert said.startswith(f"Latest on {number}: Hana Kim (u-hana) resolved it: SO-1042 re-approved")
    # resolved straight from the queue, never assigned: nobody "has" it, and it is not in the queue
    done = text(followup.follow_up(demo_session, "u-mei", message="who has it?"))
    assert done.startswith(f"{number} is resolved; nobody holds it any more.")


def test_who_can_grant_the_permission(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-lin")
    reply = text(followup.follow_up(demo_session, "u-lin", message="who can grant me the permission?"))
    assert "Who may close the general ledger at C100: Alex Wang (u-alex)" in reply
    assert "Root Admin (u-root) (admin)" in reply


def test_a_follow_up_with_nothing_in_view_says_what_it_can_answer(demo_session) -> None:
    reply = followup.follow_up(demo_session, "u-mei", conversation="new", message="who has it?")
    assert "not sure what that refers to" in text(reply)


def test_a_follow_up_never_shows_a_ticket_the_user_may_not_see(demo_session) -> None:
    kept = view.load(demo_session, "", "u-sam")
    kept.focus_ticket("CLS-000001")  # e.g. left from a refused question
    view.save(demo_session, kept)
    reply = text(followup.follow_up(demo_session, "u-sam", message="who has it?"))
    assert "isn't yours" in reply and "Hana" not in reply


def test_and_x_continues_what_was_asked(demo_session) -> None:
    fixing.fix_blocker(demo_session, "u-alex", message="how do I fix SO-1042?")
    bank = context.inform(demo_session, "u-alex", message="and the bank one?")
    assert "Which one do you mean" in text(bank)
    voucher = context.inform(demo_session, "u-alex", message="what about the voucher?")
    assert "How to fix V-2026-11-0087" in text(voucher)
    # a company or period re-targets the diagnosis
    other = context.inform(demo_session, "u-hana", company_text="C200", message="and C200?")
    assert "C200" in text(other)
    ticket = context.inform(demo_session, "u-alex", message="and CLS-000001?", ticket_text="CLS-000001")
    assert "CLS-000001: resolved" in text(ticket)


def test_notify_after_a_fix_question_reaches_that_records_owner(demo_session) -> None:
    fixing.fix_blocker(demo_session, "u-lin", message="how do I fix SO-1043?")
    employee.notify_owner(demo_session, "u-lin", idempotency_key="n1")
    notes = demo_session.scalars(select(Notification).where(Notification.user_id == "u-mei")).all()
    assert len(notes) == 1 and "SO-1043" in notes[0].body


def test_the_helpdesk_queue_of_one_puts_it_in_focus(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-mei")
    employee.open_ticket(demo_session, "u-mei", note=typed(demo_session, "u-mei", "urgent"), idempotency_key="q")
    helpdesk.queue(demo_session, "u-hana", "unassigned tickets")
    assert view.load(demo_session, "", "u-hana").ticket


def test_a_company_named_by_name_filters_the_queue_and_targets_the_diagnosis(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-mei")
    employee.open_ticket(demo_session, "u-mei", note=typed(demo_session, "u-mei", "urgent"), idempotency_key="n")
    northwind = text(helpdesk.queue(demo_session, "u-hana", "open tickets for Northwind pls"))
    assert "(C100)" in northwind and "CLS-" in northwind
    contoso = text(helpdesk.queue(demo_session, "u-hana", "queue", company_text="contoso manufacturing"))
    assert "(C200)" in contoso and "CLS-" not in contoso
    assert text(employee.diagnose_close(demo_session, "u-hana", company_text="Contoso")).startswith("✅ C200")


def test_a_fix_question_naming_the_company_in_view_by_name_keeps_the_diagnosis(demo_session) -> None:
    employee.diagnose_close(demo_session, "u-alex", period_text="2026-10")
    shown = view.load(demo_session, "", "u-alex").diagnosis
    reply = text(fixing.fix_blocker(demo_session, "u-alex", message="how do I fix Northwind's blocker?",
                                    company_text="Northwind"))
    assert view.load(demo_session, "", "u-alex").diagnosis.period == shown.period == "2026-10"
    assert "I don't know a company" not in reply


def test_a_name_two_companies_share_asks_which_among_those_the_user_may_see(demo_session) -> None:
    from bot.store.models import Company

    demo_session.add(Company(id="C500", name="Contoso Retail", current_period="2026-11"))
    demo_session.flush()
    asked = employee.diagnose_close(demo_session, "u-hana", company_text="Contoso", period_text="October")
    assert text(asked) == "'Contoso' could be C200 (Contoso Manufacturing), C500 (Contoso Retail). Which one?"
    assert [b.payload for b in asked.buttons] == [
        '/report_blocked_close{"company": "C200", "period": "October"}',
        '/report_blocked_close{"company": "C500", "period": "October"}']
    assert view.load(demo_session, "", "u-hana").diagnosis is None  # nothing diagnosed on a guess
    # an accountant of C200 sees one of the two: that one is meant
    assert text(employee.diagnose_close(demo_session, "u-sam", company_text="contoso")).startswith("✅ C200")
    # an employee of C100 sees neither: refused, as for an id
    assert "You can only look at company C100" in text(employee.diagnose_close(demo_session, "u-mei",
                                                                                company_text="Contoso"))
    queue = helpdesk.queue(demo_session, "u-hana", "open tickets for contoso")
    assert "Which one?" in text(queue)
    assert [b.payload for b in queue.buttons] == ['/helpdesk_queue{"company": "C200"}',
                                                  '/helpdesk_queue{"company": "C500"}']
