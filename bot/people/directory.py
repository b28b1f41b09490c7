"""The user directory: find a person from what someone typed, list who may do what, and show
people the same way everywhere ("Hana Kim (u-hana)")."""

from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.nlp.person_mentions import DirectoryEntry
from bot.store.columns import list_contains
from bot.store.models import User

Person = Tuple[str, str]
"""(user id, name)"""


def find_people(session: Session, text: Optional[str]) -> List[User]:
    """Users matching ``text``: exact id first, then full name, email or its local part,
    then a unique first or last name ("u-hana", "Hana Kim", "hana.kim", "hana")."""
    needle = (text or "").strip().strip("@").lower()
    if not needle:
        return []
    exact = session.get(User, needle) or session.get(User, text.strip())
    if exact is not None:
        return [exact]
    full = session.scalars(
        select(User).where(or_(
            func.lower(User.id) == needle,
            func.lower(User.name) == needle,
            func.lower(User.email) == needle,
            func.lower(User.email).like(f"{needle}@%"),
        ))
    ).all()
    if full:
        return list(full)
    return list(session.scalars(
        select(User).where(or_(
            func.lower(User.name).like(f"{needle} %"),
            func.lower(User.name).like(f"% {needle}"),
        )).order_by(User.id)
    ).all())


def person_text(user_id: Optional[str], name: Optional[str] = None) -> str:
    """'Hana Kim (u-hana)'; the bare id without a name (or when the name is the id); '' for nobody."""
    if not user_id:
        return ""
    return f"{name} ({user_id})" if name and name != user_id else user_id


def display(user: Optional[User], fallback: Optional[str] = None) -> str:
    """A directory user as ``person_text`` shows them, or the bare id when the directory no
    longer has them."""
    if user is None:
        return fallback or "nobody"
    return person_text(user.id, user.name)


def people_text(people: Sequence[Person], limit: int = 3) -> str:
    """'Mei Chen (u-mei), Li Wei (u-li) and 2 more'."""
    shown = ", ".join(person_text(uid, name) for uid, name in people[:limit])
    more = len(people) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def name_of(session: Session, user_id: Optional[str]) -> str:
    """A person's name for messages ("Hana Kim"), their id if unknown, "the helpdesk" if none."""
    if not user_id:
        return "the helpdesk"
    user = session.get(User, user_id)
    return user.name if user is not None and user.name else user_id


def names(session: Session, user_ids: Sequence[str]) -> Dict[str, str]:
    """Names by user id, for the ids the directory knows."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(list(user_ids)))).all()
    return {r.id: r.name for r in rows}


def may_close(session: Session, company_id: str, module: str) -> List[Person]:
    """Users of the company holding the close permission for ``module``."""
    rows = session.execute(
        select(User.id, User.name)
        .where(User.company_id == company_id, list_contains(User.close_permissions, module))
        .order_by(User.id)
    ).all()
    return [(r.id, r.name) for r in rows]


def with_role(session: Session, company_id: str, role: str) -> List[Person]:
    """Users of that role, the company's own first (support staff may sit anywhere)."""
    rows = session.execute(select(User.id, User.name, User.company_id).where(User.role == role)).all()
    own = [(r.id, r.name) for r in rows if r.company_id == company_id]
    return own or sorted((r.id, r.name) for r in rows)


def directory_entries(session: Session, limit: int = 5000) -> List[DirectoryEntry]:
    """Who NLU may recognise by name (bot.nlp.person_mentions): every user's id, name and e-mail."""
    rows = session.execute(select(User.id, User.name, User.email).order_by(User.id).limit(limit)).all()
    return [DirectoryEntry(user_id, name or "", email or "") for user_id, name, email in rows]
