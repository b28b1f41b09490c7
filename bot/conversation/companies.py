"""The company a message means, when it names one by id or by name; a question when the name
fits several companies the user may see. Never a guess: a name that fits none is said."""

from typing import Any, Sequence, Union

from bot.conversation.reply import Reply, intent_button
from bot.core.errors import PermissionDenied
from bot.people.access import require_company_access
from bot.store.models import Company, User


def _may_see(user: User, company_id: str) -> bool:
    try:
        require_company_access(user, company_id)
    except PermissionDenied:
        return False
    return True


def company_meant(user: User, text: str, called: Sequence[Company], intent: str,
                  **entities: Any) -> Union[Company, Reply]:
    """The company ``text`` names for ``user``, of those it may name (``called``,
    ``bot.store.companies.companies_called``). A name several companies share is narrowed to
    those the user may see: one is the answer; several get "which one?" with a button each
    (sending ``intent`` with the company and ``entities`` again); none, the access refusal of the
    first (access is checked again by the caller for a single company)."""
    if not called:
        return Reply([f"I don't know a company {text!r}. Your company is {user.company_id}."])
    if len(called) == 1:
        return called[0]
    visible = [c for c in called if _may_see(user, c.id)]
    if len(visible) == 1:
        return visible[0]
    if not visible:
        return called[0]  # refused by the caller's access check, as an id would be
    options = ", ".join(f"{c.id} ({c.name})" for c in visible)
    kept = {k: v for k, v in entities.items() if v}
    return Reply([f"{text!r} could be {options}. Which one?"],
                 [intent_button(f"{c.id} {c.name}", intent, company=c.id, **kept) for c in visible])
