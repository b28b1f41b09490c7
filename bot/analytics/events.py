"""Rasa's tracker events as its Pika broker publishes them: one JSON object per message.

``{"sender_id": ..., "event": "user"|"action"|"session_started"|..., "timestamp": <epoch float>,
...}``; a user event adds ``text``, ``message_id`` and ``parse_data`` (intent, confidence,
ranking); an action event adds ``name``. Anything else on the queue is malformed: the consumer
moves it aside instead of failing on it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Optional

#: Events the analytics read; every other valid event is acknowledged and left out.
USER, ACTION, SESSION_STARTED, ACTIVE_LOOP = "user", "action", "session_started", "active_loop"
NLU_FALLBACK = "nlu_fallback"
#: Actions that say the assistant could not follow (Rasa's core fallback).
FALLBACK_ACTIONS = frozenset({"action_default_fallback"})


class MalformedEvent(ValueError):
    """A broker message that is not a Rasa tracker event."""


@dataclass(frozen=True)
class BrokerEvent:
    """The parts of one tracker event the analytics keep."""

    sender_id: str
    type: str
    at: datetime
    timestamp: float
    name: Optional[str] = None
    text: str = ""
    message_id: Optional[str] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    guessed_intent: Optional[str] = None

    @property
    def key(self) -> str:
        """The event's identity: a redelivered or republished event has the same key."""
        raw = f"{self.sender_id}|{self.type}|{self.timestamp!r}|{self.message_id or self.name or ''}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    @property
    def is_fallback(self) -> bool:
        return self.intent == NLU_FALLBACK or (self.type == ACTION and self.name in FALLBACK_ACTIONS)


def parse(body: bytes) -> BrokerEvent:
    """Read one broker message; :class:`MalformedEvent` says why it is not a tracker event."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MalformedEvent(f"not a JSON object but {type(data).__name__}")
    sender, kind, timestamp = data.get("sender_id"), data.get("event"), data.get("timestamp")
    if not isinstance(sender, str) or not sender:
        raise MalformedEvent("no sender_id")
    if not isinstance(kind, str) or not kind:
        raise MalformedEvent("no event type")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        raise MalformedEvent("no numeric timestamp")
    try:
        at = datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:
        raise MalformedEvent(f"timestamp {timestamp!r} out of range") from exc
    common = {"sender_id": sender, "type": kind, "at": at, "timestamp": float(timestamp)}
    if kind == USER:
        return BrokerEvent(**common, **_user_parts(data))
    name = data.get("name")  # an action's; a form's on active_loop (None: the form stopped)
    return BrokerEvent(**common, name=name if isinstance(name, str) else None)


def _user_parts(data: Dict[str, Any]) -> Dict[str, Any]:
    """Text, message id and what NLU made of a user event (missing parse data: nothing known)."""
    parse_data = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
    intent = parse_data.get("intent") if isinstance(parse_data.get("intent"), dict) else {}
    name = intent.get("name") if isinstance(intent.get("name"), str) else None
    confidence = _number(intent.get("confidence"))
    guessed = None
    if name == NLU_FALLBACK:  # the fallback's confidence is its threshold: keep the best real guess
        ranking = parse_data.get("intent_ranking") if isinstance(parse_data.get("intent_ranking"), list) else []
        best = next((r for r in ranking if isinstance(r, dict) and r.get("name") not in (None, NLU_FALLBACK)),
                    None)
        if best is not None:
            guessed, confidence = str(best["name"]), _number(best.get("confidence"))
    text = data.get("text") if isinstance(data.get("text"), str) else ""
    message_id = data.get("message_id")
    return {"text": text, "message_id": str(message_id) if message_id else None,
            "intent": name, "confidence": confidence, "guessed_intent": guessed}


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
