"""What a bare follow-up means, from what the conversation was doing (a second stage after NLU).

"and the bank one?", "and SO-1043?", "what about the voucher?" carry no request of their own:
NLU reads them as ``inform``. Right after "how do I fix …" they ask for another fix; after a
diagnosis, a period, company or module re-targets it; a ticket number asks for that ticket.
What the user last asked for is kept on the server (``View.asked``).
"""

from typing import Optional, Sequence

from sqlalchemy.orm import Session

from bot.conversation import employee, fixing
from bot.conversation import view as views
from bot.conversation.reply import Reply, known_user
from bot.conversation.targets import Said
from bot.store.models import User


@known_user
def inform(
    session: Session,
    user: User,
    *,
    conversation: str = "",
    message: Optional[str] = None,
    company_text: Optional[str] = None,
    period_text: Optional[str] = None,
    module_texts: Sequence[str] = (),
    ticket_text: Optional[str] = None,
) -> Reply:
    """Answer a bare fact or "and X?" as the continuation of what the user was asking."""
    if ticket_text:
        return employee.ticket_status(session, user.id, Said(message, ticket_text), conversation=conversation)
    view = views.load(session, conversation, user.id)
    if view.asked == "fix" and not company_text and not period_text:
        reply = fixing.fix_blocker(session, user.id, conversation=conversation, message=message,
                                   modules=module_texts)
        shown = views.load(session, conversation, user.id).diagnosis
        if shown is not None:  # the dialogue goes on as after the diagnosis in view
            reply.slots.setdefault("has_blockers", not shown.can_close)
        return reply
    return employee.diagnose_close(session, user.id, conversation=conversation, company_text=company_text,
                                   period_text=period_text, module_text=list(module_texts), message=message,
                                   follow_up=True)
