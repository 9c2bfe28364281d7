"""The inbox demo: three weeks of what members wrote to each demo workspace's own channels, and the team's answers.

Members' messages come in the way a channel's reading brings them (``store_fetched`` into the channel's source, then
``analyse_items``), so the real threading code builds the conversations from their labels. The team's replies sent
from Comptoir are stored as the sending task leaves them (sent, with the network's id, so the members' answers to them
join the same conversation); a few were answered on the network itself (the channel's own messages, read back).

The inbox's configuration (teams and their hours, response-time targets, routing rules, saved replies, settings) is
created *after* the messages are threaded, so nothing runs on the demo by itself: the rules' effects are written here
as the rules would have left them, each timeline line naming its rule, and the rules' counters say how many
conversations they matched. Then the people's work: assignment, statuses, notes, an expert's draft waiting for a CM,
a reply that could not be sent, missed response targets, satisfaction answers, feedback for management and last
week's digest. Demo channels are never connected: nothing here is sent. Runs once per workspace; ``comptoir demo
--reset`` starts over.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.lib import i18n

from .actions import PRIORITY_NAMES, STATUS_NAMES
from .models import (
    Conversation,
    ConversationTag,
    Digest,
    Event,
    Feedback,
    InboxSettings,
    Note,
    Reply,
    ResponseTarget,
    RoutingRule,
    Satisfaction,
    SavedReply,
    Team,
    TeamMember,
)


@dataclass(frozen=True)
class Talk:
    """One conversation as it happened, in order.

    ``steps``: ``("m", text)`` the member writes; ``("x", handle, name, text)`` another member writes in the same
    topic or thread; ``("o", text)`` (W) the channel answers on the network itself; ``("r", agent, text)`` an answer sent
    from Comptoir; ``("n", agent, text)`` an internal note; ``("d", text)`` the expert's draft waiting for a CM;
    ``("f", agent, text)`` an answer the network refused.
    ``feedback``: (kind, theme) or (kind, theme, answer, management's note) or (…, text telling the members).
    """

    network: str
    who: str
    name: str
    steps: tuple[tuple[str, ...], ...]
    status: str = "closed"
    ago: float = 24.0  # hours since the last step
    on_post: bool = False  # a comment under one of our posts
    dm: bool = False
    title: str = ""  # topic or e-mail subject
    assignee: str = ""
    team: str = ""  # routed by hand to this team
    tags: tuple[str, ...] = ()
    unread: bool | None = None
    priority: int | None = None
    late: bool = False  # its response-time target was missed
    feedback: tuple[str, ...] = ()
    csat: int | None = None
    csat_comment: str = ""


M, R, W, N, D, F, X = "m", "r", "o", "n", "d", "f", "x"

# Les Amis du Vélo Lyonnais --------------------------------------------------------------------------------------

VELO_TALKS = [
    Talk("mastodon", "lucie_g@piaille.fr", "Lucie Garnier", (
        (M, "Bonjour ! Je suis étudiante, y a-t-il un tarif réduit pour adhérer à l'association ?"),
        (R, "camille", "Bonjour Lucie, oui : 5 € pour les étudiants et les personnes sans emploi. L'adhésion se fait en "
                       "ligne sur amisduvelo.org/adherer 🚲"),
        (M, "C'est fait, merci beaucoup pour la réponse rapide !"),
    ), ago=9 * 24, on_post=True, csat=5, feedback=("praise", "Adhésion")),
    Talk("mastodon", "jeanmarc69@mastodon.social", "Jean-Marc Perrin", (
        (M, "Trois semaines que j'ai payé ma cotisation et toujours aucune carte d'adhérent dans ma boîte aux lettres. C'est "
            "inadmissible."),
        (R, "mehdi", "Bonjour Jean-Marc, désolé pour ce retard : les cartes de novembre sont parties tard à cause d'un "
                     "souci chez l'imprimeur. Je vérifie votre dossier et je reviens vers vous."),
        (N, "mehdi", "Dossier trouvé : paiement du 3, carte jamais éditée. Claire, on peut la renvoyer en urgence ?"),
        (M, "Toujours rien reçu… Je commence à regretter d'avoir adhéré."),
    ), status="open", late=True, ago=30, tags=("carte d'adhérent",), feedback=("problem", "Adhésion")),
    Talk("mastodon", "sophie_velotaf@piaille.fr", "Sophie Marchand", (
        (M, "Quelle vélorution samedi ! Super ambiance, et le parcours était vraiment bien sécurisé, bravo."),
        (W, "Merci Sophie, rendez-vous à la prochaine ! 💚"),
    ), ago=12 * 24, on_post=True, feedback=("praise", "Événements")),
    Talk("mastodon", "thomas_b@framapiaf.org", "Thomas Bernard", (
        (M, "Pendant les vacances scolaires, l'atelier du mardi soir reste ouvert ?"),
    ), status="open", ago=0.7, unread=True),
    Talk("mastodon", "aicha_dev@piaille.fr", "Aïcha Benkirane", (
        (M, "Bonjour, j'ai vu une erreur sur votre carte des pistes : la rue Paul Bert apparaît en double sens alors "
            "qu'elle est en sens unique pour les vélos."),
        (R, "camille", "Merci Aïcha ! Je transmets à l'équipe qui tient la carte, on corrige au plus vite."),
        (N, "camille", "Paul, tu peux regarder la couche OpenStreetMap de la rue Paul Bert ?"),
        (N, "paul", "Vu : l'import date de 2023, je corrige ce soir et je relance la génération de la carte."),
    ), status="pending", ago=20, dm=True, assignee="paul", feedback=("problem", "Carte des pistes")),
    Talk("mastodon", "tom_in_lyon@mastodon.social", "Tom Walker", (
        (M, "Hello! Can I join the Saturday ride without being a member? New in town."),
        (R, "camille", "Hi Tom, welcome to Lyon! Yes, the Saturday ride is open to everyone: meet at 10 am on Place des "
                       "Terreaux."),
        (M, "Great, see you there!"),
    ), ago=15 * 24, csat=5),
    Talk("mastodon", "claire_m@piaille.fr", "Claire Mercier", (
        (M, "Impossible de garer mon vélo à la Part-Dieu ce matin, tout est plein. Vous comptez interpeller la Métropole ?"),
        (R, "claire", "Bonjour Claire, oui : nous rencontrons la Métropole le 12 et le stationnement en gare est le "
                      "premier point de notre liste. On vous tient au courant."),
    ), status="pending", ago=2 * 24, feedback=("problem", "Stationnement", "planned",
                                                 "Point inscrit à la rencontre du 12 avec la Métropole.")),
    Talk("mastodon", "famille_roche@piaille.fr", "Émilie Roche", (
        (M, "Vos balades du dimanche, c'est toujours à 10 h ? On aimerait venir avec les enfants (6 et 9 ans)."),
        (R, "camille", "Bonjour Émilie, oui, départ 10 h au parc de la Tête d'Or. Les enfants sont les bienvenus, "
                       "casque obligatoire et un adulte pour deux enfants."),
        (M, "Parfait, on sera là dimanche !"),
    ), ago=6 * 24, on_post=True, csat=5, tags=("balade",)),
    Talk("mastodon", "b_faure@mamot.fr", "Bruno Faure", (
        (M, "Votre application plante quand je veux payer mon adhésion par carte, message d'erreur « paiement "
            "refusé » alors que ma carte marche partout ailleurs. Très agaçant."),
    ), status="open", late=True, ago=28, unread=True, feedback=("problem", "Application mobile")),
    Talk("mastodon", "hugo_vtt@piaille.fr", "Hugo Lemaire", (
        (M, "Est-ce que l'asso fait du marquage Bicycode ? Mon vélo a été volé l'an dernier, je ne veux pas que ça "
            "recommence."),
        (R, "mehdi", "Bonjour Hugo, oui : à chaque atelier du mardi, 5 € pour les adhérents, et gratuit pendant la "
                     "Fête du vélo."),
    ), ago=10 * 24, csat=4),
    Talk("mastodon", "marie_l@piaille.fr", "Marie Lefèvre", (
        (M, "Un grand merci à l'équipe de l'atelier, mes freins n'ont jamais aussi bien marché !"),
        (W, "Merci Marie, ça fait plaisir 🔧"),
    ), ago=4 * 24, on_post=True, feedback=("praise", "Ateliers")),
    Talk("mastodon", "nadia_k@mastodon.social", "Nadia Khelifi", (
        (M, "Vous pourriez organiser des ateliers le samedi matin ? En semaine je finis trop tard pour venir."),
        (R, "camille", "Merci pour l'idée Nadia, je la transmets au bureau !"),
    ), ago=18 * 24, feedback=("idea", "Horaires", "planned", "Un atelier le samedi matin, une semaine sur deux, dès "
                                                             "janvier.",
                              "Bonne nouvelle Nadia : un atelier aura lieu le samedi matin, une semaine sur deux, dès "
                              "janvier. Merci pour l'idée !")),
    Talk("mastodon", "sam_r@piaille.fr", "Samuel Robin", (
        (M, "Super idée la vélo-école pour adultes ! Il reste des places pour la session de janvier ?"),
    ), status="open", ago=3, on_post=True),
    Talk("mastodon", "hugo_l@framapiaf.org", "Hugo Lambert", (
        (M, "J'ai une panne de freins hydrauliques sur mon VTC, vous savez purger ça à l'atelier ?"),
        (N, "paul", "Oui, on a le kit de purge Shimano : mardi ça marche, je m'en occupe."),
        (R, "mehdi", "Bonjour Hugo, oui, on a le matériel. Venez mardi à 18 h, Paul s'en occupera."),
        (M, "Top, merci !"),
    ), ago=8 * 24, assignee="paul", csat=5),
    Talk("mastodon", "marc_d@piaille.fr", "Marc Dumas", (
        (M, "Je trouve que 25 € l'adhésion, c'est cher pour une asso, surtout comparé à d'autres villes."),
        (R, "camille", "Bonjour Marc, l'adhésion comprend l'assurance pendant les ateliers et les balades, et le tarif "
                       "solidaire à 5 € reste ouvert à toutes celles et ceux qui en ont besoin."),
    ), ago=14 * 24, csat=2, csat_comment="Réponse polie mais c'est toujours trop cher à mon goût.",
        feedback=("problem", "Tarifs", "declined", "Le tarif finance l'assurance des ateliers ; le tarif solidaire "
                                                   "à 5 € reste ouvert à tous.")),
    Talk("mastodon", "cyclo_livraison@mastodon.social", "Cyclo Livraison Lyon", (
        (M, "Bonjour, nous sommes une coopérative de livraison à vélo et nous aimerions devenir partenaires de la Fête "
            "du vélo. À qui s'adresser ?"),
        (R, "claire", "Bonjour, ravie de votre message ! Je vous écris en privé pour en parler."),
    ), status="pending", ago=26),
    Talk("mastodon", "greg_p@piaille.fr", "Grégoire Petit", (
        (M, "Quelqu'un a retrouvé un antivol U noir oublié à l'atelier mardi soir ?"),
    ), status="open", ago=5, unread=False),
    Talk("mastodon", "anna_rides@mastodon.social", "Anna Schmidt", (
        (M, "I'd love to volunteer at the bike workshop. Do I need to speak French?"),
        (R, "camille", "Hi Anna! Not at all, several volunteers speak English and bikes speak every language 🙂 "
                       "Come on Tuesday at 6 pm."),
    ), ago=11 * 24, csat=5),
    Talk("mastodon", "velo_gerland@piaille.fr", "Karim Haddad", (
        (M, "La piste du quai Perrache est encore bloquée par des travaux sans aucune déviation, c'est dangereux 😡"),
        (R, "mehdi", "Bonjour Karim, on a signalé le chantier à la Métropole ce matin avec vos photos. On relance "
                     "vendredi si rien ne bouge."),
    ), status="pending", ago=22, tags=("travaux",), feedback=("problem", "Aménagements")),
    Talk("mastodon", "pierre_v@mastodon.social", "Pierre Vidal", (
        (M, "Bonjour, comment renouveler mon adhésion ? Le lien du mail de relance ne marche pas."),
        (D, "Bonjour Pierre, le lien de la relance a expiré, désolé ! Voici le bon : amisduvelo.org/renouveler. Votre "
            "nouvelle carte partira sous dix jours."),
    ), status="open", ago=5, dm=True, unread=False),
    Talk("mastodon", "julie_velo@piaille.fr", "Julie Carré", (
        (M, "Génial l'atelier éclairage hier soir, merci Mehdi et Paul 👏"),
    ), ago=3 * 24, on_post=True, feedback=("praise", "Ateliers")),
    Talk("mastodon", "cargo_mum@piaille.fr", "Laure Besson", (
        (M, "Vous avez un endroit pour garer les vélos cargo pendant la bourse aux vélos ? Le mien ne rentre nulle "
            "part."),
    ), status="open", late=True, ago=50, unread=False, feedback=("idea", "Stationnement")),
    Talk("mastodon", "vincent_t@mamot.fr", "Vincent Tessier", (
        (M, "C'est quand la prochaine vélorution ?"),
    ), status="open", ago=0.3, unread=True),
    Talk("mastodon", "ines_b@piaille.fr", "Inès Barbier", (
        (M, "Le nouveau site est super clair, bravo à l'équipe !"),
        (W, "Merci Inès, c'est le travail de nos bénévoles 💪"),
    ), ago=16 * 24, feedback=("praise", "Site web")),
    Talk("mastodon", "romain_c@piaille.fr", "Romain Colin", (
        (M, "Est-ce que je peux venir à l'atelier sans être adhérent, juste pour essayer une fois ?"),
    ), status="open", ago=1.5, unread=True),
    Talk("mastodon", "elodie_f@mastodon.social", "Élodie Fontaine", (
        (M, "Vous cherchez des bénévoles pour la Fête du vélo ? Je suis dispo tout le week-end."),
        (R, "camille", "Oui, avec plaisir Élodie ! Je vous envoie le formulaire des bénévoles en message privé."),
        (M, "Reçu et rempli !"),
    ), ago=13 * 24, on_post=True, csat=5),
    Talk("mastodon", "alex_m@piaille.fr", "Alexandre Morel", (
        (M, "Vous auriez un plan des arceaux vélo près de la gare Perrache ?"),
        (W, "Bonjour Alexandre, tous les arceaux sont sur notre carte : amisduvelo.org/carte (filtre « stationnement »)."),
    ), ago=7 * 24),
    # Forum ------------------------------------------------------------------------------------------------------
    Talk("discourse", "nathalie_r", "Nathalie Roussel", (
        (M, "Bonjour à tous, l'atelier sera-t-il ouvert entre Noël et le jour de l'an ?"),
        (R, "camille", "Bonjour ! L'atelier ferme du 22 décembre au 2 janvier ; réouverture le mardi 6 janvier."),
        (X, "olivier_b", "Olivier Brun", "Merci. Et la permanence du jeudi, elle ferme aussi ?"),
        (R, "camille", "Oui, elle reprend le jeudi 8 janvier."),
        (M, "Dommage, ce serait bien d'avoir au moins un atelier pendant les vacances, c'est là qu'on a le temps."),
    ), ago=5 * 24, title="Horaires de l'atelier pendant les fêtes", feedback=("idea", "Horaires")),
    Talk("discourse", "francois_d", "François Duval", (
        (M, "Proposition : une balade mensuelle réservée aux débutants, à allure tranquille, pour celles et ceux qui "
            "n'osent pas encore rouler en ville."),
        (X, "mathilde_g", "Mathilde Girard", "+1, et je veux bien en encadrer une de temps en temps."),
        (R, "claire", "Très bonne idée, merci François et Mathilde ! On en parle au conseil d'administration du 15."),
    ), status="pending", ago=3 * 24, title="Une balade mensuelle pour les débutants",
        feedback=("idea", "Événements", "planned", "Première balade débutants le premier dimanche de février.")),
    Talk("discourse", "seb_android", "Sébastien Noël", (
        (M, "Depuis la mise à jour, l'application mobile m'affiche « erreur 500 » quand je veux ouvrir le forum."),
        (X, "camille_r", "Camille Renaud", "Pareil pour moi, sur Android 14."),
        (N, "mehdi", "Reproduit sur Android 14, pas sur iOS. Paul, c'est pour toi ?"),
    ), status="open", ago=7, title="Erreur 500 dans l'application mobile", assignee="paul",
        feedback=("problem", "Application mobile", "taken", "Correctif prévu dans la version 2.4 de l'application.")),
    Talk("discourse", "gerard_v", "Gérard Vasseur", (
        (M, "Un grand merci pour l'organisation de la Fête du vélo, 2 300 personnes, quelle journée !"),
        (W, "Merci Gérard, et merci aux 80 bénévoles !"),
    ), ago=17 * 24, title="Bilan de la Fête du vélo", feedback=("praise", "Événements")),
    Talk("discourse", "famille_martin", "Aurélie Martin", (
        (M, "Est-ce qu'il existe une adhésion famille ? On est quatre à rouler à la maison."),
        (R, "camille", "Bonjour Aurélie, oui : 35 € pour toute la famille, enfants compris."),
    ), ago=9 * 24, title="Adhésion famille ?", csat=4),
    Talk("discourse", "benoit_c", "Benoît Chevalier", (
        (M, "Quel itinéraire conseillez-vous entre Villeurbanne et la Part-Dieu ? Le cours Émile-Zola me fait peur."),
        (X, "lea_p", "Léa Picard", "Je passe par la rue Francis-de-Pressensé puis la piste du cours Lafayette, c'est "
                                   "calme."),
    ), status="open", ago=2, title="Itinéraire sécurisé Villeurbanne – Part-Dieu", unread=True),
    Talk("discourse", "yvette_a", "Yvette Arnaud", (
        (M, "Peut-on proposer des points à l'ordre du jour de l'assemblée générale ?"),
        (R, "claire", "Bonjour Yvette, oui, jusqu'au 1er du mois par courriel à bureau@amisduvelo.org."),
    ), ago=19 * 24, title="Assemblée générale : ordre du jour", csat=4),
    Talk("discourse", "max_l", "Maxime Leroy", (
        (M, "Encore un vélo volé devant la bibliothèque de la Part-Dieu. Les arceaux sont trop bas, on ne peut pas "
            "attacher le cadre."),
    ), status="open", ago=8, title="Vélo volé devant la bibliothèque", unread=False,
        feedback=("problem", "Stationnement")),
    Talk("discourse", "lola_t", "Lola Thomas", (
        (M, "Bug : la carte interactive ne charge plus sur Firefox depuis hier."),
        (R, "mehdi", "Merci Lola, c'était un certificat expiré sur le serveur de tuiles : c'est réparé."),
        (M, "Ça marche à nouveau, merci !"),
    ), ago=6 * 24, title="La carte interactive ne charge plus", csat=5, feedback=("problem", "Site web")),
    # Contact e-mail ---------------------------------------------------------------------------------------------
    Talk("email", "asso.sport@example.com", "Association sportive Ferrand", (
        (M, "Bonjour, nous souhaiterions adhérer en tant que personne morale : association sportive de notre "
            "entreprise, trente salariés. Quelles sont les conditions ?"),
        (R, "claire", "Bonjour, avec plaisir ! L'adhésion des personnes morales est à 80 € par an ; je vous envoie le "
                      "bulletin et la présentation de nos ateliers en entreprise."),
    ), status="pending", ago=30, title="Adhésion pour notre club d'entreprise"),
    Talk("email", "c.roux@example.org", "Catherine Roux", (
        (M, "Bonjour, la balade des lumières du 6 a été annulée et je n'ai toujours pas été remboursée des 8 € "
            "d'inscription. Merci de faire le nécessaire."),
        (F, "mehdi", "Bonjour Madame Roux, toutes nos excuses : le remboursement de 8 € part aujourd'hui sur la carte "
                     "utilisée à l'inscription."),
        (M, "Relance : toujours pas de nouvelles de mon remboursement."),
    ), status="open", late=True, ago=20, title="Remboursement de la balade annulée", unread=True,
        feedback=("problem", "Événements")),
    Talk("mastodon", "c_roux@piaille.fr", "Catherine Roux", (
        (M, "J'ai écrit à votre adresse de contact il y a deux jours pour un remboursement, quelqu'un peut regarder ?"),
    ), status="open", ago=2.5, unread=True),
    Talk("email", "contact@cycles-confluence.example", "Cycles Confluence", (
        (M, "Bonjour, notre magasin souhaite proposer une remise de 10 % aux adhérents. Seriez-vous intéressés par un "
            "partenariat ?"),
        (R, "claire", "Bonjour, oui, très volontiers ! Pouvez-vous nous envoyer une proposition de convention ?"),
        (M, "Parfait, voici la convention en pièce jointe."),
        (R, "claire", "Bien reçue et signée, merci ! On l'annonce aux adhérents la semaine prochaine."),
    ), ago=10 * 24, title="Proposition de partenariat", tags=("partenariat",)),
    Talk("email", "m.giraud@example.net", "Mélanie Giraud", (
        (M, "Bonjour, je suis enseignante en CM2 à Villeurbanne. L'association intervient-elle dans les écoles pour "
            "apprendre le vélo aux enfants ?"),
    ), status="open", ago=1, title="Intervention dans une école", unread=True),
    Talk("email", "f.lopez@example.com", "Fabien Lopez", (
        (M, "Bonjour, mon employeur me demande une attestation d'adhésion pour le forfait mobilités durables. "
            "Pouvez-vous me l'envoyer ?"),
        (R, "camille", "Bonjour Fabien, voici votre attestation d'adhésion pour l'année en cours, en pièce jointe."),
    ), ago=5 * 24, title="Attestation d'adhésion pour mon employeur", csat=5),
    Talk("email", "sanne@example.nl", "Sanne de Vries", (
        (M, "Hello, I'm a journalist at a Dutch cycling magazine writing about Lyon. Could I interview someone from "
            "your association next week?"),
        (R, "camille", "Hello Sanne, with pleasure! Claire, our president, is available on Tuesday or Thursday "
                       "afternoon. Which suits you?"),
    ), status="pending", ago=20, title="Press inquiry – cycling in Lyon", assignee="claire", tags=("presse",)),
    Talk("email", "j.renard@example.org", "Jacques Renard", (
        (M, "Bonjour, je souhaite faire un don de 200 € à l'association. Est-il déductible des impôts ?"),
        (R, "claire", "Bonjour Jacques, merci infiniment ! Oui, 66 % du don est déductible : nous vous enverrons un "
                      "reçu fiscal."),
    ), ago=12 * 24, title="Don à l'association", csat=5),
    Talk("email", "p.henry@example.com", "Patricia Henry", (
        (M, "Merci de me retirer de votre liste de diffusion : je reçois trois courriels par semaine, c'est trop."),
        (R, "camille", "Bonjour Patricia, c'est fait, toutes nos excuses. Nous allons regrouper nos envois."),
    ), ago=15 * 24, title="Trop de courriels", feedback=("problem", "Communication", "taken",
                                                           "Une seule lettre d'information par mois à partir de "
                                                           "janvier.")),
    Talk("email", "k.meunier@example.net", "Kevin Meunier", (
        (M, "Bonjour, est-ce que l'assurance de l'association me couvre si je tombe pendant une balade ?"),
    ), status="open", ago=0.5, title="Assurance pendant les balades", unread=True),
    Talk("email", "julien.b@example.org", "Julien Blanc", (
        (M, "Je suis disponible le samedi 19 toute la journée pour aider à la bourse aux vélos, comme bénévole !"),
        (R, "camille", "Merci Julien ! Rendez-vous à 8 h 30 au gymnase Chanfray, on vous confie l'accueil."),
    ), ago=4 * 24, title="Bénévolat bourse aux vélos", csat=5),
]

# Maison Lumière -----------------------------------------------------------------------------------------------

LUMIERE_TALKS = [
    Talk("bluesky", "lea-beaute.bsky.social", "Léa Moreau", (
        (M, "Deux semaines avec le sérum à l'argan et ma peau est toute douce, j'adore 😍"),
        (W, "Merci Léa, ça nous fait très plaisir ✨"),
    ), ago=8 * 24, on_post=True, feedback=("praise", "Produits")),
    Talk("bluesky", "karine-t.bsky.social", "Karine Tessier", (
        (M, "Ma commande date du 20 et je n'ai toujours rien reçu. Personne ne répond au téléphone."),
        (R, "camille", "Bonjour Karine, toutes nos excuses. Pouvez-vous nous écrire votre numéro de commande pour que "
                       "nous la retrouvions ?"),
        (M, "Numéro LUM-48213. Merci de faire vite, c'était un cadeau."),
    ), status="open", late=True, ago=30, tags=("livraison",), feedback=("problem", "Livraison")),
    Talk("bluesky", "julie-b.bsky.social", "Julie Bertrand", (
        (M, "Depuis trois jours la crème de nuit me laisse des rougeurs sur les joues, c'est normal ?"),
        (N, "paul", "Probable réaction à l'huile essentielle de lavande : conseiller d'arrêter et lui envoyer la "
                    "composition complète."),
        (R, "camille", "Bonjour Julie, arrêtez l'application pour l'instant. Notre formulateur vous écrit en privé avec "
                       "la composition complète."),
    ), status="pending", ago=22, assignee="paul", feedback=("problem", "Tolérance")),
    Talk("bluesky", "nadia-k.bsky.social", "Nadia Kacem", (
        (M, "Merci pour les flacons en verre recyclé, enfin une marque qui pense à la planète !"),
    ), ago=13 * 24, on_post=True, feedback=("praise", "Emballages")),
    Talk("bluesky", "mel-skincare.bsky.social", "Mélissa Caron", (
        (M, "Le nouveau parfum de la crème corps sent le produit ménager, très déçue."),
        (R, "mehdi", "Bonjour Mélissa, merci pour ce retour franc. Nous le transmettons au laboratoire ; si vous le "
                     "souhaitez, on vous l'échange contre un autre produit."),
    ), ago=11 * 24, csat=2, csat_comment="On m'a proposé un échange, mais c'est le parfum lui-même qui pose problème.",
        feedback=("problem", "Parfums")),
    Talk("bluesky", "claire-eco.bsky.social", "Claire Vasseur", (
        (M, "Vous faites des recharges pour la crème de jour ? Ce serait encore mieux pour la planète 🌿"),
        (R, "camille", "Excellente idée Claire, on la transmet à l'équipe produit !"),
    ), ago=19 * 24, feedback=("idea", "Emballages", "planned", "Éco-recharge de la crème de jour au printemps.",
                              "Bonne nouvelle Claire : une éco-recharge de la crème de jour arrive au printemps. "
                              "Merci pour l'idée !")),
    Talk("bluesky", "manon-r.bsky.social", "Manon Rey", (
        (M, "Quand sort le sérum Aube ? J'ai vu le teasing 👀"),
    ), status="open", ago=2, on_post=True, unread=True),
    Talk("bluesky", "sophie-lyon.bsky.social", "Sophie Garnier", (
        (M, "Le coffret Nuit d'hiver est-il encore disponible en boutique à Lyon ?"),
    ), status="open", ago=0.6, unread=True),
    Talk("bluesky", "ines-d.bsky.social", "Inès Dumont", (
        (M, "Comment rejoindre le Club Lumière ? J'ai vu qu'il y a des avant-premières pour les membres."),
        (D, "Bonjour Inès, l'inscription au Club Lumière est gratuite, en boutique ou sur maisonlumiere.fr/club. Vous "
            "serez invitée à l'avant-première du sérum Aube le 22 !"),
    ), status="open", ago=6, unread=False),
    Talk("bluesky", "theo-p.bsky.social", "Théo Perret", (
        (M, "Le code promo NOEL15 ne fonctionne pas au moment du paiement : erreur « code invalide »."),
        (R, "mehdi", "Merci Théo ! Le code est réparé, et on vous offre la livraison pour la peine."),
    ), ago=9 * 24, csat=4, feedback=("problem", "Site et paiement")),
    Talk("bluesky", "vegan-anne.bsky.social", "Anne Leclerc", (
        (M, "Vos produits sont-ils testés sur les animaux ?"),
        (R, "camille", "Bonjour Anne, jamais : aucun de nos produits ni de nos ingrédients n'est testé sur les "
                       "animaux, nous sommes certifiés Cruelty Free."),
    ), ago=16 * 24, csat=5),
    Talk("bluesky", "sandrine-m.bsky.social", "Sandrine Michel", (
        (M, "Déçue du service après-vente : flacon arrivé cassé, et on me demande de payer le retour !"),
        (R, "mehdi", "Bonjour Sandrine, bien sûr que non, toutes nos excuses : voici une étiquette de retour prépayée, "
                     "et un nouveau flacon part aujourd'hui."),
        (M, "Merci, c'est réglé."),
    ), ago=7 * 24, csat=4, feedback=("problem", "Livraison")),
    Talk("bluesky", "lucie-m.bsky.social", "Lucie Masson", (
        (M, "Vous pourriez proposer une version sans parfum de la crème mains ? J'ai la peau très réactive."),
        (R, "camille", "Merci Lucie, on transmet à notre formulateur !"),
    ), status="pending", ago=4 * 24, feedback=("idea", "Gamme", "declined",
                                                 "Pas de nouvelle référence cette année ; le baume mains est déjà "
                                                 "sans parfum.")),
    Talk("bluesky", "beaute-de-lou.bsky.social", "Louise Fabre", (
        (M, "Je suis blogueuse beauté (12 k abonnés), seriez-vous ouverts à une collaboration ?"),
        (R, "claire", "Bonjour Louise, avec plaisir ! Je vous écris en privé."),
    ), status="pending", ago=28, tags=("influence",)),
    Talk("bluesky", "camille-d.bsky.social", "Camille Delmas", (
        (M, "Top l'atelier routine express samedi, la conseillère était adorable, merci !"),
    ), ago=12 * 24, on_post=True, feedback=("praise", "Boutiques")),
    Talk("bluesky", "amandine-v.bsky.social", "Amandine Vial", (
        (M, "Les horaires des boutiques pendant les fêtes, c'est où ?"),
        (W, "Bonjour Amandine, tout est sur maisonlumiere.fr/boutiques : ouvert les dimanches 14 et 21 !"),
    ), ago=3 * 24, feedback=("idea", "Horaires")),
    # Mastodon (English) -----------------------------------------------------------------------------------------
    Talk("mastodon", "sarah_mtl@mastodon.social", "Sarah Tremblay", (
        (M, "Hi! Can you deliver to Quebec? I want the full evening routine kit."),
        (R, "camille", "Hi Sarah! Yes, we ship to Canada: 5 to 8 working days, customs included."),
        (M, "Amazing, just ordered!"),
    ), ago=10 * 24, csat=5),
    Talk("mastodon", "beauty_addict@mastodon.online", "Jenna Clarke", (
        (M, "Is there any shop in Toronto carrying your skincare?"),
        (R, "camille", "Hi Jenna! Not yet in shops in Toronto, but we deliver across Canada from our website."),
    ), status="pending", ago=3 * 24, feedback=("idea", "Boutiques")),
    Talk("mastodon", "emma_w@mastodon.social", "Emma Wilson", (
        (M, "The new glass jars look gorgeous on my shelf, and the cream itself is lovely!"),
    ), ago=14 * 24, on_post=True, feedback=("praise", "Emballages")),
    Talk("mastodon", "olivia_k@mastodon.social", "Olivia King", (
        (M, "My order LUM-51877 arrived with a broken pump on the serum bottle. Not happy at all."),
    ), status="open", late=True, ago=34, unread=True, feedback=("problem", "Livraison")),
    Talk("mastodon", "mia_h@mas.to", "Mia Harris", (
        (M, "Is the Aube serum safe to use during pregnancy?"),
        (N, "camille", "Paul, peux-tu confirmer pour la vitamine C et les huiles essentielles ?"),
    ), status="open", ago=20, on_post=True, assignee="paul", team="Experts produits", unread=False),
    Talk("mastodon", "grace_l@mastodon.social", "Grace Lee", (
        (M, "The night cream gave me a rash on my cheeks. What's in it exactly?"),
        (R, "camille", "Hi Grace, sorry to hear that. Please stop using it for now; our formulator will send you the "
                       "full ingredient list today."),
    ), status="pending", ago=26, assignee="paul", feedback=("problem", "Tolérance")),
    Talk("mastodon", "vegan_vic@mastodon.social", "Victoria Green", (
        (M, "Any plans for a vegan lip balm? Beeswax is a no for me."),
        (R, "camille", "Hi Victoria, great question: we're passing it on to our product team!"),
    ), ago=17 * 24, feedback=("idea", "Gamme", "taken", "Étude d'un baume à la cire de candelilla.")),
    Talk("mastodon", "noah_b@mastodon.social", "Noah Brown", (
        (M, "Your website keeps throwing an error when I try to pay with PayPal."),
    ), status="open", ago=3, unread=True, feedback=("problem", "Site et paiement")),
    Talk("mastodon", "chloe_qc@mastodon.social", "Chloé Gagnon", (
        (M, "Can I join the loyalty club from Canada?"),
        (R, "camille", "Hi Chloé! Of course: sign up on maisonlumiere.fr/club, points work on Canadian orders too."),
    ), ago=6 * 24, csat=5),
    Talk("mastodon", "happy_ruth@mastodon.social", "Ruth Evans", (
        (M, "Thanks so much for the quick reply yesterday, the replacement arrived today!"),
    ), ago=5 * 24, feedback=("praise", "Service client")),
    Talk("mastodon", "travel_tess@mastodon.social", "Tess Morgan", (
        (M, "Do you have a shop in Montreal? Planning a trip next month."),
        (R, "camille", "Hi Tess! Yes: 4120 rue Saint-Denis, open every day from 10 am to 7 pm."),
    ), ago=12 * 24, csat=5),
    Talk("mastodon", "frank_d@mastodon.social", "Frank Davis", (
        (M, "Your prices went up 20% since last year. Hard to justify, honestly."),
        (R, "mehdi", "Hi Frank, thanks for telling us. Glass bottles and organic argan both cost more this year; we "
                     "kept the refills at the old price."),
    ), status="pending", ago=2 * 24, feedback=("problem", "Tarifs")),
    Talk("mastodon", "zoe_p@mastodon.social", "Zoe Parker", (
        (M, "Hey, is the winter gift set still available?"),
    ), status="open", ago=0.2, unread=True),
    # Matrix: threads in the customers' room, and direct messages ------------------------------------------------
    Talk("matrix", "@helene:matrix.org", "Hélène", (
        (M, "Quelqu'un a testé le masque à l'argile sur peau sensible ?"),
        (R, "camille", "Bonjour Hélène, il est formulé pour les peaux sensibles : faites tout de même un essai au creux "
                       "du coude la première fois."),
    ), ago=9 * 24, on_post=True, team="Experts produits", csat=4),
    Talk("matrix", "@marc.b:matrix.org", "Marc B.", (
        (M, "Bonjour, je n'arrive pas à me connecter à mon compte client depuis hier, ça affiche une erreur."),
        (R, "mehdi", "Bonjour Marc, nous avons réinitialisé votre accès : vous avez reçu un lien par courriel."),
        (M, "Ça marche, merci !"),
    ), ago=7 * 24, dm=True, csat=5, feedback=("problem", "Site et paiement")),
    Talk("matrix", "@pauline:matrix.org", "Pauline", (
        (M, "Est-ce que les coffrets de Noël seront réassortis ? Le Nuit d'hiver est en rupture partout."),
        (R, "camille", "Bonjour Pauline, réassort le 15 en boutique et en ligne !"),
    ), status="pending", ago=29, on_post=True, feedback=("problem", "Disponibilité")),
    Talk("matrix", "@sabrina:matrix.org", "Sabrina", (
        (M, "Je voudrais devenir ambassadrice de la marque, comment ça marche ?"),
    ), status="open", ago=27, dm=True, unread=False, team="Club Lumière"),
    Talk("matrix", "@amel:matrix.org", "Amel", (
        (M, "Merci pour l'échantillon du sérum Aube, ma peau est lumineuse !"),
    ), ago=4 * 24, on_post=True, feedback=("praise", "Produits")),
    Talk("matrix", "@nathalie.p:matrix.org", "Nathalie P.", (
        (M, "Ma commande a été débitée deux fois ! Je veux un remboursement immédiat."),
        (R, "mehdi", "Bonjour Nathalie, toutes nos excuses : le doublon est remboursé, vous le verrez sous trois jours."),
        (M, "D'accord, j'attends."),
    ), status="pending", late=True, ago=2 * 24, dm=True, priority=3, feedback=("problem", "Site et paiement")),
    Talk("matrix", "@juliette:matrix.org", "Juliette", (
        (M, "Les boutiques seront ouvertes le dimanche 21 ?"),
        (W, "Oui Juliette, de 10 h à 18 h !"),
        (M, "Génial, et ce serait top d'ouvrir le dimanche toute l'année."),
    ), ago=6 * 24, on_post=True, feedback=("idea", "Horaires")),
    Talk("matrix", "@oceane:matrix.org", "Océane", (
        (M, "Quelle routine pour une peau grasse en hiver ? Je suis perdue entre tous vos produits."),
        (N, "paul", "Gel nettoyant + sérum Aube le matin, fluide matifiant ; pas la crème de nuit riche."),
        (R, "camille", "Bonjour Océane : le gel nettoyant et le sérum le matin, le fluide matifiant ensuite, et le "
                       "masque à l'argile une fois par semaine."),
    ), ago=15 * 24, on_post=True, team="Experts produits", csat=4),
    Talk("matrix", "@achats.pharmacie:matrix.org", "Pharmacie du Lac", (
        (M, "Bonjour, je suis acheteuse pour une pharmacie à Annecy, nous aimerions référencer vos produits."),
    ), status="open", ago=4, dm=True, unread=True),
    Talk("matrix", "@estelle:matrix.org", "Estelle", (
        (M, "Le baume à lèvres a changé de texture ? Il est plus granuleux qu'avant."),
    ), status="open", ago=9, on_post=True, unread=False, team="Experts produits", feedback=("problem", "Produits")),
    Talk("matrix", "@lina:matrix.org", "Lina", (
        (M, "Vous avez prévu un calendrier de l'Avent l'année prochaine ?"),
        (R, "camille", "Bonne idée Lina, on la garde précieusement pour l'équipe produit !"),
    ), ago=18 * 24, on_post=True, feedback=("idea", "Gamme")),
    Talk("matrix", "@claire.d:matrix.org", "Claire D.", (
        (M, "Erreur dans ma commande : j'ai reçu le format 15 ml au lieu de 50 ml."),
        (F, "mehdi", "Bonjour Claire, toutes nos excuses : le bon format part aujourd'hui, gardez le petit en cadeau."),
    ), status="open", late=True, ago=23, dm=True, unread=False, feedback=("problem", "Livraison")),
    Talk("matrix", "@karine.t:matrix.org", "Karine Tessier", (
        (M, "Bonjour, je vous écris aussi ici : ma commande LUM-48213 n'est toujours pas arrivée."),
    ), status="open", ago=4, dm=True, unread=True),
    Talk("matrix", "@yasmine:matrix.org", "Yasmine", (
        (M, "Qui vient à l'atelier de samedi à Paris 11e ?"),
    ), ago=11 * 24, on_post=True),
]


def _hours(days: str, *spans: tuple[str, str]) -> dict[str, list[list[str]]]:
    return {str(d): [list(s) for s in spans] for d in range(7) if str(d) in days}


OFFICE = _hours("01234", ("09:00", "12:30"), ("14:00", "18:00"))

SPEC = {
    "velo-lyon": {
        "talks": VELO_TALKS,
        # Members who wrote on several channels: one person, several accounts (the profile beside a conversation).
        "people": [("Catherine Roux", [("email", "c.roux@example.org"), ("mastodon", "c_roux@piaille.fr")])],
        "failure": ("SMTP server %(host)s refused the user name or password (%(reason)s).",
                    {"host": "mail.amisduvelo.org", "reason": "535 5.7.8 Authentication failed"}),
        "teams": [
            ("Adhésions", "Adhésions, renouvellements, cartes et bénévolat.", ["camille", "paul"],
             _hours("01234", ("09:30", "12:30"), ("14:00", "17:00"))),
            ("Service client", "Réclamations, remboursements, signalements.", ["camille", "mehdi"], OFFICE),
            ("Experts techniques", "Mécanique, carte des pistes, site et application.", ["paul", "mehdi"],
             _hours("1235", ("10:00", "12:00"), ("17:00", "20:00"))),
        ],
        # (team or "", intent, business minutes)
        "targets": [("Service client", "complaint", 240), ("", "complaint", 240), ("Adhésions", "membership", 360),
                    ("Experts techniques", "", 960), ("", "", 480)],
        # (name, trigger, enabled, stop, conditions, actions) — ids filled in by name.
        "rules": [
            ("Demandes d'adhésion → équipe Adhésions", "new", True, True,
             {"intents": ["membership"], "languages": ["fr"]},
             {"team": "Adhésions", "tag": "adhésion",
              "ack_text": "Bonjour {first_name}, merci pour votre message ! L'équipe Adhésions vous répond sous un jour "
                          "ouvré."}),
            ("Pannes et bugs → Experts techniques", "new", True, True, {"query": "bug OR panne OR erreur"},
             {"team": "Experts techniques", "tag": "technique"}),
            ("Réclamations mécontentes → Service client", "new", True, True,
             {"intents": ["complaint"], "sentiments": ["negative"]},
             {"team": "Service client", "priority": 2, "tag": "réclamation"}),
            ("Partenariats → Claire", "new", True, False, {"query": "partenaire* OR partenariat* OR sponsor*"},
             {"assignee": "claire", "tag": "partenariat", "notify": True}),
            ("Messages en anglais → Camille", "new", True, False, {"languages": ["en"]},
             {"assignee": "camille", "tag": "english"}),
            ("Forum : questions sur la carte", "new", False, False, {"channels": ["discourse"], "query": "carte"},
             {"team": "Experts techniques"}),
            ("Délai dépassé → priorité urgente", "breach", True, False, {}, {"priority": 3, "notify": True}),
        ],
        "saved": [
            ("Adhésion : tarifs et lien", "fr", "Bonjour {first_name}, l'adhésion est à 25 € (5 € en tarif solidaire, "
             "35 € pour une famille). Tout se passe sur amisduvelo.org/adherer. Belle journée ! {agent}"),
            ("Carte d'adhérent en retard", "fr", "Bonjour {first_name}, désolé pour ce retard : les cartes partent sous "
             "dix jours après le paiement. Je vérifie votre dossier et je reviens vers vous. {agent}"),
            ("Horaires de l'atelier", "fr", "Bonjour {first_name}, l'atelier de réparation est ouvert le mardi de 18 h à "
             "21 h au local de la Guillotière, et le jeudi de 18 h à 20 h à la Croix-Rousse. {agent}"),
            ("Balades du dimanche", "fr", "Bonjour {first_name}, les balades partent le dimanche à 10 h du parc de la "
             "Tête d'Or, ouvertes à toutes et tous, adhérents ou non. Casque conseillé ! {agent}"),
            ("Merci pour votre message", "fr", "Merci {first_name} pour votre message, ça fait plaisir à toute l'équipe "
             "de bénévoles ! {agent}"),
            ("Signalement transmis à la Métropole", "fr", "Bonjour {first_name}, merci pour le signalement : nous l'avons "
             "transmis à la Métropole et nous relançons si rien ne bouge sous quinze jours. {agent}"),
            ("Bénévolat", "fr", "Bonjour {first_name}, merci pour votre envie d'aider ! Remplissez le formulaire "
             "amisduvelo.org/benevoles et nous vous recontactons. {agent}"),
            ("Membership and prices", "en", "Hi {first_name}, membership is €25 a year (€5 reduced rate), on "
             "amisduvelo.org/adherer. Rides and workshops are open to everyone. {agent}"),
            ("Workshop hours", "en", "Hi {first_name}, the repair workshop is open on Tuesdays 6–9 pm (Guillotière) and "
             "Thursdays 6–8 pm (Croix-Rousse). {agent}"),
            ("Thanks", "en", "Thank you {first_name}, the whole volunteer team appreciates it! {agent}"),
        ],
        "csat": ("Comment évaluez-vous la réponse des Amis du Vélo, de 1 (pas du tout satisfait) à 5 (très "
                 "satisfait) ?", "How satisfied are you with our answer, from 1 (not at all) to 5 (very)?"),
        "digest": ["claire@demo.comptoir.test", "bureau@demo.comptoir.test"],
    },
    "maison-lumiere": {
        "talks": LUMIERE_TALKS,
        "people": [("Karine Tessier", [("bluesky", "karine-t.bsky.social"), ("matrix", "@karine.t:matrix.org")])],
        "failure": ("The Matrix homeserver %(host)s refused the access token: it expired, was revoked or mistyped. "
                    "Reconnect the account with a new token.", {"host": "matrix.org"}),
        "teams": [
            ("Club Lumière", "Programme de fidélité, ambassadrices, avant-premières.", ["camille", "paul"], OFFICE),
            ("Service client", "Commandes, livraisons, retours et remboursements.", ["camille", "mehdi"],
             _hours("012345", ("09:00", "19:00"))),
            ("Experts produits", "Formulation, tolérance, conseils de routine.", ["paul", "mehdi"],
             _hours("01234", ("09:00", "17:00"))),
        ],
        "targets": [("Service client", "complaint", 240), ("", "complaint", 240), ("Club Lumière", "membership", 480),
                    ("Experts produits", "", 480), ("", "", 480)],
        "rules": [
            ("Réactions cutanées → Experts produits (urgent)", "new", True, True,
             {"query": "rougeur* OR allergi* OR irritation* OR rash OR allergic"},
             {"team": "Experts produits", "priority": 3, "tag": "tolérance", "notify": True}),
            ("Réclamations → Service client", "new", True, True, {"intents": ["complaint"]},
             {"team": "Service client", "priority": 2, "tag": "réclamation"}),
            ("Club Lumière → équipe fidélité", "new", True, True, {"intents": ["membership"], "languages": ["fr"]},
             {"team": "Club Lumière", "tag": "club",
              "ack_text": "Bonjour {first_name}, merci ! L'équipe du Club Lumière vous répond très vite ✨"}),
            ("Commandes et paiement → Service client", "new", True, False,
             {"query": "commande* OR livraison OR colis OR bug OR panne OR erreur OR error OR order"},
             {"team": "Service client", "tag": "commande"}),
            ("Partenariats et influence → Claire", "new", True, False,
             {"query": "collaboration OR partenariat* OR référencer OR blogueuse"},
             {"assignee": "claire", "tag": "partenariat"}),
            ("Clientèle anglophone → Camille", "new", True, False, {"languages": ["en"]},
             {"assignee": "camille", "tag": "english"}),
            ("Délai dépassé → priorité urgente", "breach", True, False, {}, {"priority": 3, "notify": True}),
        ],
        "saved": [
            ("Suivi de commande", "fr", "Bonjour {first_name}, pouvez-vous nous donner votre numéro de commande (LUM-…) ? "
             "Nous regardons tout de suite où en est votre colis. {agent}"),
            ("Colis abîmé", "fr", "Bonjour {first_name}, toutes nos excuses ! Un nouveau produit part aujourd'hui, et "
             "vous n'avez rien à nous renvoyer. {agent}"),
            ("Réaction cutanée", "fr", "Bonjour {first_name}, arrêtez l'application pour l'instant et rincez à l'eau "
             "claire. Notre formulateur vous écrit en privé avec la composition complète. {agent}"),
            ("Club Lumière", "fr", "Bonjour {first_name}, l'inscription au Club Lumière est gratuite en boutique ou sur "
             "maisonlumiere.fr/club : 1 point par euro et des avant-premières. {agent}"),
            ("Horaires des boutiques", "fr", "Bonjour {first_name}, nos boutiques sont ouvertes du lundi au samedi de "
             "10 h à 19 h ; les horaires des fêtes sont sur maisonlumiere.fr/boutiques. {agent}"),
            ("Merci !", "fr", "Merci {first_name}, votre message fait très plaisir à toute l'équipe ✨ {agent}"),
            ("Order tracking", "en", "Hi {first_name}, could you send us your order number (LUM-…)? We'll check where "
             "your parcel is right away. {agent}"),
            ("Shipping to Canada", "en", "Hi {first_name}, we ship to Canada in 5 to 8 working days, customs included. "
             "{agent}"),
            ("Skin reaction", "en", "Hi {first_name}, please stop using the product for now; our formulator will send "
             "you the full ingredient list today. {agent}"),
            ("Thank you", "en", "Thank you so much {first_name}, the whole team is delighted ✨ {agent}"),
            ("Loyalty club", "en", "Hi {first_name}, joining the loyalty club is free on maisonlumiere.fr/club, and "
             "points work on Canadian orders too. {agent}"),
        ],
        "csat": ("Comment évaluez-vous la réponse de Maison Lumière, de 1 (pas du tout satisfaite) à 5 (très "
                 "satisfaite) ?", "How satisfied are you with Maison Lumière's answer, from 1 (not at all) to 5 (very)?"),
        "digest": ["claire@demo.comptoir.test", "direction@demo.comptoir.test"],
    },
}

MATRIX_ROOM = "!cLumiereSalon:matrix.org"


def add_demo() -> int:
    """Fill the demo workspaces' inboxes once. Returns how many conversations were made."""
    from comptoir.workspaces.models import Workspace

    made = 0
    for slug, spec in SPEC.items():
        workspace = Workspace.objects.filter(slug=slug, is_demo=True).first()
        if workspace is None or Team.objects.filter(workspace=workspace).exists():
            continue
        with transaction.atomic():
            made += _Builder(workspace, spec).build()
    return made


class _Builder:
    def __init__(self, workspace, spec: dict):
        from comptoir.workspaces.models import Channel, Membership

        self.workspace, self.spec = workspace, spec
        self.rng = random.Random(f"inbox-{workspace.slug}")  # noqa: S311 (demo figures)
        self.now = timezone.now()
        self.tz = ZoneInfo(workspace.time_zone or "Europe/Paris")
        self.people = {m.user.email.split("@")[0]: m.user
                       for m in Membership.objects.select_related("user").filter(workspace=workspace)}
        self.channels = {}
        for channel in Channel.objects.filter(workspace=workspace, removed_at__isnull=True).order_by("pk"):
            self.channels.setdefault(channel.network, channel)
        self.talks = [t for t in spec["talks"] if t.network in self.channels]

    # Messages ------------------------------------------------------------------------------------------------

    def build(self) -> int:
        self.sources = {network: self._source(channel) for network, channel in self.channels.items()}
        self._people()
        self.own_posts = {network: self._own_posts(source) for network, source in self.sources.items()}
        self.times = [self._times(n, talk) for n, talk in enumerate(self.talks)]
        self.conversations: dict[int, Conversation] = {}
        self.first_items: dict[int, int] = {}
        self.first_ids: dict[int, str] = {}
        self.last_ref: dict[int, str] = {}
        self.root: dict[int, str] = {}
        self.last_inbound: dict[int, object] = {}
        self.ids = 0
        position = [0] * len(self.talks)
        while any(p < len(t.steps) for p, t in zip(position, self.talks, strict=True)):
            batches: dict[str, list[FetchedItem]] = {}
            for n, talk in enumerate(self.talks):
                while position[n] < len(talk.steps) and talk.steps[position[n]][0] in (M, X, W):
                    batches.setdefault(talk.network, []).append(self._fetched(n, talk, position[n]))
                    position[n] += 1
            self._bring(batches)
            for n, talk in enumerate(self.talks):
                while position[n] < len(talk.steps) and talk.steps[position[n]][0] not in (M, X, W):
                    self._ours(n, talk, position[n])
                    position[n] += 1
        self._configure()
        for n, talk in enumerate(self.talks):
            self._settle(n, talk)
        self._breaches()
        self._feedback()
        return len(self.conversations)

    def _people(self) -> None:
        from comptoir.members.models import Identity, Person

        names = {t.who: t.name for t in self.talks}
        for name, accounts in self.spec.get("people", []):
            person = Person.objects.create(workspace=self.workspace, display_name=name, created_at=self.now - timedelta(days=30))
            for network, handle in accounts:
                identity, _created = Identity.objects.get_or_create(
                    workspace=self.workspace, network=network, handle=handle,
                    defaults={"display_name": names.get(handle, name)})
                Identity.objects.filter(pk=identity.pk).update(person=person)

    def _source(self, channel):
        from comptoir.stream.models import Source

        source = Source.objects.filter(channel=channel).first()
        if source is None:
            # Demo channels are never read: the source is paused, as the publishing demo leaves its own.
            source = Source.objects.create(workspace=self.workspace, channel=channel, network=channel.network,
                                           label=channel.label, language=channel.language, status=Source.Status.PAUSED)
        return source

    def _own_posts(self, source) -> list[tuple[datetime, str]]:
        """The channel's own posts (the publishing demo's), newest first: what members comment on."""
        from comptoir.stream.models import Item

        return list(Item.objects.filter(source=source, author__handle=source.channel.handle, published_at__lt=self.now)
                    .order_by("-published_at").values_list("published_at", "external_id")[:80])

    def _post_before(self, n: int, network: str) -> str:
        """One of the last posts before the member's comment."""
        before = [rid for at, rid in self.own_posts.get(network, []) if at < self.times[n][0]][:3]
        return before[n % len(before)] if before else ""

    def _times(self, n: int, talk: Talk) -> list[datetime]:
        """When each step happened: the last one ``ago`` hours ago, the others before it."""
        at = self.now - timedelta(hours=talk.ago, minutes=self.rng.randint(0, 9))
        times = [at]
        for step in reversed(talk.steps[1:]):
            kind = step[0]
            gap = {M: (40, 900), X: (20, 300), R: (15, 240), W: (10, 120), N: (5, 60), D: (30, 180), F: (20, 200)}[kind]
            at = at - timedelta(minutes=self.rng.randint(*gap))
            times.append(at)
        return list(reversed(times))

    def _next_id(self) -> int:
        self.ids += 1
        return self.ids

    def _hash(self, *parts) -> str:
        return hashlib.sha1("-".join(str(p) for p in (self.workspace.slug, *parts)).encode()).hexdigest()  # noqa: S324

    def _member(self, network: str, handle: str, name: str) -> Author:
        url = {"mastodon": lambda: "https://{1}/@{0}".format(*handle.split("@", 1)),
               "bluesky": lambda: f"https://bsky.app/profile/{handle}",
               "discourse": lambda: f"https://{self.channels['discourse'].handle}/u/{handle}",
               "matrix": lambda: f"https://matrix.to/#/{handle}"}.get(network, lambda: "")()
        return Author(network, handle, display_name=name, url=url)

    def _fetched(self, n: int, talk: Talk, s: int) -> FetchedItem:
        step, at, channel = talk.steps[s], self.times[n][s], self.channels[talk.network]
        network, serial = talk.network, self._next_id()
        if step[0] == M:
            author, text = self._member(network, talk.who, talk.name), step[1]
        elif step[0] == X:
            author, text = self._member(network, step[1], step[2]), step[3]
        else:
            author, text = Author(network, channel.handle, display_name=self.workspace.name), step[1]
        first = s == 0
        parent = self.last_ref.get(n, "")
        thread, kind, title, url = "", ItemKind.REPLY, "", ""
        if network == "mastodon":
            external_id = str(113600000000000000 + n * 1000 + serial)
            user, _, host = author.handle.partition("@")
            url = f"https://{host}/@{user}/{external_id}"
            if first:
                if talk.on_post and self._post_before(n, network):
                    parent = self._post_before(n, network)
                    kind = ItemKind.COMMENT
                else:
                    kind = ItemKind.DIRECT_MESSAGE if talk.dm else ItemKind.POST
            elif talk.dm:
                kind = ItemKind.DIRECT_MESSAGE
        elif network == "bluesky":
            rkey = self._hash("bsky", n, serial)[:13]
            external_id = f"at://did:plc:{self._hash('did', author.handle)[:24]}/app.bsky.feed.post/{rkey}"
            url = f"https://bsky.app/profile/{author.handle}/post/{rkey}"
            if first:
                if talk.on_post and self._post_before(n, network):
                    parent = thread = self._post_before(n, network)
                else:
                    kind = ItemKind.POST
                self.root[n] = thread or external_id
            else:
                thread = self.root[n]
        elif network == "matrix":
            room = f"!dm{self._hash('room', n)[:10]}:matrix.org" if talk.dm else MATRIX_ROOM
            external_id = f"{room}/${self._hash('event', n, serial)[:24]}"
            url = f"https://matrix.to/#/{room}/{external_id.split('/', 1)[1]}"
            if talk.dm:
                kind = ItemKind.DIRECT_MESSAGE
                parent = ""  # a direct-message room is one conversation
            else:
                if first:
                    self.root[n] = (self._post_before(n, network) if talk.on_post else "") or \
                        f"{MATRIX_ROOM}/${self._hash('root', n)[:24]}"
                thread = self.root[n]
                parent = parent or thread
        elif network == "discourse":
            topic = 2100 + n
            external_id = str(18000 + n * 20 + serial)
            title = talk.title
            kind = ItemKind.FORUM_POST
            thread = f"topic:{topic}"
            url = f"https://{channel.handle}/t/{topic}/{s + 1}"
        else:  # e-mail
            domain = channel.handle.split("@")[-1] if author.handle == channel.handle else author.handle.split("@")[-1]
            external_id = f"<{self._hash('mail', n, serial)[:20]}@{domain}>"
            kind = ItemKind.EMAIL
            title = talk.title if first else f"Re: {talk.title}"
            if first:
                self.root[n] = external_id
            thread = self.root[n]
        self.last_ref[n] = external_id
        if first:
            self.first_ids[n] = external_id
        return FetchedItem(external_id=external_id, kind=kind, text=text, author=author, title=title, url=url,
                           published_at=at, parent_external_id=parent, thread_external_id=thread,
                           language="" if step[0] != W else self.channels[network].language)

    def _bring(self, batches: dict[str, list[FetchedItem]]) -> None:
        """Messages arrive as the channels' readings bring them: stored, read by understanding, then threaded."""
        from comptoir.stream.ingest import store_fetched
        from comptoir.stream.models import Item
        from comptoir.stream.tasks import analyse_items

        for network, fetched in batches.items():
            if not fetched:
                continue
            result = store_fetched(self.sources[network], fetched)
            analyse_items.call(result.item_ids, fast=True)
            handle = self.channels[network].handle
            Item.objects.filter(pk__in=result.item_ids, author__handle=handle).update(reviewed=True, reviewed_at=self.now)
        for n, talk in enumerate(self.talks):
            if n in self.conversations:
                continue
            first = self._first_item(n, talk)
            if first is not None:
                self.conversations[n] = first.inbox_link.conversation
                self.first_items[n] = first.pk

    def _first_item(self, n: int, talk: Talk):
        from comptoir.stream.models import Item

        if n not in self.first_ids:
            return None
        return (Item.objects.filter(source=self.sources[talk.network], external_id=self.first_ids[n],
                                    inbox_link__isnull=False).select_related("inbox_link__conversation").first())

    def _inbound(self, conversation: Conversation, before: datetime):
        from comptoir.stream.models import Item

        return (Item.objects.filter(inbox_link__conversation=conversation, inbox_link__inbound=True,
                                    published_at__lte=before).order_by("-sort_key").first())

    # The team's work ----------------------------------------------------------------------------------------

    def _ours(self, n: int, talk: Talk, s: int) -> None:
        conversation = self.conversations[n]
        step, at = talk.steps[s], self.times[n][s]
        if step[0] == N:
            Note.objects.create(conversation=conversation, author=self.people.get(step[1]), text=step[2], created_at=at)
            return
        target = self._inbound(conversation, at)
        if step[0] == D:
            paul = self.people.get("paul")
            self._reply(conversation, target, step[1], at, Reply.State.DRAFT, author=paul)
            self._line(conversation, "draft", at, i18n.gettext("%(name)s wrote a draft answer for review.") % {
                "name": str(paul)}, actor=paul)
            return
        agent = self.people.get(step[1])
        if step[0] == F:
            reply = self._reply(conversation, target, step[2], at, Reply.State.FAILED, author=agent)
            code, params = self.spec["failure"]
            reply.error_code, reply.error_params, reply.attempts = code, params, 4
            reply.save(update_fields=["error_code", "error_params", "attempts"])
            return
        reply = self._reply(conversation, target, step[2], at, Reply.State.SENT, author=agent)
        self.last_ref[n] = reply.remote_id
        Conversation.objects.filter(pk=conversation.pk).update(waiting_since=None, reply_due_at=None, last_replied_at=at,
                                                               unread=False)
        Conversation.objects.filter(pk=conversation.pk, first_replied_at__isnull=True).update(first_replied_at=at)

    def _reply(self, conversation: Conversation, target, text: str, at: datetime, state: str, *, author=None,
               purpose: str = Reply.Purpose.ANSWER, rule=None) -> Reply:
        sent = state == Reply.State.SENT
        remote_id, remote_url = self._remote(conversation, at) if sent else ("", "")
        return Reply.objects.create(
            workspace=self.workspace, conversation=conversation, in_reply_to=target,
            in_reply_to_external_id=target.external_id if target else "", text=text, purpose=purpose, state=state,
            author=author, approved_by=author if state != Reply.State.DRAFT else None, rule=rule,
            idempotency_key=uuid.UUID(int=self.rng.getrandbits(128)).hex, attempts=1 if sent else 0,
            remote_id=remote_id, remote_url=remote_url, created_at=at - timedelta(seconds=5),
            claimed_at=at - timedelta(seconds=4) if state != Reply.State.DRAFT else None, sent_at=at if sent else None)

    def _remote(self, conversation: Conversation, at: datetime) -> tuple[str, str]:
        """The id and address the network gave our reply (what ``connector.reply`` returns)."""
        channel, serial = self.channels[conversation.channel.network], self._next_id()
        network, handle = channel.network, channel.handle
        if network == "mastodon":
            rid = str(113700000000000000 + serial * 37)
            user, _, host = handle.lstrip("@").partition("@")
            return rid, f"https://{host}/@{user}/{rid}"
        if network == "bluesky":
            rkey = self._hash("reply", serial)[:13]
            return f"at://{handle}/app.bsky.feed.post/{rkey}", f"https://bsky.app/profile/{handle}/post/{rkey}"
        if network == "matrix":
            room = conversation.key.removeprefix("room:").split("/")[0].split("#")[0]
            event = f"${self._hash('our', serial)[:24]}"
            return f"{room}/{event}", f"https://matrix.to/#/{room}/{event}"
        if network == "discourse":
            rid = str(30000 + serial)
            return rid, f"https://{handle}/t/{conversation.key.removeprefix('topic:')}/{rid}"
        return f"<{self._hash('sent', serial)[:20]}@{handle.split('@')[-1]}>", ""

    def _line(self, conversation: Conversation, kind: str, at: datetime, message, *, actor=None, rule=None) -> Event:
        code, params = i18n.code_and_params(message)
        return Event.objects.create(conversation=conversation, kind=kind, at=at, message_code=code, message_params=params,
                                    actor=actor, rule=rule, rule_name=rule.name if rule is not None else "")

    # Configuration ------------------------------------------------------------------------------------------

    def _configure(self) -> None:
        spec, people = self.spec, self.people
        question_fr, question_en = spec["csat"]
        next_monday = timezone.localtime(self.now, self.tz).date() + timedelta(days=7 - timezone.localtime(self.now, self.tz).weekday())
        settings, _created = InboxSettings.objects.get_or_create(workspace=self.workspace)
        settings.experts_reply_directly = False
        settings.csat_enabled = True
        settings.csat_question_fr, settings.csat_question_en = question_fr, question_en
        settings.digest_recipients = "\n".join(spec["digest"])
        settings.digest_weekday = 0
        settings.next_digest_at = datetime.combine(next_monday, time(8, 0), tzinfo=self.tz)
        settings.save()
        self.teams = {}
        for name, description, members, hours in spec["teams"]:
            team = Team.objects.create(workspace=self.workspace, name=name, description=description, working_hours=hours,
                                       created_at=self.now - timedelta(days=60))
            for member in members:
                if member in people:
                    TeamMember.objects.create(team=team, user=people[member], added_at=team.created_at)
            self.teams[name] = team
        self.targets = {}
        for team, intent, minutes in spec["targets"]:
            ResponseTarget.objects.create(workspace=self.workspace, team=self.teams.get(team), intent=intent, minutes=minutes)
            self.targets[(team, intent)] = minutes
        self.rules = []
        channel_ids = {network: c.pk for network, c in self.channels.items()}
        for position, (name, trigger, enabled, stop, conditions, actions) in enumerate(spec["rules"]):
            conditions = dict(conditions)
            if "channels" in conditions:
                conditions["channels"] = [channel_ids[c] for c in conditions["channels"] if c in channel_ids]
            actions = dict(actions)
            if "team" in actions:
                actions["team"] = self.teams[actions["team"]].pk
            if "assignee" in actions:
                actions["assignee"] = people[actions["assignee"]].pk
            self.rules.append(RoutingRule.objects.create(
                workspace=self.workspace, name=name, trigger=trigger, position=position, enabled=enabled,
                conditions=conditions, actions=actions, stop=stop, created_by=people.get("camille"),
                created_at=self.now - timedelta(days=60), updated_at=self.now - timedelta(days=30 - position)))
        for title, language, text in spec["saved"]:
            SavedReply.objects.create(workspace=self.workspace, title=title, language=language, text=text,
                                      created_by=people.get("camille"), updated_at=self.now - timedelta(days=40),
                                      use_count=self.rng.randint(2, 60))

    def _matches(self, rule: RoutingRule, item) -> bool:
        from comptoir.understanding.lexicons import fold

        conditions = rule.conditions
        if conditions.get("intents") and item.intent not in conditions["intents"]:
            return False
        if conditions.get("sentiments") and item.sentiment not in conditions["sentiments"]:
            return False
        if conditions.get("languages") and item.language not in conditions["languages"]:
            return False
        if conditions.get("channels") and item.channel_id not in conditions["channels"]:
            return False
        if conditions.get("query"):
            # The demo's queries are OR-lists of words and prefixes.
            words = set(re.findall(r"\w+", fold(f"{item.title} {item.text}")))
            terms = [fold(t) for t in conditions["query"].split(" OR ")]
            if not any(w == t or (t.endswith("*") and w.startswith(t[:-1])) for t in terms for w in words):
                return False
        return True

    def _route(self, conversation: Conversation, item) -> None:
        """What the rules did when the conversation arrived, each line naming its rule."""
        at = item.published_at + timedelta(seconds=2)
        for rule in self.rules:
            if rule.trigger != RoutingRule.Trigger.NEW or not rule.enabled or not self._matches(rule, item):
                continue
            rule.matched_count += 1
            actions = rule.actions
            if "team" in actions:
                team = Team.objects.get(pk=actions["team"])
                conversation.team = team
                self._line(conversation, "team", at, i18n.gettext("Routed to the team %(team)s.") % {"team": team.name},
                           rule=rule)
            if "assignee" in actions:
                user = next(u for u in self.people.values() if u.pk == actions["assignee"])
                conversation.assignee = user
                self._line(conversation, "assigned", at, i18n.gettext("Assigned to %(name)s.") % {"name": str(user)},
                           rule=rule)
            if "priority" in actions:
                conversation.priority = actions["priority"]
                self._line(conversation, "priority", at, i18n.gettext("Priority: %(priority)s.") % {
                    "priority": PRIORITY_NAMES[actions["priority"]]}, rule=rule)
            if actions.get("tag"):
                self._tag(conversation, actions["tag"], at, rule=rule)
            if actions.get("ack_text"):
                text = actions["ack_text"].replace("{first_name}", _first_name(conversation, item))
                self._reply(conversation, item, text, at + timedelta(seconds=20), Reply.State.SENT,
                            purpose=Reply.Purpose.ACKNOWLEDGMENT, rule=rule)
                self._line(conversation, "ack", at, i18n.gettext("Automatic answer queued."), rule=rule)
            if actions.get("notify"):
                self._line(conversation, "notified", at, i18n.gettext("The team was told by e-mail."), rule=rule)
            if rule.stop:
                break

    def _tag(self, conversation: Conversation, name: str, at: datetime, *, rule=None, actor=None) -> None:
        from comptoir.stream.models import Tag

        tag, _created = Tag.objects.get_or_create(workspace=self.workspace, key=Tag.key_of(name), defaults={"name": name})
        _link, created = ConversationTag.objects.get_or_create(conversation=conversation, tag=tag,
                                                               defaults={"tagged_by": actor, "tagged_at": at})
        if created:
            self._line(conversation, "tagged", at, i18n.gettext("Tagged “%(tag)s”.") % {"tag": tag.name},
                       actor=actor, rule=rule)

    # Settling each conversation -----------------------------------------------------------------------------

    def _settle(self, n: int, talk: Talk) -> None:
        conversation = Conversation.objects.get(pk=self.conversations[n].pk)
        self.conversations[n] = conversation
        from comptoir.stream.models import Item

        first = Item.objects.get(pk=self.first_items[n])
        self._route(conversation, first)
        times, people = self.times[n], self.people
        agents = [people.get(s[1]) for s in talk.steps if s[0] in (R, F)]
        cm = people.get("camille")
        if talk.assignee and people.get(talk.assignee) and conversation.assignee_id != people[talk.assignee].pk:
            conversation.assignee = people[talk.assignee]
            self._line(conversation, "assigned", times[0] + timedelta(minutes=25), i18n.gettext("Assigned to %(name)s.")
                       % {"name": str(conversation.assignee)}, actor=cm)
        elif conversation.assignee_id is None and agents and agents[0] is not None:
            conversation.assignee = agents[0]  # who answered first took it
            self._line(conversation, "assigned", times[0] + timedelta(minutes=10), i18n.gettext("Assigned to %(name)s.")
                       % {"name": str(agents[0])}, actor=agents[0])
        team = self.teams.get(talk.team)
        if team is not None and conversation.team_id != team.pk:
            conversation.team = team
            self._line(conversation, "team", times[0] + timedelta(minutes=20), i18n.gettext(
                "Routed to the team %(team)s.") % {"team": team.name}, actor=cm)
        if talk.priority is not None and talk.priority != conversation.priority:
            conversation.priority = talk.priority
            self._line(conversation, "priority", times[-1] + timedelta(minutes=3), i18n.gettext("Priority: %(priority)s.")
                       % {"priority": PRIORITY_NAMES[talk.priority]}, actor=conversation.assignee or cm)
        for tag in talk.tags:
            self._tag(conversation, tag, times[0] + timedelta(minutes=30), actor=conversation.assignee or cm)
        last_is_member = talk.steps[-1][0] in (M, X)
        if talk.status == Conversation.Status.CLOSED:
            closer = conversation.assignee or cm
            closed_at = min(times[-1] + timedelta(minutes=self.rng.randint(20, 240)), self.now - timedelta(minutes=30))
            conversation.status, conversation.closed_at, conversation.closed_by = talk.status, closed_at, closer
            conversation.waiting_since = conversation.reply_due_at = None
            conversation.unread = False
            self._line(conversation, "status", closed_at, i18n.gettext("Status: %(status)s.") % {
                "status": STATUS_NAMES[talk.status]}, actor=closer)
            self._satisfaction(n, talk, conversation, closed_at)
        else:
            conversation.status = talk.status
            if talk.status == Conversation.Status.PENDING:
                self._line(conversation, "status", times[-1] + timedelta(minutes=1), i18n.gettext("Status: %(status)s.")
                           % {"status": STATUS_NAMES[talk.status]}, actor=conversation.assignee or cm)
            conversation.unread = talk.unread if talk.unread is not None else (last_is_member and talk.ago < 3)
        if n == 1 and talk.status == Conversation.Status.OPEN:
            # Closed too early once, after the answer: the member wrote again and it opened by itself.
            answered = max(i for i, step in enumerate(talk.steps[:-1]) if step[0] == R)
            closed_at = times[answered] + (times[answered + 1] - times[answered]) / 2
            self._line(conversation, "status", closed_at, i18n.gettext("Status: %(status)s.")
                       % {"status": STATUS_NAMES[Conversation.Status.CLOSED]}, actor=conversation.assignee or cm)
            self._line(conversation, "reopened", times[-1], i18n.gettext(
                "The member wrote again: the conversation is open again."))
        conversation.routed_at = first.published_at + timedelta(seconds=2)
        conversation.save()
        for reply in Reply.objects.filter(conversation=conversation, state=Reply.State.DRAFT):
            self._notify(conversation, [cm], "reply.draft", i18n.gettext(
                "%(name)s drafted an answer to “%(subject)s”: review it and send it.") % {
                "name": str(reply.author), "subject": conversation.subject[:80]}, f"conversation-draft:{conversation.pk}")
        for reply in Reply.objects.filter(conversation=conversation, state=Reply.State.FAILED):
            self._notify(conversation, [u for u in (reply.author,) if u], "reply.failed", i18n.gettext(
                "An answer to “%(subject)s” could not be sent: %(error)s") % {
                "subject": conversation.subject[:80], "error": reply.error}, f"reply:{reply.pk}", alarm=True)

    def _notify(self, conversation, users, kind, message, key, alarm=False) -> None:
        from comptoir.workspaces.notifications import notify

        notify(self.workspace.pk, users, kind, message, url=reverse("inbox_conversation", args=[
            self.workspace.slug, conversation.pk]), key=key, is_alarm=alarm, email=False)

    def _satisfaction(self, n: int, talk: Talk, conversation: Conversation, closed_at: datetime) -> None:
        if talk.csat is None and n % 3:
            return
        asked = closed_at + timedelta(minutes=1)
        answered = min(asked + timedelta(minutes=self.rng.randint(10, 600)), self.now - timedelta(minutes=5))
        Satisfaction.objects.create(
            workspace=self.workspace, conversation=conversation, token_hash=self._hash("csat", n), asked_at=asked,
            score=talk.csat, comment=talk.csat_comment, answered_at=answered if talk.csat is not None else None,
            assignee=conversation.assignee, team=conversation.team)
        self._line(conversation, "csat", asked, i18n.gettext("Satisfaction question sent."))
        if talk.csat is not None:
            self._line(conversation, "csat", answered, i18n.gettext("The member answered the satisfaction question: "
                                                                   "%(score)s/5.") % {"score": talk.csat})

    # Response targets ---------------------------------------------------------------------------------------

    def _breaches(self) -> None:
        """Each waiting conversation's answer is due within its target in business time; the late ones missed it.

        Business time depends on the day the demo starts (a Monday morning follows a weekend without work): the late
        ones are late and the others are not, whatever the day."""
        breach_rule = next((r for r in self.rules if r.trigger == RoutingRule.Trigger.BREACH and r.enabled), None)
        default_hours = self.spec["teams"][1][3]
        for n, talk in enumerate(self.talks):
            conversation = self.conversations[n]
            if conversation.waiting_since is None or conversation.status == Conversation.Status.CLOSED:
                continue
            team = conversation.team.name if conversation.team_id else ""
            minutes = (self.targets.get((team, conversation.intent)) or self.targets.get((team, ""))
                       or self.targets.get(("", conversation.intent)) or self.targets[("", "")])
            hours = conversation.team.working_hours if conversation.team_id else default_hours
            due = business_add(conversation.waiting_since, minutes, hours, self.tz)
            if talk.late and due >= self.now:
                due = self.now - timedelta(minutes=self.rng.randint(30, 300))
            elif not talk.late and due <= self.now:
                due = self.now + timedelta(minutes=self.rng.randint(20, 300))
            conversation.reply_due_at = due
            if talk.late:
                conversation.breached_at = due
                self._line(conversation, "breached", due, i18n.gettext("The response-time target was missed."))
                if breach_rule is not None:
                    breach_rule.matched_count += 1
                    conversation.escalated_at = due + timedelta(minutes=1)
                    priority = breach_rule.actions.get("priority")
                    if priority is not None and priority != conversation.priority:
                        conversation.priority = priority
                        self._line(conversation, "priority", conversation.escalated_at, i18n.gettext(
                            "Priority: %(priority)s.") % {"priority": PRIORITY_NAMES[priority]}, rule=breach_rule)
                    self._line(conversation, "escalated", conversation.escalated_at, i18n.gettext(
                        "Escalated: the answer is late."), rule=breach_rule)
            conversation.save(update_fields=["reply_due_at", "breached_at", "escalated_at", "priority"])
        for rule in self.rules:
            # The rules ran before these three weeks too.
            history = self.rng.randint(8, 40) if rule.enabled and rule.trigger == RoutingRule.Trigger.NEW else 0
            RoutingRule.objects.filter(pk=rule.pk).update(matched_count=rule.matched_count + history)

    # Feedback for management --------------------------------------------------------------------------------

    def _feedback(self) -> None:
        from comptoir.stream.models import Item

        owner, cm = self.people.get("claire"), self.people.get("camille")
        for n, talk in enumerate(self.talks):
            if not talk.feedback:
                continue
            conversation = self.conversations[n]
            item = Item.objects.select_related("author").get(pk=self.first_items[n])
            # The member's words that say it best: the last message when it carries the idea, else the first.
            if talk.feedback[0] == "idea" and talk.steps[-1][0] == M and len(talk.steps) > 2:
                item = self._inbound(conversation, self.times[n][-1]) or item
            kind, theme = talk.feedback[:2]
            created = min(item.published_at + timedelta(minutes=self.rng.randint(20, 180)), self.now - timedelta(minutes=2))
            feedback = Feedback(workspace=self.workspace, item=item, conversation=conversation, kind=kind, theme=theme,
                                quote=item.text, author_name=item.author.display_name if item.author_id else "",
                                sentiment=item.sentiment, language=item.language, created_by=cm,
                                created_at=created)
            if len(talk.feedback) > 2:
                feedback.answer, feedback.answer_note = talk.feedback[2], talk.feedback[3]
                feedback.answered_by = owner
                feedback.answered_at = min(created + timedelta(days=2, hours=self.rng.randint(0, 20)), self.now)
            feedback.save()
            if len(talk.feedback) > 4:
                told = min(feedback.answered_at + timedelta(hours=3), self.now)
                Feedback.objects.filter(pk=feedback.pk).update(members_told_at=told)
                self._reply(conversation, item, talk.feedback[4], told, Reply.State.SENT, author=cm,
                            purpose=Reply.Purpose.FEEDBACK)
        local_today = timezone.localtime(self.now, self.tz).date()
        this_monday = local_today - timedelta(days=local_today.weekday())
        sent = min(datetime.combine(this_monday, time(8, 0), tzinfo=self.tz), self.now - timedelta(minutes=10))
        Digest.objects.create(workspace=self.workspace, week_start=this_monday - timedelta(days=7), sent_at=sent,
                              recipients=len(self.spec["digest"]))


def _first_name(conversation: Conversation, item) -> str:
    name = (item.author.display_name if item.author_id else "") or ""
    return name.split()[0] if name.split() else ""


def business_add(start: datetime, minutes: int, hours: dict, tz: ZoneInfo) -> datetime:
    """``start`` plus ``minutes`` of working time ({"0": [["09:00", "12:30"], …]}, 0 = Monday), holidays aside."""
    at = start.astimezone(tz)
    left = float(minutes)
    for _day in range(60):
        day = at.date()
        for begin, end in hours.get(str(day.weekday()), []):
            span_start = datetime.combine(day, time.fromisoformat(begin), tzinfo=tz)
            span_end = datetime.combine(day, time.fromisoformat(end), tzinfo=tz)
            if span_end <= at:
                continue
            span_start = max(span_start, at)
            available = (span_end - span_start).total_seconds() / 60
            if available >= left:
                return span_start + timedelta(minutes=left)
            left -= available
        at = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return at
