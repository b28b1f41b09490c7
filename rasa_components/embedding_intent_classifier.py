"""Rasa intent classifier: :class:`bot.nlp.intent_model.IntentModel` over the sentence embedding.

Needs :class:`~rasa_components.sentence_embeddings.SentenceEmbeddingFeaturizer` earlier
in the pipeline (its dense sentence feature is the embedding). Sets ``intent`` and
``intent_ranking`` like Rasa's own classifiers, so the FallbackClassifier and the
policies work unchanged.
"""

import logging
from typing import Any, Dict, List, Optional, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.intent_model import IntentModel
from rasa_components.sentence_embeddings import SentenceEmbeddingFeaturizer

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class EmbeddingIntentClassifier(IntentClassifier, GraphComponent):
    """Linear intent classifier over a pretrained sentence embedding and character n-grams."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SentenceEmbeddingFeaturizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # inverse regularisation strength of the logistic regression
            "C": 30.0,
            # weight of the character n-gram block next to the (unit-length) embedding; 0 = embedding only
            "text_weight": 1.0,
            "min_ngram": 1,
            "max_ngram": 4,
            "ranking_length": 10,
        }

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[IntentModel] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._model = model or IntentModel(self._config["C"], self._config["text_weight"],
                                           (self._config["min_ngram"], self._config["max_ngram"]))

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "EmbeddingIntentClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "EmbeddingIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                return cls(config, model_storage, resource, IntentModel.load(directory))
        except (ValueError, FileNotFoundError):
            logger.warning("EmbeddingIntentClassifier: no trained model in %s; intents will be empty",
                           resource.name)
            return cls(config, model_storage, resource)

    @staticmethod
    def _embeddings(messages: List[Message]) -> np.ndarray:
        rows = []
        for message in messages:
            _, sentence = message.get_dense_features(TEXT, [])
            if sentence is None:
                raise ValueError("EmbeddingIntentClassifier needs SentenceEmbeddingFeaturizer before it")
            rows.append(sentence.features.reshape(-1))
        return np.stack(rows)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        if not examples:
            logger.debug("EmbeddingIntentClassifier: no intent examples, nothing to train")
            return self._resource
        self._model.fit([m.get(TEXT) for m in examples], self._embeddings(examples),
                        [m.get(INTENT) for m in examples])
        with self._storage.write_to(self._resource) as directory:
            self._model.save(directory)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if not self._model.trained:
            return messages
        having = [m for m in messages if m.get(TEXT)]
        if not having:
            return messages
        rankings = self._model.rank([m.get(TEXT) for m in having], self._embeddings(having),
                                    int(self._config["ranking_length"]))
        for message, ranking in zip(having, rankings):
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
