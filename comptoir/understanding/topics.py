"""Keyphrases of a message, in French and English, for interest matching and trends.

Candidates are runs of up to three content words between stop words and punctuation (the RAKE
idea). French elisions (l', d', qu', j', n', s', c', m', t', jusqu', lorsqu', puisqu') are cut
from the word they stick to; English contractions are stop words, possessives lose their 's. A
candidate scores the sum of its words' inverse document frequencies (taken from the fast model's
vocabulary, so words every message uses score low); the best few are returned, lower-case.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .text import clean

MAX_TOPICS = 5
MAX_PHRASE_WORDS = 3

ELISIONS = ("jusqu'", "lorsqu'", "puisqu'", "quoiqu'", "qu'", "l'", "d'", "j'", "n'", "s'", "c'", "m'", "t'")

STOP_FR = frozenset(
    """
    a à ai aie aient aies ait alors as au aucun aucune aujourd auprès aura aurai auraient aurais
    aurait auras aurez auriez aurons auront aussi autre autres aux avaient avais avait avant avec
    avez aviez avions avoir avons ayant bah beaucoup bien bon bonjour bonsoir bref c ça ca car ce
    ceci cela celle celles celui cependant certain certaine certains ces cet cette ceux chaque chez
    ci comme comment d dans de depuis des deux devant doit donc dont du déjà elle elles en encore
    entre es est et étaient étais était étant été êtes étions être eu eue eues eux eûmes faire fais
    fait faites faut fois font hier ici il ils j je jusqu l la là le les leur leurs lors lui m ma
    mais me même mêmes merci mes moi moins mon n ne ni non nos notre nous on ont ou où par parce
    pas pendant peu peut peuvent peux plus plusieurs pour pourquoi pourtant puis qu quand que quel
    quelle quelles quels qui quoi s sa sans se sera serai seraient serais serait seras serez seriez
    serons seront ses si sien soi soient sois soit sommes son sont sous suis sur t ta te tes toi
    ton toujours tous tout toute toutes très trop tu un une unes uns va vais vas veux vers via voici
    voilà vont vos votre vous vu y oui ok svp stp cordialement madame monsieur salut coucou
    slt bjr mdr lol rien chose choses fait faire dit dire avoir être vraiment juste déjà
    """.split()
)
STOP_EN = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each few for from further get got had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm
    i've if in into is isn't it it's its itself just let's like me more most mustn't my myself no
    nor not now of off on once only or other ought our ours ourselves out over own same shan't she
    she'd she'll she's should shouldn't so some such than thank thanks that that's the their theirs
    them themselves then there there's these they they'd they'll they're they've this those through
    to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's which while who who's whom why why's will with won't would wouldn't you
    you'd you'll you're you've your yours yourself yourselves hi hello hey please ok okay yes yeah
    lol also still really one would could us im dont cant ive thats anyone anything something
    """.split()
)
# Placeholders that datasets and channels put in messages.
NOISE = frozenset({"user", "url", "http", "https", "httpurl", "rt", "amp", "www", "com", "quot", "gt", "lt"})
STOP_WORDS = STOP_FR | STOP_EN | NOISE

_ELISION_RE = re.compile("^(?:" + "|".join(re.escape(e) for e in ELISIONS) + r")(?=\w)")
_TOKEN_RE = re.compile(r"https?://\S+|www\.\S+|@\w+|#?[^\W\d_][\w'-]*|[\w]+|[^\w\s]")


def _normalise_token(token: str) -> str | None:
    """Return the content word a token stands for, or None for a stop word or a boundary."""
    if token.startswith(("http://", "https://", "www.", "@")):
        return None
    token = token.lower().lstrip("#").strip("-'")
    if not token or token in STOP_WORDS:
        return None
    if "'" in token:
        token = _ELISION_RE.sub("", token, count=1)
        if token in STOP_WORDS:
            return None
    if "'" in token:
        head, _, tail = token.partition("'")
        if tail in ("s", "") and head not in STOP_WORDS:
            token = head
        else:
            return None
    if len(token) < 3 or not any(c.isalpha() for c in token) or token in STOP_WORDS:
        return None
    return token


def extract(text: str, idf: Callable[[str], float], k: int = MAX_TOPICS) -> list[str]:
    """Return up to ``k`` keyphrases of a text, best first."""
    phrases: list[list[str]] = []
    current: list[str] = []
    for raw in _TOKEN_RE.findall(clean(text[:5000])):
        word = _normalise_token(raw)
        if word is None:
            if current:
                phrases.append(current)
            current = []
            continue
        if raw.startswith("#"):
            # A hashtag is a topic of its own, not part of the sentence around it.
            if current:
                phrases.append(current)
            phrases.append([word])
            current = []
            continue
        current.append(word)
        if len(current) == MAX_PHRASE_WORDS:
            phrases.append(current)
            current = []
    if current:
        phrases.append(current)

    scored: dict[str, float] = {}
    for words in phrases:
        phrase = " ".join(words)
        scored[phrase] = max(scored.get(phrase, 0.0), sum(idf(w) for w in words))
    chosen: list[str] = []
    seen_words: set[str] = set()
    for phrase, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0])):
        words = set(phrase.split())
        if words <= seen_words:
            continue
        chosen.append(phrase)
        seen_words |= words
        if len(chosen) == k:
            break
    return chosen
