"""Sends noise to the fallback: a message ``bot.nlp.noise`` calls noise gets ``nlu_fallback``
with full confidence, no other intents and no entities, so no diagnosis, slot or ticket can
follow from it. Last in the pipeline, after every classifier and extractor."""

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.noise import is_noise


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NoiseFilter(GraphComponent):
    """Marks noise as ``nlu_fallback`` (see the module docstring)."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "NoiseFilter":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if is_noise(message.get(TEXT) or ""):
                message.set(INTENT, {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0},
                            add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                message.set(ENTITIES, [], add_to_output=True)
        return messages
