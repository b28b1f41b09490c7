"""Tags ticket numbers in any helpdesk's format (``bot.nlp.ticket_mentions``): "HD-30415",
"INC0012345", the digits of "ticket 30415", and numbers with a prefix the store's tickets use.
Runs after the entity ruler and replaces what it tagged on the same characters (a
``record_id`` or ``company`` reading of a ticket number).

The store's prefixes are read at most once a minute, and only where a database is configured
(``CLOSEBOT_DATABASE_URL``: the servers); training and benchmarks use the built-in ones.
"""

import logging
import os
import threading
import time
from typing import Any, Dict, List, Sequence

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.ticket_mentions import ticket_spans

ENTITY = "ticket_number"
#: Seconds the store's ticket prefixes are reused before they are read again.
PREFIX_TTL = 60.0

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TicketNumberExtractor(GraphComponent):
    """Adds ``ticket_number`` entities (see the module docstring)."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TicketNumberExtractor":
        return cls()

    def __init__(self) -> None:
        self._prefixes: Sequence[str] = ()
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def store_prefixes(self) -> Sequence[str]:
        """The store's ticket prefixes (cached); none without a configured database or on error."""
        if not os.environ.get("CLOSEBOT_DATABASE_URL"):
            return ()
        with self._lock:
            if time.monotonic() - self._read_at < PREFIX_TTL:
                return self._prefixes
            self._read_at = time.monotonic()
            try:
                from bot.store.db import session_scope
                from bot.tickets.lookup import store_prefixes

                with session_scope() as session:
                    self._prefixes = store_prefixes(session)
            except Exception:  # noqa: BLE001 - NLU must answer even when the store does not
                logger.warning("ticket prefixes could not be read from the store", exc_info=True)
            return self._prefixes

    def process(self, messages: List[Message]) -> List[Message]:
        prefixes = self.store_prefixes()
        for message in messages:
            text = message.get(TEXT) or ""
            spans = ticket_spans(text, prefixes)
            if not spans:
                continue
            kept = [e for e in message.get(ENTITIES) or []
                    if not any(e.get("start", -1) < end and start < e.get("end", -1) for start, end in spans)]
            found = [{"entity": ENTITY, "start": start, "end": end, "value": text[start:end],
                      "extractor": self.__class__.__name__} for start, end in spans]
            message.set(ENTITIES, sorted(kept + found, key=lambda e: e.get("start", 0)), add_to_output=True)
        return messages
