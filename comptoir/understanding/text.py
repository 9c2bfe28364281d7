"""Text normalisation and the sparse TF-IDF featuriser of the fast pass.

The same code builds the training matrices (``train/``) and the features at prediction time, so
training and serving can never disagree. It needs only the standard library and numpy.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

# Past this many characters a message is cut for the fast pass: the first few thousand characters
# carry the tone, and a 100 kB paste must not cost more than a normal message.
MAX_CHARS = 3000
# Char n-grams are taken inside words; a "word" longer than this is noise (a hash, a run of letters).
MAX_WORD_CHARS = 30
CHAR_NGRAMS = (3, 5)

_TAG_RE = re.compile(r"<[^>]{0,200}>")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|@url\b|\bhttps?\b", re.IGNORECASE)
_MENTION_RE = re.compile(r"@\w+")
_DIGIT_RE = re.compile(r"\d")
_TOKEN_RE = re.compile(r"\w\w+|[^\w\s]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def clean(text: str) -> str:
    """Repair what channels and datasets put in a message before any model sees it.

    HTML entities are decoded, tags dropped, curly apostrophes straightened, Unicode composed (NFC)
    and whitespace collapsed. Case is kept: the fast featuriser lower-cases, the embedding model
    prefers the original case.
    """
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    if text.isascii():
        if "`" in text:
            text = text.replace("`", "'")
    else:
        text = unicodedata.normalize("NFC", text.translate(_APOSTROPHES))
    return " ".join(text.split())


def normalise_for_features(text: str) -> str:
    """Lower-case and replace the parts that differ between messages but mean the same."""
    text = clean(text[: MAX_CHARS * 2])[:MAX_CHARS].lower()
    text = _URL_RE.sub(" httpurl ", text)
    text = _MENTION_RE.sub(" @user ", text)
    return _DIGIT_RE.sub("0", text)


def word_tokens(normalised: str) -> list[str]:
    return _TOKEN_RE.findall(normalised)


def word_features(tokens: list[str]) -> list[str]:
    """Word unigrams and bigrams (punctuation and emoji count as words: "!!" and "?" carry tone)."""
    feats = list(tokens)
    feats.extend(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return feats


_UPPER_RE = re.compile(r"[A-ZÀ-Ý]")
_LETTER_RE = re.compile(r"[^\W\d_]")
_MONEY_RE = re.compile(r"[$€£]|\b(?:eur|euros?|usd|gbp|dollars?)\b", re.IGNORECASE)


def shape_features(text: str, n_tokens: int) -> list[str]:
    """Pseudo-words for what lower-casing and tokenising lose: shouting, money, length."""
    feats = []
    sample = text[:MAX_CHARS]
    if not sample.islower():  # cheap test first: most messages have a capital or two at most
        caps = len(_UPPER_RE.findall(sample))
        if caps >= 5 and caps > 0.5 * len(_LETTER_RE.findall(sample)):
            feats.append("__shout__")
    if _MONEY_RE.search(sample):
        feats.append("__money__")
    if sample.count("!") >= 2:
        feats.append("__excl__")
    bins = (3, 9, 24, 59)
    feats.append(f"__len{sum(n_tokens > b for b in bins)}__")
    return feats


def char_features(word: str) -> list[str]:
    """Char n-grams (3 to 5) inside one whitespace-separated word, padded with spaces (sklearn's char_wb)."""
    padded = f" {word[:MAX_WORD_CHARS]} "
    lo, hi = CHAR_NGRAMS
    size = len(padded)
    return [padded[i : i + n] for n in range(lo, min(hi, size) + 1) for i in range(size - n + 1)]


def split_features(text: str) -> tuple[list[str], list[str]]:
    """Return the word-level features of a text and the words its char n-grams come from."""
    norm = normalise_for_features(text)
    tokens = word_tokens(norm)
    return word_features(tokens) + shape_features(text, len(tokens)), norm.split()


@dataclass
class SparseRows:
    """A CSR matrix in three numpy arrays: enough for a dot product with dense weights."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_features: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """Return ``self @ weights`` for a dense ``(n_features, k)`` matrix."""
        n, k = self.n_rows, weights.shape[1]
        out = np.zeros((n, k), dtype=np.float64)
        if len(self.indices) == 0:
            return out
        rows = np.repeat(np.arange(n), np.diff(self.indptr))
        contrib = weights[self.indices].astype(np.float64) * self.data[:, None]
        for j in range(k):
            out[:, j] = np.bincount(rows, weights=contrib[:, j], minlength=n)
        return out


class Featuriser:
    """Word (1-2 grams) and char (3-5 grams inside words) TF-IDF with a fixed vocabulary.

    Term frequencies are sublinear (1 + ln tf), weighted by idf, and each block (words, chars) is
    L2-normalised on its own, so that long texts and short texts land on the same scale.
    """

    def __init__(self, words: Sequence[str], chars: Sequence[str], idf: np.ndarray):
        self.words = {w: i for i, w in enumerate(words)}
        offset = len(self.words)
        self.chars = {c: offset + i for i, c in enumerate(chars)}
        self.n_words = offset
        self.n_features = offset + len(self.chars)
        self.idf = np.asarray(idf, dtype=np.float32)
        if len(self.idf) != self.n_features:
            raise ValueError("idf length does not match the vocabulary")
        self._word_chars: dict[str, list[int]] = {}

    def _char_ids(self, word: str) -> list[int]:
        ids = self._word_chars.get(word)
        if ids is None:
            get = self.chars.get
            ids = [i for i in map(get, char_features(word)) if i is not None]
            # Bounded memory for a long-running worker; common words come back quickly.
            if len(self._word_chars) > 200_000:
                self._word_chars = {}
            self._word_chars[word] = ids
        return ids

    def ids(self, text: str) -> list[int]:
        """Feature ids of one text, with repeats (the counts are the term frequencies)."""
        feats, words = split_features(text)
        get = self.words.get
        ids = [i for i in map(get, feats) if i is not None]
        cached = self._word_chars.get
        for word in words:
            char_ids = cached(word)
            ids.extend(char_ids if char_ids is not None else self._char_ids(word))
        return ids

    def transform(self, texts: Sequence[str]) -> SparseRows:
        per_text = [self.ids(t) for t in texts]
        return self.rows_from_ids(per_text)

    def rows_from_ids(self, per_text: list[list[int]]) -> SparseRows:
        n = len(per_text)
        lengths = np.fromiter((len(x) for x in per_text), dtype=np.int64, count=n)
        flat = np.fromiter(chain.from_iterable(per_text), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        keys, counts = np.unique(rows * self.n_features + flat, return_counts=True)
        rows = keys // self.n_features
        cols = keys % self.n_features
        data = (1.0 + np.log(counts)).astype(np.float32) * self.idf[cols]
        # L2 norm per (row, block): block 0 = words, block 1 = chars.
        block = rows * 2 + (cols >= self.n_words)
        sq = np.bincount(block, weights=data.astype(np.float64) ** 2, minlength=2 * n)
        norms = np.sqrt(sq)[block]
        data = (data / np.maximum(norms, 1e-12)).astype(np.float32)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return SparseRows(indptr, cols.astype(np.int32), data, self.n_features)
