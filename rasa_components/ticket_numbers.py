"""Tags ticket numbers in any helpdesk's format (``bot.nlp.ticket_mentions``): "HD-30415",
"INC0012345", the digits of "ticket 30415", and numbers with a prefix the store's tickets use.
Runs after the entity ruler and replaces what it tagged on the same characters (a
``record_id`` or ``company`` reading of a ticket number).

The store's prefixes are read at most once a minute, and only where a database is configured
(``CLOSEBOT_DATABASE_URL``: the servers); training and benchmarks use the built-in ones.
"""

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.ticket_mentions import ticket_spans
from rasa_components.store_reading import StoreReading, put_spans

ENTITY = "ticket_number"


def _prefixes(session: Any) -> List[str]:
    from bot.tickets.lookup import store_prefixes

    return store_prefixes(session)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TicketNumberExtractor(GraphComponent):
    """Adds ``ticket_number`` entities (see the module docstring)."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TicketNumberExtractor":
        return cls()

    def __init__(self) -> None:
        self.store_prefixes = StoreReading(_prefixes, [], "ticket prefixes").get

    def process(self, messages: List[Message]) -> List[Message]:
        prefixes = self.store_prefixes()
        for message in messages:
            text = message.get(TEXT) or ""
            spans = ticket_spans(text, prefixes)
            if spans:
                put_spans(message, text, spans, ENTITY, self.__class__.__name__)
        return messages
