"""The finance-advisor persona: escalations from any user, the advisors' list, their answers.

``escalate`` is open to every known user for a close they may see; listing and answering
are for finance advisors only. Each function audits what it read or changed.
"""

from typing import Optional, Union

from sqlalchemy.orm import Session

from bot.conversation import employee, helpdesk
from bot.conversation import view as views
from bot.conversation.reply import MY_TICKETS, Reply, intent_button, known_user
from bot.conversation.targets import Said, as_said, named_or_focus, target
from bot.conversation.transcript import conversation_transcript, said_here
from bot.core.errors import NotFoundError, PermissionDenied
from bot.core.text import shorten
from bot.diagnosis.result import Diagnosis
from bot.people.access import require_advisor, require_company_access
from bot.people.directory import display
from bot.store import audit
from bot.store.models import User
from bot.tickets import escalations
from bot.tickets.views import topic


@known_user
def escalate(
    session: Session,
    user: User,
    *,
    conversation: str = "",
    idempotency_key: Optional[str] = None,
    said: Union[Said, str, None] = None,
    company_text: Optional[str] = None,
    period_text: Optional[str] = None,
    module_text: Optional[str] = None,
) -> Reply:
    """Hand the user's close (or the ticket the message names) to the finance advisors, with a
    diagnosis the server computes now and the conversation as the server recorded it."""
    ticket = None
    said = as_said(said)
    view = views.load(session, conversation, user.id)
    shown = view.diagnosis
    if named_or_focus(session, Said(said.message, said.entity)) is not None:  # a ticket named: that one
        found = target(session, user, Said(said.message, said.entity), "escalate")
        if isinstance(found, Reply):
            return found
        ticket = found
        if shown is None or shown.company != ticket.company_id:
            shown = Diagnosis.from_dict(ticket.diagnosis) if ticket.diagnosis else None
    if shown is None and ticket is None:
        first = employee.diagnose_close(session, user.id, conversation=conversation, company_text=company_text,
                                        period_text=period_text, module_text=module_text)
        view = views.load(session, conversation, user.id)
        shown = view.diagnosis
        if shown is None:
            return first
    company_id = ticket.company_id if ticket else shown.company
    try:
        require_company_access(user, company_id)
    except PermissionDenied as exc:
        audit.record(session, user.id, "escalate_refused", company_id, {"reason": str(exc)})
        return Reply([str(exc)])
    diagnosis = None
    if shown is not None:
        fresh = employee.fresh_diagnosis(session, user, shown)
        diagnosis = fresh if isinstance(fresh, Diagnosis) else None
    lines = conversation_transcript(session, conversation, user.id)
    outcome = escalations.escalate(
        session, actor_id=user.id, company_id=company_id, diagnosis=diagnosis, transcript=lines,
        ticket=ticket, idempotency_key=idempotency_key, conversation=conversation or None,
    )
    t = outcome.ticket
    view.focus_ticket(t.number)
    views.save(session, view)
    what = f"{t.company_id} {t.period or ''}".strip()
    plural = "s" if len(lines) != 1 else ""
    attached = f"my diagnosis and our conversation ({len(lines)} message{plural})"
    if outcome.created_ticket:
        text = (f"🧑‍💼 I've opened {t.number} for {what} and escalated it to the finance advisors, "
                f"with {attached} attached.")
    elif outcome.already_escalated:
        text = f"🧑‍💼 {t.number} ({what}) is already with the finance advisors; I've attached {attached}."
    else:
        text = (f"🧑‍💼 {t.number} ({what}) is escalated to the finance advisors, now priority "
                f"{t.priority}, with {attached}.")
    text += f" Their answer will reach you here; ask \"status of {t.number}\" any time."
    return Reply([text], [MY_TICKETS])


@known_user
def my_escalations(session: Session, user: User, *, conversation: str = "") -> Reply:
    """For advisors: unanswered escalations, most urgent first."""
    try:
        require_advisor(user, "have an escalation list")
    except PermissionDenied as exc:
        audit.record(session, user.id, "escalations_refused", user.company_id, {"role": user.role})
        return Reply([str(exc)], [MY_TICKETS])
    rows = escalations.list_escalations(session)
    audit.record(session, user.id, "escalations_list", None, {"count": len(rows)})
    if not rows:
        return Reply(["No escalations are waiting for an answer. 🎉"])
    lines = []
    for r in rows:
        requester = session.get(User, r.requester)
        lines.append(f"• {r.number} P{r.priority} {r.company} {r.period or ''} from "
                     f"{display(requester, r.requester)}: "
                     f"{shorten(topic(r.summary, r.company, r.period), 80)}")
    if len(rows) == 1:
        view = views.load(session, conversation, user.id)
        view.focus_ticket(rows[0].number)
        views.save(session, view)
    return Reply(
        [f"Escalations waiting for an answer ({len(rows)}), most urgent first:\n" + "\n".join(lines)],
        [intent_button(f"Answer {rows[0].number}", "answer_escalation", ticket_number=rows[0].number)],
    )


@known_user
def answer(session: Session, user: User, said: Union[Said, str, None], text: Optional[str], *,
           conversation: str = "") -> Reply:
    """Answer the escalation of the running form (or the one named) with what the advisor typed."""
    try:
        require_advisor(user, "answer escalations")
    except PermissionDenied as exc:
        audit.record(session, user.id, "answer_refused", user.company_id, {"role": user.role})
        return Reply([str(exc)], [MY_TICKETS])
    said = as_said(said) if said is not None else helpdesk.pending_ticket(session, user, conversation, "answer")
    found = target(session, user, said, "answer")
    if isinstance(found, Reply):
        return found
    text = said_here(session, conversation, user.id, text)
    if not text:
        return Reply([f"What is your answer to {found.number}?"])
    try:
        ticket, _ = escalations.answer(session, found.number, advisor_id=user.id, text=text)
    except NotFoundError as exc:
        return Reply([f"{exc}. Say \"my escalations\" to see yours."])
    view = views.load(session, conversation, user.id)
    view.focus_ticket(ticket.number)
    view.pending = {}
    views.save(session, view)
    requester = session.get(User, ticket.requester_id)
    return Reply(
        [f"💬 Sent to {display(requester, ticket.requester_id)}: they'll see it at their next "
         f"message, and it's on {ticket.number} as a comment."],
        slots={"escalation_answer": None},
    )
