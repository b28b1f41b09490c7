"""Drops the entities of an out-of-scope message: "my payslip for March", "sales tax in
California", "现金流量表怎么编" name a period or a module word, but Closebot does nothing with
them, and a slot filled from them would silently change the close being talked about. After the
classifiers (``FallbackClassifier`` included), so only the final intent counts."""

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message

OUT_OF_SCOPE = "out_of_scope"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OutOfScopeEntityFilter(GraphComponent):
    """Empties the entities of messages classified ``out_of_scope`` (see the module docstring)."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "OutOfScopeEntityFilter":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == OUT_OF_SCOPE and message.get(ENTITIES):
                message.set(ENTITIES, [], add_to_output=True)
        return messages
