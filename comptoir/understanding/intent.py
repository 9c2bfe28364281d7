"""Intent of a message: the model's probabilities, nudged by French and English rules.

Intents: ``complaint``, ``membership`` (joining, renewing, leaving, volunteering), ``question``,
``praise``, ``purchase`` (a buying signal: price, quote, stock, booking), ``other``.

How the decision is made, in order:

1. A message the complaint model calls a complaint has the intent ``complaint``: a dissatisfied
   member asking a question is first a complaint (the same convention labels the training data).
2. Otherwise the intent model's probabilities over the five other intents are renormalised, each
   intent whose keyword rule matches gets a bonus added, and the highest wins. The bonus is
   chosen by ``comptoir train`` on out-of-fold predictions of the training messages (among
   ``RULE_BONUS_GRID``) and stored with the artifacts. The rules are
   cheap, readable cues (``adhésion``, ``devis``, ``how much``, a final ``?``, ``merci``) that
   help where the written training data is thin; the model still decides when the cues conflict.
"""

from __future__ import annotations

import re

import numpy as np

from .lexicons import fold

INTENTS = ("complaint", "membership", "question", "praise", "purchase", "other")
RULE_BONUS = 0.1
RULE_BONUS_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)

# Written against accent-folded, lower-case text (see lexicons.fold).
_RULES = {
    "membership": r"""
        adher\w* | cotisation\w* | devenir (?:membre|adherent\w*|benevole\w*) | rejoindre (?:l'|votre|vos|le|la|les)
        | (?:re)?inscri(?:re|ption|ptions|s|t|vez) (?:au|a la|a l'|mon|ma|mes|nos|notre) | benevol\w* | licencie?s? | licence
        | carte (?:d'adherent|de membre) | membre\w* | renouvel\w* (?:mon|ma|notre|l'|la|de) | resilier (?:mon|ma) adhesion
        | membership\w* | become a member | members? | join\w* (?:the|your|us|you) | sign(?:ed)? up | volunteer\w*
        | renew\w* | registration | register (?:my|for|our)
    """,
    "purchase": r"""
        prix | tarifs? | co[uû]te\w* | combien | devis | acheter | achat | commander | precommander | reserver | reservation
        | billets? | places? (?:pour|en) | en stock | disponibles? | dispo | livrez | expediez | remises? | reductions?
        | promo\w* | abonnement | souscrire | offre\w* | cartes? cadeaux?
        | price\w* | pricing | how much | cost\w* | quote | buy\w* | purchase\w* | pre-?order | order (?:the|a|some|one|two|three)
        | book (?:a|two|the|tickets?) | tickets? | in stock | available | ship (?:to|in) | deliver (?:to|in) | discount\w*
        | plan for | upgrade | subscription | gift cards?
    """,
    "question": r"""
        \?\s*$ | ^(?:comment|pourquoi|ou|quand|quel\w*|est-ce|peut-on|puis-je|faut-il|y a-t-il|combien)\b
        | ^(?:how|what|when|where|why|which|who|can|could|do|does|is|are|will|would)\b
    """,
    "praise": r"""
        merci\w* (?:pour|a|beaucoup|infiniment|mille) | bravo | felicitations | chapeau | genial\w* | formidable | excellent\w*
        | parfait\w* | j'adore | au top | top | super\b | magnifique | superbe | recommande
        | thank\w* (?:you|so|for|to) | thanks (?:to|for|so) | well done | great (?:job|work|service|team) | love (?:the|your|it)
        | amazing | awesome | brilliant | kudos | shout ?out | fantastic | wonderful | excellent | highly recommend
    """,
}


def _compile(pattern: str) -> re.Pattern[str]:
    alternatives = [p.strip() for p in pattern.replace("\n", " ").split(" | ")]
    return re.compile(
        "|".join(f"(?:{p})" if p.startswith(("^", "\\?")) else rf"\b(?:{p})" for p in alternatives if p)
    )


_PATTERNS = {name: _compile(p) for name, p in _RULES.items()}


def rule_hits(text: str) -> set[str]:
    """The intents whose keyword rule matches a text."""
    folded = fold(text[:5000]).strip()
    return {name for name, pattern in _PATTERNS.items() if pattern.search(folded)}


def decide(
    text: str, probs: np.ndarray, is_complaint: bool, bonus: float = RULE_BONUS
) -> tuple[str, np.ndarray]:
    """Return the intent and the adjusted probabilities (ordered as ``INTENTS``)."""
    if is_complaint:
        return "complaint", probs
    adjusted = np.array(probs, dtype=np.float64)
    adjusted[0] = 0.0
    total = adjusted.sum()
    adjusted = adjusted / total if total > 0 else np.full(len(INTENTS), 1.0 / (len(INTENTS) - 1))
    adjusted[0] = 0.0
    for name in rule_hits(text):
        adjusted[INTENTS.index(name)] += bonus
    adjusted /= adjusted.sum()
    return INTENTS[int(adjusted.argmax())], adjusted
