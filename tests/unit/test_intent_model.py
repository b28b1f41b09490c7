"""The intent model behind EmbeddingIntentClassifier: fit, rank, save/load without pickle."""

from pathlib import Path

import numpy as np
import pytest

from bot.nlp.intent_model import IntentModel

TEXTS = ["I cant close november", "close is blocked again", "hello there", "hi closebot",
         "open a ticket pls", "raise an incident for this"]
LABELS = ["report_blocked_close", "report_blocked_close", "greet", "greet", "open_ticket", "open_ticket"]


def embeddings(n: int, dims: int = 16, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dims)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_learns_the_training_examples_and_ranks_all_intents() -> None:
    model = IntentModel().fit(TEXTS, embeddings(6), LABELS)
    rankings = model.rank(TEXTS, embeddings(6))
    assert [r[0]["name"] for r in rankings] == LABELS
    assert all(abs(sum(x["confidence"] for x in r) - 1.0) < 1e-6 for r in rankings)
    assert all(r[0]["confidence"] >= r[1]["confidence"] >= r[2]["confidence"] for r in rankings)


def test_character_ngrams_carry_typos_when_the_embedding_does_not_help() -> None:
    # identical embeddings: only the text block can tell the intents apart
    same = np.ones((6, 16), dtype=np.float32) / 4.0
    model = IntentModel(text_weight=1.0).fit(TEXTS, same, LABELS)
    assert model.rank(["opn a tiket pls"], same[:1])[0][0]["name"] == "open_ticket"
    blind = IntentModel(text_weight=0.0).fit(TEXTS, same, LABELS)
    probabilities = blind.predict_proba(["opn a tiket pls"], same[:1])[0]
    assert probabilities.max() - probabilities.min() < 1e-3  # embedding alone cannot decide


def test_save_and_load_give_the_same_probabilities_without_pickle(tmp_path: Path) -> None:
    model = IntentModel(c=5.0).fit(TEXTS, embeddings(6), LABELS)
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coef.npy", "idf.npy", "intent_model.json",
                                                          "intercept.npy"]
    loaded = IntentModel.load(tmp_path)
    queries = ["cant close the month", "yo"]
    assert np.allclose(model.predict_proba(queries, embeddings(2, seed=3)),
                       loaded.predict_proba(queries, embeddings(2, seed=3)), atol=1e-6)
    assert loaded.c == 5.0 and loaded.classes == model.classes


def test_two_and_one_intent_models() -> None:
    two = IntentModel().fit(TEXTS[:4], embeddings(4), LABELS[:4])
    assert [r[0]["name"] for r in two.rank(TEXTS[:4], embeddings(4))] == LABELS[:4]
    one = IntentModel().fit(TEXTS[:2], embeddings(2), LABELS[:2])
    assert one.rank(["anything"], embeddings(1))[0] == [{"name": "report_blocked_close", "confidence": 1.0}]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        IntentModel().fit(TEXTS, embeddings(5), LABELS)
    with pytest.raises(RuntimeError):
        IntentModel().predict_proba(["hi"], embeddings(1))
