"""Tags the user directory's people as ``person`` entities (``bot.nlp.person_mentions``): "to Hana
Kim", "give it to hana", "@li.wei"; and whoever a ticket is handed to, in the directory or not
("assign CLS-2 to Bob", "转给张三处理"). Runs after the entity ruler, which knows only the shapes of
user ids; a span it tagged otherwise on the same characters is replaced.

The directory is read (and indexed) at most once a minute, and only where a database is configured
(``CLOSEBOT_DATABASE_URL``: the servers, and ``bench.nlu`` on the demo scenario); without one
only the hand-overs are tagged.
"""

from typing import Any, List, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlp.person_mentions import DirectoryNames, handover_spans
from rasa_components.store_reading import StoreSpanExtractor


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DirectoryPersonExtractor(StoreSpanExtractor):
    """Adds ``person`` entities for the directory's names and hand-overs (see the module docstring)."""

    entity = "person"
    what = "the user directory"

    @staticmethod
    def read(session: Any) -> DirectoryNames:
        from bot.people.directory import directory_entries

        return DirectoryNames(directory_entries(session))

    @staticmethod
    def spans(text: str, stored: Any) -> List[Tuple[int, int]]:
        named = stored.spans(text) if stored else []
        handed = [(s, e) for s, e in handover_spans(text) if all(e <= s2 or e2 <= s for s2, e2 in named)]
        return sorted(named + handed)
