"""Tags the user directory's people as ``person`` entities (``bot.nlp.person_mentions``): "to Hana
Kim", "give it to hana", "@li.wei"; and whoever a ticket is handed to, in the directory or not
("assign CLS-2 to Bob", "转给张三处理"). Runs after the entity ruler, which knows only the shapes of
user ids; a span it tagged otherwise on the same characters is replaced.

The directory is read at most once a minute, and only where a database is configured
(``CLOSEBOT_DATABASE_URL``: the servers, and ``bench.nlu`` on the demo scenario); without one
only the hand-overs are tagged.
"""

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.person_mentions import DirectoryEntry, handover_spans, person_spans
from rasa_components.store_reading import StoreReading, put_spans

ENTITY = "person"


def _entries(session: Any) -> List[DirectoryEntry]:
    from bot.people.directory import directory_entries

    return directory_entries(session)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DirectoryPersonExtractor(GraphComponent):
    """Adds ``person`` entities for the directory's names (see the module docstring)."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "DirectoryPersonExtractor":
        return cls()

    def __init__(self) -> None:
        self.directory = StoreReading(_entries, [], "the user directory").get

    def process(self, messages: List[Message]) -> List[Message]:
        people = self.directory()
        for message in messages:
            text = message.get(TEXT) or ""
            spans = person_spans(text, people) if people else []
            spans += [(s, e) for s, e in handover_spans(text) if all(e <= s2 or e2 <= s for s2, e2 in spans)]
            if spans:
                put_spans(message, text, spans, ENTITY, self.__class__.__name__)
        return messages
