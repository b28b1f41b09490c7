"""Where each local ticket stands in the remote system, as the conversation shows it.

"CLS-000004 (ServiceNow INC0010001)" once linked, "CLS-000004 (queued for ServiceNow)" while
the create waits, plain "CLS-000004" for tickets that never left this system.
"""

from dataclasses import dataclass
from typing import Dict, Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.outbox import store
from bot.outbox.config import system_name
from bot.store.models import OutboxEntry, Ticket, TicketLink


@dataclass(frozen=True)
class RemoteState:
    system: str
    state: str  # linked | queued | failed
    number: Optional[str] = None  # the remote number, once linked
    url: Optional[str] = None

    @property
    def linked(self) -> bool:
        return self.state == "linked"

    @property
    def queued(self) -> bool:
        return self.state == "queued"

    @property
    def label(self) -> str:
        name = system_name(self.system)
        if self.linked:
            return f"{name} {self.number}"
        if self.queued:
            return f"queued for {name}"
        return f"not delivered to {name}"


def remote_states(session: Session, numbers: Iterable[str]) -> Dict[str, RemoteState]:
    """The remote state of each ticket number that has one (two indexed queries)."""
    numbers = sorted(set(numbers))
    if not numbers:
        return {}
    states: Dict[str, RemoteState] = {}
    links = session.execute(
        select(Ticket.number, TicketLink.system, TicketLink.remote_number, TicketLink.url)
        .join(TicketLink, TicketLink.ticket_id == Ticket.id)
        .where(Ticket.number.in_(numbers))
        .order_by(TicketLink.id)
    )
    for number, system, remote_number, url in links:
        states.setdefault(number, RemoteState(system, "linked", remote_number, url))
    creates = session.execute(
        select(Ticket.number, OutboxEntry.system, OutboxEntry.state)
        .join(OutboxEntry, OutboxEntry.ticket_id == Ticket.id)
        .where(Ticket.number.in_([n for n in numbers if n not in states]),
               OutboxEntry.operation == store.CREATE)
        .order_by(OutboxEntry.id)
    )
    for number, system, state in creates:
        if state != store.DELIVERED:
            states.setdefault(number, RemoteState(system, "queued" if state == store.PENDING else "failed"))
    return states


def remote_state(session: Session, number: str) -> Optional[RemoteState]:
    return remote_states(session, [number]).get(number)


def labelled(number: str, states: Dict[str, RemoteState]) -> str:
    """"CLS-000004 (ServiceNow INC0010001)", or the number alone when it never left."""
    state = states.get(number)
    return number if state is None else f"{number} ({state.label})"
