"""Tags ticket numbers in any helpdesk's format (``bot.nlp.ticket_mentions``): "HD-30415",
"INC0012345", the digits of "ticket 30415", and numbers with a prefix the store's tickets use.
Runs after the entity ruler and replaces what it tagged on the same characters (a
``record_id`` or ``company`` reading of a ticket number).

The store's prefixes are read at most once a minute, and only where a database is configured
(``CLOSEBOT_DATABASE_URL``: the servers); training and benchmarks use the built-in ones.
"""

from typing import Any, List, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlp.ticket_mentions import ticket_spans
from rasa_components.store_reading import StoreSpanExtractor


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TicketNumberExtractor(StoreSpanExtractor):
    """Adds ``ticket_number`` entities (see the module docstring)."""

    entity = "ticket_number"
    what = "ticket prefixes"

    @staticmethod
    def read(session: Any) -> List[str]:
        from bot.tickets.lookup import store_prefixes

        return store_prefixes(session)

    @staticmethod
    def spans(text: str, stored: List[str]) -> List[Tuple[int, int]]:
        return ticket_spans(text, stored)
