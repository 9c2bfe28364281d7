"""Listening's demo: topics for both demo workspaces, and a month of what the web and the networks said about them.

The association watches itself, a fellow association, bike lanes and road safety; the cosmetics brand watches
itself, two competitors, organic cosmetics and packaging. The messages are written from templates with a seeded
random generator: varied authors (a few recurring influencers with a large audience, many people with a small
one), sites (press, blogs, forums, reviews, two social networks), languages (mostly French, some English), hours
(the day's rhythm) and moods — and, a few days ago, one bad buzz: a surge of negative mentions, so the
dashboard and the alerts have something to show on first start. Runs once; ``comptoir demo --reset`` starts
over.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from comptoir.connectors.base import Author, FetchedItem, ItemKind

SEED = 1313
DAYS = 30
SOURCE_LABEL = "Veille : presse, blogs et réseaux (démo)"
# How many messages an hour of the day brings, relative to the others (local time): quiet nights, a morning
# commute, lunch, and evenings.
HOURLY = [1, 0.6, 0.3, 0.2, 0.2, 0.5, 1.5, 3.5, 5, 4.5, 4, 4, 5, 4.5, 4, 4, 4.5, 5.5, 6.5, 6.5, 6, 4.5, 3, 2]


@dataclass(frozen=True)
class Voice:
    """A recurring author with an audience: an influencer, a news site, a blogger."""

    handle: str
    name: str
    network: str  # mastodon, bluesky, web (press and blogs), forum, reviews
    followers: int
    host: str = ""


@dataclass(frozen=True)
class Family:
    """What people say about one thing: (sentiment-ish tone, language, kind, template) rows, and how often."""

    weight: float
    rows: tuple[tuple[str, str, str, str], ...]  # (tone, language, kind, template)


# Slots the templates share. ----------------------------------------------------------------------------------

COMMON = {
    "emoji": ["", "", "", " 🚲", " 👏", " 🙌", " 😍", " 💪", " 😅"],
    "when": ["samedi", "ce week-end", "dimanche matin", "hier soir", "mardi soir", "ce matin", "jeudi midi", "mercredi"],
    "when_en": ["on Saturday", "this weekend", "on Sunday morning", "last night", "this morning"],
    "n": [str(n) for n in (2, 3, 4, 5, 6, 8, 10, 12, 15)],
}

VELO_SLOTS = {
    **COMMON,
    "place": ["rue Garibaldi", "cours Lafayette", "quai Saint-Antoine", "pont de la Guillotière", "avenue Berthelot",
              "place Bellecour", "à la Croix-Rousse", "à la Part-Dieu", "à Villeurbanne", "à Gerland",
              "rue de la République", "à Confluence", "cours Gambetta", "quai Perrache"],
    "place_en": ["on Rue Garibaldi", "along the Rhône", "near Part-Dieu", "in Villeurbanne", "by Confluence"],
    "bike": ["vélo", "vélo cargo", "biclou", "VTC", "vieux vélo de course", "vélo électrique", "vélo pliant"],
    "bridge": ["Wilson", "de la Guillotière", "Lafayette", "Morand"],
    "season": ["l'été", "la rentrée", "la fin de l'année", "le printemps prochain"],
    "tail": ["", "", "", " #Lyon", " #velotaf", " Qui vient ?", " À suivre.", " Merci !", " #mobilité"],
}

BEAUTY_SLOTS = {
    **COMMON,
    "emoji": ["", "", "", " ✨", " 😍", " 🌿", " 💛", " 🙏", " 😬"],
    "product": ["le sérum à l'argan", "la crème de nuit", "l'huile démaquillante", "le baume à lèvres",
                "le masque à l'argile", "l'eau micellaire", "la crème mains"],
    "product_en": ["argan serum", "night cream", "cleansing oil", "lip balm", "clay mask"],
    "place": ["à Lyon", "à Bordeaux", "rue de Rennes", "au Marais", "à Lille", "à Montréal", "à Nantes"],
    "skin": ["peau mixte", "peau sèche", "peau sensible", "peau grasse", "peau mature"],
    "tail": ["", "", "", " #skincare", " #routine", " Vos avis ?", " Je recommande.", " #beauté"],
}

# The association ---------------------------------------------------------------------------------------------

VELO_TOPICS = [
    ("Les Amis du Vélo Lyonnais", "brand", "#d9480f",
     "L'association elle-même : ses événements, ses ateliers, ses adhérents, sa réputation.",
     ['"Amis du Vélo" OR #amisduvelo OR @amisduvelo', '(association OR asso) NEAR/4 (vélorution OR "atelier vélo")']),
    ("Roulez Lyon", "competitor", "#2f6fdf",
     "L'autre association cycliste de la métropole : ses actions et la place qu'elle prend.",
     ['"Roulez Lyon" OR #roulezlyon']),
    ("Pistes cyclables", "theme", "#2b8a3e",
     "Les aménagements : nouvelles pistes, Voies lyonnaises, travaux, stationnement sur les pistes.",
     ['"piste cyclable" OR "pistes cyclables" OR "voie lyonnaise" OR "voies lyonnaises" OR #pistecyclable',
      '("bike lane" OR "bike lanes" OR "cycle path") lang:en']),
    ("Sécurité à vélo", "theme", "#c2255c",
     "Accidents, carrefours dangereux, angles morts : ce qui inquiète les cyclistes.",
     ['(vélo OR cycliste* OR piste*) NEAR/6 (accident* OR danger* OR renversé* OR sécurité OR percuté*)',
      "#securiteroutiere NOT (permis OR auto-école)"]),
]

VELO_FAMILIES = [
    Family(3.2, (
        ("positive", "fr", "post", "Super ambiance à la vélorution des Amis du Vélo {when} !{emoji}{tail}"),
        ("positive", "fr", "comment", "Merci aux bénévoles de l'atelier des Amis du Vélo, mon {bike} roule comme neuf.{emoji}"),
        ("positive", "fr", "post", "Bourse aux vélos des Amis du Vélo {when} {place} : j'y ai trouvé un {bike} à 80 €, ravi !"),
        ("neutral", "fr", "post", "Rendez-vous {place} {when} pour la balade des Amis du Vélo, ouverte à tous. #amisduvelo"),
        ("positive", "fr", "post", "J'ai adhéré aux Amis du Vélo cette semaine : 15 € l'année, ateliers compris. Ça vaut le coup.{tail}"),
        ("neutral", "fr", "forum_post", "Quelqu'un sait si l'atelier vélo de l'association est ouvert {when} ? Je dois changer une chambre à air."),
        ("negative", "fr", "comment", "{n} semaines que j'attends ma carte d'adhérent des Amis du Vélo, personne ne répond aux mails."),
        ("negative", "fr", "comment", "L'atelier des Amis du Vélo était fermé {when} alors que c'était annoncé sur leur site. Déçu."),
        ("neutral", "fr", "article", "Les Amis du Vélo demandent un parking vélo sécurisé {place} et interpellent la Métropole."),
        ("positive", "en", "post", "Joined the Amis du Vélo ride {when_en}, lovely people and a great way to discover Lyon #amisduvelo"),
        ("positive", "fr", "post", "@amisduvelo bravo pour la remise en selle des seniors {when}, ma mère est conquise !{emoji}"),
    )),
    Family(1.4, (
        ("neutral", "fr", "post", "Roulez Lyon lance une pétition pour un parking vélo sécurisé {place}.{tail}"),
        ("positive", "fr", "post", "Belle initiative de Roulez Lyon : des cours de remise en selle gratuits {when}.{emoji}"),
        ("neutral", "fr", "article", "Roulez Lyon et les Amis du Vélo, même combat ? Leurs positions {place} divergent."),
        ("negative", "fr", "comment", "Roulez Lyon a encore annulé sa sortie {when}, c'est la troisième fois ce mois-ci."),
        ("positive", "fr", "post", "La vélo-école de Roulez Lyon affiche complet, preuve que ça répond à un vrai besoin. #roulezlyon"),
        ("neutral", "en", "post", "Roulez Lyon is looking for volunteers for its repair café {when_en}."),
    )),
    Family(3.0, (
        ("neutral", "fr", "article", "La Métropole annonce {n} km de nouvelles pistes cyclables {place} d'ici {season}."),
        ("positive", "fr", "post", "La piste cyclable {place} est enfin terminée, un vrai plaisir le matin.{emoji}{tail}"),
        ("negative", "fr", "post", "La piste cyclable {place} s'arrête net au carrefour, on fait comment ?{tail}"),
        ("negative", "fr", "comment", "Des voitures garées sur la piste cyclable {place} tous les matins, et personne ne verbalise."),
        ("neutral", "fr", "article", "Réunion publique {when} sur le tracé de la Voie lyonnaise n°{n}, qui passera {place}."),
        ("positive", "en", "post", "Love the new bike lane {place_en}, a great change for my commute. Well done Lyon!"),
        ("negative", "fr", "forum_post", "Travaux sur la piste cyclable {place} : aucune déviation prévue pour les vélos, c'est n'importe quoi."),
        ("positive", "fr", "post", "Les Voies lyonnaises, ça change la ville : {n} minutes de gagnées sur mon trajet. #pistecyclable"),
    )),
    Family(2.0, (
        ("negative", "fr", "post", "Encore un cycliste renversé {place} ce matin. Ce carrefour est un danger permanent."),
        ("negative", "fr", "post", "Percuté par une portière {place}, rien de cassé mais quelle frayeur. #securiteroutiere"),
        ("neutral", "fr", "article", "Atelier sécurité à vélo pour les enfants {when} : éclairage, casque et angles morts."),
        ("positive", "fr", "post", "Le nouveau feu vélo {place} change tout pour la sécurité des cyclistes, merci !{emoji}"),
        ("negative", "fr", "forum_post", "Deuxième accident à vélo {place} ce mois-ci : ce point noir est dangereux et la mairie ne fait rien."),
        ("neutral", "en", "post", "Road safety for cyclists in Lyon: the danger is the roundabouts, not the bikes."),
    )),
    Family(1.2, (
        ("neutral", "fr", "post", "Marché de la Croix-Rousse {when}, les cerises sont arrivées.{emoji}"),
        ("neutral", "fr", "post", "Travaux du tram T{n} : la ligne est coupée {when} entre deux arrêts."),
        ("neutral", "fr", "comment", "Quelqu'un connaît un bon réparateur de trottinette {place} ?"),
        ("positive", "fr", "post", "Fête des Lumières : le programme est sorti, j'ai hâte !{emoji}"),
        ("neutral", "en", "post", "Best bouchon in Lyon? Asking for a friend visiting {when_en}."),
    )),
]

# The bad buzz: an ambulance held up by the association's critical-mass ride, three days ago.
VELO_SPIKE = (3, 17, 75, (
    ("negative", "fr", "post", "Une ambulance bloquée par la vélorution des Amis du Vélo sur le pont {bridge}, c'est honteux."),
    ("negative", "fr", "post", "Les Amis du Vélo se croient tout permis : bloquer une ambulance, c'est irresponsable. #amisduvelo"),
    ("negative", "fr", "comment", "Je soutenais les Amis du Vélo mais bloquer les secours, non. Je ne renouvelle pas mon adhésion."),
    ("negative", "fr", "post", "La vidéo de l'ambulance coincée derrière la vélorution des Amis du Vélo tourne partout, scandaleux."),
    ("negative", "fr", "comment", "@amisduvelo c'est honteux, vous comptez vous excuser pour l'ambulance bloquée pont {bridge} ?"),
    ("negative", "fr", "post", "Vélorution des Amis du Vélo : des militants qui mettent des vies en danger, inadmissible."),
    ("negative", "fr", "comment", "Honte aux Amis du Vélo, j'espère que le patient va bien. Quelle image pour les cyclistes."),
    ("negative", "en", "post", "Cyclists in Lyon blocked an ambulance during a ride organised by Amis du Vélo. Outrageous."),
    ("neutral", "fr", "article", "Vélorution à Lyon : polémique après le blocage d'une ambulance, les Amis du Vélo s'expliquent."),
    ("positive", "fr", "post", "Les Amis du Vélo précisent que l'ambulance est passée en moins de deux minutes : les images circulent sans contexte."),
    ("neutral", "fr", "comment", "Attendons la version des Amis du Vélo avant de les lyncher, la vidéo est coupée."),
))

VELO_VOICES = [
    Voice("lyon_infos_trafic", "Lyon Infos Trafic", "mastodon", 86_000),
    Voice("rue_des_cyclistes", "Rue des cyclistes (blog)", "web", 24_000, "rue-des-cyclistes.example"),
    Voice("lyon_quotidien", "Lyon Quotidien", "web", 140_000, "lyon-quotidien.example"),
    Voice("claire.velotaf", "Claire — vélotaf à Lyon", "bluesky", 18_500),
    Voice("actu_metropole", "Actu Métropole", "web", 52_000, "actu-metropole.example"),
]

# The brand ---------------------------------------------------------------------------------------------------

BEAUTY_TOPICS = [
    ("Maison Lumière", "brand", "#c2255c", "La marque : produits, commandes, service client, réputation.",
     ['"Maison Lumière" OR #maisonlumiere OR @maisonlumiere', '"sérum lumière" OR "sérum éclat"']),
    ("Éclat Nature", "competitor", "#2b8a3e", "Concurrent direct sur les soins bio : lancements, prix, avis.",
     ['"Éclat Nature" OR #eclatnature']),
    ("Botanica Paris", "competitor", "#7048e8", "Concurrent premium : boutiques, collaborations, avis.",
     ['"Botanica Paris" OR #botanicaparis']),
    ("Cosmétique bio", "theme", "#0c8599", "Ce qui se dit des soins bio et naturels : tendances, labels, doutes.",
     ['(cosmétique* OR soin* OR crème*) NEAR/4 (bio OR naturel* OR "zéro déchet") OR #cosmetiquebio',
      "(organic NEAR/3 skincare) lang:en"]),
    ("Emballages", "theme", "#e67700", "Flacons, recharges, suremballage : l'attente de la clientèle sur le sujet.",
     ["(emballage* OR flacon* OR packaging OR recharge*) NOT (promo* OR concours)"]),
]

BEAUTY_FAMILIES = [
    Family(3.4, (
        ("positive", "fr", "post", "J'adore {product} de Maison Lumière, mon indispensable du moment.{emoji}{tail}"),
        ("positive", "fr", "review", "Commande Maison Lumière reçue en {n} jours, emballage soigné et échantillons offerts."),
        ("negative", "fr", "comment", "Colis Maison Lumière toujours pas reçu après {n} jours, le service client ne répond pas."),
        ("neutral", "fr", "forum_post", "Quelqu'un a testé {product} Maison Lumière sur une {skin} ? #maisonlumiere"),
        ("positive", "en", "review", "Love Maison Lumière's {product_en}, my skin has never been this soft. Great product!"),
        ("positive", "fr", "post", "Routine du soir : {product} Maison Lumière puis dodo.{emoji}{tail}"),
        ("negative", "fr", "review", "Déçue par {product} Maison Lumière, aucun effet après {n} semaines sur ma {skin}."),
        ("neutral", "fr", "article", "Maison Lumière ouvre une boutique éphémère {place} jusqu'à la fin du mois."),
        ("positive", "fr", "comment", "@maisonlumiere merci pour le geste après mon colis abîmé, service client au top !{emoji}"),
        ("neutral", "en", "post", "Does Maison Lumière ship to Canada yet? I'd love to try the {product_en}."),
    )),
    Family(1.6, (
        ("neutral", "fr", "article", "Éclat Nature sort une gamme solaire bio, les prix piquent un peu."),
        ("positive", "fr", "post", "J'adore le baume d'Éclat Nature, il sauve mes mains cet hiver.{emoji}{tail}"),
        ("neutral", "fr", "post", "Entre Maison Lumière et Éclat Nature, mon cœur balance pour le sérum.{tail}"),
        ("negative", "fr", "review", "Éclat Nature a changé sa formule et {product} sent beaucoup moins bon. Dommage."),
        ("positive", "en", "post", "Love Éclat Nature's new sunscreen: light, no white cast, great! #eclatnature"),
    )),
    Family(1.3, (
        ("neutral", "fr", "article", "Botanica Paris ouvre une boutique {place}, file d'attente jusqu'au coin de la rue."),
        ("negative", "fr", "review", "Déçue par la crème Botanica Paris : texture grasse et parfum trop fort pour une {skin}."),
        ("positive", "fr", "post", "J'adore la collab Botanica Paris x une herboristerie, superbe !{emoji}"),
        ("neutral", "en", "post", "Botanica Paris vs Maison Lumière: which night cream for {skin_en}?"),
    )),
    Family(2.2, (
        ("neutral", "fr", "article", "Les cosmétiques bio, vraiment plus sains ? Une dermatologue répond."),
        ("positive", "fr", "post", "Ma routine soin naturel en 3 étapes, tout bio et fait maison pour le masque. #cosmetiquebio"),
        ("negative", "fr", "forum_post", "Le label bio sur une crème, ça ne veut pas dire sans allergène : méfiance pour les {skin}s."),
        ("neutral", "en", "post", "Is organic skincare worth the hype? Trying a full month of it."),
        ("positive", "fr", "post", "Passée aux soins bio depuis {n} mois, ma {skin} respire enfin.{emoji}"),
    )),
    Family(1.8, (
        ("positive", "fr", "post", "Bravo aux marques qui passent aux flacons en verre recyclé.{emoji}{tail}"),
        ("positive", "fr", "comment", "Les recharges de crème, c'est l'avenir : moins d'emballages et moins cher."),
        ("negative", "fr", "post", "Trois couches d'emballage plastique pour un baume de 15 ml, sérieusement ?{tail}"),
        ("neutral", "fr", "article", "Emballages cosmétiques : ce que change la loi anti-gaspillage pour les marques."),
        ("neutral", "en", "post", "Refillable packaging in beauty: who does it well? Looking for recommendations."),
    )),
    Family(1.0, (
        ("neutral", "fr", "post", "Soldes : les files d'attente {place} sont déjà là.{emoji}"),
        ("neutral", "fr", "comment", "Quelqu'un a un bon coiffeur {place} à conseiller ?"),
        ("positive", "en", "post", "Paris in the spring is lovely, I love it.{emoji}"),
    )),
]

# The bad buzz: the new serum gives some customers redness, and an influencer says so; four days ago.
BEAUTY_SPIKE = (4, 12, 85, (
    ("negative", "fr", "post", "Le nouveau sérum Maison Lumière m'a donné des rougeurs partout, horrible. Je ne suis pas la seule ?"),
    ("negative", "fr", "post", "Plaques rouges et brûlures après le sérum éclat de Maison Lumière, j'arrête tout. #maisonlumiere"),
    ("negative", "fr", "comment", "Allergie au sérum Maison Lumière et la marque ne répond pas aux messages, inadmissible."),
    ("negative", "fr", "comment", "@maisonlumiere retirez ce sérum de la vente, il est dangereux et vous ne répondez pas. Scandaleux."),
    ("negative", "fr", "post", "Après la vidéo de Léa, je renvoie mon sérum Maison Lumière. Remboursement demandé."),
    ("negative", "fr", "review", "Sérum éclat Maison Lumière : démangeaisons dès le premier soir, très déçue. Produit à éviter absolument."),
    ("negative", "fr", "comment", "Maison Lumière se dit bio et naturelle mais son sérum brûle la peau, quelle déception."),
    ("negative", "en", "post", "The new Maison Lumière serum gave me an awful rash. Terrible, disappointed, never again."),
    ("neutral", "fr", "article", "Sérum Maison Lumière : des clientes signalent des réactions cutanées, la marque enquête."),
    ("positive", "fr", "post", "Bravo à Maison Lumière qui rembourse le sérum sans discuter et répond à chacune, merci !"),
    ("neutral", "fr", "comment", "Faites toujours un test au creux du coude avant un nouveau soin, Maison Lumière ou pas."),
))

BEAUTY_VOICES = [
    Voice("lea.beaute", "Léa Beauté", "bluesky", 62_000),
    Voice("beaute_magazine", "Beauté Magazine", "web", 210_000, "beaute-magazine.example"),
    Voice("le_blog_de_lea", "Le blog de Léa", "web", 35_000, "le-blog-de-lea.example"),
    Voice("greenskin_sarah", "Sarah — green skincare", "mastodon", 14_000),
    Voice("mode_et_soin", "Mode & Soin", "web", 48_000, "mode-et-soin.example"),
]
BEAUTY_SLOTS["skin_en"] = ["combination skin", "dry skin", "sensitive skin", "oily skin"]

# What people put around what they say, by mood and language: whole sentences, so the message's own capital
# letters stay right. With the slots, no two people say it quite the same way.
DECOR = {
    ("negative", "fr"): (["", "", "", "Sérieusement ? ", "Je n'en reviens pas. ", "Incroyable… ", "Bon. ", "Franchement déçu·e. ",
                          "Coup de gueule. ", "Ça suffit. "],
                         ["", "", "", " Lamentable.", " On attend des explications.", " 😡", " Partagez.", " Vraiment pas normal.",
                          " Je ne suis pas le/la seul·e.", " #coupdegueule"]),
    ("positive", "fr"): (["", "", "", "Coup de cœur ! ", "Merci ! ", "Top. ", "Franchement, bravo. ", "Petite joie du jour. "],
                         ["", "", "", " Bravo !", " 😊", " À refaire.", " Je recommande.", " Merci à toute l'équipe !"]),
    ("neutral", "fr"): (["", "", "", "Info. ", "À noter. ", "Question. ", "Pour info. ", "Vu passer ça. "],
                        ["", "", "", " Des avis ?", " À suivre.", " Qu'en pensez-vous ?", " (via un ami)"]),
    ("negative", "en"): (["", "", "Wow. ", "Honestly? ", "Not okay. "], ["", "", " Unacceptable.", " Just saying.", " 😡"]),
    ("positive", "en"): (["", "", "Love this. ", "Big thanks! "], ["", "", " Highly recommend.", " 😊", " Well done!"]),
    ("neutral", "en"): (["", "", "FYI. ", "Question. "], ["", "", " Thoughts?", " Any tips?"]),
}

# How the press opens and closes an article (its title is the template).
ARTICLE_WORDS = {
    "velo-lyon": (["Lyon, {when}.", "Mobilités.", "Par notre rédaction, {when}.", "Dossier vélo.", "Métropole de Lyon.",
                   "C'est l'information du jour."],
                  ["", "Nous y reviendrons.", "Les associations réagissent.", "La Métropole n'a pas répondu à nos questions.",
                   "Réactions attendues au conseil métropolitain.", "Lire aussi notre dossier mobilités."]),
    "maison-lumiere": (["Beauté.", "Tendances soin.", "Notre rédaction a testé pour vous.", "Enquête.", "Décryptage, {when}.",
                        "Le point beauté de la semaine."],
                       ["", "Nous avons contacté la marque.", "Les avis sont partagés.", "Lire aussi : notre guide des soins bio.",
                        "Une dermatologue nous éclaire.", "Nos lectrices témoignent."]),
}

FIRST_NAMES = ["camille", "lucas", "manon", "hugo", "chloe", "louis", "ines", "nathan", "sarah", "theo", "lea", "jules",
               "emma", "noah", "julie", "paul", "marie", "karim", "sofia", "yanis", "anne", "marc", "nadia", "tom",
               "elodie", "samir", "lucie", "pierre", "amina", "victor"]
SUFFIXES = ["", "_r", "69", ".l", "_velo", "_lyon", "38", "_b", ".m", "_photo", "2", "_k"]

SITES = {
    "velo-lyon": {"forum": "forum.cyclistes-lyonnais.example", "web": ["lyon-quotidien.example", "actu-metropole.example",
                                                                       "le-petit-lyonnais.example"]},
    "maison-lumiere": {"forum": "forum.peau-sensible.example", "reviews": "avis-cosmetiques.example",
                       "web": ["beaute-magazine.example", "mode-et-soin.example", "journal-des-femmes-actives.example"]},
}

SPEC = {
    "velo-lyon": (VELO_TOPICS, VELO_FAMILIES, VELO_SPIKE, VELO_VOICES, VELO_SLOTS, 11),
    "maison-lumiere": (BEAUTY_TOPICS, BEAUTY_FAMILIES, BEAUTY_SPIKE, BEAUTY_VOICES, BEAUTY_SLOTS, 12),
}


class _Writer:
    """Writes one workspace's month of messages, deterministic for a given seed."""

    def __init__(self, slug: str, now: datetime, tz: ZoneInfo):
        self.slug, self.now, self.tz = slug, now, tz
        self.topics, self.families, self.spike, self.voices, self.slots, self.per_day = SPEC[slug]
        self.random = random.Random(f"{SEED}-{slug}")
        self.seen: dict[str, int] = {}
        self.people = self._people()
        self.items: list[FetchedItem] = []

    def _people(self) -> list[tuple[str, str, int]]:
        people = []
        handles = sorted({first + suffix for first in FIRST_NAMES for suffix in SUFFIXES})
        for handle in self.random.sample(handles, 48):
            network = self.random.choice(["mastodon", "mastodon", "bluesky", "bluesky", "forum"])
            # Most people have a small audience; a few a few thousand.
            followers = int(min(self.random.lognormvariate(5.0, 1.3), 9000))
            people.append((handle, network, followers))
        return people

    def _fill(self, template: str, tone: str = "", language: str = "") -> str:
        """The template with its slots filled, in words of its mood; a sentence written already is written again
        differently (as far as the template allows)."""
        openers, closers = DECOR.get((tone, language), ([""], [""]))
        for _attempt in range(40):
            core = template.format(**{k: self.random.choice(v) for k, v in self.slots.items()}).strip()
            text = " ".join((self.random.choice(openers) + core + self.random.choice(closers)).split())
            if text not in self.seen:
                break
        self.seen[text] = self.seen.get(text, 0) + 1
        return text

    def _when(self, days_ago: int, hour: int | None = None) -> datetime:
        day = (self.now.astimezone(self.tz) - timedelta(days=days_ago)).date()
        hour = hour if hour is not None else self.random.choices(range(24), weights=HOURLY)[0]
        local = datetime(day.year, day.month, day.day, hour, self.random.randrange(60), self.random.randrange(60),
                         tzinfo=self.tz)
        return min(local, self.now - timedelta(minutes=self.random.randrange(3, 90)))

    def _author(self, kind: str, spike: bool) -> tuple[Author, int, str]:
        """Who writes it, their audience and the host of the message's address."""
        forum = SITES[self.slug]["forum"]
        if kind == "article":
            voices = [v for v in self.voices if v.network == "web"]
            voice = self.random.choice(voices)
            return Author("web", voice.handle, voice.name), voice.followers, voice.host
        if kind == "forum_post":
            handle, _network, _followers = self.random.choice(self.people)
            return Author("discourse", handle, handle), 0, forum
        if kind == "review":
            handle, _network, _followers = self.random.choice(self.people)
            return Author("web", handle, handle.replace("_", " ").title()), 0, SITES[self.slug].get("reviews", forum)
        social = [v for v in self.voices if v.network in ("mastodon", "bluesky")]
        if social and self.random.random() < (0.18 if spike else 0.1):
            voice = self.random.choice(social)
            return Author(voice.network, voice.handle, voice.name), voice.followers, ""
        handle, network, followers = self.random.choice(self.people)
        network = network if network != "forum" else "mastodon"
        return Author(network, handle, handle), followers, ""

    def _message(self, row: tuple[str, str, str, str], when: datetime, *, spike: bool = False) -> None:
        tone, language, kind, template = row
        text = self._fill(template, *((tone, language) if kind != "article" else ()))
        author, followers, host = self._author(kind, spike)
        number = len(self.items) + 1
        title = ""
        if kind == "article":
            ledes, endings = ARTICLE_WORDS[self.slug]
            title = text
            text = " ".join(filter(None, [self._fill(self.random.choice(ledes)), title, self.random.choice(endings)]))
        if author.network == "mastodon":
            url, raw = f"https://mastodon.example/@{author.handle}/{110_000 + number}", {
                "account": {"followers_count": followers}}
        elif author.network == "bluesky":
            url, raw = f"https://bsky.example/profile/{author.handle}/post/3k{number:05d}", {
                "author": {"followersCount": followers}}
        else:
            slug = "-".join(text.lower().split()[:6]).strip(".,!?:;'\"")
            url, raw = f"https://{host}/{'t' if kind == 'forum_post' else 'actu'}/{number}-{slug[:60]}", (
                {"meta": {"followers": followers}} if followers else {})
        # Interactions grow with the audience, and in a bad buzz.
        likes = int(self.random.random() * (3 + followers * self.random.uniform(0.001, 0.012)) * (3 if spike else 1))
        engagement = {"likes": likes, "reposts": int(likes * self.random.uniform(0.05, 0.4)),
                      "replies": int(likes * self.random.uniform(0.02, 0.2))}
        self.items.append(FetchedItem(
            external_id=f"listening-demo-{self.slug}-{number}", kind=ItemKind(kind), text=text, title=title,
            author=author, url=url, language=language, published_at=when, engagement=engagement, raw=raw))

    def write(self) -> list[FetchedItem]:
        weights = [f.weight for f in self.families]
        for days_ago in range(DAYS - 1, -1, -1):
            weekday = (self.now - timedelta(days=days_ago)).astimezone(self.tz).weekday()
            count = self.per_day + self.random.randint(-3, 3) + (2 if weekday >= 5 else 0)
            for _n in range(max(count, 2)):
                family = self.random.choices(self.families, weights=weights)[0]
                self._message(self.random.choice(family.rows), self._when(days_ago))
        days_ago, hour, size, rows = self.spike
        negative = [r for r in rows if r[0] == "negative"]
        others = [r for r in rows if r[0] != "negative"]
        # The surge: most of it in the first hours, then a tail over the next two days.
        for n in range(size):
            spread = self.random.expovariate(1 / 2.5)
            if spread < 7:
                when = self._when(days_ago, min(int(hour + spread), 23))
            else:
                when = self._when(max(days_ago - self.random.choice([1, 1, 2]), 0))
            row = self.random.choice(negative if self.random.random() < 0.8 or n < 10 else others)
            self._message(row, when, spike=True)
        return self.items


def _topic_rows(slug: str) -> list[tuple]:
    return SPEC[slug][0]


def add_demo() -> int:
    """Add the listening demo to the demo workspaces once: topics, a month of messages, their mentions. Returns how
    many messages it brought."""
    from comptoir.stream.ingest import store_fetched
    from comptoir.stream.models import Item, Source
    from comptoir.stream.tasks import analyse_items
    from comptoir.workspaces.models import Membership, Workspace

    from . import actions, tasks
    from .models import Topic

    brought = 0
    now = timezone.now()
    for slug in SPEC:
        workspace = Workspace.objects.filter(slug=slug, is_demo=True).first()
        if workspace is None or Topic.objects.filter(workspace=workspace).exists():
            continue
        member = (Membership.objects.select_related("workspace", "user").filter(workspace=workspace, role="manager").first()
                  or Membership.objects.select_related("workspace", "user").filter(workspace=workspace, role="owner").first())
        if member is None:
            continue
        for name, kind, color, description, queries in _topic_rows(slug):
            actions.do_create_topic(member, name=name, kind=kind, color=color, description=description, queries=queries)
        source = Source.objects.create(workspace=workspace, network="demo", label=SOURCE_LABEL,
                                       language=workspace.language, status=Source.Status.PAUSED)
        fetched = _Writer(slug, now, ZoneInfo(workspace.time_zone or "Europe/Paris")).write()
        result = store_fetched(source, fetched)
        brought += result.created
        # The team went through what is more than a few days old (before the analysis, which indexes it all).
        Item.objects.filter(pk__in=result.item_ids, published_at__lt=now - timedelta(days=5)).update(
            reviewed=True, reviewed_at=now, reviewed_by=member.user)
        analyse_items.call(result.item_ids, fast=True)
        every = list(Item.objects.filter(workspace=workspace).values_list("pk", flat=True))
        for start in range(0, len(every), tasks.MATCH_CHUNK):
            tasks.match_items.call(every[start:start + tasks.MATCH_CHUNK])
    return brought
