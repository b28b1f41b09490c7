"""Which ticket a command acts on: the one the message names, never another.

A message that names a ticket (any format the store holds, see ``bot.tickets.lookup``) acts on
that ticket, or is told it cannot be found, or is asked which one when the number fits
several; it never falls back to the ticket in focus. Only a message that names no ticket at
all ("resolve it") uses the ticket in focus. Seeing the ticket is checked every time.
"""

from dataclasses import dataclass
from typing import List, Optional, Union

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.conversation.reply import MY_TICKETS, QUEUE, Button, Reply, intent_button
from bot.core.vocabulary import OPEN_TICKET_STATUSES
from bot.people.access import HELPDESK_ROLES, may_see_ticket
from bot.store import audit
from bot.store.models import Ticket, User
from bot.tickets import escalations
from bot.tickets import service as tickets
from bot.tickets.lookup import Named, named_ticket

#: The intent whose button repeats a command for a chosen ticket.
INTENTS = {"assign": "assign_ticket", "update": "update_ticket_status", "resolve": "resolve_ticket",
           "comment": "comment_ticket", "answer": "answer_escalation", "status": "ticket_status",
           "escalate": "escalate"}


@dataclass(frozen=True)
class Said:
    """What a turn says about a ticket: the message, the NLU's value, the ticket in focus."""

    message: Optional[str] = None
    entity: Optional[str] = None
    #: the ticket in focus (a stored number), used only when the message names none
    focus: Optional[str] = None


def as_said(value: Union["Said", str, None]) -> Said:
    """A plain string is what the user typed ("assign HD-30415 to li")."""
    if isinstance(value, Said):
        return value
    return Said(message=value)


def named_or_focus(session: Session, said: Said) -> Union[Ticket, Named, None]:
    """The ticket meant; what was named when it is missing or fits several (``Named``); None
    when neither the message nor the focus names a ticket."""
    named = named_ticket(session, said.message, also=[said.entity] if said.entity else ())
    if named.said is not None:
        return named.ticket or named
    if said.focus:
        return session.scalar(select(Ticket).where(func.upper(Ticket.number) == said.focus.upper()))
    return None


def target(session: Session, user: User, said: Said, action: str) -> Union[Ticket, Reply]:
    """The ticket ``action`` is for, or the Reply that says why not (missing, which one, not yours)."""
    verb = {"comment": "comment on", "update": "update", "status": "show"}.get(action, action)
    meant = named_or_focus(session, said)
    if meant is None:
        fallback = [QUEUE] if user.role in HELPDESK_ROLES else [MY_TICKETS]
        return Reply([f"Which ticket? Say e.g. \"{verb} CLS-000002\"."],
                     candidates(session, user, action) or fallback)
    if isinstance(meant, Named):  # not there, or "ticket 30415" fits several: ask among those visible
        visible = [t for t in meant.tickets if may_see_ticket(user, t)]
        if not visible:
            return not_found(session, user, meant.said or "", action)
        if len(visible) > 1:
            listed = f"{', '.join(t.number for t in visible[:-1])} or {visible[-1].number}"
            return Reply([f"Do you mean {listed}?"],
                         [intent_button(t.number, INTENTS[action], ticket_number=t.number) for t in visible[:4]])
        meant = visible[0]
    if not may_see_ticket(user, meant):
        audit.record(session, user.id, "ticket_refused", meant.company_id,
                     {"number": meant.number, "action": action})
        return Reply([f"Ticket {meant.number} isn't yours, so I can't {verb} it. "
                      "Its requester or the helpdesk can."])
    return meant


def not_found(session: Session, user: User, said: str, action: str) -> Reply:
    """The number is not one the store holds: say so, and offer the caller's open tickets."""
    buttons = candidates(session, user, action)
    mine = ", ".join(b.title for b in buttons)
    tail = f" Your open ones: {mine}." if mine else " You have no open tickets."
    return Reply([f"I can't find ticket {said}.{tail}"], buttons or [MY_TICKETS])


def candidates(session: Session, user: User, action: str) -> List[Button]:
    """The tickets the user most likely means, as buttons repeating the command for each."""
    intent = INTENTS.get(action, "ticket_status")
    if action == "answer":
        numbers = [e.number for e in escalations.list_escalations(session, limit=3)]
    elif user.role in HELPDESK_ROLES:
        numbers = [r.number for r in tickets.list_tickets(
            session, statuses=OPEN_TICKET_STATUSES, assignee_id=user.id, limit=3)]
    else:
        numbers = [r.number for r in tickets.list_tickets(
            session, requester_id=user.id, statuses=OPEN_TICKET_STATUSES, limit=3)]
    return [intent_button(n, intent, ticket_number=n) for n in numbers]
