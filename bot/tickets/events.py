"""What happened to a ticket: one event per change, recorded by the ticket services.

The services change the ticket and publish one of these (:func:`bot.tickets.reactions.publish`);
the audit log, the requester's inbox and the outbox react to it in the same transaction. A
new reaction is a new handler there, not an edit to every service function.
"""

from dataclasses import dataclass
from typing import Optional

from bot.store.models import Ticket


@dataclass(frozen=True)
class TicketEvent:
    """``ticket`` as it is after the change; ``actor`` the user who made it (None: the system)."""

    ticket: Ticket
    actor: Optional[str]


@dataclass(frozen=True)
class TicketCreated(TicketEvent):
    #: the conversation it was opened from (its news goes back there), when opened in one
    conversation: Optional[str] = None


@dataclass(frozen=True)
class StatusChanged(TicketEvent):
    """Published even when the status stayed the same (the audit log records the attempt)."""

    old_status: str


@dataclass(frozen=True)
class TicketAssigned(TicketEvent):
    old_assignee: Optional[str]
    old_status: str


@dataclass(frozen=True)
class CommentAdded(TicketEvent):
    body: str
    #: False when the requester hears of it otherwise (an advisor's answer says it itself)
    tell_requester: bool = True


@dataclass(frozen=True)
class TicketResolved(TicketEvent):
    old_status: str
    note: str


@dataclass(frozen=True)
class TicketEscalated(TicketEvent):
    group: str
    created: bool
    transcript_messages: int


@dataclass(frozen=True)
class EscalationAnswered(TicketEvent):
    answer: str
