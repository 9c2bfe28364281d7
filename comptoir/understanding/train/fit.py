"""Fitting the heads (scikit-learn's logistic regression, k-means for the kernel maps) and choosing
each head's cascade (blend weight, escalation threshold) on out-of-fold predictions.

scikit-learn is imported inside the functions: it is only needed by ``comptoir train`` (the
``train`` extra), never by serving.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..intent import RULE_BONUS, RULE_BONUS_GRID
from .data import SEED, HeadSpec

FOLDS = 3
BLEND_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
THRESHOLD_GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99)
# The escalation threshold is the lowest one whose out-of-fold macro-F1 stays within this of
# sending everything to the embedding pass.
THRESHOLD_TOLERANCE = 0.01
TOL = 1e-6
# The embedding pass's kernel: RBF similarities to this many k-means centres of the standardised
# inputs (384-d embedding + lexicon polarity), with gamma = 1 / width. Chosen on the training
# folds: on out-of-fold sentiment tweets it reads 0.70 in French and 0.67 in English where the
# linear heads read 0.67 and 0.66, and toxicity 0.864 where they read 0.851.
KERNEL_CENTRES = 1000
# A centre is the mean of at least this many training texts: a centre that stands for one or two
# texts is an outlier, not a region of meaning, and would put a single text's vector in the artifacts.
MIN_CENTRE_TEXTS = 3
# The embedding pass averages the heads of this many kernel maps, whose k-means start from seeds
# SEED, SEED + 1, … . k-means lands on other centres after a tiny change of its inputs (another
# CPU's rounding of the embeddings), and one map's heads then moved French and English dev
# sentiment by about ±0.01 from seed to seed; the average of four moves much less.
KERNEL_MAPS = 4


def fit_head(x, y: Sequence[str], labels: tuple[str, ...], c: float, class_weight: str | None, weights=None):
    """Fit a logistic regression; return (weights (d, k), bias (k,)) in ``labels`` order."""
    from sklearn.linear_model import LogisticRegression

    present = sorted(set(y))
    d = x.shape[1]
    if len(present) == 1:  # tiny subsets (tests): a constant head
        w = np.zeros((d, len(labels)))
        b = np.full(len(labels), -10.0)
        b[labels.index(present[0])] = 10.0
        return w, b
    # A tight tolerance: L2 logistic regression has one optimum, and converging close to it makes a
    # rebuild on another CPU (other BLAS kernels, other rounding) land on the same weights.
    model = LogisticRegression(C=c, max_iter=20000, tol=TOL, class_weight=class_weight)
    model.fit(x, list(y), sample_weight=None if weights is None else np.asarray(weights, dtype=np.float64))
    classes = list(model.classes_)
    w = np.zeros((d, len(labels)))
    b = np.zeros(len(labels))
    if len(classes) == 2:
        # sklearn keeps one vector, for the second class; softmax([0, z]) is sigmoid(z).
        idx = labels.index(classes[1])
        w[:, idx] = model.coef_[0]
        b[idx] = model.intercept_[0]
    else:
        for j, cls in enumerate(classes):
            w[:, labels.index(cls)] = model.coef_[j]
            b[labels.index(cls)] = model.intercept_[j]
    # A label absent from this training set (small subsets) is never predicted.
    b[[i for i, label in enumerate(labels) if label not in classes]] = -30.0
    return w, b


def fit_fold(keep: np.ndarray, x, y: Sequence[str], weights: np.ndarray, spec: HeadSpec, c: float):
    """``_fit`` on the rows a training fold keeps (``keep`` is a boolean mask over ``x``'s rows)."""
    return fit_head(
        x[keep],
        [lab for lab, k in zip(y, keep, strict=True) if k],
        spec.labels,
        c,
        spec.class_weight,
        weights[keep],
    )


@dataclass
class KernelMap:
    """The embedding pass's feature map, fitted once on every embedding row of every head."""

    mean: np.ndarray
    scale: np.ndarray
    centres: np.ndarray
    gamma: float
    whitening: np.ndarray  # (m, m): K(centres, centres)^-1/2, so that phi·phi ≈ the RBF kernel

    @classmethod
    def fit(cls, x: np.ndarray, n_centres: int = KERNEL_CENTRES, seed: int = SEED) -> KernelMap:
        from sklearn.cluster import KMeans

        from ..model import kernel_features

        def as_stored(a: np.ndarray, dtype=np.float32) -> np.ndarray:
            # Used as stored, so that training and serving compute the same thing.
            return a.astype(dtype).astype(np.float64)

        x = np.asarray(x, dtype=np.float64)
        mean = as_stored(x.mean(axis=0))
        scale = x.std(axis=0)
        scale[scale < 1e-6] = 1.0
        scale = as_stored(scale)
        z = (x - mean) / scale
        k = max(1, min(n_centres, len(z) // MIN_CENTRE_TEXTS))
        kmeans = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(z)
        keep = np.bincount(kmeans.labels_, minlength=k) >= MIN_CENTRE_TEXTS
        if not keep.any():  # fewer texts than a centre needs (tiny test subsets)
            keep[:] = True
        # Half precision (three significant digits of a standardised mean) halves the artifacts'
        # largest array and moves no similarity by more than about 1e-3.
        centres = as_stored(kmeans.cluster_centers_[keep], np.float16)
        gamma = 1.0 / x.shape[1]
        u, s, _ = np.linalg.svd(kernel_features(centres, 0.0, 1.0, centres, gamma))
        whitening = u / np.sqrt(np.maximum(s, 1e-12))
        return cls(mean, scale, centres, gamma, whitening)

    def features(self, x: np.ndarray) -> np.ndarray:
        from ..model import kernel_features

        return kernel_features(x, self.mean, self.scale, self.centres, self.gamma) @ self.whitening


def probabilities(x, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    from ..model import softmax

    return softmax(np.asarray(x @ w) + b)


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(list(y_true), list(y_pred), average="macro", zero_division=0))


def stratified_folds(labels: Sequence[str]) -> list[np.ndarray]:
    from sklearn.model_selection import StratifiedKFold

    counts = Counter(labels)
    k = min(FOLDS, min(counts.values())) if len(counts) > 1 else 1
    if k < 2:
        return []
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=SEED)
    return [test for _, test in skf.split(np.zeros(len(labels)), list(labels))]


def choose_cascade(spec: HeadSpec, y: list[str], p_fast: np.ndarray, p_embed: np.ndarray) -> dict:
    """Pick the blend weight, then the lowest threshold that loses at most THRESHOLD_TOLERANCE."""
    labels = np.array(spec.labels)
    blends = {w: macro_f1(y, labels[(w * p_fast + (1 - w) * p_embed).argmax(1)]) for w in BLEND_GRID}
    best_w = max(BLEND_GRID, key=lambda w: (round(blends[w], 4), -w))
    full = blends[best_w]
    mixed = best_w * p_fast + (1 - best_w) * p_embed
    conf = p_fast.max(1)
    curve = []
    for t in THRESHOLD_GRID:
        esc = conf < t
        pred = np.where(esc[:, None], mixed, p_fast).argmax(1)
        curve.append(
            {
                "threshold": t,
                "macro_f1": round(macro_f1(y, labels[pred]), 4),
                "escalated": round(float(esc.mean()), 4),
            }
        )
    threshold = next((c["threshold"] for c in curve if c["macro_f1"] >= full - THRESHOLD_TOLERANCE), 1.0)
    return {
        "blend": best_w,
        "threshold": threshold,
        "oof_fast_macro_f1": round(macro_f1(y, labels[p_fast.argmax(1)]), 4),
        "oof_embed_macro_f1": round(macro_f1(y, labels[p_embed.argmax(1)]), 4),
        "oof_blend_macro_f1": round(full, 4),
        "oof_blend_by_weight": {str(k): round(v, 4) for k, v in blends.items()},
        "oof_threshold_curve": curve,
    }


def choose_rule_bonus(texts: list[str], y: list[str], probs: np.ndarray) -> tuple[float, dict[str, float]]:
    """The intent rules' bonus with the best out-of-fold macro-F1 (ties: the smallest)."""
    from ..intent import INTENTS, decide

    if len(set(y)) < 2:
        return RULE_BONUS, {}
    scores = {}
    for bonus in RULE_BONUS_GRID:
        pred = [
            decide(t, p, INTENTS[int(p.argmax())] == "complaint", bonus)[0]
            for t, p in zip(texts, probs, strict=True)
        ]
        scores[bonus] = round(macro_f1(y, pred), 4)
    best = max(RULE_BONUS_GRID, key=lambda b: (scores[b], -b))
    return best, {str(k): v for k, v in scores.items()}
