"""Store one broker event as conversation facts, idempotently: a redelivered event changes nothing.

A user event is a turn (intent, confidence, text length, fallback). What the turn did comes from
the audit rows the action server wrote in it (``bot.store.audit.in_turn``), found by the turn's
message id: a diagnosis with its blocker kinds and components, a ticket, an escalation. They are
read here rather than carried in the events because Rasa publishes only what the tracker holds
(texts and slots), and a slot for each would change the domain and the model.
"""

from datetime import datetime
from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analytics.events import ACTION, ACTIVE_LOOP, SESSION_STARTED, USER, BrokerEvent
from bot.core.text import shorten
from bot.store.models import AnalyticsFact, AnalyticsTurn, AuditEntry, AuditTurn

STORED, DUPLICATE, IGNORED = "stored", "duplicate", "ignored"
TEXT_CHARS = 200
#: audit action -> fact kind
AUDITED = {"diagnose": AnalyticsFact.DIAGNOSIS, "ticket_create": AnalyticsFact.TICKET,
           "ticket_escalate": AnalyticsFact.ESCALATION}


def store_event(session: Session, event: BrokerEvent) -> str:
    """Add what ``event`` tells to the session (the caller commits); STORED, DUPLICATE or IGNORED."""
    if event.type == USER:
        outcome = _store_turn(session, event)
        harvest_turn(session, event.sender_id, event.message_id, event.at)
        return outcome
    if event.type == SESSION_STARTED:
        return _add_fact(session, AnalyticsFact(fact_key=event.key, kind=AnalyticsFact.SESSION,
                                                conversation_key=event.sender_id, at=event.at))
    if event.type == ACTIVE_LOOP:
        return _add_fact(session, AnalyticsFact(fact_key=event.key, kind=AnalyticsFact.FORM,
                                                conversation_key=event.sender_id, at=event.at, name=event.name))
    if event.type != ACTION or not event.name or event.name == "action_listen":
        return IGNORED
    turn = _turn_before(session, event.sender_id, event.at)
    message_id = turn.message_id if turn is not None else None
    outcome = IGNORED
    if event.is_fallback:
        outcome = _add_fact(session, AnalyticsFact(fact_key=event.key, kind=AnalyticsFact.FALLBACK,
                                                   conversation_key=event.sender_id, message_id=message_id,
                                                   at=event.at))
    if turn is not None:  # belt and braces: the user event normally found these already
        harvest_turn(session, event.sender_id, message_id, turn.at)
    return outcome


def _store_turn(session: Session, event: BrokerEvent) -> str:
    if session.scalar(select(AnalyticsTurn.id).where(AnalyticsTurn.event_key == event.key)):
        return DUPLICATE
    text = event.text.strip()
    session.add(AnalyticsTurn(
        event_key=event.key, conversation_key=event.sender_id, message_id=event.message_id, at=event.at,
        intent=event.intent, confidence=event.confidence, guessed_intent=event.guessed_intent,
        text=shorten(text, TEXT_CHARS), text_length=len(text), fallback=event.is_fallback,
    ))
    session.flush()
    return STORED


def _turn_before(session: Session, conversation: str, at: datetime) -> Optional[AnalyticsTurn]:
    """The conversation's latest turn at or before ``at``: the turn an action event belongs to."""
    return session.scalars(
        select(AnalyticsTurn).where(AnalyticsTurn.conversation_key == conversation, AnalyticsTurn.at <= at)
        .order_by(AnalyticsTurn.at.desc()).limit(1)
    ).first()


def harvest_turn(session: Session, conversation: str, message_id: Optional[str], at: datetime) -> int:
    """Add the facts of the audit rows written in this turn that are not stored yet; how many."""
    if not message_id:
        return 0
    rows: Iterable[AuditEntry] = session.scalars(
        select(AuditEntry).join(AuditTurn, AuditTurn.audit_id == AuditEntry.id)
        .where(AuditTurn.message_id == message_id, AuditEntry.action.in_(tuple(AUDITED)))
        .order_by(AuditEntry.id)
    )
    added = 0
    for entry in rows:
        fact = _fact_of(entry, conversation, message_id, at)
        added += _add_fact(session, fact) == STORED
    return added


def _fact_of(entry: AuditEntry, conversation: str, message_id: str, at: datetime) -> AnalyticsFact:
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    fact = AnalyticsFact(fact_key=f"audit:{entry.id}", kind=AUDITED[entry.action], conversation_key=conversation,
                         message_id=message_id, at=at, company_id=entry.company_id)
    if fact.kind == AnalyticsFact.DIAGNOSIS:
        fact.period, fact.module = detail.get("period"), detail.get("module")
        fact.blocked = bool(detail.get("blockers"))
        fact.root_causes = [list(pair) for pair in detail.get("root_causes") or []]
        fact.components = list(detail.get("components") or [])
    else:
        fact.ticket_number = detail.get("number")
    return fact


def _add_fact(session: Session, fact: AnalyticsFact) -> str:
    if session.scalar(select(AnalyticsFact.id).where(AnalyticsFact.fact_key == fact.fact_key)):
        return DUPLICATE
    session.add(fact)
    session.flush()
    return STORED
