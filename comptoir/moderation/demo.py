"""The moderation demo: each demo workspace's charter, rules, review queue and sanctions history.

The flagged messages come in the way a channel's reading brings them (``store_fetched`` into the owned channels'
sources, then ``analyse_items``), so they are real stream items with the models' labels and scores — and, like any
message of an owned channel, the inbox threads them. The rules are created *after* the messages came in, so nothing
runs on the demo by itself: what the rules did is written here as they would have left it (the case's reasons with
the rule's name and the scores, the automatic actions, a dry-run rule that only logged), then the people's work:
decisions spread over three weeks (so the median time to decision shows), the ladder and a sanctions history
(reminders, warnings, an active 24 h mute carried out on Mastodon, an expired suspension, a ban to carry out by hand,
a mute lifted on appeal) and a pending appeal. Demo channels are never connected: nothing here reaches a network.
Deterministic (a seeded ``random.Random``); runs once per workspace; ``comptoir demo --reset`` starts over.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from comptoir.connectors.base import Author, FetchedItem, ItemKind

from .models import (
    Appeal,
    AutoAction,
    Case,
    CharterAcceptance,
    CharterVersion,
    LadderStep,
    ModerationSettings,
    Rule,
    Sanction,
    SanctionExecution,
)

# The charter ---------------------------------------------------------------------------------------------------

# (number, title_fr, title_en, text_fr, text_en); ``V1`` holds the articles as they read in version 1.
VELO_INTRO = (
    "Le Mastodon et le forum des Amis du Vélo Lyonnais sont des lieux d'échange entre cyclistes, adhérents ou non. "
    "Cette charte dit ce qui y est attendu de chacune et chacun ; l'équipe de modération l'applique avec mesure.",
    "The Mastodon account and forum of Les Amis du Vélo Lyonnais are places where cyclists, members or not, talk "
    "together. This charter says what is expected of everyone; the moderation team applies it with measure.",
)
LUMIERE_INTRO = (
    "Les espaces de Maison Lumière (Bluesky, Mastodon, le salon des clientes) sont faits pour parler soin, routines "
    "et produits dans la bonne humeur. Cette charte s'applique à toutes et à tous, équipe comprise.",
    "Maison Lumière's spaces (Bluesky, Mastodon, the customers' lounge) are for talking about skincare, routines and "
    "products in good spirits. This charter applies to everyone, our team included.",
)

COMMON_ARTICLES = [
    (1, "Respect", "Respect",
     "On peut être en désaccord, vivement même, sans insulter ni rabaisser. Critiquez les idées et les décisions, "
     "jamais les personnes.",
     "You may disagree, even strongly, without insulting or belittling anyone. Criticise ideas and decisions, never "
     "people."),
    (2, "Pas de harcèlement ni de haine", "No harassment or hate",
     "Aucune attaque répétée contre une personne, aucune menace, aucun propos visant un groupe pour son origine, sa "
     "religion, son genre, son orientation ou son handicap.",
     "No repeated attacks on a person, no threats, nothing aimed at a group for their origin, religion, gender, "
     "orientation or disability."),
    (3, "Ni spam ni publicité", "No spam or advertising",
     "Pas de messages promotionnels, de liens d'affiliation, de codes promo ni de messages identiques copiés en "
     "série.",
     "No promotional messages, affiliate links, promo codes or identical messages copied again and again."),
    (4, "Restez dans le sujet", "Stay on topic",
     "Chaque fil a son sujet. Les annonces, les ventes et les discussions sans rapport ont leur place ailleurs ; "
     "une rafale de messages noie les autres.",
     "Each thread has its topic. Ads, sales and unrelated discussions belong elsewhere; a burst of messages drowns "
     "everyone else's."),
    (5, "Vie privée", "Privacy",
     "Ne publiez pas les coordonnées, adresses, numéros de commande ou photos d'autrui sans son accord.",
     "Do not post anyone's contact details, address, order number or photos without their consent."),
    (6, "Sources et fausses informations", "Sources and misinformation",
     "Citez vos sources. Une affirmation fausse et dangereuse peut être masquée, même partagée de bonne foi.",
     "Cite your sources. A false and dangerous claim may be hidden, even when shared in good faith."),
    (7, "Modération et recours", "Moderation and appeals",
     "Toute sanction cite l'article appliqué. Vous pouvez la contester dans les 14 jours par le lien reçu ; une "
     "autre personne de l'équipe que celle qui a décidé examine votre recours.",
     "Every sanction cites the article it applies. You may appeal within 14 days through the link you receive; "
     "someone else in the team than the person who decided reviews your appeal."),
]
V1_ARTICLES = {
    3: ("Pas de messages promotionnels ni de messages identiques copiés en série.",
        "No promotional messages nor identical messages copied again and again."),
    7: ("Toute sanction cite l'article appliqué. Vous pouvez la contester en écrivant à l'équipe dans les 7 jours.",
        "Every sanction cites the article it applies. You may contest it by writing to the team within 7 days."),
}
V2_CHANGES = ("Article 3 : les liens d'affiliation et les codes promo comptent comme de la publicité. Article 7 : le "
              "délai de recours passe de 7 à 14 jours, par un lien personnel, examiné par une autre personne de "
              "l'équipe.")

CHARTERS = {
    "velo-lyon": {
        "intro": VELO_INTRO,
        "draft": (8, "Petites annonces", "Classified ads",
                  "Les ventes de vélos et de pièces se publient uniquement dans la rubrique « Petites annonces » du "
                  "forum, une annonce par objet.",
                  "Bikes and parts for sale are posted only in the forum's “Classified ads” category, one ad per "
                  "item."),
        "draft_changes": "Nouvel article 8 sur les petites annonces (à valider au bureau du 15).",
    },
    "maison-lumiere": {
        "intro": LUMIERE_INTRO,
        "draft": (8, "Conseils de santé", "Health advice",
                  "Nous ne donnons pas d'avis médical. En cas de réaction cutanée, arrêtez le produit et écrivez-nous "
                  "en privé : notre formulateur vous répond.",
                  "We give no medical advice. If your skin reacts, stop using the product and write to us privately: "
                  "our formulator will answer."),
        "draft_changes": "Nouvel article 8 sur les conseils de santé, demandé par le service qualité.",
    },
}


def charter_body(intro: str, articles: list[tuple[int, str, str]]) -> str:
    """Markdown: the intro, then one ``## Article N — Title`` section per article."""
    parts = [intro]
    for number, title, text in articles:
        parts.append(f"## Article {number} — {title}\n\n{text}")
    return "\n\n".join(parts) + "\n"


def _charter_versions(slug: str) -> list[dict]:
    spec = CHARTERS[slug]
    versions = []
    for number in (1, 2, 3):
        rows = []
        for n, title_fr, title_en, text_fr, text_en in COMMON_ARTICLES:
            if number == 1 and n in V1_ARTICLES:
                text_fr, text_en = V1_ARTICLES[n]
            rows.append((n, title_fr, title_en, text_fr, text_en))
        if number == 3:
            rows.append(spec["draft"])
        versions.append({
            "number": number,
            "body_fr": charter_body(spec["intro"][0], [(n, tf, xf) for n, tf, _te, xf, _xe in rows]),
            "body_en": charter_body(spec["intro"][1], [(n, te, xe) for n, _tf, te, _xf, xe in rows]),
            "articles": [{"number": n, "title_fr": tf, "title_en": te} for n, tf, te, _xf, _xe in rows],
            "changes": {1: "", 2: V2_CHANGES, 3: spec["draft_changes"]}[number],
        })
    return versions


# The rules -------------------------------------------------------------------------------------------------------

# key: (name, kind, params, actions, articles, dry_run, enabled, reply_template, caught before these three weeks).
# Model thresholds are the ones the fast models' real scores pass on the demo's messages (a model alone only holds).
_SHARED_RULES = {
    "toxicity": ("Toxicité (modèle) : mise en attente", "model",
                 {"task": "toxicity", "category": "", "threshold": 0.5}, ["hold", "flag"], [1, 2], False, True, "", 63),
    "threats": ("Menaces (mots surveillés)", "words",
                {"query": "tuer OR tuée OR crever OR \"je sais où tu habites\" OR kill*", "lexicons": []},
                ["hold", "flag", "notify"], [2], False, True, "", 5),
    "spam": ("Spam probable (modèle)", "model", {"task": "spam", "category": "", "threshold": 0.9},
             ["hold", "flag"], [3], False, True, "", 88),
    "links": ("Liens : raccourcisseurs, domaines inconnus, plus de 3 liens", "links",
              {"max_links": 3, "shorteners": True, "new_domains": True}, ["hold", "flag"], [3], False, True, "", 37),
    "newcomer": ("Nouveaux comptes : 3 premiers messages relus", "newcomer", {"first_messages": 3}, ["hold"], [],
                 True, True, "", 52),
    "flood": ("Flood : 5 messages en 2 minutes", "flood", {"messages": 5, "minutes": 2}, ["hide", "notify"], [4],
              False, True, "", 9),
    "repeat": ("Même texte copié sur plusieurs fils", "repeat", {"copies": 3, "hours": 24}, ["hide", "flag"], [3],
               False, True, "", 46),
    "brigading": ("Raid : comptes neufs sur un même fil", "brigading",
                  {"identities": 3, "minutes": 60, "max_age_days": 7}, ["flag", "notify"], [2], False, True, "", 6),
    "misinfo": ("Fausses informations (mots surveillés)", "words",
                {"query": "\"c'est prouvé\" OR \"partagez avant\" OR complot*", "lexicons": []}, ["flag"], [6],
                False, True, "", 4),
    "old_spam": ("Spam (modèle, ancien seuil 0,7)", "model", {"task": "spam", "category": "", "threshold": 0.7},
                 ["hide"], [3], False, False, "", 31),
}
RULES = {
    "velo-lyon": {
        "insults": ("Insultes (mots surveillés et lexiques fr/en)", "words",
                    {"query": "abruti* OR guignol* OR connard* OR \"ferme-la\" OR idiot* OR clown* OR pathetic",
                     "lexicons": ["fr_insults", "en_insults"]}, ["hold", "flag"], [1], False, True, "", 41),
        "heated": ("Mots vifs : mise en attente pour relecture", "words",
                   {"query": "racket* OR arnaque* OR honte OR absurde OR useless", "lexicons": []}, ["hold", "flag"],
                   [1], False, True, "", 22),
        **_SHARED_RULES,
        "ads": ("Ventes hors rubrique : rappel de la charte", "words",
                {"query": "vends OR \"à vendre\" OR \"prix à débattre\"", "lexicons": []}, ["reply", "flag"], [4],
                False, True,
                "Bonjour, les ventes ont leur rubrique sur le forum : forum.amisduvelo.org/c/petites-annonces. Merci "
                "de republier votre annonce là-bas (charte, article 4).", 12),
        "privacy": ("Numéros de téléphone publiés", "words",
                    {"query": "\"06\" OR \"07\" OR téléphone", "lexicons": []}, ["hold", "flag"], [5], False, True,
                    "", 4),
    },
    "maison-lumiere": {
        "insults": ("Insultes (mots surveillés et lexiques fr/en)", "words",
                    {"query": "escroc* OR guignol* OR idiot* OR clown* OR pathetic OR \"ferme-la\"",
                     "lexicons": ["fr_insults", "en_insults"]}, ["hold", "flag"], [1], False, True, "", 29),
        "heated": ("Mots vifs à relire (sans mise en attente)", "words",
                   {"query": "arnaque* OR honte OR catastrophe OR joke", "lexicons": []}, ["flag"], [1], False, True,
                   "", 17),
        **_SHARED_RULES,
        "promo": ("Codes promo, ventes et affiliation", "words",
                  {"query": "\"code promo\" OR affiliation OR \"lien en bio\" OR vends", "lexicons": []},
                  ["hold", "reply", "flag"], [3, 4], False, True,
                  "Bonjour, les messages promotionnels et les ventes ne sont pas autorisés ici (charte, articles 3 et "
                  "4). Merci de votre compréhension !", 15),
        "privacy": ("Numéros de commande et adresses publiés", "words",
                    {"query": "\"commande LUM\" OR \"rue des\" OR adresse", "lexicons": []}, ["hold", "flag"], [5],
                    False, True, "", 7),
    },
}


# The flagged messages ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """One message a rule flagged. ``decision`` empty: still in the queue.

    ``sanction``: the ladder position applied by the decision (warned: 1 or 2; sanctioned: 3, 4 or 5).
    ``wave``: several new accounts wrote the same text (a spam wave: one case each). ``new``: a new account.
    """

    network: str
    who: str
    name: str
    text: str
    rules: tuple[str, ...]
    ago: float  # hours
    decision: str = ""
    by: str = "mehdi"
    articles: tuple[int, ...] = ()
    note: str = ""
    sanction: int = 0
    new: bool = False
    topic: str = ""  # a forum topic's title
    thread: int = 0  # messages with the same thread number answer the same post


VELO_FLAGS = [
    # In the queue ------------------------------------------------------------------------------------------------
    Flag("mastodon", "gilles_r@mamot.fr", "Gilles R.", "Vous êtes une bande d'abrutis à l'asso, vos pistes cyclables "
         "ne servent à rien à part gêner tout le monde.", ("insults", "toxicity"), 3),
    *[Flag("mastodon", f"{handle}@mastodon.social", name, "🔥 -70 % sur les vélos électriques, aujourd'hui seulement ! "
           "Livraison offerte : bit.ly/velo-promo-70 🔥", ("spam", "links", "repeat", "newcomer"), 5 + i * 0.05, new=True)
      for i, (handle, name) in enumerate([("ebike_deals_fr", "E-bike Deals"), ("promo_velo_24", "Promo Vélo"),
                                          ("bestbike_outlet", "BestBike Outlet"), ("velo_discount_77", "Vélo Discount")])],
    *[Flag("mastodon", "kevin_l@piaille.fr", "Kévin L.", text, (), 7.025 - i * 0.004, thread=2) for i, text in enumerate([
        "Bonsoir", "L'atelier de ce soir est maintenu ?", "Il pleut des cordes", "Quelqu'un peut répondre ?"])],
    Flag("mastodon", "kevin_l@piaille.fr", "Kévin L.", "ALLÔ ??? QUELQU'UN ???", ("flood",), 7.005, thread=2),
    Flag("mastodon", "kevin_l@piaille.fr", "Kévin L.", "Répondez svp c'est urgent, l'atelier est ouvert ce soir ou "
         "pas ???", ("flood",), 7.0, thread=2),
    Flag("discourse", "greg_trader", "Greg", "Super fil ! Pour ceux que ça intéresse : www.gains-rapides.example, "
         "cutt.ly/3xBk9, tinyurl.com/velo-gratuit et bit.ly/bonus-cycliste", ("links", "spam", "newcomer"), 9, new=True,
         topic="Itinéraire sécurisé Villeurbanne – Part-Dieu"),
    Flag("mastodon", "angry_commuter@mastodon.social", "Dan", "You people are pathetic clowns, get lost with your "
         "bike lanes.", ("insults", "toxicity"), 14),
    *[Flag("mastodon", f"{handle}@mastodon.social", name, text, ("brigading", "newcomer"), 20 + i * 0.15, new=True,
           thread=1)
      for i, (handle, name, text) in enumerate([
          ("automobiliste_69", "Auto 69", "Les cyclistes sont des dangers publics, qu'on vous interdise les quais !"),
          ("rouler_libre_lyon", "Rouler Libre", "Encore ces militants du vélo qui veulent nous empêcher de circuler."),
          ("stop_pistes_lyon", "Stop Pistes", "Vos pistes vides coûtent une fortune, dégagez des quais."),
      ])],
    Flag("discourse", "patrick_m", "Patrick Morel", "Franchement, le bureau n'écoute personne : ce choix de parcours est "
         "absurde et c'est la troisième fois qu'on vous le dit.", ("heated",), 30, topic="Parcours de la vélorution"),
    # Decided -----------------------------------------------------------------------------------------------------
    Flag("mastodon", "jerome_b@piaille.fr", "Jérôme Blanc", "Encore un message de propagande, vous êtes vraiment des "
         "idiots.", ("insults", "toxicity"), 21 * 24, "warned", "mehdi", (1,), "Premier écart : rappel de la charte.", 1),
    Flag("mastodon", "jerome_b@piaille.fr", "Jérôme Blanc", "Ferme-la, personne ne t'a demandé ton avis, espèce de "
         "guignol.", ("insults",), 10 * 24, "warned", "camille", (1, 2),
         "S'en prend à un autre membre ; avertissement.", 2),
    Flag("mastodon", "jerome_b@piaille.fr", "Jérôme Blanc", "Bande d'abrutis, vous ne méritez pas un centime de "
         "subvention.", ("insults", "toxicity"), 7, "sanctioned", "mehdi", (1, 2),
         "Troisième écart en trois semaines : sourdine 24 h.", 3),
    *[Flag("mastodon", f"{handle}@mastodon.social", name, "Gagnez 500 € par semaine depuis chez vous 💰 Inscription "
           "gratuite : tinyurl.com/gains-velo", ("spam", "links", "repeat", "newcomer"), 12 * 24 + i * 0.03, "deleted", "camille",
           (3,), "Vague de spam supprimée d'un coup.", new=True)
      for i, (handle, name) in enumerate([("gains_faciles_1", "Gains Faciles"), ("argent_rapide_fr", "Argent Rapide"),
                                          ("job_maison_2024", "Job Maison"), ("revenu_passif_x", "Revenu Passif"),
                                          ("bonus_cash_lyon", "Bonus Cash")])],
    Flag("mastodon", "crypto_velo@mastodon.social", "CryptoVélo", "Le vélo du futur se paie en crypto 🚀 Rejoignez "
         "le groupe : bit.ly/cryptovelo", ("links", "newcomer"), 16 * 24, "deleted", "mehdi", (3,), "", new=True),
    Flag("discourse", "crypto_velo", "CryptoVélo", "Investissez dans le vélo de demain, 300 % de rendement garanti : "
         "bit.ly/cryptovelo", ("links",), 16 * 24 - 1, "sanctioned", "mehdi", (3,),
         "Compte de spam, mêmes liens sur Mastodon et le forum : exclusion.", 5, new=True,
         topic="Bilan de la Fête du vélo"),
    Flag("discourse", "patrick_m", "Patrick Morel", "Vous vous moquez du monde avec ce tarif, c'est du racket pur et simple.",
         ("heated",), 13 * 24, "approved", "mehdi", (), "Critique vive mais légitime, pas d'attaque personnelle.",
         topic="Budget de l'association"),
    Flag("mastodon", "ride_or_not@mastodon.social", "Chris Parker", "Honestly the new route map is useless, whoever made "
         "it never rode a bike in Lyon.", ("heated",), 6 * 24, "approved", "camille", (),
         "Frank feedback on the map, not an insult."),
    Flag("mastodon", "anne_so@piaille.fr", "Anne-Sophie D.", "Cette montée de la Croix-Rousse m'a tuée, quelle "
         "horreur 😂", ("threats",), 4 * 24, "approved", "mehdi", (), "Faux positif : une façon de parler."),
    Flag("discourse", "bernard_v", "Bernard Vial", "Je vends mon VTT Rockrider 27,5 pouces, 250 €, prix à débattre, "
         "MP.", ("ads",), 8 * 24, "warned", "camille", (4,), "Annonce hors rubrique, rappel envoyé.", 1,
         topic="Horaires de l'atelier pendant les fêtes"),
    Flag("mastodon", "lucas_p@piaille.fr", "Lucas P.", "Le bénévole de mardi était super, appelez-le directement au "
         "06 12 34 56 78 !", ("privacy", "newcomer"), 5 * 24, "hidden", "mehdi", (5,),
         "Numéro d'un bénévole publié sans son accord.", new=True),
    Flag("mastodon", "verite_route@mastodon.social", "Vérité Route", "Le casque double le risque d'accident, c'est "
         "prouvé, partagez avant que ce soit censuré !", ("misinfo", "newcomer"), 9 * 24, "hidden", "camille", (6,),
         "Affirmation fausse et dangereuse, sans source.", new=True),
    Flag("discourse", "olivier_t", "Olivier Thomas", "Votre modération, c'est de la censure, bande de guignols.",
         ("insults",), 27 * 24, "warned", "mehdi", (1,), "Attaque contre l'équipe : avertissement.", 2,
         topic="Parcours de la vélorution"),
    Flag("discourse", "olivier_t", "Olivier Thomas", "Allez vous faire voir avec votre modération, je posterai ce que "
         "je veux où je veux, bande de guignols.", ("insults", "toxicity"), 20 * 24, "sanctioned", "claire", (1, 7),
         "Récidive après avertissement et refus explicite de la charte : suspension 7 jours.", 4,
         topic="Parcours de la vélorution"),
    Flag("mastodon", "herve_c@piaille.fr", "Hervé Caron", "Le journal titre « ces cyclistes abrutis qui roulent sur "
         "les trottoirs » : voilà ce qu'on pense de nous.", ("insults",), 11 * 24, "sanctioned", "mehdi", (1,),
         "Insulte jugée dirigée contre les autres membres.", 3),
    Flag("mastodon", "kevin_l@piaille.fr", "Kévin L.", "??? toujours personne ???", ("flood",), 15 * 24, "hidden",
         "camille", (4,), "Rafale de messages : masqué, réponse donnée en privé."),
    # A dry-run rule only logged what it would have done.
    Flag("mastodon", "nouveau_lyon@mastodon.social", "Nico", "Bonjour à tous, nouveau à Lyon : des balades sont "
         "prévues ce week-end ?", ("newcomer",), 28, new=True),
]

LUMIERE_FLAGS = [
    # In the queue ------------------------------------------------------------------------------------------------
    Flag("bluesky", "nathalie-v.bsky.social", "Nathalie V.", "Votre crème c'est une arnaque, vous êtes des escrocs, "
         "point.", ("insults", "heated", "toxicity"), 2),
    *[Flag("bluesky", f"{handle}.bsky.social", name, "✨ Sérum anti-âge miracle -80 % ✨ Code promo GLOW80 sur "
           "bit.ly/glow-serum, lien en bio !", ("spam", "links", "repeat", "promo", "newcomer"), 4 + i * 0.04, new=True)
      for i, (handle, name) in enumerate([("glow-deals", "Glow Deals"), ("beaute-outlet", "Beauté Outlet"),
                                          ("serum-promo", "Sérum Promo"), ("skin-bargains", "Skin Bargains")])],
    *[Flag("matrix", "@impatiente:matrix.org", "Impatiente", text, (), 6.025 - i * 0.004, thread=2) for i, text in enumerate([
        "Bonjour", "Ma commande n'est pas arrivée", "Il y a quelqu'un ?", "Allô ?"])],
    Flag("matrix", "@impatiente:matrix.org", "Impatiente", "RÉPONDEZ", ("flood",), 6.005, thread=2),
    Flag("matrix", "@impatiente:matrix.org", "Impatiente", "Ça fait 10 minutes que j'attends, il y a quelqu'un ou "
         "pas ???", ("flood",), 6.0, thread=2),
    Flag("mastodon", "deal_hunter@mastodon.online", "Deal Hunter", "Cheaper dupes here: shorturl.at/x9k2, "
         "tinyurl.com/dupes-cream, bit.ly/skin-dupes and is.gd/glowup", ("links", "spam", "newcomer"), 8, new=True),
    Flag("mastodon", "grumpy_buyer@mastodon.social", "Rick", "You are pathetic clowns selling overpriced water in "
         "fancy jars.", ("insults",), 13),
    *[Flag("bluesky", f"{handle}.bsky.social", name, text, ("brigading", "newcomer"), 18 + i * 0.2, new=True,
           thread=1)
      for i, (handle, name, text) in enumerate([
          ("boycott-lumiere", "Boycott", "Boycott de cette marque qui se dit écolo, tout est faux !"),
          ("verite-cosmetiques", "Vérité Cosmétiques", "Greenwashing total, ne vous laissez pas avoir."),
          ("anti-greenwash", "Anti Greenwash", "Marque hypocrite, partagez pour que tout le monde sache."),
      ])],
    Flag("matrix", "@mel.c:matrix.org", "Mélissa C.", "Honnêtement le nouveau parfum est une catastrophe, qui a "
         "validé ça ?", ("heated",), 26),
    # Decided -----------------------------------------------------------------------------------------------------
    Flag("bluesky", "sabrina-k.bsky.social", "Sabrina K.", "Service client de clowns, trois mails sans réponse.",
         ("insults",), 20 * 24, "warned", "mehdi", (1,), "Premier écart : rappel de la charte.", 1),
    Flag("bluesky", "sabrina-k.bsky.social", "Sabrina K.", "Ferme-la, toi, tu bosses pour eux de toute façon, idiote.",
         ("insults",), 9 * 24, "warned", "camille", (1, 2), "S'en prend à une autre cliente.", 2),
    Flag("mastodon", "sabrina_k@mastodon.social", "Sabrina K.", "You're all idiots, this brand is a scam.",
         ("insults", "toxicity"), 5, "sanctioned", "mehdi", (1, 2), "Third offence in three weeks: 24 h mute.", 3),
    *[Flag("bluesky", f"{handle}.bsky.social", name, "Gagnez un coffret de 500 € 🎁 Cliquez vite : tinyurl.com/"
           "coffret-gratuit", ("spam", "links", "repeat", "newcomer"), 11 * 24 + i * 0.03, "deleted", "camille", (3,),
           "Vague de spam supprimée d'un coup.", new=True)
      for i, (handle, name) in enumerate([("cadeau-beaute", "Cadeau Beauté"), ("coffret-gratuit", "Coffret Gratuit"),
                                          ("gagnant-du-jour", "Gagnant du Jour"), ("jeu-concours-fr", "Jeu Concours"),
                                          ("offre-secrete", "Offre Secrète")])],
    Flag("bluesky", "dupes-factory.bsky.social", "Dupes Factory", "Les mêmes crèmes à 3 € sur notre site 😉 "
         "bit.ly/dupes-factory", ("spam", "links", "newcomer"), 15 * 24, "deleted", "mehdi", (3,), "", new=True),
    Flag("matrix", "@dupes.factory:matrix.org", "Dupes Factory", "Copies de toutes les crèmes Lumière à 3 €, code "
         "promo DUPE50 : bit.ly/dupes-factory", ("spam", "links", "promo", "newcomer"), 15 * 24 - 1, "sanctioned", "mehdi",
         (3,), "Compte de spam sur Bluesky et le salon : exclusion.", 5, new=True),
    Flag("bluesky", "clemence-p.bsky.social", "Clémence P.", "Ce parfum sent le produit ménager, c'est une honte "
         "pour une marque à ce prix.", ("heated",), 12 * 24, "approved", "mehdi", (),
         "Critique vive mais légitime du produit."),
    Flag("mastodon", "lily_r@mastodon.social", "Lily Roberts", "This cream is killing it, my skin has never looked "
         "better!", ("threats",), 6 * 24, "approved", "camille", (), "False positive: a compliment."),
    Flag("bluesky", "margot-l.bsky.social", "Margot L.", "Quelqu'un aurait un code promo pour le coffret Nuit d'hiver "
         "? Je n'en trouve aucun.", ("promo",), 7 * 24, "approved", "mehdi", (),
         "Une cliente demande un code, elle n'en publie pas : réponse automatique retirée."),
    Flag("mastodon", "kate_b@mas.to", "Kate Brown", "Honestly your customer service is a joke, three "
         "weeks for a refund.", ("heated",), 3 * 24, "approved", "mehdi", (), "Angry but fair complaint."),
    Flag("matrix", "@vente.flacons:matrix.org", "Vente Flacons", "Je vends mes flacons vides Lumière, 2 € pièce, "
         "écrivez-moi.", ("promo",), 8 * 24, "warned", "camille", (4,), "Vente hors sujet dans le salon.", 1),
    Flag("bluesky", "helene-t.bsky.social", "Hélène T.", "Pour celles qui ont eu le même souci : ma commande "
         "LUM-48991, livrée au 12 rue des Lilas, était aussi abîmée.", ("privacy",), 5 * 24, "hidden", "mehdi", (5,),
         "Adresse et numéro de commande publiés : masqué, la cliente est recontactée en privé."),
    Flag("bluesky", "nature-pure.bsky.social", "Nature Pure", "Les parabènes donnent le cancer, c'est prouvé, fuyez "
         "toutes les crèmes du commerce !", ("misinfo", "newcomer"), 9 * 24, "hidden", "camille", (6,),
         "Affirmation de santé fausse, sans source.", new=True),
    Flag("matrix", "@franck.r:matrix.org", "Franck R.", "Votre modération, c'est de la censure, bande de guignols.",
         ("insults",), 26 * 24, "warned", "mehdi", (1,), "Attaque contre l'équipe : avertissement.", 2),
    Flag("matrix", "@franck.r:matrix.org", "Franck R.", "Allez vous faire voir avec votre modération, bande de "
         "guignols, je dirai ce que je veux.", ("insults", "toxicity"), 19 * 24, "sanctioned", "claire", (1, 7),
         "Récidive après avertissement : suspension 7 jours.", 4),
    Flag("bluesky", "aurore-m.bsky.social", "Aurore M.", "Un magazine écrit que « les clientes bio sont des idiotes "
         "naïves » : c'est ça qu'on pense de nous ?", ("insults",), 10 * 24, "sanctioned", "mehdi", (1,),
         "Insulte jugée dirigée contre les clientes.", 3),
    Flag("matrix", "@impatiente:matrix.org", "Impatiente", "ALLÔ ???", ("flood",), 14 * 24, "hidden", "camille", (4,),
         "Rafale de messages : masqué, réponse donnée en privé."),
    # A dry-run rule only logged what it would have done.
    Flag("mastodon", "new_glow@mastodon.social", "Nina", "Hello, I just discovered the brand: which cream would you "
         "suggest for very dry skin?", ("newcomer",), 30, new=True),
]

# Who offended before on which account (two identities, one person), and the pending appeal.
PEOPLE = {
    "velo-lyon": {
        "Jérôme Blanc": ["jerome_b@piaille.fr"],
        "CryptoVélo": ["crypto_velo@mastodon.social", "crypto_velo"],
        "Olivier Thomas": ["olivier_t"],
        "Hervé Caron": ["herve_c@piaille.fr"],
        "Bernard Vial": ["bernard_v"],
    },
    "maison-lumiere": {
        "Sabrina K.": ["sabrina-k.bsky.social", "sabrina_k@mastodon.social"],
        "Dupes Factory": ["dupes-factory.bsky.social", "@dupes.factory:matrix.org"],
        "Franck R.": ["@franck.r:matrix.org"],
        "Aurore M.": ["aurore-m.bsky.social"],
        "Vente Flacons": ["@vente.flacons:matrix.org"],
    },
}
APPEALS = {
    "velo-lyon": {
        "pending": ("jerome_b@piaille.fr", "Je reconnais que j'ai été trop loin, mais une sourdine pour un message "
                                           "d'humeur, c'est excessif. Je demande qu'elle soit levée."),
        "lifted": ("herve_c@piaille.fr", "Je citais le titre d'un article de presse pour le dénoncer, ce ne sont pas "
                                         "mes mots : relisez le message.",
                   "Relu : c'était une citation entre guillemets, pour dénoncer l'article. Sourdine levée."),
    },
    "maison-lumiere": {
        "pending": ("sabrina_k@mastodon.social", "I was angry about my refund, I apologise, but a mute is too much. "
                                                 "Please lift it."),
        "lifted": ("aurore-m.bsky.social", "Je citais un magazine pour dénoncer ses propos, ce n'est pas moi qui dis ça.",
                   "Citation entre guillemets pour dénoncer le magazine, pas une insulte : sourdine levée."),
    },
}
FLAGS = {"velo-lyon": VELO_FLAGS, "maison-lumiere": LUMIERE_FLAGS}

LADDER = [  # position, kind, hours, label
    (1, LadderStep.Kind.REMINDER, None, "Rappel de la charte"),
    (2, LadderStep.Kind.WARNING, None, "Avertissement"),
    (3, LadderStep.Kind.MUTE, 24, "Sourdine 24 h"),
    (4, LadderStep.Kind.SUSPENSION, 7 * 24, "Suspension 7 jours"),
    (5, LadderStep.Kind.BAN, None, "Exclusion définitive"),
]
# What each network's connector does for a step (None: to do by hand there).
EXECUTION = {
    "mute": {"mastodon": "mute", "bluesky": "mute", "discourse": "silence", "matrix": None},
    "suspension": {"mastodon": None, "bluesky": None, "discourse": "suspend", "matrix": "kick"},
    "ban": {"mastodon": None, "bluesky": None, "discourse": "suspend", "matrix": "ban"},
}
CAN_HIDE = {"discourse"}  # networks where a message can be held or hidden from the others
DECISION_MINUTES = (4, 7, 12, 18, 25, 33, 45, 60, 75, 95, 130, 180, 260, 420, 700, 1100)
MATRIX_ROOM = "!cLumiereSalon:matrix.org"
LINK = re.compile(r"(?:https?://)?(?:[\w-]+\.)+(?:ly|com|example|gd|at|org|fr|net)(?:/[\w-]*)?", re.IGNORECASE)
SHORTENERS = {"bit.ly", "tinyurl.com", "cutt.ly", "is.gd", "shorturl.at"}


def _score(item, task: str) -> float:
    value = (item.scores or {}).get(task) if isinstance(item.scores, dict) else None
    return float(value) if isinstance(value, int | float) else 0.0


def add_demo() -> int:
    """Fill the demo workspaces' moderation once. Returns how many cases were made."""
    from comptoir.workspaces.models import Workspace

    made = 0
    for slug in FLAGS:
        workspace = Workspace.objects.filter(slug=slug, is_demo=True).first()
        if workspace is None or CharterVersion.objects.filter(workspace=workspace).exists():
            continue
        with transaction.atomic():
            made += _Builder(workspace).build()
    return made


class _Builder:
    def __init__(self, workspace):
        from comptoir.workspaces.models import Channel, Membership

        self.workspace, self.slug = workspace, workspace.slug
        self.rng = random.Random(f"moderation-{workspace.slug}")  # noqa: S311 (demo figures)
        self.now = timezone.now()
        self.people = {m.user.email.split("@")[0]: m.user
                       for m in Membership.objects.select_related("user").filter(workspace=workspace)}
        self.channels = {}
        for channel in Channel.objects.filter(workspace=workspace, removed_at__isnull=True).order_by("pk"):
            self.channels.setdefault(channel.network, channel)
        self.flags = [f for f in FLAGS[self.slug] if f.network in self.channels]
        self.serial = 0
        self.caught: dict[int, int] = {}

    def build(self) -> int:
        ModerationSettings.objects.update_or_create(workspace=self.workspace, defaults={
            "probation_days": 90, "appeal_days": 14, "charter_public": True,
            "ask_acceptance": self.workspace.kind == "association"})
        items = self._bring()
        self._charter()
        self._rules()
        self._ladder()
        self._cases(items)
        self._sanctions()
        self._acceptances()
        self._inbox(items)
        return len(self.cases)

    def _inbox(self, items: list) -> None:
        """The inbox threaded the flagged messages too (they came in on the owned channels). Nobody owes them an
        answer: their conversations wait for no reply (so no response target is missed on spam), and those whose
        case was decided were closed then."""
        from comptoir.inbox.models import Conversation, ConversationItem

        links = dict(ConversationItem.objects.filter(item_id__in=[i.pk for i in items]).values_list(
            "item_id", "conversation_id"))
        Conversation.objects.filter(pk__in=set(links.values())).update(waiting_since=None, reply_due_at=None)
        closed: dict[int, datetime] = {}
        for n, case in self.cases.items():
            conversation = links.get(items[n].pk)
            if conversation is not None and case.decided_at is not None:
                closed[conversation] = max(closed.get(conversation, case.decided_at), case.decided_at)
        for n, case in self.cases.items():  # a conversation with a case still open stays open
            if case.decided_at is None:
                closed.pop(links.get(items[n].pk), None)
        for conversation, at in closed.items():
            Conversation.objects.filter(pk=conversation).update(status=Conversation.Status.CLOSED, closed_at=at,
                                                                unread=False)

    # Messages ------------------------------------------------------------------------------------------------

    def _hash(self, *parts) -> str:
        return hashlib.sha1("-".join(str(p) for p in (self.slug, "moderation", *parts)).encode()).hexdigest()  # noqa: S324

    def _source(self, channel):
        from comptoir.stream.models import Source

        return Source.objects.filter(channel=channel).first() or Source.objects.create(
            workspace=self.workspace, channel=channel, network=channel.network, label=channel.label,
            language=channel.language, status=Source.Status.PAUSED)

    def _own_posts(self, source) -> list[str]:
        """The channel's last posts (not its replies): what the flagged messages comment on."""
        from comptoir.stream.models import Item

        return list(Item.objects.filter(source=source, author__handle=source.channel.handle, published_at__lt=self.now,
                                        parent_external_id="").order_by("-published_at")
                    .values_list("external_id", flat=True)[:12])

    def _author(self, flag: Flag) -> Author:
        handle, network = flag.who, flag.network
        url, external = "", ""
        if network == "mastodon":
            user, _, host = handle.partition("@")
            url, external = f"https://{host}/@{user}", str(110000000000000000 + int(self._hash("acct", handle)[:10], 16) % 10**15)
        elif network == "bluesky":
            url, external = f"https://bsky.app/profile/{handle}", f"did:plc:{self._hash('did', handle)[:24]}"
        elif network == "discourse":
            url, external = f"https://{self.channels['discourse'].handle}/u/{handle}", str(4000 + int(self._hash('u', handle)[:4], 16) % 5000)
        elif network == "matrix":
            url, external = f"https://matrix.to/#/{handle}", handle
        return Author(network, handle, display_name=flag.name, url=url, external_id=external)

    def _fetched(self, n: int, flag: Flag, at: datetime, posts: list[str]) -> FetchedItem:
        self.serial += 1
        network, channel = flag.network, self.channels[flag.network]
        parent = posts[(flag.thread or n) % len(posts)] if posts else ""
        thread, kind, title, url = "", ItemKind.COMMENT if parent else ItemKind.POST, "", ""
        if network == "mastodon":
            external_id = str(114200000000000000 + self.serial)
            user, _, host = flag.who.partition("@")
            url = f"https://{host}/@{user}/{external_id}"
        elif network == "bluesky":
            rkey = self._hash("bsky", n)[:13]
            external_id = f"at://did:plc:{self._hash('did', flag.who)[:24]}/app.bsky.feed.post/{rkey}"
            url = f"https://bsky.app/profile/{flag.who}/post/{rkey}"
            thread = parent
        elif network == "matrix":
            external_id = f"{MATRIX_ROOM}/${self._hash('event', n)[:24]}"
            url = f"https://matrix.to/#/{MATRIX_ROOM}/{external_id.split('/', 1)[1]}"
            thread = parent or f"{MATRIX_ROOM}/${self._hash('root', flag.thread or n)[:24]}"
            parent = parent or thread
        else:  # discourse
            topic = 3100 + int(self._hash("topic", flag.topic)[:4], 16) % 500
            external_id, kind, title, parent = str(32000 + self.serial), ItemKind.FORUM_POST, flag.topic, ""
            thread, url = f"topic:{topic}", f"https://{channel.handle}/t/{topic}/{self.serial}"
        return FetchedItem(external_id=external_id, kind=kind, text=flag.text, author=self._author(flag), title=title,
                           url=url, published_at=at, parent_external_id=parent, thread_external_id=thread)

    def _bring(self) -> list:
        """The flagged messages arrive as the channels' readings bring them: stored, then read by understanding."""
        from comptoir.members.models import Identity
        from comptoir.stream.ingest import store_fetched
        from comptoir.stream.models import Item
        from comptoir.stream.tasks import analyse_items

        # A burst keeps its seconds apart; the other messages come a few minutes around their hour.
        self.times = [self.now - timedelta(hours=f.ago, minutes=0 if not f.rules or "flood" in f.rules
                                           else self.rng.randint(0, 4)) for f in self.flags]
        batches: dict[str, list[tuple[int, FetchedItem]]] = {}
        sources = {network: self._source(channel) for network, channel in self.channels.items()}
        posts = {network: self._own_posts(source) for network, source in sources.items()}
        for n, flag in enumerate(self.flags):
            batches.setdefault(flag.network, []).append((n, self._fetched(n, flag, self.times[n], posts[flag.network])))
        items: list = [None] * len(self.flags)
        for network, rows in batches.items():
            result = store_fetched(sources[network], [f for _n, f in rows])
            analyse_items.call(result.item_ids, fast=True)
            by_id = {i.external_id: i for i in Item.objects.filter(source=sources[network], external_id__in=[
                f.external_id for _n, f in rows]).select_related("author", "channel")}
            for n, fetched in rows:
                items[n] = by_id[fetched.external_id]
        # New accounts were first seen with their message; the others have been around for months.
        for n, flag in enumerate(self.flags):
            seen = self.times[n] if flag.new else self.now - timedelta(days=120 + n)
            Identity.objects.filter(pk=items[n].author_id, first_seen_at__gt=seen).update(first_seen_at=seen)
        return items

    # Charter, rules, ladder ----------------------------------------------------------------------------------

    def _charter(self) -> None:
        claire, camille = self.people.get("claire"), self.people.get("camille")
        self.versions = {}
        for spec in _charter_versions(self.slug):
            number = spec["number"]
            created = self.now - {1: timedelta(days=33), 2: timedelta(days=9), 3: timedelta(days=1, hours=3)}[number]
            published = {1: created + timedelta(days=1), 2: created + timedelta(days=2), 3: None}[number]
            self.versions[number] = CharterVersion.objects.create(
                workspace=self.workspace, number=number, body_fr=spec["body_fr"], body_en=spec["body_en"],
                changes=spec["changes"], articles=spec["articles"], created_by=camille if number == 3 else claire,
                created_at=created, published_at=published)
        self.current = self.versions[2]

    def _rules(self) -> None:
        camille = self.people.get("camille")
        self.rules: dict[str, Rule] = {}
        for position, (key, spec) in enumerate(RULES[self.slug].items()):
            name, kind, params, actions, articles, dry_run, enabled, reply, before = spec
            created = self.now - timedelta(days=30 - position)
            self.rules[key] = Rule.objects.create(
                workspace=self.workspace, name=name, kind=kind, params=params, actions=actions, reply_template=reply,
                articles=articles, dry_run=dry_run, enabled=enabled, position=position, created_by=camille,
                caught_count=before, created_at=created,
                updated_at=created + timedelta(days=self.rng.randint(0, 10)))

    def _ladder(self) -> None:
        self.steps = {position: LadderStep.objects.create(workspace=self.workspace, position=position, kind=kind,
                                                          duration_hours=hours, label=label)
                      for position, kind, hours, label in LADDER}

    # Cases -------------------------------------------------------------------------------------------------------

    def _fired(self, rule: Rule, item) -> bool:
        """A model rule fired only where the message's real score passes its threshold (the others matched by
        construction of the demo's messages)."""
        if rule.kind != Rule.Kind.MODEL:
            return True
        params = rule.params
        if params.get("category") and item.toxicity_category != params["category"]:
            return False
        return _score(item, params["task"]) >= params["threshold"]

    def _reason(self, rule: Rule, item) -> dict:
        """The reason as the rules write it: the same message ids, so the queue shows it in the reader's language."""
        from comptoir.lib import i18n

        params = rule.params
        found = {task: round(_score(item, task), 2) for task in ("toxicity", "spam") if _score(item, task) >= 0.05}
        if rule.kind == Rule.Kind.MODEL:
            task = params["task"]
            found = {task: round(_score(item, task), 2)}
            detail = i18n.gettext("%(task)s score %(score)s ≥ %(threshold)s") % {
                "task": task, "score": found[task], "threshold": params["threshold"]}
        elif rule.kind == Rule.Kind.WORDS:
            detail = i18n.gettext("matched “%(words)s”") % {"words": self._matched(rule, item.text)}
        elif rule.kind == Rule.Kind.LINKS:
            links = LINK.findall(item.text)
            short = [link for link in links if link.split("/")[0] in SHORTENERS]
            detail = (i18n.gettext("a shortened link (%(host)s)") % {"host": short[0].split("/")[0]} if short else
                      i18n.gettext("%(n)s links (more than %(max)s)") % {"n": len(links), "max": params.get("max_links", 3)})
        elif rule.kind == Rule.Kind.NEWCOMER:
            detail = i18n.gettext("message %(n)s of a newcomer (the first %(max)s are checked)") % {
                "n": 1, "max": params.get("first_messages", 3)}
        elif rule.kind == Rule.Kind.FLOOD:
            detail = i18n.gettext("%(n)s messages in %(minutes)s minutes") % {
                "n": params.get("messages", 5), "minutes": params.get("minutes", 2)}
        elif rule.kind == Rule.Kind.REPEAT:
            detail = i18n.gettext("the same text %(n)s times in %(hours)s hours, on %(channels)s channel(s)") % {
                "n": params.get("copies", 3), "hours": params.get("hours", 24), "channels": 1}
        else:
            detail = i18n.gettext("%(n)s new accounts answering one thread within %(minutes)s minutes") % {
                "n": params.get("identities", 5), "minutes": params.get("minutes", 60)}
        code, values = i18n.code_and_params(detail)
        return {"rule": rule.pk, "rule_name": rule.name, "kind": rule.kind, "detail": str(detail)[:300],
                "detail_code": code, "detail_params": values, "scores": found}

    def _matched(self, rule: Rule, text: str) -> str:
        folded = text.casefold()
        for term in rule.params.get("query", "").split(" OR "):
            word = term.strip().strip('"').rstrip("*").casefold()
            if word and word in folded:
                return word
        return ""

    def _cases(self, items: list) -> None:
        self.cases: dict[int, Case] = {}
        for n, flag in enumerate(self.flags):
            item, at = items[n], self.times[n] + timedelta(seconds=self.rng.randint(2, 9))
            rules = [r for r in (self.rules[k] for k in flag.rules) if r.enabled and self._fired(r, item)]
            live = [r for r in rules if not r.dry_run]
            for rule in rules:
                self.caught[rule.pk] = self.caught.get(rule.pk, 0) + 1
            if not live:  # context (the flood's first messages) or a dry-run rule's log only
                for rule in rules:
                    self._auto_actions(None, rule, item, flag, at)
                continue
            held = any(a in ("hold", "hide") for r in live for a in r.actions)
            case = Case(workspace=self.workspace, item=item, text=item.text, url=item.url, identity_id=item.author_id,
                        channel_id=item.channel_id, created_at=at, held=held,
                        reasons=[self._reason(r, item) for r in live])
            if flag.decision:
                minutes = self.rng.choice(DECISION_MINUTES)
                case.status, case.decision = Case.Status.DECIDED, flag.decision
                case.decision_note, case.articles = flag.note, list(flag.articles)
                case.decided_by = self.people.get(flag.by)
                case.decided_at = min(at + timedelta(minutes=minutes), self.now - timedelta(minutes=20))
                case.held = False
            case.save()
            self.cases[n] = case
            for rule in rules:
                self._auto_actions(case, rule, item, flag, at)
        for rule in self.rules.values():
            Rule.objects.filter(pk=rule.pk).update(caught_count=rule.caught_count + self.caught.get(rule.pk, 0))

    def _auto_actions(self, case: Case | None, rule: Rule, item, flag: Flag, at: datetime) -> None:
        reason = self._reason(rule, item)
        for action in rule.actions:
            if rule.dry_run:
                result = AutoAction.Result.LOGGED
            elif action in ("hold", "hide"):
                result = AutoAction.Result.DONE if flag.network in CAN_HIDE else AutoAction.Result.MANUAL
            else:
                result = AutoAction.Result.DONE
            auto = AutoAction(workspace=self.workspace, case=case, rule=rule, rule_name=rule.name, item=item,
                              action=action, scores=reason["scores"], detail=reason["detail"], result=result,
                              at=at)
            if (case is not None and flag.decision == "approved" and action in ("hold", "hide", "reply")
                    and result == AutoAction.Result.DONE):
                # The moderator approved it: what the rule held is visible again (or its reply withdrawn).
                auto.result, auto.undone_at, auto.undone_by = AutoAction.Result.UNDONE, case.decided_at, case.decided_by
            auto.save()

    # Sanctions ---------------------------------------------------------------------------------------------------

    def _persons(self) -> dict[str, object]:
        from comptoir.members.models import Identity, Person

        persons = {}
        for name, handles in PEOPLE[self.slug].items():
            identities = list(Identity.objects.filter(workspace=self.workspace, handle__in=handles))
            if not identities:
                continue
            person = identities[0].person or Person.objects.create(
                workspace=self.workspace, display_name=name, created_at=self.now - timedelta(days=60))
            Identity.objects.filter(pk__in=[i.pk for i in identities]).update(person=person)
            Case.objects.filter(workspace=self.workspace, identity__in=identities).update(person=person)
            for handle in handles:
                persons[handle] = person
        return persons

    def _sanctions(self) -> None:
        persons = self._persons()
        appeals = APPEALS[self.slug]
        camille = self.people.get("camille")
        for n, flag in enumerate(self.flags):
            if not flag.sanction or n not in self.cases:
                continue
            case = self.cases[n]
            case.refresh_from_db(fields=["person"])
            step = self.steps[flag.sanction]
            start = case.decided_at + timedelta(minutes=1)
            ends = start + timedelta(hours=step.duration_hours) if step.duration_hours else None
            if step.kind in (LadderStep.Kind.REMINDER, LadderStep.Kind.WARNING):
                ends, status = start, Sanction.Status.EXPIRED
            else:
                status = Sanction.Status.ACTIVE if ends is None or ends > self.now else Sanction.Status.EXPIRED
            version = self.current if start >= self.current.published_at else self.versions[1]
            articles = ", ".join(str(a) for a in flag.articles)
            message = ("" if step.kind == LadderStep.Kind.BAN else
                       f"Bonjour, votre message enfreint la charte (article {articles}) : {step.label.lower()}. "
                       f"Vous pouvez contester cette décision dans les 14 jours par ce lien : "
                       f"https://comptoir.example/recours/{self._hash('appeal', n)[:16]}")
            sanction = Sanction.objects.create(
                workspace=self.workspace, person=persons.get(flag.who), identity_id=case.identity_id, case=case,
                step=step, kind=step.kind, level=step.position, label=step.label, articles=list(flag.articles),
                charter_version=version, reason=flag.note, starts_at=start, ends_at=ends, status=status,
                decided_by=case.decided_by, message=message,
                message_state="none" if step.kind == LadderStep.Kind.BAN else "sent",
                appeal_token_hash=hashlib.sha256(self._hash("appeal", n).encode()).hexdigest() if message else "",
                created_at=start)
            self._executions(sanction, flag, persons)
            if flag.who == appeals["pending"][0] and status == Sanction.Status.ACTIVE:
                Appeal.objects.create(workspace=self.workspace, sanction=sanction, text=appeals["pending"][1],
                                      submitted_at=min(start + timedelta(hours=2), self.now - timedelta(minutes=30)))
            elif flag.who == appeals["lifted"][0]:
                submitted = start + timedelta(hours=3)
                decided = submitted + timedelta(hours=5)
                Appeal.objects.create(workspace=self.workspace, sanction=sanction, text=appeals["lifted"][1],
                                      submitted_at=submitted, status=Appeal.Status.LIFTED, reviewer=camille,
                                      decided_at=decided, reason=appeals["lifted"][2])
                Sanction.objects.filter(pk=sanction.pk).update(
                    status=Sanction.Status.LIFTED, lifted_at=decided, lifted_by=camille, lift_reason=appeals["lifted"][2])
                SanctionExecution.objects.filter(sanction=sanction).update(state=SanctionExecution.State.UNDONE)

    def _executions(self, sanction: Sanction, flag: Flag, persons: dict) -> None:
        from comptoir.members.models import Identity

        actions = EXECUTION.get(sanction.kind)
        if actions is None:
            return
        person = persons.get(flag.who)
        identities = (list(Identity.objects.filter(person=person)) if person is not None
                      else list(Identity.objects.filter(pk=sanction.identity_id)))
        for identity in identities:
            channel = self.channels.get(identity.network)
            if channel is None:
                continue
            action = actions.get(identity.network)
            done = action is not None
            SanctionExecution.objects.create(
                sanction=sanction, identity=identity, channel=channel, action=action or sanction.kind,
                state=SanctionExecution.State.DONE if done else SanctionExecution.State.MANUAL,
                done_at=sanction.starts_at + timedelta(seconds=3) if done else None,
                done_by=sanction.decided_by if done else None)

    def _acceptances(self) -> None:
        from comptoir.members.models import Identity

        regulars = (Identity.objects.filter(workspace=self.workspace).exclude(handle__in=[
            f.who for f in self.flags]).exclude(handle__in=[c.handle for c in self.channels.values()]).order_by("pk"))
        for n, identity in enumerate(regulars[:14]):
            version = self.versions[1] if n < 5 else self.versions[2]
            at = version.published_at + timedelta(hours=self.rng.randint(1, 150))
            CharterAcceptance.objects.create(
                workspace=self.workspace, version=version, identity=identity, person=identity.person,
                name=identity.display_name, accepted_at=min(at, self.now - timedelta(minutes=5)),
                via="team" if n % 4 == 3 else "page")
