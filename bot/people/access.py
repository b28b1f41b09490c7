"""Who may see which company's data: the one place roles are interpreted."""

from typing import Optional

from sqlalchemy.orm import Session

from bot.core.errors import PermissionDenied
from bot.store.models import Ticket, User

CROSS_COMPANY_ROLES = ("helpdesk", "finance_advisor", "admin")

ACCESS_HELP = (
    "You're not registered with Closebot yet, so I can't show you any company data. Ask your "
    "company's Closebot admin or the helpdesk to add you to the user directory, then say hi again."
)


#: A chat sender id may name one of several conversations of the same user: "u-mei:17".
#: (Not "#": Rasa's HTTP API takes the sender id in the URL path, where "#" starts a fragment.)
CONVERSATION_SEPARATOR = ":"


def user_id_of(sender_id: Optional[str]) -> Optional[str]:
    """The directory user id behind a chat sender id: ``u-mei:17`` -> ``u-mei``.

    Rasa keeps one tracker (and one lock) per sender id, so a user with several parallel
    conversations (two browser tabs, a load test) needs distinct sender ids that still
    resolve to the same person. User ids never contain ``:``.
    """
    if not sender_id:
        return sender_id
    return sender_id.split(CONVERSATION_SEPARATOR, 1)[0] or None


def find_user(session: Session, user_id: Optional[str]) -> Optional[User]:
    return session.get(User, user_id) if user_id else None


def may_see_ticket(user: User, ticket: Ticket) -> bool:
    """Support roles see every ticket, accountants their company's, others their own."""
    if user.role in CROSS_COMPANY_ROLES:
        return True
    if user.role == "accountant":
        return ticket.company_id == user.company_id
    return ticket.requester_id == user.id


def require_company_access(user: User, company_id: str) -> None:
    """Employees and accountants see their own company only; support roles see all."""
    if user.role in CROSS_COMPANY_ROLES or user.company_id == company_id:
        return
    raise PermissionDenied(
        f"You can only look at company {user.company_id}. For {company_id}, ask its "
        "accountants or the helpdesk."
    )


#: Who works the ticket queue: see it, assign, change status, resolve.
HELPDESK_ROLES = ("helpdesk", "admin")
#: Who answers escalations to the finance advisors.
ADVISOR_ROLES = ("finance_advisor",)

QUEUE_REFUSAL = (
    "The ticket queue is for the helpdesk, so I can't show it to you. Your own tickets: say "
    "\"my tickets\"; for anything else, the helpdesk can help."
)
CHANGE_REFUSAL = (
    "Only the helpdesk can {what} tickets. You can add a comment to your own ticket, or ask "
    "the helpdesk to do it."
)
ADVISOR_REFUSAL = (
    "Only finance advisors {what}. To reach one, say \"escalate to a finance advisor\" and "
    "I'll hand them your case."
)


def require_helpdesk(user: User, what: str) -> None:
    """Queue work is the helpdesk's (and admins'); the message says who else can help."""
    if user.role not in HELPDESK_ROLES:
        raise PermissionDenied(CHANGE_REFUSAL.format(what=what))


def require_advisor(user: User, what: str) -> None:
    if user.role not in ADVISOR_ROLES:
        raise PermissionDenied(ADVISOR_REFUSAL.format(what=what))
