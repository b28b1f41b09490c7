"""What an NLU component reads from Closebot's store (ticket prefixes, the directory's names,
company names): cached for a while, read only where a database is configured, and never an error
for NLU.

Also the one way such a component puts its spans into a message: replacing what another
extractor tagged on the same characters; and the extractor they share (``StoreSpanExtractor``).
"""

import logging
import os
import threading
import time
from typing import Any, Callable, Dict, Generic, List, Sequence, Tuple, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from sqlalchemy.orm import Session

T = TypeVar("T")

logger = logging.getLogger(__name__)


class StoreReading(Generic[T]):
    """``read(session)``, reused for ``ttl`` seconds; ``empty`` without ``CLOSEBOT_DATABASE_URL``
    (training, benchmarks without a store) or when the read fails (logged)."""

    def __init__(self, read: Callable[[Session], T], empty: T, what: str, ttl: float = 60.0) -> None:
        self._read, self._empty, self._what, self._ttl = read, empty, what, ttl
        self._value = empty
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def get(self) -> T:
        if not os.environ.get("CLOSEBOT_DATABASE_URL"):
            return self._empty
        with self._lock:
            if time.monotonic() - self._read_at < self._ttl:
                return self._value
            self._read_at = time.monotonic()
            try:
                from bot.store.db import session_scope

                with session_scope() as session:
                    self._value = self._read(session)
            except Exception:  # noqa: BLE001 - NLU must answer even when the store does not
                logger.warning("%s could not be read from the store", self._what, exc_info=True)
            return self._value


def put_spans(message: Message, text: str, spans: Sequence[Tuple[int, int]], entity: str, extractor: str) -> None:
    """Tag ``spans`` as ``entity``, dropping any other entity on the same characters."""
    kept: List[Dict[str, Any]] = [
        e for e in message.get(ENTITIES) or []
        if not any(e.get("start", -1) < end and start < e.get("end", -1) for start, end in spans)
    ]
    found = [{"entity": entity, "start": start, "end": end, "value": text[start:end], "extractor": extractor}
             for start, end in spans]
    message.set(ENTITIES, sorted(kept + found, key=lambda e: e.get("start", 0)), add_to_output=True)


class StoreSpanExtractor(GraphComponent):
    """An entity extractor whose spans depend on what the store holds: ``read`` it (cached, empty
    without a store), then tag ``spans(text, stored)`` as ``entity``. Subclasses register
    themselves with Rasa and say the four."""

    entity = ""
    what = ""

    @staticmethod
    def read(session: Session) -> Any:
        raise NotImplementedError

    @staticmethod
    def spans(text: str, stored: Any) -> List[Tuple[int, int]]:
        raise NotImplementedError

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "StoreSpanExtractor":
        return cls()

    def __init__(self) -> None:
        self.stored = StoreReading(self.read, [], self.what).get

    def process(self, messages: List[Message]) -> List[Message]:
        stored = self.stored()
        for message in messages:
            text = message.get(TEXT) or ""
            spans = self.spans(text, stored)
            if spans:
                put_spans(message, text, spans, self.entity, self.__class__.__name__)
        return messages

