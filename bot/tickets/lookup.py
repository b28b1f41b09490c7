"""Which ticket a message names, by looking what it says up in the store: any number format.

Tickets come from Closebot (``CLS-000123``) and from the helpdesks a scenario imports
(``HD-30415``, ``INC0012345``, ``FIN-88``). A message may write them with or without the
dash, zeros, ``#`` or case ("hd 30415", "inc12345", "ticket 30415"). Every candidate the text
holds is looked up; what the message names is then one ticket, several (ask which), or a
number the store does not hold (say so). A candidate counts as a ticket number only when the
store holds it, when its prefix is one the store's tickets use (``HD-99999``: named, but not
there), or when the words say it is one ("ticket 30415"); "November 2026", "P1", ``SO-1042``
and ``C200`` are not.
"""

import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.store.models import Ticket

#: Letters, then an optional separator, then digits: "HD-30415", "INC0012345", "CLS 7", "#FIN-88".
_PREFIXED = re.compile(r"(?<![\w-])#?([A-Za-z][A-Za-z]{0,9})[-_ ]?(\d{1,12})(?![\w-])")
#: Bare digits where the words say they are a ticket: "ticket 30415", "#30415", "incident no. 7".
_BARE = re.compile(r"(?:\b(?:ticket|incident|case|issue|no\.?|number)\s*|#)\s*#?\s*(\d{1,12})\b", re.IGNORECASE)
_KEY = re.compile(r"^#?([A-Za-z]+)[-_ ]?0*(\d+)$")


@dataclass(frozen=True)
class Named:
    """What a message calls a ticket: ``said`` is None when it names none at all."""

    said: Optional[str] = None
    tickets: List[Ticket] = field(default_factory=list)

    @property
    def ticket(self) -> Optional[Ticket]:
        """The one ticket named, if exactly one matched."""
        return self.tickets[0] if len(self.tickets) == 1 else None


def named_ticket(session: Session, text: Optional[str], also: Sequence[str] = ()) -> Named:
    """The ticket ``text`` names (``also``: values the NLU extracted, looked up first)."""
    unknown: Optional[str] = None
    for said, bare in dict.fromkeys((*((value, False) for value in also if value), *_candidates(text or ""))):
        tickets = _lookup(session, said)
        if tickets:
            return Named(said, tickets)
        if unknown is None and (bare or _ticket_prefix(session, said)):
            unknown = said
    return Named(unknown, [])


def _candidates(text: str) -> List[Tuple[str, bool]]:
    """(what was said, whether it is bare digits the words call a ticket), in text order."""
    found: List[Tuple[int, str, bool]] = [(m.start(), m.group(0).lstrip("#").strip(), False)
                                          for m in _PREFIXED.finditer(text)]
    found += [(m.start(), m.group(1), True) for m in _BARE.finditer(text)]
    return [(said, bare) for _, said, bare in sorted(found)]


def ticket_key(number: str) -> Optional[Tuple[str, int]]:
    """``("HD", 30415)`` for "HD-30415", "hd30415" or "HD 030415"; None for another shape."""
    match = _KEY.match(number.strip())
    return (match.group(1).upper(), int(match.group(2))) if match else None


def _lookup(session: Session, said: str) -> List[Ticket]:
    exact = session.scalars(select(Ticket).where(func.upper(Ticket.number) == said.upper())).all()
    if exact:
        return list(exact)
    if said.isdigit():
        digits, prefix = str(int(said)), ""
    else:
        key = ticket_key(said)
        if key is None:
            return []
        prefix, number = key
        digits = str(number)
    rows = session.scalars(
        select(Ticket).where(func.upper(Ticket.number).like(f"{prefix}%"), Ticket.number.like(f"%{digits}"))
        .order_by(Ticket.number).limit(20)
    ).all()
    if said.isdigit():
        return [t for t in rows if _trailing_number(t.number) == int(said)]
    return [t for t in rows if ticket_key(t.number) == ticket_key(said)]


def _trailing_number(number: str) -> Optional[int]:
    match = re.search(r"(\d+)$", number)
    return int(match.group(1)) if match else None


def _ticket_prefix(session: Session, said: str) -> bool:
    """Whether the store holds tickets numbered with ``said``'s prefix (``HD`` of "HD-99999")."""
    key = ticket_key(said)
    if key is None:
        return False
    prefix = key[0]
    shapes = [f"{prefix}-%", f"{prefix}\\_%", f"{prefix} %", *(f"{prefix}{d}%" for d in "0123456789")]
    number = func.upper(Ticket.number)
    match = or_(*(number.like(shape, escape="\\") for shape in shapes))
    return session.scalar(select(Ticket.id).where(match).limit(1)) is not None


def store_prefixes(session: Session, limit: int = 50) -> List[str]:
    """The letter prefixes of the ticket numbers the store holds ("HD" of "HD-30415"), so NLU
    can tag numbers of the helpdesks a scenario imported."""
    numbers = session.scalars(select(Ticket.number).order_by(Ticket.id.desc()).limit(5000)).all()
    prefixes = {key[0] for key in map(ticket_key, numbers) if key is not None}
    return sorted(prefixes)[:limit]
