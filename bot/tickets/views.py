"""Tickets as people and the CLI see them: the contract's ``tickets list --json`` row, a
terminal table, and a summary without what the listing already says."""

from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence

from bot.core.text import shorten
from bot.store.models import Ticket


@dataclass(frozen=True)
class TicketView:
    """A ticket as people and the CLI see it (the contract's ``tickets list --json`` row)."""

    number: str
    requester: str
    company: str
    period: Optional[str]
    category: str
    status: str
    priority: int
    summary: str
    assignee: Optional[str]
    created_at: str
    updated_at: Optional[str]
    comments: int

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


def view(ticket: Ticket) -> TicketView:
    return TicketView(
        number=ticket.number,
        requester=ticket.requester_id,
        company=ticket.company_id,
        period=ticket.period,
        category=ticket.category,
        status=ticket.status,
        priority=ticket.priority,
        summary=ticket.summary,
        assignee=ticket.assignee_id,
        created_at=ticket.created_at.isoformat(),
        updated_at=ticket.updated_at.isoformat() if ticket.updated_at else None,
        comments=len(ticket.comments),
    )


def render_ticket_table(rows: Sequence[TicketView]) -> str:
    """A fixed-width table for terminals."""
    if not rows:
        return "No tickets."
    headers = ("number", "status", "prio", "company", "period", "category", "assignee", "summary")
    lines = [
        (r.number, r.status, str(r.priority), r.company, r.period or "-", r.category,
         r.assignee or "-", shorten(r.summary, 60))
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*headers), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def topic(summary: str, company: str, period: Optional[str]) -> str:
    """A ticket summary without the "C100 2026-11 general_ledger blocked: " the listing already says."""
    prefix = f"{company} {period or ''}".strip() + " "
    if not summary.startswith(prefix):
        return summary
    rest = summary[len(prefix):]
    head, sep, tail = rest.partition(" blocked: ")
    return tail if sep and " " not in head else rest
