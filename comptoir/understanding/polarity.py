"""Lexicon polarity of a text, in English and in French, as features for the embedding pass.

The embedding model reads a message as a whole and is unsure about short, lexical cues of tone
(« pas terrible », "not bad at all", 😡); a valence lexicon with negation and intensity rules is
good at exactly those. Both are scored with VADER (Hutto & Gilbert, 2014), the ``vaderSentiment``
package (MIT): English with its own lexicon, French with the French VADER lexicon of
``vaderSentiment-fr`` (7 Lieues Technologies, MIT, shipped in ``lexicons/`` with its licence).
VADER's negation and intensity rules are English ones; rewriting French negation, contrast and
intensifiers into them was tried and did not help on the training folds, so French texts are
scored as they are.

Six numbers per text: compound, positive and negative share, for each language. They are cheap
(≈ 0.2 ms a text) next to the embedding (≈ 30 ms), so they are only computed with it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .embeddings import prepare

LEXICONS = Path(__file__).resolve().parent / "lexicons"
NAMES = ("en_compound", "en_pos", "en_neg", "fr_compound", "fr_pos", "fr_neg")
DIM = len(NAMES)

_lock = threading.Lock()
_analysers: tuple | None = None


def _get_analysers():
    global _analysers
    if _analysers is None:
        with _lock:
            if _analysers is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _analysers = (
                    SentimentIntensityAnalyzer(),
                    SentimentIntensityAnalyzer(
                        lexicon_file=str(LEXICONS / "vader_fr_lexicon.txt"),
                        emoji_lexicon=str(LEXICONS / "vader_fr_emoji.txt"),
                    ),
                )
    return _analysers


def _scores(analyser, text: str) -> tuple[float, float, float]:
    s = analyser.polarity_scores(text)
    return s["compound"], s["pos"], s["neg"]


def features(texts: list[str]) -> np.ndarray:
    """An ``(n, 6)`` float32 array: VADER compound, pos and neg in English, then in French."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    if not texts:
        return out
    english, french = _get_analysers()
    for i, text in enumerate(texts):
        # The lexicons read exactly what the embedding model reads (cleaned, first 1,500 characters).
        text = prepare(text)
        if not text:
            continue
        out[i, :3] = _scores(english, text)
        out[i, 3:] = _scores(french, text)
    return out
