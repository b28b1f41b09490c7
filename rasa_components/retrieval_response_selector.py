"""Rasa's ResponseSelector, run only when a retrieval intent is among the likeliest intents.

The stock selector embeds every message and ranks every topic, ~10-15 ms of a turn's CPU,
although only "prevent ..." and "get help ..." questions ever use its answer (and the
did-you-mean fallback, which offers the top three intents, shows the picked topic). This
subclass trains exactly like the stock one and answers exactly like it for those messages;
for the others it records only the list of retrieval intents, the shape Rasa's
``ActionRetrieveResponse`` checks, and skips the model. Measured in bench.latency.
"""

from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import RESPONSE_SELECTOR_PROPERTY_NAME, RESPONSE_SELECTOR_RETRIEVAL_INTENTS
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def likeliest_intents(message: Message, top: int) -> List[str]:
    """The names of the ``top`` likeliest intents the classifier gave this message."""
    ranking = message.get(INTENT_RANKING_KEY) or []
    names = [entry.get(INTENT_NAME_KEY) for entry in ranking[:top]]
    intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    return [n for n in [intent, *names] if n]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RetrievalResponseSelector(ResponseSelector):
    """ResponseSelector that skips messages no retrieval intent could be meant by."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # how many of the classifier's top intents may name a retrieval intent (3 = the
        # number of did-you-mean buttons)
        return {**ResponseSelector.get_default_config(), "consider_top_intents": 3}

    def process(self, messages: List[Message]) -> List[Message]:
        retrieval = set(self.all_retrieval_intents)
        top = int(self.component_config["consider_top_intents"])
        needed = [m for m in messages if retrieval & set(likeliest_intents(m, top))]
        for message in messages:
            if message not in needed:
                message.set(RESPONSE_SELECTOR_PROPERTY_NAME,
                            {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: list(self.all_retrieval_intents)},
                            add_to_output=True)
        if needed:
            super().process(needed)
        return messages
