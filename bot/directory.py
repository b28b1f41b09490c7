"""Find a person in the user directory from what someone typed: an id, a name, an email."""

from typing import List, Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.models import User


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


def display(user: Optional[User], fallback: Optional[str] = None) -> str:
    """'Hana Kim (u-hana)', or the bare id when the directory no longer has them."""
    if user is None:
        return fallback or "nobody"
    return f"{user.name} ({user.id})"
