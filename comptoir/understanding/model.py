"""The trained heads, loaded from ``artifacts/`` and evaluated with numpy only.

Artifacts are plain data, never pickles:

* ``meta.json``       — version, heads (labels, column ranges, blend weight, escalation threshold);
* ``fast_vocab.json`` — the fast pass's word and char n-gram vocabularies (order = column);
* ``fast.npz``        — idf, int8 weights with one scale per column, biases;
* ``embed.npz``       — the embedding pass: the mean and scale that standardise its inputs (the
  384-d embedding followed by the six lexicon polarity features of ``polarity.py``), the kernel
  centres of every map one after the other (``offsets`` marks where each map's rows start) and
  their RBF ``gamma``, and the heads' weights (one row per centre) and biases (one row per map).

Each head is a multinomial logistic regression (binary heads are stored as two columns, the first
all zeros, so a softmax gives the sigmoid). In the embedding pass it reads, instead of the inputs
themselves, their RBF similarities to about a thousand centres (k-means centres of the
standardised training inputs): a Nyström approximation of a kernel machine, whose whitening matrix
is folded into the weights at training time. There are several such maps, from k-means runs with
different seeds, each with its own heads; the embedding pass's probabilities are their mean, which
keeps the output steady when a rebuild's k-means finds other centres.
``np.load(..., allow_pickle=False)`` refuses anything but arrays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .intent import RULE_BONUS
from .text import Featuriser

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
HEADS = ("sentiment", "toxicity", "spam", "complaint", "intent")


@dataclass(frozen=True)
class Head:
    name: str
    labels: tuple[str, ...]
    start: int  # first column of this head in the weight matrices
    blend: float  # weight of the fast pass when the embedding pass also ran
    threshold: float  # below this fast-pass confidence, the item goes to the embedding pass

    @property
    def stop(self) -> int:
        return self.start + len(self.labels)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def embed_inputs(vectors: np.ndarray, texts: list[str]) -> np.ndarray:
    """What the embedding pass's heads read: the embeddings, then the texts' lexicon polarity."""
    from . import polarity

    return np.hstack([np.asarray(vectors, dtype=np.float32), polarity.features(texts)])


def kernel_features(
    x: np.ndarray, mean: np.ndarray, scale: np.ndarray, centres: np.ndarray, gamma: float
) -> np.ndarray:
    """``exp(-gamma * |z - c|²)`` for the standardised inputs ``z`` and each centre ``c``: ``(n, m)``."""
    z = (np.asarray(x, dtype=np.float64) - mean) / scale
    d2 = (z * z).sum(axis=1)[:, None] + (centres * centres).sum(axis=1)[None, :] - 2.0 * (z @ centres.T)
    np.maximum(d2, 0.0, out=d2)
    d2 *= -gamma
    return np.exp(d2, out=d2)


def quantise(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 quantisation with one scale per column."""
    scale = np.abs(weights).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(weights / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


class Models:
    """Every head of both passes, ready to predict."""

    def __init__(self, directory: Path = ARTIFACTS_DIR):
        self.directory = Path(directory)
        meta = json.loads((self.directory / "meta.json").read_text(encoding="utf-8"))
        self.meta = meta
        self.version: str = meta["model_version"]
        self.rule_bonus = float(meta.get("intent_rule_bonus", RULE_BONUS))
        self.heads = {
            h["name"]: Head(h["name"], tuple(h["labels"]), h["start"], h["blend"], h["threshold"])
            for h in meta["heads"]
        }
        vocab = json.loads((self.directory / "fast_vocab.json").read_text(encoding="utf-8"))
        with np.load(self.directory / "fast.npz", allow_pickle=False) as z:
            idf = z["idf"]
            self.fast_w = z["weights"].astype(np.float32) * z["scale"]
            self.fast_b = z["bias"].astype(np.float64)
        with np.load(self.directory / "embed.npz", allow_pickle=False) as z:
            self.embed_mean = z["mean"].astype(np.float64)
            self.embed_scale = z["scale"].astype(np.float64)
            self.centres = z["centres"].astype(np.float64)
            self.offsets = z["offsets"].astype(np.int64)
            self.gamma = float(z["gamma"][0])
            self.embed_w = z["weights"].astype(np.float64)
            self.embed_b = z["bias"].astype(np.float64)
        self.featuriser = Featuriser(vocab["words"], vocab["chars"], idf)
        self._word_idf = {w: float(idf[i]) for w, i in self.featuriser.words.items() if " " not in w}
        self._max_idf = float(idf[: self.featuriser.n_words].max()) if self.featuriser.n_words else 1.0

    def idf(self, word: str) -> float:
        """Inverse document frequency of a word in the training texts (rare words score high)."""
        return self._word_idf.get(word, self._max_idf)

    def _split(self, logits: np.ndarray) -> dict[str, np.ndarray]:
        return {name: softmax(logits[:, h.start : h.stop].copy()) for name, h in self.heads.items()}

    def fast_probs(self, texts: list[str]) -> dict[str, np.ndarray]:
        rows = self.featuriser.transform(texts)
        return self._split(rows.dot(self.fast_w) + self.fast_b)

    def embed_probs(self, vectors: np.ndarray, texts: list[str]) -> dict[str, np.ndarray]:
        """Probabilities of the embedding pass for ``texts``, given their embeddings."""
        k = kernel_features(
            embed_inputs(vectors, texts), self.embed_mean, self.embed_scale, self.centres, self.gamma
        )
        per_map = [
            self._split(k[:, a:b] @ self.embed_w[a:b] + self.embed_b[j])
            for j, (a, b) in enumerate(zip(self.offsets[:-1], self.offsets[1:], strict=True))
        ]
        return {name: sum(p[name] for p in per_map) / len(per_map) for name in self.heads}

    def blend(self, fast: dict[str, np.ndarray], embedded: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {
            name: h.blend * fast[name] + (1.0 - h.blend) * embedded[name] for name, h in self.heads.items()
        }

    def unsure(self, fast: dict[str, np.ndarray]) -> np.ndarray:
        """Items where some head's fast-pass confidence is under its threshold."""
        n = len(next(iter(fast.values())))
        mask = np.zeros(n, dtype=bool)
        for name, h in self.heads.items():
            mask |= fast[name].max(axis=1) < h.threshold
        return mask
