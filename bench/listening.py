"""Listening at scale: items per second through 1,000 queries, compiled matcher against the naive evaluator.

    .venv/bin/python bench/listening.py [--items 100000] [--queries 1000] [--naive-items 2000] [--seed 7]

Generates, from ``--seed``, ``--queries`` realistic queries for 25 workspaces (each its brand written
several ways, its rivals, its themes with NEAR and phrases, French and English, NOT, fields, prefixes) and
``--items`` realistic messages (French 65 %, English 30 %, Spanish 5 %; 10 to 60 words; hashtags,
mentions, links, elisions, rivals and brands mentioned in about a third; articles with titles). No
database: this measures :mod:`comptoir.listening` alone, reading each message (normalising its words)
included.

The compiled :class:`Matcher` reads every item; the naive evaluator (every query's tree walked over every
item) reads the first ``--naive-items`` only, and its rate is extrapolated from them — the output says so.
Both must give the same matches on those items. Times are CPU seconds of this process (one thread), so
the rates are per core. Prints details, then
``listening: items=N queries=Q compiled_items_per_s=… naive_items_per_s=… ratio=…``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from comptoir.listening.matcher import Doc, Matcher, evaluate  # noqa: E402
from comptoir.listening.querylang import parse  # noqa: E402

WORDS_FR = ("bonjour merci adhésion cotisation carte atelier réparation vélo piste cyclable parking gare sortie "
            "samedi dimanche balade bénévoles association question tarif étudiant commande livraison retard "
            "remboursement service client produit sérum crème parfum flacon recyclé peau douce rougeurs déçue "
            "super génial nul arnaque attente réponse horaires ouverture fermeture vacances événement inscription "
            "concours gagnant lot newsletter lettre mensuelle réunion mairie métropole quartier ville sécurité "
            "casque enfants famille cargo occasion prix promo code magasin boutique en ligne colis perdu abonnement "
            "facture appli mise à jour bug panne écran batterie chargeur garantie échange vendeur conseil qualité "
            "le la les un une des du de et ou mais donc pour avec sans sur dans chez très trop pas plus encore "
            "déjà vraiment jamais toujours mon ma mes votre vos nous vous ils elles est sont était fait avoir").split()
WORDS_EN = ("hello thanks membership fee card workshop repair bike lane parking station ride saturday sunday "
            "volunteers question price student order delivery late refund customer service product serum cream "
            "perfume bottle recycled skin soft great awful scam waiting answer opening hours holiday event signup "
            "contest winner newsletter meeting city council safety helmet kids family cargo second hand shop "
            "parcel lost subscription invoice app update bug outage screen battery charger warranty exchange seller "
            "the a an and or but so for with without on in at very too not more still already really never always "
            "my your our their is are was has have just got").split()
WORDS_ES = "hola gracias pedido entrega tarde reembolso servicio cliente producto tienda precio muy malo bueno".split()
ELISIONS = ("l'", "d'", "j'", "qu'", "n'", "s'", "c'")
SYLLABLES = ("ve lo ra cy clix bio derm na tu lu mi so la ko za pe ri to va ne mo ba li fa ro gu ti ka "
             "dro fen gal hor jun kel mar nov pol qui rus sel tam ul vor wen xa yo zel bri cor dal est flo").split()
THEMES_FR = [("livraison", "commande", "colis"), ("retard", "perdu*", "attente"), ("rembours*", "facture", "prix"),
             ("nul", "arnaque", "déçue"), ("génial", "super", "merci"), ("panne", "bug", "écran"),
             ("garantie", "échange", "vendeur")]
THEMES_EN = [("delivery", "order", "parcel"), ("late", "lost", "waiting"), ("refund*", "invoice", "price"),
             ("awful", "scam", "never"), ("great", "thanks", "love"), ("outage", "bug", "screen"),
             ("warranty", "exchange", "seller")]
PHRASES_FR = ["service client", "piste cyclable", "mise à jour", "en ligne", "code promo", "atelier de réparation"]
PHRASES_EN = ["customer service", "bike lane", "second hand", "city council", "opening hours"]
SITES = ["lemonde.fr", "leprogres.fr", "rue89lyon.fr", "example.org", "bbc.co.uk", "theguardian.com",
         "reddit.com", "youtube.com", "medium.com", "blog.example.org"]
CHANNELS = {"mastodon": 30, "bluesky": 25, "rss": 15, "discourse": 10, "email": 8, "web": 7, "webhook": 5}


def brand_names(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if len(name) >= 5:
            names.add(name + rng.choice(["", "", "", " Cité", " Bio", " Shop", " & Co"]))
    return sorted(names)


def slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def brand_term(rng: random.Random, name: str) -> str:
    """A brand as people write it in a query: a word, a phrase, a hashtag, a mention, or all of these."""
    quoted = f'"{name}"' if " " in name else name
    return rng.choice([quoted, f"({quoted} OR #{slug(name)} OR @{slug(name)})", f"#{slug(name)}",
                       f"({quoted} OR {slug(name)})", quoted])


def theme(rng: random.Random, lang: str) -> str:
    words = rng.choice(THEMES_FR if lang == "fr" else THEMES_EN)
    return "(" + " OR ".join(rng.sample(words, rng.randint(2, 3))) + ")"


def workspace_queries(rng: random.Random, brand: str, rivals: list[str], n: int) -> list[str]:
    templates = [
        lambda lang: brand_term(rng, brand),
        lambda lang: f"{brand_term(rng, brand)} {theme(rng, lang)}",
        lambda lang: f"{brand_term(rng, brand)} NEAR/5 {theme(rng, lang)}",
        lambda lang: f"{theme(rng, lang)} NEAR/{rng.randint(2, 8)} {theme(rng, lang)} {brand_term(rng, brand)}",
        lambda lang: " OR ".join(brand_term(rng, r) for r in rng.sample(rivals, 3)),
        lambda lang: f"{brand_term(rng, rng.choice(rivals))} {theme(rng, lang)} lang:{lang}",
        lambda lang: f"{brand_term(rng, brand)} NOT (concours OR giveaway OR contest)",
        lambda lang: f"{brand_term(rng, brand)} channel:{rng.choice(list(CHANNELS))}",
        lambda lang: f"site:{rng.choice(SITES)} {brand_term(rng, brand)}",
        lambda lang: f"author:@{slug(brand)} OR @{slug(brand)}",
        lambda lang: f"{slug(brand)[:4]}* {theme(rng, lang)}",
        lambda lang: f"title:{slug(brand)} OR title:\"{rng.choice(PHRASES_FR if lang == 'fr' else PHRASES_EN)}\"",
        lambda lang: f"\"{rng.choice(PHRASES_FR if lang == 'fr' else PHRASES_EN)}\" ONEAR/4 {theme(rng, lang)} "
                     f"{brand_term(rng, brand)}",
        lambda lang: f"({brand_term(rng, brand)} OR {brand_term(rng, rng.choice(rivals))}) lang:{lang} NOT spam",
        lambda lang: f"\"{rng.choice(PHRASES_FR if lang == 'fr' else PHRASES_EN)}\" NEAR/3 {theme(rng, lang)}",
    ]
    return [rng.choice(templates)(rng.choice(["fr", "fr", "en"])) for _ in range(n)]


def make_queries(rng: random.Random, n: int, brands: list[str]) -> dict[str, str]:
    workspaces = 25
    per = -(-n // workspaces)
    queries: dict[str, str] = {}
    for w in range(workspaces):
        brand = brands[w]
        rivals = rng.sample(brands[workspaces:], 8)
        for i, q in enumerate(workspace_queries(rng, brand, rivals, per)):
            if len(queries) < n:
                queries[f"ws{w}-q{i}"] = q
    return queries


FUNCTION_WORDS = {
    "fr": "le la les un une des du de et ou mais donc pour avec sans sur dans chez très trop pas plus encore déjà "
          "vraiment jamais toujours mon ma mes votre vos nous vous ils elles est sont était fait ai a ce cette "
          "qui que il je on y en au aux".split(),
    "en": "the a an and or but so for with without on in at very too not more still already really never always "
          "my your our their is are was has have just got i you we it this that to of".split(),
    "es": "el la los las un una y o pero para con sin en muy no más mi tu es son".split(),
}
CONTENT_WORDS = {"fr": [w for w in WORDS_FR if w not in FUNCTION_WORDS["fr"]],
                 "en": [w for w in WORDS_EN if w not in FUNCTION_WORDS["en"]], "es": WORDS_ES}


class Vocabulary:
    """Words of one language as people use them, drawn by Zipf's law (the k-th most common word k times rarer
    than the first): function words first, then topic words mixed with the first of a long tail of rarer
    words. A topic word is then in a few messages in a hundred, as in real posts (drawn uniformly from a
    short list, every topic word would be in every fifth message)."""

    def __init__(self, rng: random.Random, lang: str, tail: int = 5000) -> None:
        rare = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(tail)})
        rng.shuffle(rare)
        topical = list(CONTENT_WORDS[lang]) + rare[:400]
        rng.shuffle(topical)
        self.ranked = FUNCTION_WORDS[lang] + topical + rare[400:]
        self.content = CONTENT_WORDS[lang]
        self.rare = rare
        self.cum = list(accumulate(1 / (k + 1) for k in range(len(self.ranked))))

    def words(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.ranked, cum_weights=self.cum, k=n)


def make_item(rng: random.Random, i: int, brands: list[str], vocabularies: dict[str, Vocabulary]) -> dict:
    lang = rng.choices(["fr", "en", "es"], weights=[65, 30, 5])[0]
    vocabulary = vocabularies[lang]
    words = vocabulary.words(rng, rng.randint(10, 60))
    if lang == "fr":
        for _ in range(rng.randint(0, 3)):
            k = rng.randrange(len(words))
            words[k] = rng.choice(ELISIONS) + words[k]
    if lang != "es" and rng.random() < 0.15:  # a complaint or a thank-you, in the words of the themes
        phrase = rng.choice(PHRASES_FR if lang == "fr" else PHRASES_EN)
        theme_words = [w.rstrip("*") for w in rng.choice(THEMES_FR if lang == "fr" else THEMES_EN)]
        snippet = [phrase, *vocabulary.words(rng, rng.randint(0, 4)), rng.choice(theme_words)]
        if rng.random() < 0.5:
            snippet.reverse()
        words[rng.randrange(len(words)):0] = snippet
    if rng.random() < 0.35:
        brand = rng.choice(brands[:25] if rng.random() < 0.5 else brands)
        written = rng.choice([brand, brand.upper(), "#" + slug(brand), "@" + slug(brand), slug(brand)])
        words.insert(rng.randrange(len(words) + 1), written)
    if rng.random() < 0.25:
        words.insert(rng.randrange(len(words) + 1),
                     "#" + rng.choice(vocabulary.content) + rng.choice(["", "taf", "2026"]))
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words) + 1), f"@{rng.choice(vocabulary.rare)}_{rng.randint(1, 99)}")
    url = ""
    if rng.random() < 0.3:
        url = f"https://{rng.choice(['', 'www.', 'blog.'])}{rng.choice(SITES)}/{rng.choice(vocabulary.rare)}/{i}"
        if rng.random() < 0.5:
            words.append(url)
    if rng.random() < 0.1:
        words.append(rng.choice(["🚲", "😡", "👍", "🙏"]))
    text = " ".join(words).capitalize() + rng.choice([".", " !", " ?", "…", ""])
    channel = rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
    title = " ".join(vocabulary.words(rng, rng.randint(4, 10))).capitalize() if channel == "rss" else ""
    return {"id": i, "text": text, "title": title, "author": f"@membre{rng.randint(1, 20000)}", "url": url,
            "lang": lang, "channel": channel}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--naive-items", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    brands = brand_names(rng, 200)
    queries = make_queries(rng, args.queries, brands)
    vocabularies = {lang: Vocabulary(rng, lang) for lang in ("fr", "en", "es")}
    items = [make_item(rng, i, brands, vocabularies) for i in range(args.items)]
    print(f"generated {len(items):,} items and {len(queries):,} queries (seed {args.seed}); for example:")
    for q in list(queries.values())[:6]:
        print(f"  {q}")

    t0 = time.process_time()
    trees = {key: parse(q) for key, q in queries.items()}
    t1 = time.process_time()
    # Which words are rare is learnt from a sample, as a worker would from its latest messages.
    matcher = Matcher(trees, sample=[Doc(**item) for item in items[:args.sample]])
    t2 = time.process_time()
    last = Matcher({k: v for k, v in list(trees.items())[:-1]})
    key, tree = list(trees.items())[-1]
    t3 = time.perf_counter()
    last.add(key, tree)
    add_ms = (time.perf_counter() - t3) * 1000
    print(f"parse {len(trees):,} queries: {(t1 - t0) * 1000:.0f} ms; learn from {args.sample:,} items and "
          f"compile: {(t2 - t1) * 1000:.0f} ms; "
          f"adding the {len(trees):,}th: {add_ms:.2f} ms")

    # Fresh Docs each time: reading (normalising) a message is part of the cost, and is measured.
    t0 = time.process_time()
    matches = candidates = 0
    for _doc, found in matcher.match_many(Doc(**item) for item in items):
        matches += len(found)
    compiled_s = time.process_time() - t0
    for item in items[:5000]:
        candidates += len(matcher.candidates(Doc(**item).features))
    compiled_rate = len(items) / compiled_s
    print(f"compiled: {len(items):,} items in {compiled_s:.2f} CPU s = {compiled_rate:,.0f} items/s; "
          f"{matches / len(items):.2f} matches and {candidates / min(5000, len(items)):.1f} candidate queries "
          f"per item")

    subset = items[:args.naive_items]
    t0 = time.process_time()
    naive = []
    for item in subset:
        doc = Doc(**item)
        naive.append({k for k, tree in trees.items() if evaluate(tree, doc)})
    naive_s = time.process_time() - t0
    naive_rate = len(subset) / naive_s
    compiled = [matcher.match(Doc(**item)) for item in subset]
    differ = sum(a != b for a, b in zip(naive, compiled, strict=True))
    print(f"naive: the first {len(subset):,} items in {naive_s:.2f} CPU s = {naive_rate:,.0f} items/s "
          f"(extrapolated to {len(items):,} items: {len(items) / naive_rate:,.0f} s); "
          f"compiled and naive {'agree' if not differ else f'DISAGREE on {differ} items'} on these items "
          f"({sum(map(len, naive)):,} matches)")
    print(f"listening: items={len(items)} queries={len(queries)} compiled_items_per_s={compiled_rate:.0f} "
          f"naive_items_per_s={naive_rate:.0f} ratio={compiled_rate / naive_rate:.1f} "
          f"naive_measured_on={len(subset)}")
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
