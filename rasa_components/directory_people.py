"""Tags the user directory's people as ``person`` entities (``bot.nlp.person_mentions``): "to Hana
Kim", "give it to hana", "@li.wei". Runs after the entity ruler, which knows only the shapes of
user ids; a span it tagged otherwise on the same characters is replaced.

The directory is read at most once a minute, and only where a database is configured
(``CLOSEBOT_DATABASE_URL``: the servers, and ``bench.nlu`` on the demo scenario); without one
the component adds nothing.
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

from bot.nlp.person_mentions import DirectoryEntry, person_spans

ENTITY = "person"
#: Seconds the directory is reused before it is read again.
DIRECTORY_TTL = 60.0

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DirectoryPersonExtractor(GraphComponent):
    """Adds ``person`` entities for the directory's names (see the module docstring)."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "DirectoryPersonExtractor":
        return cls()

    def __init__(self) -> None:
        self._people: Sequence[DirectoryEntry] = ()
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def directory(self) -> Sequence[DirectoryEntry]:
        """The directory's people (cached); none without a configured database or on error."""
        if not os.environ.get("CLOSEBOT_DATABASE_URL"):
            return ()
        with self._lock:
            if time.monotonic() - self._read_at < DIRECTORY_TTL:
                return self._people
            self._read_at = time.monotonic()
            try:
                from bot.people.directory import directory_entries
                from bot.store.db import session_scope

                with session_scope() as session:
                    self._people = directory_entries(session)
            except Exception:  # noqa: BLE001 - NLU must answer even when the store does not
                logger.warning("the user directory could not be read from the store", exc_info=True)
            return self._people

    def process(self, messages: List[Message]) -> List[Message]:
        people = self.directory()
        if not people:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            spans = person_spans(text, people)
            if not spans:
                continue
            kept = [e for e in message.get(ENTITIES) or []
                    if not any(e.get("start", -1) < end and start < e.get("end", -1) for start, end in spans)]
            found = [{"entity": ENTITY, "start": start, "end": end, "value": text[start:end],
                      "extractor": self.__class__.__name__} for start, end in spans]
            message.set(ENTITIES, sorted(kept + found, key=lambda e: e.get("start", 0)), add_to_output=True)
        return messages
