"""Tags the store's companies named by name as ``company`` entities (``bot.nlp.company_mentions``):
"Northwind", "contoso manufacturing". Runs after the entity ruler, which knows only the shape of
company ids; a span it tagged otherwise on the same characters is replaced.

The companies are read (and indexed) at most once a minute, and only where a database is configured
(``CLOSEBOT_DATABASE_URL``: the servers, and ``bench.nlu`` on the demo scenario); without one
the component adds nothing.
"""

from typing import Any, List, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlp.company_mentions import CompanyNames
from rasa_components.store_reading import StoreSpanExtractor


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CompanyNameExtractor(StoreSpanExtractor):
    """Adds ``company`` entities for the store's company names (see the module docstring)."""

    entity = "company"
    what = "company names"

    @staticmethod
    def read(session: Any) -> CompanyNames:
        from bot.store.companies import company_entries

        return CompanyNames(company_entries(session))

    @staticmethod
    def spans(text: str, stored: Any) -> List[Tuple[int, int]]:
        return [(start, end) for start, end, _ in stored.spans(text)] if stored else []
