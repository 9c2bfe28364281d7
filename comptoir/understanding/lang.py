"""Language identification with py3langid, made safe for short and mixed messages.

py3langid is a character n-gram naive Bayes over 100+ languages. On "Merci !" or "ok" it guesses
wildly (Czech, Serbian...). The rules here:

* no letters at all (emoji, digits, punctuation) → the fallback language, or ``"und"``;
* a message mixing French and English (at least two function words of each) → the fallback
  language when it is one of the two, else the more likely of the two;
* a confident guess (normalised probability ≥ ``MIN_CONFIDENCE``) on a text with at least
  ``MIN_LETTERS`` letters → that language;
* otherwise (short or unsure) → the fallback language when one is given, else the more likely of
  French and English, the two languages Comptoir serves first.

Only ISO 639-1 codes (two letters) are returned; py3langid's three-letter codes count as unsure.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

MIN_CONFIDENCE = 0.8
MIN_LETTERS = 12
_FR_WORDS = frozenset(
    "le la les des du un une est et je tu il nous vous ils pour pas avec sur dans ce cette qui que "
    "mon ma mes votre vos merci bonjour très mais où à tous hier aussi".split()
)
_EN_WORDS = frozenset(
    "the and is are you for with my your this that it we not have has was were thanks please "
    "hello what where when".split()
)
_WORD_RE = re.compile(r"\w+")
PREFERRED = ("fr", "en")
UNDETERMINED = "und"

_LETTER_RE = re.compile(r"[^\W\d_]")
_URL_MENTION_RE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")
# py3langid reads a text's first few hundred characters just as well as all of it.
MAX_CHARS = 600

_lock = threading.Lock()
_identifier = None
_columns: dict[str, int] = {}


def _get_identifier():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                for i, lang in enumerate(ident.nb_classes):
                    _columns.setdefault(lang, i)  # aliases fold into their first column
                _identifier = ident
    return _identifier


def _probabilities(text: str) -> tuple[str, float, Callable[[str], float]]:
    """Top language, its probability, and a function giving any language's probability."""
    ident = _get_identifier()
    try:
        # rank() sorts 100+ languages on every call; the score vector alone is four times cheaper.
        scores = ident._decide(text)
    except AttributeError:  # another py3langid version: its public API
        ranked = dict(ident.rank(text))
        top = max(ranked, key=ranked.__getitem__)
        return top, float(ranked[top]), lambda lang: float(ranked.get(lang, 0.0))
    top = int(scores.argmax())

    def prob(lang: str) -> float:
        i = _columns.get(lang)
        return float(scores[i]) if i is not None else 0.0

    return ident.nb_classes[top], float(scores[top]), prob


def detect(text: str, fallback: str | None = None) -> tuple[str, float]:
    """Return ``(language, confidence)`` for a text; see the module docstring for the rules."""
    fallback = (fallback or "").strip().lower()[:2] or None
    body = _URL_MENTION_RE.sub(" ", text[: MAX_CHARS * 2])[:MAX_CHARS]
    letters = len(_LETTER_RE.findall(body))
    if letters == 0:
        return (fallback or UNDETERMINED), 0.0
    top, conf, prob = _probabilities(body)
    words = [w.lower() for w in _WORD_RE.findall(body)]
    if sum(w in _FR_WORDS for w in words) >= 2 and sum(w in _EN_WORDS for w in words) >= 2:
        if fallback in PREFERRED:
            return fallback, float(prob(fallback))
        best = max(PREFERRED, key=lambda lang: prob(lang))
        return best, float(prob(best))
    if letters >= MIN_LETTERS and conf >= MIN_CONFIDENCE and len(top) == 2:
        return top, float(conf)
    if fallback:
        return fallback, float(prob(fallback))
    best = max(PREFERRED, key=lambda lang: prob(lang))
    return best, float(prob(best))


def checked(declared: str, text: str) -> str:
    """The language a message declares, unless detection is sure the text is in another one.

    People leave their app's default language on whatever they write (a Bluesky post's ``langs``
    says English on a French post): the declared language is kept when detection agrees or is
    unsure (short or mixed texts), else the detected one is returned. No declaration: ``""``.
    """
    declared = (declared or "").strip()
    if not declared:
        return ""
    detected, _confidence = detect(text, fallback=declared)
    return declared if detected == declared.lower()[:2] else detected
