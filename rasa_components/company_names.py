"""Tags the store's companies named by name as ``company`` entities (``bot.nlp.company_mentions``):
"Northwind", "contoso manufacturing". Runs after the entity ruler, which knows only the shape of
company ids; a span it tagged otherwise on the same characters is replaced.

The companies are read at most once a minute, and only where a database is configured
(``CLOSEBOT_DATABASE_URL``: the servers, and ``bench.nlu`` on the demo scenario); without one
the component adds nothing.
"""

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.company_mentions import CompanyEntry, company_spans
from rasa_components.store_reading import StoreReading, put_spans

ENTITY = "company"


def _companies(session: Any) -> List[CompanyEntry]:
    from bot.store.companies import company_entries

    return company_entries(session)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CompanyNameExtractor(GraphComponent):
    """Adds ``company`` entities for the store's company names (see the module docstring)."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CompanyNameExtractor":
        return cls()

    def __init__(self) -> None:
        self.companies = StoreReading(_companies, [], "company names").get

    def process(self, messages: List[Message]) -> List[Message]:
        companies = self.companies()
        if not companies:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            spans = [(start, end) for start, end, _ in company_spans(text, companies)]
            if spans:
                put_spans(message, text, spans, ENTITY, self.__class__.__name__)
        return messages
