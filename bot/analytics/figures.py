"""The report's numbers, computed from the stored facts and Closebot's tickets.

A *conversation* is one Rasa session of one sender (a new ``session_started`` begins the next).
It belongs to the close period it diagnosed first; one that never diagnosed belongs to the month
it started in. A conversation is *blocked* when a diagnosis in it found something blocking;
*contained* when, blocked, it led to no ticket and no escalation; *resolved without a person*
when, contained, a later check of the same close found nothing blocking any more.
"""

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import AnalyticsFact, AnalyticsTurn, Component, Ticket, TicketResolution

#: A turn below this confidence counts as poorly understood even when NLU did not fall back.
LOW_CONFIDENCE = 0.6
WORST_MESSAGES = 8
TOP_COMPONENTS = 8


@dataclass
class Conversation:
    """One session of one sender: its turns and facts, oldest first."""

    sender: str
    started: datetime
    turns: List[AnalyticsTurn] = field(default_factory=list)
    facts: List[AnalyticsFact] = field(default_factory=list)

    def of_kind(self, kind: str) -> List[AnalyticsFact]:
        return [f for f in self.facts if f.kind == kind]

    @property
    def diagnoses(self) -> List[AnalyticsFact]:
        return self.of_kind(AnalyticsFact.DIAGNOSIS)

    @property
    def period(self) -> str:
        first = next((d.period for d in self.diagnoses if d.period), None)
        return first or self.started.strftime("%Y-%m")

    @property
    def blocked(self) -> bool:
        return any(d.blocked for d in self.diagnoses)

    @property
    def needed_person(self) -> bool:
        return bool(self.of_kind(AnalyticsFact.TICKET) or self.of_kind(AnalyticsFact.ESCALATION))

    @property
    def resolved(self) -> bool:
        """A blocked close that a later diagnosis in this conversation found clear."""
        blocked_at: Dict[Tuple, datetime] = {}
        for d in self.diagnoses:
            close = (d.company_id, d.period, d.module)
            if d.blocked:
                blocked_at.setdefault(close, d.at)
            elif close in blocked_at:
                return True
        return False

    @property
    def turns_to_diagnosis(self) -> Optional[int]:
        """User turns up to and including the one that brought the first diagnosis."""
        if not self.diagnoses:
            return None
        first = self.diagnoses[0]
        for number, turn in enumerate(self.turns, start=1):
            if turn.message_id and turn.message_id == first.message_id:
                return number
        return sum(1 for t in self.turns if t.at <= first.at) or None

    def answers_to_forms(self) -> set:
        """Ids of the turns typed while a form was asking (a ticket note): answers, not requests."""
        forms = self.of_kind(AnalyticsFact.FORM)
        answered = set()
        for turn in self.turns:
            latest = max((f for f in forms if f.at <= turn.at), key=lambda f: f.at, default=None)
            if latest is not None and latest.name:
                answered.add(turn.id)
        return answered

    @property
    def fallback_turns(self) -> int:
        """Turns NLU could not place, or after which the assistant fell back (each turn once)."""
        fell_back = {f.message_id for f in self.of_kind(AnalyticsFact.FALLBACK) if f.message_id}
        unlinked = sum(1 for f in self.of_kind(AnalyticsFact.FALLBACK) if not f.message_id)
        return sum(1 for t in self.turns if t.fallback or t.message_id in fell_back) + unlinked


@dataclass
class Resolution:
    """One ticket's time from opening to its first resolution."""

    number: str
    period: str
    hours: float


@dataclass
class Figures:
    """Everything the report shows, for the periods asked for."""

    period: Optional[str]
    conversations: List[Conversation]
    resolutions: List[Resolution]
    open_tickets: int
    #: status-page component id -> its name, for the plot's labels
    component_names: Dict[str, str] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return bool(self.conversations or self.resolutions or self.open_tickets)

    @property
    def periods(self) -> List[str]:
        found = {c.period for c in self.conversations} | {r.period for r in self.resolutions}
        found |= {d.period for c in self.conversations for d in c.diagnoses if d.period}
        return sorted(p for p in found if p)

    @property
    def blocked(self) -> List[Conversation]:
        return [c for c in self.conversations if c.blocked]

    def key_figures(self) -> Dict[str, object]:
        """The headline numbers, as printed and as shown at the top of the page."""
        turns = sum(len(c.turns) for c in self.conversations)
        fallbacks = sum(c.fallback_turns for c in self.conversations)
        blocked = self.blocked
        contained = [c for c in blocked if not c.needed_person]
        to_diagnosis = [n for n in (c.turns_to_diagnosis for c in self.conversations) if n is not None]
        hours = [r.hours for r in self.resolutions]
        return {
            "conversations": len(self.conversations),
            "diagnoses": sum(len(c.diagnoses) for c in self.conversations),
            "blocked_conversations": len(blocked),
            "containment_pct": _pct(len(contained), len(blocked)),
            "resolved_without_person": sum(1 for c in contained if c.resolved),
            "tickets": sum(len(c.of_kind(AnalyticsFact.TICKET)) for c in self.conversations),
            "escalations": sum(len(c.of_kind(AnalyticsFact.ESCALATION)) for c in self.conversations),
            "user_turns": turns,
            "fallback_turns": fallbacks,
            "fallback_rate_pct": _pct(fallbacks, turns),
            "median_turns_to_diagnosis": statistics.median(to_diagnosis) if to_diagnosis else None,
            "tickets_resolved": len(hours),
            "tickets_open": self.open_tickets,
            "median_hours_to_resolution": round(statistics.median(hours), 2) if hours else None,
        }

    def blockers_by_kind(self) -> Dict[str, Counter]:
        """Period -> kind -> distinct root causes found (the same record seen twice counts once)."""
        seen: Dict[str, set] = defaultdict(set)
        for c in self.conversations:
            for d in c.diagnoses:
                if d.period and (self.period is None or d.period == self.period):
                    seen[d.period] |= {(d.company_id, kind, ref) for kind, ref in d.root_causes or []}
        return {p: Counter(kind for _, kind, _ in found) for p, found in sorted(seen.items())}

    def containment_by_period(self) -> Dict[str, Tuple[int, int, int]]:
        """Period -> (resolved without a person, no person yet, needed a person) of blocked conversations."""
        out: Dict[str, List[int]] = defaultdict(lambda: [0, 0, 0])
        for c in self.blocked:
            out[c.period][2 if c.needed_person else 0 if c.resolved else 1] += 1
        return {p: tuple(v) for p, v in sorted(out.items())}  # type: ignore[misc]

    def resolution_by_period(self) -> Dict[str, List[float]]:
        out: Dict[str, List[float]] = defaultdict(list)
        for r in self.resolutions:
            out[r.period].append(r.hours)
        return dict(sorted(out.items()))

    def failing_components(self) -> List[Tuple[str, int]]:
        """Status-page components at fault, by the number of conversations they blocked."""
        counts = Counter(ref for c in self.conversations
                         for ref in {ref for d in c.diagnoses for ref in d.components or []})
        return counts.most_common(TOP_COMPONENTS)

    def worst_understood(self) -> List["Misread"]:
        """Messages NLU fell back on or read with low confidence, the most frequent first."""
        groups: Dict[str, Misread] = {}
        for c in self.conversations:
            fell_back = {f.message_id for f in c.of_kind(AnalyticsFact.FALLBACK) if f.message_id}
            answers = c.answers_to_forms()
            for t in c.turns:
                text = (t.text or "").strip()
                if not text or text.startswith("/") or t.id in answers:  # a button, a note: nothing to read
                    continue
                fallback = bool(t.fallback or t.message_id in fell_back)
                if not fallback and (t.confidence is None or t.confidence >= LOW_CONFIDENCE):
                    continue
                group = groups.setdefault(_normal(text), Misread(text))
                if fallback and not t.guessed_intent:  # noise: NLU made no guess at all
                    group.add(fallback, None, None)
                else:
                    group.add(fallback, t.confidence, t.guessed_intent or t.intent)
        ranked = sorted(groups.values(), key=lambda m: (-m.count, -m.fallbacks, m.mean_confidence))
        return ranked[:WORST_MESSAGES]


@dataclass
class Misread:
    """One message (as first written) and how often and how badly it was understood."""

    text: str
    count: int = 0
    fallbacks: int = 0
    confidences: List[float] = field(default_factory=list)
    guesses: Counter = field(default_factory=Counter)

    def add(self, fallback: bool, confidence: Optional[float], guess: Optional[str]) -> None:
        self.count += 1
        self.fallbacks += fallback
        if confidence is not None:
            self.confidences.append(confidence)
        if guess:
            self.guesses[guess] += 1

    @property
    def mean_confidence(self) -> float:
        return statistics.fmean(self.confidences) if self.confidences else 0.0

    @property
    def guess(self) -> Optional[str]:
        """The intent NLU leaned to most often, None when it made no guess (noise)."""
        return self.guesses.most_common(1)[0][0] if self.guesses else None


def load(session: Session, period: Optional[str] = None) -> Figures:
    """The figures for ``period`` (``YYYY-MM``), or for every period when None."""
    conversations = [c for c in _conversations(session) if period is None or c.period == period]
    resolutions, open_tickets = _tickets(session, period)
    names = {c.id: c.name for c in session.scalars(select(Component)) if c.name}
    return Figures(period, conversations, resolutions, open_tickets, names)


def _conversations(session: Session) -> List[Conversation]:
    turns: Dict[str, List[AnalyticsTurn]] = defaultdict(list)
    for t in session.scalars(select(AnalyticsTurn).order_by(AnalyticsTurn.at, AnalyticsTurn.id)):
        turns[t.conversation_key].append(t)
    facts: Dict[str, List[AnalyticsFact]] = defaultdict(list)
    for f in session.scalars(select(AnalyticsFact).order_by(AnalyticsFact.at, AnalyticsFact.id)):
        facts[f.conversation_key].append(f)
    out: List[Conversation] = []
    for sender in sorted(set(turns) | set(facts)):
        out.extend(_sessions(sender, turns[sender], facts[sender]))
    return out


def _sessions(sender: str, turns: Sequence[AnalyticsTurn], facts: Sequence[AnalyticsFact]) -> List[Conversation]:
    """Split one sender's turns and facts at each session start."""
    starts = [f.at for f in facts if f.kind == AnalyticsFact.SESSION]
    items = sorted([(t.at, 0, t) for t in turns]
                   + [(f.at, 1, f) for f in facts if f.kind != AnalyticsFact.SESSION], key=lambda item: item[:2])
    conversations: Dict[datetime, Conversation] = {}
    for at, _, item in items:
        begun = max((s for s in starts if s <= at), default=None) or (items[0][0] if items else at)
        conversation = conversations.setdefault(begun, Conversation(sender, begun))
        (conversation.turns if isinstance(item, AnalyticsTurn) else conversation.facts).append(item)
    return list(conversations.values())


def _tickets(session: Session, period: Optional[str]) -> Tuple[List[Resolution], int]:
    """Resolution times of tickets with a recorded resolution, and how many are still open."""
    first = (select(TicketResolution.ticket_id, func.min(TicketResolution.resolved_at).label("at"))
             .group_by(TicketResolution.ticket_id).subquery())
    resolved_at = {ticket_id: at for ticket_id, at in session.execute(select(first.c.ticket_id, first.c.at))}
    resolutions, still_open = [], 0
    for ticket in session.scalars(select(Ticket)):
        ticket_period = ticket.period or (ticket.created_at.strftime("%Y-%m") if ticket.created_at else "")
        if period is not None and ticket_period != period:
            continue
        done = resolved_at.get(ticket.id)
        if ticket.status not in ("resolved", "closed"):
            still_open += 1
        elif done is not None and ticket.created_at is not None:
            at = done if done.tzinfo else done.replace(tzinfo=ticket.created_at.tzinfo)
            resolutions.append(Resolution(ticket.number, ticket_period,
                                          max(at - ticket.created_at, timedelta(0)).total_seconds() / 3600))
    return resolutions, still_open


def percentile(values: Iterable[float], share: float) -> float:
    """The ``share`` (0..1) percentile by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = (len(ordered) - 1) * share
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _pct(part: int, whole: int) -> Optional[float]:
    return round(100.0 * part / whole, 1) if whole else None


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip()
