"""The helpdesk persona: the close-ticket queue, assigning, status, comments, resolution.

Like :mod:`bot.conversation.employee`, each function takes the asking user's id, checks their
role, audits the access or change and returns a ``Reply``; requesters hear about changes
through their inbox (:mod:`bot.tickets.reactions` writes it).
"""

import re
from typing import Dict, List, Optional, Union

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.conversation import view as views
from bot.conversation.companies import company_meant
from bot.conversation.reply import MY_TICKETS, QUEUE, Reply, intent_button, known_user, known_user_or
from bot.conversation.targets import Said, as_said, named_or_focus, target
from bot.conversation.transcript import said_here
from bot.core.errors import NotFoundError, PermissionDenied
from bot.core.text import shorten
from bot.core.vocabulary import DONE_TICKET_STATUSES, OPEN_TICKET_STATUSES
from bot.nlp.commands import assignee_from_text, queue_filter_from_text, queue_status_from_text, status_from_text
from bot.nlp.company_mentions import company_spans
from bot.nlp.normalize import resolve_company
from bot.outbox.views import labelled, remote_states
from bot.people.access import (
    ADVISOR_ROLES,
    HELPDESK_ROLES,
    QUEUE_REFUSAL,
    may_see_ticket,
    require_advisor,
    require_helpdesk,
)
from bot.people.directory import display, find_people
from bot.store import audit
from bot.store.companies import companies_called, company_entries
from bot.store.models import Company, Ticket, User
from bot.tickets import escalations
from bot.tickets import service as tickets
from bot.tickets.views import topic

QUEUE_SIZE = 8


@known_user
def queue(
    session: Session, user: User, message: Optional[str] = None, company_text: Optional[str] = None, *,
    conversation: str = "",
) -> Reply:
    """Open close tickets, most urgent first (deadline, then priority); filters from the message.
    A queue of one puts that ticket in focus ("take it"); a longer one puts none."""
    if user.role not in HELPDESK_ROLES:
        audit.record(session, user.id, "queue_refused", user.company_id, {"role": user.role})
        return Reply([QUEUE_REFUSAL], [MY_TICKETS])
    wanted = queue_filter_from_text(message)
    company_id = _company_named(session, user, message, company_text)
    if isinstance(company_id, Reply):
        return company_id
    if company_id is not None and session.get(Company, company_id) is None:
        return Reply([f"I don't know a company {company_id}, so I have no queue for it."], [QUEUE])
    status = queue_status_from_text(message)
    rows = tickets.list_tickets(
        session, company_id=company_id, statuses=[status] if status else OPEN_TICKET_STATUSES, limit=QUEUE_SIZE,
        assignee_id=user.id if wanted.mine else None, unassigned=wanted.unassigned,
    )
    scope = [w for w, on in (("unassigned", wanted.unassigned), ("yours", wanted.mine)) if on]
    if status:
        scope.append(status.replace("_", " "))
    if company_id:
        scope.append(company_id)
    audit.record(session, user.id, "ticket_queue", company_id,
                 {"count": len(rows), "filters": scope})
    label = f" ({', '.join(scope)})" if scope else ""
    kind = "close tickets" if status else "open close tickets"
    if not rows:
        return Reply([f"No {kind}{label}. 🎉"])
    deadlines = _deadlines(session, {r.company for r in rows})
    remote = remote_states(session, [r.number for r in rows])
    lines = [
        f"• {labelled(r.number, remote)} P{r.priority} {r.company} {r.period or ''} "
        f"(due {deadlines.get(r.company, '-')}) "
        f"{r.status.replace('_', ' ')}, {r.assignee or 'unassigned'}: "
        f"{shorten(topic(r.summary, r.company, r.period), 70)}"
        for r in rows
    ]
    more = f"\nShowing the first {QUEUE_SIZE}." if len(rows) == QUEUE_SIZE else ""
    top = next((r for r in rows if r.assignee is None), None)
    buttons = [intent_button(f"Take {top.number}", "assign_ticket", ticket_number=top.number)] if top else []
    if len(rows) == 1:
        _remember(session, user, conversation, rows[0].number)
    return Reply([f"{kind[:1].upper()}{kind[1:]}{label}, most urgent first:\n" + "\n".join(lines) + more],
                 buttons)


def _deadlines(session: Session, company_ids: set) -> Dict[str, str]:
    rows = session.execute(
        select(Company.id, Company.close_deadline).where(Company.id.in_(sorted(company_ids)))
    )
    return {cid: d.strftime("%m-%d %H:%M UTC") for cid, d in rows if d is not None}


_COMPANY_TOKEN = re.compile(r"\b[A-Za-z]{1,5}\d{1,6}\b")


def _company_named(session: Session, user: User, message: Optional[str],
                   company_text: Optional[str]) -> Union[str, Reply, None]:
    """The company a queue request names: the NLU's value (an id or a name), else a company the
    message calls by name, else an id the message mentions that the store holds, or that looks
    like its ids (``C999`` beside ``C100``: named, unknown). A named company always filters, so an
    unknown one is said, never dropped; a name several companies share gets "which one?"."""
    if not company_text:
        by_name = company_spans(message or "", company_entries(session))
        company_text = message[by_name[0][0]:by_name[0][1]] if message and by_name else None
    if company_text:
        called = companies_called(session, company_text)
        if not called:
            return resolve_company(company_text)  # named and unknown: said by the caller
        meant = company_meant(user, company_text, called, "helpdesk_queue")
        return meant if isinstance(meant, Reply) else meant.id
    for token in _COMPANY_TOKEN.findall(message or ""):
        found = session.scalar(select(Company.id).where(func.upper(Company.id) == token.upper()))
        if found:
            return found
        prefix = re.match(r"[A-Za-z]+", token).group(0).upper()
        if session.scalar(select(Company.id).where(func.upper(Company.id).like(f"{prefix}%")).limit(1)):
            return token.upper()
    return None


def _queue_ticket(session: Session, user: User, said: Said, what: str, refused: str,
                  action: str) -> Union[Ticket, Reply]:
    """The ticket a queue command (assign, status, resolve) names, once the user is known to work
    the queue; else the refusal (audited as ``<refused>_refused``) or what is missing."""
    try:
        require_helpdesk(user, what)
    except PermissionDenied as exc:
        return _refuse(session, user, None, refused, exc)
    return target(session, user, said, action)


def _refuse(session: Session, user: User, ticket: Optional[Ticket], action: str, exc: PermissionDenied) -> Reply:
    audit.record(session, user.id, f"{action}_refused", ticket.company_id if ticket else user.company_id,
                 {"number": ticket.number if ticket else None, "role": user.role})
    return Reply([str(exc)], [MY_TICKETS])


@known_user_or({"may_proceed": False})
def check_change(session: Session, user: User, said: Union[Said, str, None], action: str, *,
                 conversation: str = "") -> Reply:
    """Before asking for a note: may this user ``action`` (resolve, comment, answer) that ticket?

    The reply's ``may_proceed`` slot says whether the form should start; the ticket the form
    is about is kept in the user's view as the pending change (fixed now, so a status question
    in the middle of the form cannot change it, and no slot can). A refusal or a missing ticket
    is said now, not after the user has typed their note. When the message names no ticket, the
    user's own single open ticket (or an advisor's single pending escalation) is a better guess
    than the one in focus, and a ticket in focus they may not see is a question, not a refusal.
    """
    said = as_said(said)
    view = views.load(session, conversation, user.id)
    view.pending = {}
    views.save(session, view)
    try:
        if action == "resolve":
            require_helpdesk(user, "resolve")
        elif action == "answer":
            require_advisor(user, "answer escalations")
    except PermissionDenied as exc:
        reply = _refuse(session, user, None, action, exc)
        reply.slots["may_proceed"] = False
        return reply
    if named_or_focus(session, Said(said.message, said.entity)) is None:  # named none: guess, never refuse
        focus = _only_candidate(session, user, action) or view.ticket
        if focus and not _visible(session, user, focus):
            focus = None
        said = Said(focus=focus)
    found = target(session, user, said, action)
    if isinstance(found, Reply):
        found.slots["may_proceed"] = False
        return found
    if action == "answer":
        try:
            escalations.get_escalation(session, found.number)
        except NotFoundError as exc:
            return Reply([f"{exc}, so there is nothing to answer. Say \"my escalations\" for yours."],
                         slots={"may_proceed": False})
    view.focus_ticket(found.number)
    view.pending = {"change": action, "ticket": found.number}
    views.save(session, view)
    return Reply([], slots={"may_proceed": True})


def pending_ticket(session: Session, user: User, conversation: str, action: str) -> Said:
    """The ticket the running form is about: the change ``check_change`` approved for it."""
    pending = views.load(session, conversation, user.id).pending
    return Said(focus=pending.get("ticket") if pending.get("change") == action else None)


def _focused(session: Session, user: User, said: Union[Said, str, None], conversation: str) -> Said:
    """``said`` with the ticket in the user's view as its focus (used only when it names none)."""
    said = as_said(said)
    return Said(said.message, said.entity, views.load(session, conversation, user.id).ticket)


def _remember(session: Session, user: User, conversation: str, number: str, done: bool = False) -> None:
    """The ticket just talked about is in focus; a finished form's change is no longer pending."""
    view = views.load(session, conversation, user.id)
    view.focus_ticket(number)
    if done:
        view.pending = {}
    views.save(session, view)


def _only_candidate(session: Session, user: User, action: str) -> Optional[str]:
    """The one ticket the user can mean without naming it, if there is exactly one."""
    if action == "answer":
        pending = [e.number for e in escalations.list_escalations(session, limit=2)]
    elif user.role in HELPDESK_ROLES or user.role == "finance_advisor":
        return None
    else:
        pending = [r.number for r in tickets.list_tickets(
            session, requester_id=user.id, statuses=OPEN_TICKET_STATUSES, limit=2)]
    return pending[0] if len(pending) == 1 else None


def _visible(session: Session, user: User, number: str) -> bool:
    ticket = named_or_focus(session, Said(focus=number))
    return isinstance(ticket, Ticket) and may_see_ticket(user, ticket)


@known_user
def assign(session: Session, user: User, said: Union[Said, str, None], person_text: Optional[str] = None, *,
           conversation: str = "") -> Reply:
    """Assign the ticket the message names (or the one in focus, when it names none) to the named
    person (id, name or email), or to the asking user by default."""
    said = _focused(session, user, said, conversation)
    found = _queue_ticket(session, user, said, "assign", "assign", "assign")
    if isinstance(found, Reply):
        return found
    who = person_text or assignee_from_text(said.message) or "me"
    people = [user] if who.lower() in ("me", "myself") else find_people(session, who)
    if not people:
        return Reply([f"I can't find {who!r} in the user directory. Use their user id (e.g. "
                      "u-hana), full name or email; an administrator adds missing people."])
    if len(people) > 1:
        return Reply(
            [f"{who!r} could be {', '.join(display(p) for p in people[:4])}. Which one?"],
            [intent_button(p.name, "assign_ticket", ticket_number=found.number, person=p.id)
             for p in people[:4]],
        )
    ticket = tickets.assign(session, found.number, people[0].id, actor=user.id)
    _remember(session, user, conversation, ticket.number)
    told = _told(session, ticket, user.id)
    return Reply(
        [f"👤 {ticket.number} is assigned to {display(people[0])}, status "
         f"{ticket.status.replace('_', ' ')}.{told}"],
        slots={"person": None},
    )


@known_user
def set_status(session: Session, user: User, said: Union[Said, str, None], *, conversation: str = "") -> Reply:
    said = _focused(session, user, said, conversation)
    found = _queue_ticket(session, user, said, "change the status of", "status", "update")
    if isinstance(found, Reply):
        return found
    _remember(session, user, conversation, found.number)
    status = status_from_text(said.message)
    if status is None:
        return Reply([f"Which status for {found.number}? New, in progress or waiting; to close it, "
                      f"say \"resolve {found.number}\" and give a resolution note."])
    if status in DONE_TICKET_STATUSES:
        return Reply([f"To mark {found.number} {status} I need a resolution note for the requester: "
                      f"say \"resolve {found.number}\"."],
                     [intent_button(f"Resolve {found.number}", "resolve_ticket", ticket_number=found.number)])
    ticket = tickets.update_status(session, found.number, status, actor=user.id)
    return Reply([f"{ticket.number} is now {status.replace('_', ' ')}.{_told(session, ticket, user.id)}"])


@known_user
def comment(session: Session, user: User, said: Union[Said, str, None], body: Optional[str], *,
            conversation: str = "") -> Reply:
    """Comment on the ticket of the running form (or the one named); the comment is kept only
    when the user typed it in this conversation."""
    said = as_said(said) if said is not None else pending_ticket(session, user, conversation, "comment")
    found = target(session, user, said, "comment")
    if isinstance(found, Reply):
        return found
    body = said_here(session, conversation, user.id, body)
    if not body:
        return Reply([f"What should the comment on {found.number} say?"])
    ticket = tickets.add_comment(session, found.number, body, author_id=user.id)
    _remember(session, user, conversation, ticket.number, done=True)
    return Reply([f"📝 Added to {ticket.number}.{_told(session, ticket, user.id)}"],
                 slots={"comment_text": None})


@known_user
def resolve(session: Session, user: User, said: Union[Said, str, None], note: Optional[str], *,
            conversation: str = "") -> Reply:
    """Resolve the ticket of the running form (or the one named) with the note the user typed."""
    said = as_said(said) if said is not None else pending_ticket(session, user, conversation, "resolve")
    found = _queue_ticket(session, user, said, "resolve", "resolve", "resolve")
    if isinstance(found, Reply):
        return found
    note = said_here(session, conversation, user.id, note)
    if not note:
        return Reply([f"What was done to resolve {found.number}? The requester will read it."])
    ticket = tickets.resolve(session, found.number, note, actor=user.id)
    _remember(session, user, conversation, ticket.number, done=True)
    return Reply([f"✅ {ticket.number} is resolved, with your note stored.{_told(session, ticket, user.id)}"],
                 [QUEUE], {"resolution_note": None})


@known_user
def ask_note(session: Session, user: User, action: str, *, conversation: str = "") -> Reply:
    """The forms' question, naming the ticket and what it is about, to someone who may see it
    (and, for an advisor's answer, the requester's last words)."""
    number = pending_ticket(session, user, conversation, action).focus
    ticket = named_or_focus(session, Said(focus=number)) if number else None
    if not isinstance(ticket, Ticket) or not may_see_ticket(user, ticket):
        ticket = None
    if ticket is not None:
        audit.record(session, user.id, "ticket_read", ticket.company_id,
                     {"number": ticket.number, "for": action})
    about = (f"{ticket.number} ({ticket.company_id} {ticket.period or ''}: "
             f"{shorten(topic(ticket.summary, ticket.company_id, ticket.period), 80)})"
             if ticket else "this ticket")
    if action == "resolve":
        return Reply([f"What was done to resolve {about}? Your note goes to the requester. "
                      "Say 'cancel' to leave it open."])
    if action == "answer":
        transcript = _question_of(session, user.id, ticket) if user.role in ADVISOR_ROLES else []
        return Reply([f"Your answer to {about}? It goes to the requester and onto the ticket. "
                      "Say 'cancel' to answer later."] + transcript)
    return Reply([f"What should the comment on {about} say? Say 'cancel' to drop it."])


def _question_of(session: Session, sender: str, ticket: Optional[Ticket]) -> List[str]:
    """For an advisor: the requester's last words from the escalation transcript."""
    if ticket is None:
        return []
    try:
        _, escalation = escalations.get_escalation(session, ticket.number)
    except NotFoundError:
        return []
    said = [m["text"] for m in (escalation.transcript or []) if m.get("who") == "user"][-2:]
    if not said:
        return []
    audit.record(session, sender, "transcript_read", ticket.company_id, {"number": ticket.number})
    return ["They said: " + " / ".join(f"“{shorten(s, 140)}”" for s in said)]


def _told(session: Session, ticket: Ticket, actor: str) -> str:
    if ticket.requester_id == actor:
        return ""
    requester = session.get(User, ticket.requester_id)
    return f" {requester.name if requester else ticket.requester_id} will see this at their next message."
