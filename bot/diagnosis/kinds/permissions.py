"""``permission_denied``: the user asking may not run the close of the target module.

Checked only for a user of the company (no role bypasses it). Its refs are the people who
may close instead, so an admin, not they, is who acts on it.
"""

from typing import List, Optional, Sequence, Tuple

from sqlalchemy.orm import Session

from bot.core.vocabulary import module_words
from bot.diagnosis.kinds.base import BlockerKind, CheckContext, Finding, GuideView, Rendered
from bot.diagnosis.result import Blocker
from bot.people.directory import Person, may_close, names, person_text

PERMISSION_SEVERITY = "medium"


def check(ctx: CheckContext) -> List[Finding]:
    """The closing user may not close the target: name who may."""
    user, module = ctx.user, ctx.path.target
    if user is None or module in (user.close_permissions or []):
        return []
    allowed = may_close(ctx.session, ctx.company.id, module)
    return [
        Finding(
            kind=PERMISSION_DENIED.name,
            module=module,
            refs=[uid for uid, _ in allowed],
            summary=permission_summary(user.id, user.name, module, ctx.company.id, allowed),
            fix=permission_fix(module, allowed),
            severity=PERMISSION_SEVERITY,
            blocks=[module],
        )
    ]


def permission_summary(user_id: str, user_name: Optional[str], module: str, company: str,
                       allowed: Sequence[Tuple[str, Optional[str]]]) -> str:
    who = person_text(user_id, user_name)
    if not allowed:
        return (
            f"{who} may not close {module}, and nobody at {company} may: an admin must grant "
            f"the '{module}' close permission"
        )
    listed = ", ".join(person_text(uid, name) for uid, name in allowed)
    return f"{who} may not close {module}; users of {company} who may: {listed}"


def permission_fix(module: str, allowed: Sequence[Tuple[str, Optional[str]]]) -> str:
    if not allowed:
        return f"Ask an admin to grant the '{module}' close permission to whoever runs the close."
    listed = ", ".join(person_text(uid, name) for uid, name in allowed)
    return (
        f"Ask {listed} to run the close, or ask an admin to grant you the '{module}' close "
        "permission (with your finance manager's approval)."
    )


def owners(session: Session, company_id: str, blocker: Blocker, rows: Sequence) -> List[Person]:
    """The people who may close instead (its refs)."""
    known = names(session, blocker.refs)
    return [(uid, known.get(uid, uid)) for uid in blocker.refs]


def render(view: GuideView) -> Rendered:
    d, b = view.diagnosis, view.blocker
    target = module_words(b.module)
    if not b.refs:
        return [f"You may not close the {target}, and nobody at {d.company} may.", f"Fix: {b.fix}"], 0, 0
    instead = ", ".join(view.who(uid) for uid in b.refs)
    return [f"You may not close the {target}. Who can close it instead: {instead}.",
            "Ask them to run the close, or ask an admin to grant you the permission (with your "
            "finance manager's approval)."], len(b.refs), len(b.refs)


PERMISSION_DENIED = BlockerKind(
    name="permission_denied",
    words=("missing close permission", "missing close permissions"),
    owner_role="admin",
    prevention="Review close permissions before month end and train a backup closer.",
    topic="prevent/permissions",
    check=check,
    records=None,
    owners=owners,
    render=render,
    who_acts="an admin, to grant the permission",
    keyed_by_module=True,
)
