"""What the outbox needs from a remote ticket system, and nothing more.

Every backend stamps the ticket it creates with our ``correlation_id`` (the local ticket's
idempotency key), so that after a crash between the remote's answer and our commit the next
attempt finds the ticket instead of creating a second one. Comments get the same protection
from a per-comment ``key`` (see ``add_comment``).
"""

from dataclasses import dataclass, field
from typing import List, Optional, Protocol


@dataclass(frozen=True)
class RemoteTicketRequest:
    """A local ticket as the remote system should receive it (our vocabulary, not theirs)."""

    correlation_id: str
    local_number: str
    summary: str
    description: str
    category: str
    priority: int  # 1 (highest) .. 4
    status: str
    company: str
    period: Optional[str] = None
    requester: Optional[str] = None
    labels: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class RemoteRef:
    """A ticket in the remote system: its internal id, the number people see, a link."""

    system: str  # "servicenow" | "jira"
    remote_id: str  # sys_id or issue id
    number: str  # INC0010001 or CLOSE-12
    url: Optional[str] = None
    status: Optional[str] = None  # the remote's own status name, when known


class TicketBackend(Protocol):
    """A remote ticket system. Every method raises ``bot.integrations.http.RemoteError``."""

    system: str

    def create(self, request: RemoteTicketRequest) -> RemoteRef:
        """Create the ticket (not idempotent: call ``find_by_correlation`` first)."""

    def find_by_correlation(self, correlation_id: str) -> Optional[RemoteRef]:
        """The ticket an earlier ``create`` made for this correlation id, if any."""

    def get(self, number: str) -> RemoteRef:
        """The ticket by the number people see."""

    def update_status(self, ref: RemoteRef, status: str, note: Optional[str] = None) -> None:
        """Move the ticket to the remote status mapped from our ``status`` (a no-op when it is
        already there); ``note`` is the resolution note when resolving or closing."""

    def add_comment(self, ref: RemoteRef, body: str, *, key: Optional[str] = None,
                    maybe_sent: bool = False) -> None:
        """A work note (ServiceNow) or comment (Jira).

        ``key`` is stable across retries of the same comment (the outbox row's idempotency key):
        the comment carries a short tag made from it, so that when ``maybe_sent`` (an earlier
        attempt may have reached the remote before its answer was lost) the backend first looks
        for a comment with that tag and posts nothing if it finds one. Two comments with the
        same text but different keys are both posted.
        """
