"""The publishing demo: a month of planned and published posts, requests at every stage, approvals, one failed delivery.

Dates are placed around the first start, in the workspace's time zone, so the calendar and the board are full
whenever the demo is created. Demo channels are not connected to any network (their config says ``demo``):
nothing here is ever sent; posts already "published" carry the addresses they would have on the network.
"""

import hashlib
import io
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from comptoir.lib.i18n import gettext as translated

from .models import (
    Approval,
    ApprovalStage,
    Campaign,
    ContentRequest,
    DeliveryAttempt,
    LinkClickDay,
    MediaAsset,
    NotableDate,
    Post,
    PostComment,
    PostVersion,
    PublishingSettings,
    RequestComment,
    ShortLink,
    Variant,
    VariantMedia,
)


@dataclass
class DemoPost:
    day: int  # days from today (negative: past)
    at: str  # local time "HH:MM"
    title: str
    text: str
    networks: tuple[str, ...]
    status: str  # a Post.Status value
    campaign: str = ""
    link: str = ""
    request: str = ""  # title of the request it answers
    overrides: dict[str, str] = field(default_factory=dict)  # network -> text for that channel
    image: str = ""  # title of a demo image
    failed: bool = False


VELO = {
    "settings": {"forbidden_words": "bagnole\nchauffard\nécolo-bobo\nguerre des mobilités"},
    "campaigns": [
        ("Fête du vélo 2026", "#2b8a3e", -10, 20, "fete-du-velo"),
        ("Adhésions d'hiver", "#0c8599", -20, 40, "adhesions-hiver"),
    ],
    "stages": [("Relecture par le bureau", ["claire"])],
    "dates": [(12, "Assemblée générale de l'association", False, "Salle des fêtes de la Croix-Rousse, 19 h"),
              (-60, "Anniversaire de l'association (fondée en 1998)", True, "")],
    "images": [("Atelier de réparation", "#2b8a3e", "Des bénévoles réparent un vélo sur un pied d'atelier, dans un local associatif."),
               ("Balade des lumières", "#e67700", "Un groupe de cyclistes avec des guirlandes lumineuses sur les quais de Saône la nuit."),
               ("Carte des pistes", "#2f6fdf", "")],
    "requests": [
        ("Annoncer l'atelier d'hiver du 14", ContentRequest.Status.NEW, "engagement", "community",
         "Atelier réparation spécial hiver : éclairage, freins, pneus. Gratuit pour les adhérents.", 9, ["mastodon", "discourse"]),
        ("Relayer l'enquête mobilité de la Métropole", ContentRequest.Status.NEW, "information", "broad",
         "La Métropole lance une enquête sur les trajets domicile-travail ; chaque réponse compte pour les pistes de 2027.", 4, ["mastodon"]),
        ("Recruter des bénévoles pour la bourse aux vélos", ContentRequest.Status.ACCEPTED, "recruitment", "community",
         "Il nous faut 15 bénévoles le samedi 19 pour tenir les stands et l'accueil.", 13, ["mastodon", "discourse"]),
        ("Balade des lumières", ContentRequest.Status.IN_PROGRESS, "engagement", "broad",
         "Balade nocturne avec vélos décorés, départ place des Terreaux, ouverte à toutes et tous.", 6, ["mastodon"]),
        ("Campagne d'adhésion d'hiver", ContentRequest.Status.SCHEDULED, "registrations", "broad",
         "Adhérer, c'est soutenir le plaidoyer et profiter des ateliers ; tarif solidaire à 5 €.", 3, ["mastodon", "discourse"]),
        ("Bilan de la Fête du vélo", ContentRequest.Status.PUBLISHED, "awareness", "community",
         "2 300 participants, 14 ateliers, 3 km de nouvelles pistes promises : merci à tous !", -8, ["mastodon"]),
        ("Pétition contre la fermeture du garage à vélos de Part-Dieu", ContentRequest.Status.DECLINED, "information", "broad",
         "Relayer la pétition d'un collectif.", -2, ["mastodon"]),
    ],
    "posts": [
        DemoPost(-27, "09:00", "Rentrée des ateliers", "Les ateliers de réparation reprennent ! Tous les mardis à 18 h au local de la Guillotière. Venez avec votre vélo et votre bonne humeur. #VéloLyon #Atelier",
                 ("mastodon",), "published", image="Atelier de réparation"),
        DemoPost(-24, "12:30", "Piste de la rue Garibaldi", "La nouvelle piste de la rue Garibaldi est ouverte : 1,2 km sécurisé entre Part-Dieu et la Guillotière. Merci à toutes celles et ceux qui se sont mobilisés !",
                 ("mastodon", "discourse"), "published", link="https://www.amisduvelo.org/actus/garibaldi"),
        DemoPost(-21, "18:00", "Fête du vélo : programme", "Fête du vélo dimanche : parade, ateliers, marquage Bicycode et goûter. Programme complet sur le site.",
                 ("mastodon", "discourse"), "published", campaign="Fête du vélo 2026", link="https://www.amisduvelo.org/fete-du-velo"),
        DemoPost(-17, "09:30", "Conseil sécurité hiver", "Les jours raccourcissent : éclairage avant blanc, arrière rouge, et un gilet réfléchissant. On vous aide à installer tout ça à l'atelier.",
                 ("mastodon",), "published"),
        DemoPost(-14, "10:00", "Fête du vélo : merci", "2 300 participants, 14 ateliers, 3 km de nouvelles pistes promises : merci à toutes et tous pour cette Fête du vélo !",
                 ("mastodon", "discourse"), "published", campaign="Fête du vélo 2026", request="Bilan de la Fête du vélo"),
        DemoPost(-10, "12:00", "Adhésions d'hiver : lancement", "Adhérer aux Amis du Vélo, c'est soutenir le plaidoyer et profiter des ateliers toute l'année. Tarif solidaire à 5 €.",
                 ("mastodon", "discourse"), "published", campaign="Adhésions d'hiver", link="https://www.amisduvelo.org/adherer"),
        DemoPost(-6, "18:30", "Compte rendu du conseil de quartier", "Compte rendu du conseil de quartier de la Croix-Rousse : le double-sens cyclable de la montée de la Grande-Côte est acté.",
                 ("discourse",), "published"),
        DemoPost(-3, "09:00", "Point vélo-école", "La vélo-école reprend en janvier : 8 séances pour apprendre ou réapprendre à rouler en ville. Inscriptions ouvertes.",
                 ("mastodon", "discourse"), "failed", link="https://www.amisduvelo.org/velo-ecole", failed=True),
        DemoPost(-1, "17:00", "Rappel atelier de mardi", "Rappel : atelier de réparation mardi 18 h. Pensez à réserver votre créneau.", ("mastodon",), "published"),
        DemoPost(1, "12:30", "Adhésions d'hiver : témoignage", "« Grâce à l'asso, je vais au travail à vélo depuis trois ans » — Nadia, adhérente. Rejoignez-nous, tarif solidaire à 5 €.",
                 ("mastodon", "discourse"), "scheduled", campaign="Adhésions d'hiver", link="https://www.amisduvelo.org/adherer",
                 request="Campagne d'adhésion d'hiver"),
        DemoPost(3, "18:00", "Balade des lumières", "Balade des lumières samedi ! Décorez vos vélos, départ 18 h place des Terreaux. Ouverte à toutes et tous, enfants bienvenus.",
                 ("mastodon",), "in_review", request="Balade des lumières", image="Balade des lumières"),
        DemoPost(5, "09:00", "Enquête mobilité", "Vous allez au travail à vélo ? Répondez à l'enquête de la Métropole : chaque réponse compte pour les pistes de 2027.",
                 ("mastodon",), "approved", link="https://www.grandlyon.com/enquete-mobilite"),
        DemoPost(8, "12:00", "Adhésions d'hiver : dernière semaine", "Dernière semaine pour adhérer au tarif d'hiver ! Merci à nos 1 200 adhérents.",
                 ("mastodon", "discourse"), "scheduled", campaign="Adhésions d'hiver", link="https://www.amisduvelo.org/adherer"),
        DemoPost(10, "18:00", "Bourse aux vélos", "Bourse aux vélos le 19 : déposez le vôtre le matin, repartez avec un autre l'après-midi.",
                 ("mastodon", "discourse"), "changes_requested"),
        DemoPost(15, "10:00", "Carte des pistes", "Notre carte des pistes cyclables est à jour : 47 nouveaux tronçons depuis le printemps.",
                 ("mastodon",), "draft", image="Carte des pistes"),
        DemoPost(0, "", "Idée : série « Ma rue à vélo »", "Une série de portraits d'adhérents qui racontent leur trajet quotidien.", ("mastodon",), "draft"),
    ],
}

LUMIERE = {
    "settings": {"forbidden_words": "miracle\nanti-âge garanti\nguérit\n100 % naturel"},
    "campaigns": [
        ("Coffrets de Noël", "#c2255c", -15, 25, "coffrets-noel"),
        ("Lancement sérum Aube", "#7048e8", 5, 30, "serum-aube"),
    ],
    "stages": [("Chargée de communication", ["camille"]), ("Direction de la communication", ["claire"])],
    "dates": [(18, "Lancement du sérum Aube en boutique", False, "Boutiques de Paris et Montréal"),
              (-100, "Anniversaire de la marque", True, "")],
    "images": [("Coffret Nuit d'hiver", "#c2255c", "Un coffret cadeau bordeaux ouvert : crème, baume à lèvres et bougie parfumée."),
               ("Sérum Aube", "#7048e8", "")],
    "requests": [
        ("Posts pour le lancement du sérum Aube", ContentRequest.Status.NEW, "registrations", "broad",
         "Nouveau sérum à la vitamine C, formule à 98 % d'origine naturelle, en boutique le 23.", 16, ["bluesky", "mastodon"]),
        ("Jeu-concours coffret de Noël", ContentRequest.Status.ACCEPTED, "engagement", "broad",
         "Faire gagner 3 coffrets Nuit d'hiver ; règlement validé par le juridique.", 7, ["bluesky"]),
        ("Rappel des horaires de fêtes", ContentRequest.Status.IN_PROGRESS, "information", "community",
         "Boutiques ouvertes les dimanches 14 et 21 ; service client fermé le 25.", 5, ["bluesky", "mastodon", "matrix"]),
        ("Coffrets de Noël : dernière chance", ContentRequest.Status.SCHEDULED, "registrations", "broad",
         "Commande avant le 20 pour une livraison avant Noël.", 11, ["bluesky", "mastodon"]),
        ("Merci pour les 10 000 abonnés", ContentRequest.Status.PUBLISHED, "engagement", "community",
         "Remercier la communauté pour les 10 000 abonnés sur Bluesky.", -12, ["bluesky"]),
        ("Réponse à l'article sur les perturbateurs endocriniens", ContentRequest.Status.DECLINED, "crisis", "broad",
         "Répondre publiquement à l'article de la semaine dernière.", -5, ["bluesky"]),
    ],
    "posts": [
        DemoPost(-26, "11:00", "Routine hiver", "Peau qui tiraille ? Notre routine hiver en 3 gestes : nettoyer en douceur, nourrir, protéger. 🧴❄️",
                 ("bluesky", "mastodon"), "published", overrides={"mastodon": "Skin feeling tight? Our 3-step winter routine: cleanse gently, nourish, protect. 🧴❄️"}),
        DemoPost(-22, "18:00", "Coffrets de Noël : ouverture", "Nos coffrets de Noël sont arrivés ! Nuit d'hiver, Éclat et Douceur, à offrir ou à s'offrir.",
                 ("bluesky", "mastodon", "matrix"), "published", campaign="Coffrets de Noël", link="https://www.maisonlumiere.fr/coffrets",
                 overrides={"mastodon": "Our holiday gift sets are here! Winter Night, Glow and Softness — to give or to keep."},
                 image="Coffret Nuit d'hiver"),
        DemoPost(-18, "12:00", "10 000 abonnés", "10 000 sur Bluesky ! Merci pour vos questions, vos avis et vos photos. On vous prépare une surprise ✨",
                 ("bluesky",), "published", request="Merci pour les 10 000 abonnés"),
        DemoPost(-13, "09:30", "Atelier en boutique", "Atelier « routine express » samedi en boutique à Paris 11e : 30 minutes, gratuit, sur inscription.",
                 ("bluesky", "matrix"), "published", link="https://www.maisonlumiere.fr/ateliers"),
        DemoPost(-9, "18:30", "Coffret Éclat", "Le coffret Éclat : sérum, crème de jour et mini-pinceau, dans une boîte recyclable.",
                 ("bluesky", "mastodon"), "published", campaign="Coffrets de Noël", link="https://www.maisonlumiere.fr/coffrets",
                 overrides={"mastodon": "The Glow gift set: serum, day cream and a mini brush, in a recyclable box."}),
        DemoPost(-4, "12:00", "Nos engagements", "Formules à plus de 95 % d'origine naturelle, flacons en verre recyclé, fabrication en Drôme.",
                 ("bluesky", "mastodon"), "published", overrides={"mastodon": "Over 95% natural-origin formulas, recycled glass bottles, made in the Drôme."}),
        DemoPost(-2, "18:00", "Horaires des fêtes (brouillon)", "Nos boutiques sont ouvertes les dimanches 14 et 21 décembre.", ("matrix",), "failed", failed=True),
        DemoPost(2, "11:00", "Horaires des fêtes", "Nos boutiques sont ouvertes les dimanches 14 et 21 décembre ; le service client fait une pause le 25.",
                 ("bluesky", "mastodon", "matrix"), "in_review", request="Rappel des horaires de fêtes",
                 overrides={"mastodon": "Our shops open on Sundays 14 and 21 December; customer service takes a break on the 25th."}),
        DemoPost(4, "18:00", "Coffrets : dernière chance", "Dernière chance ! Commandez votre coffret avant le 20 pour le recevoir avant Noël 🎁",
                 ("bluesky", "mastodon"), "scheduled", campaign="Coffrets de Noël", link="https://www.maisonlumiere.fr/coffrets",
                 request="Coffrets de Noël : dernière chance",
                 overrides={"mastodon": "Last chance! Order your gift set by the 20th to get it before Christmas 🎁"}),
        DemoPost(7, "12:00", "Jeu-concours", "🎁 Jeu-concours : 3 coffrets Nuit d'hiver à gagner ! Abonnez-vous et dites-nous votre rituel du soir.",
                 ("bluesky",), "approved", campaign="Coffrets de Noël", request="Jeu-concours coffret de Noël"),
        DemoPost(12, "09:00", "Sérum Aube : teasing", "Quelque chose se lève… Rendez-vous le 23. ☀️", ("bluesky", "mastodon"), "scheduled",
                 campaign="Lancement sérum Aube", image="Sérum Aube", overrides={"mastodon": "Something is rising… See you on the 23rd. ☀️"}),
        DemoPost(16, "10:00", "Sérum Aube : lancement", "Voici Aube, notre sérum à la vitamine C : l'éclat sans compromis, formule à 98 % d'origine naturelle.",
                 ("bluesky", "mastodon"), "changes_requested", campaign="Lancement sérum Aube"),
        DemoPost(0, "", "Idée : coulisses de l'atelier", "Une vidéo courte des coulisses de l'atelier de la Drôme.", ("bluesky",), "draft"),
    ],
}

SPEC = {"velo-lyon": VELO, "maison-lumiere": LUMIERE}

FAILURES = {
    "mastodon": ("Mastodon (%(host)s) refused the access token: it was revoked or has expired. Connect the channel again.",
                 {"host": "piaille.fr"}),
    "discourse": ("Discourse (%(host)s) refused the API key: it was revoked or has expired. Connect the channel again.",
                  {"host": "forum.amisduvelo.org"}),
    "matrix": ("Matrix (%(host)s) refused the access token: it was revoked or has expired. Connect the channel again.",
               {"host": "matrix.org"}),
}


def _image(title: str, color: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 675), color)
    draw = ImageDraw.Draw(image)
    for n in range(0, 1200, 60):
        draw.line([(n, 675), (n + 300, 0)], fill="#ffffff", width=2)
    draw.rectangle([(60, 520), (1140, 620)], fill="#ffffff")
    draw.text((90, 555), title, fill=color)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _remote(channel, n: int) -> tuple[str, str]:
    handle = channel.handle
    rid = f"{113000000000000000 + n * 7919}"
    if channel.network == "mastodon":
        user, _, host = handle.lstrip("@").partition("@")
        return rid, f"https://{host}/@{user}/{rid}"
    if channel.network == "bluesky":
        rkey = hashlib.sha1(rid.encode()).hexdigest()[:13]  # noqa: S324 (a demo record key, not a secret)
        return f"at://{handle}/app.bsky.feed.post/{rkey}", f"https://bsky.app/profile/{handle}/post/{rkey}"
    if channel.network == "discourse":
        return str(400 + n), f"https://{handle}/t/{400 + n}"
    return f"${hashlib.sha1(rid.encode()).hexdigest()[:20]}", ""  # noqa: S324


def add_demo() -> int:
    """Add the publishing demo to the demo workspaces once. Returns how many posts it created."""
    from comptoir.workspaces.models import Channel, Membership, Workspace

    created = 0
    now = timezone.now()
    for slug, spec in SPEC.items():
        workspace = Workspace.objects.filter(slug=slug, is_demo=True).first()
        if workspace is None or Post.objects.filter(workspace=workspace).exists():
            continue
        with transaction.atomic():
            created += _fill(workspace, spec, now, Channel, Membership)
        _own_history(workspace, spec, now)
    return created


# Hours when each demo community reads its channels most (weekday 0 = Monday, hour, how much more it engages).
AUDIENCE = {
    "velo-lyon": {(1, 12): 2.6, (3, 12): 2.3, (6, 18): 2.0, (2, 18): 1.6, (5, 9): 1.4},
    "maison-lumiere": {(6, 19): 2.8, (2, 12): 2.1, (4, 18): 1.8, (0, 9): 1.3, (3, 21): 1.5},
}
HOURS = (8, 9, 12, 13, 17, 18, 19, 21)


def _own_history(workspace, spec, now: datetime) -> int:
    """Five months of what the workspace's own channels published, with the engagement each post got, as the
    channels' readings bring it in: the best times to post have a history to learn from. Returns the messages."""
    from comptoir.connectors.base import Author, FetchedItem, ItemKind
    from comptoir.stream.ingest import store_fetched
    from comptoir.stream.models import Item, Source
    from comptoir.stream.tasks import analyse_items

    rng = random.Random(f"{workspace.slug}-history")  # noqa: S311 (demo figures)
    tz = ZoneInfo(workspace.time_zone or "Europe/Paris")
    audience = AUDIENCE.get(workspace.slug, {})
    texts = [p.text for p in spec["posts"]]
    brought = 0
    channels = {v.channel for v in Variant.objects.filter(post__workspace=workspace, channel__isnull=False)
                .select_related("channel")}
    for channel in sorted(channels, key=lambda c: c.pk):
        if Source.objects.filter(channel=channel).exists():
            continue
        source = Source.objects.create(workspace=workspace, channel=channel, network=channel.network, label=channel.label,
                                       language=channel.language, status=Source.Status.PAUSED)
        author = Author(channel.network, channel.handle, display_name=workspace.name)
        kind = ItemKind.FORUM_POST if channel.network == "discourse" else ItemKind.POST
        fetched = []
        # What the demo's posts published, found again by the channel's reading (same remote id).
        for variant in Variant.objects.filter(post__workspace=workspace, channel=channel, state=Variant.State.SENT):
            likes = int(rng.gauss(30, 8) * audience.get(_slot(variant.sent_at, tz), 1.0))
            fetched.append(FetchedItem(external_id=variant.remote_id, kind=kind, author=author, url=variant.remote_url,
                                       text=variant.text or variant.post.master_text, language=channel.language,
                                       published_at=variant.sent_at, engagement=_engagement(rng, likes)))
        for n in range(70):
            day = now - timedelta(days=30 + int(n * 120 / 70) + rng.randint(0, 1))
            local = timezone.localtime(day, tz).replace(hour=rng.choice(HOURS), minute=rng.choice((0, 15, 30)))
            when = local.astimezone(ZoneInfo("UTC"))
            likes = max(0, int(rng.gauss(24, 9) * audience.get(_slot(when, tz), 1.0)))
            fetched.append(FetchedItem(external_id=f"publishing-demo-{channel.pk}-{n}", kind=kind, author=author,
                                       text=rng.choice(texts), language=channel.language, published_at=when,
                                       engagement=_engagement(rng, likes)))
        result = store_fetched(source, fetched)
        # The team's own posts need no review; they are read like every message of the Fil.
        Item.objects.filter(pk__in=result.item_ids).update(reviewed=True, reviewed_at=now)
        analyse_items.call(result.item_ids, fast=True)
        brought += result.created
    return brought


def _slot(when: datetime, tz: ZoneInfo) -> tuple[int, int]:
    local = when.astimezone(tz)
    return local.weekday(), local.hour


def _engagement(rng: random.Random, likes: int) -> dict[str, int]:
    likes = max(0, likes)
    return {"likes": likes, "reposts": max(0, int(likes * rng.uniform(0.15, 0.4))),
            "replies": max(0, int(likes * rng.uniform(0.05, 0.2)))}


def _fill(workspace, spec, now: datetime, Channel, Membership) -> int:  # noqa: N803 (model classes passed in)
    rng = random.Random(workspace.slug)  # noqa: S311 (demo figures)
    tz = ZoneInfo(workspace.time_zone or "Europe/Paris")
    today = timezone.localtime(now, tz).date()
    people = {m.user.email.split("@")[0]: m.user for m in Membership.objects.select_related("user").filter(workspace=workspace)}
    cm, owner, requester = people.get("camille"), people.get("claire"), people.get("paul")
    channels = {}
    for channel in Channel.objects.filter(workspace=workspace, removed_at__isnull=True).order_by("pk"):
        channels.setdefault(channel.network, channel)

    def local(day: int, at: str) -> datetime:
        hour, minute = (int(x) for x in at.split(":"))
        return datetime.combine(today + timedelta(days=day), time(hour, minute), tzinfo=tz)

    PublishingSettings.objects.create(workspace=workspace, forbidden_words=spec["settings"]["forbidden_words"])
    campaigns = {}
    for name, color, start, end, utm in spec["campaigns"]:
        campaigns[name] = Campaign.objects.create(workspace=workspace, name=name, color=color, utm_campaign=utm,
                                                  starts_on=today + timedelta(days=start), ends_on=today + timedelta(days=end))
    stages = []
    for position, (name, approvers) in enumerate(spec["stages"]):
        stage = ApprovalStage.objects.create(workspace=workspace, position=position, name=name)
        stage.approvers.set([people[a] for a in approvers if a in people])
        stages.append(stage)
    for day, name, every_year, note in spec["dates"]:
        NotableDate.objects.create(workspace=workspace, day=today + timedelta(days=day), name=name, every_year=every_year, note=note)
    images = {}
    for title, color, alt in spec["images"]:
        data = _image(title, color)
        asset = MediaAsset(workspace=workspace, filename=f"{title.lower().replace(' ', '-')}.png", kind=MediaAsset.Kind.IMAGE,
                           content_type="image/png", size=len(data), width=1200, height=675, title=title, alt_text=alt,
                           sha256=hashlib.sha256(data).hexdigest(), uploaded_by=cm)
        asset.file.save(asset.filename, ContentFile(data), save=False)
        asset.save()
        images[title] = asset

    requests = {}
    for n, (title, status, goal, audience, message, due_day, networks) in enumerate(spec["requests"]):
        created_at = now - timedelta(days=3 + n * 2, hours=rng.randint(1, 8))
        request = ContentRequest.objects.create(
            workspace=workspace, requester=requester, title=title, goal=goal, audience=audience, key_message=message,
            desired_at=local(due_day, "10:00"), deadline=local(due_day - 1, "18:00") if n % 2 else None, status=status,
            decline_reason=("Nous ne relayons pas de pétitions de collectifs extérieurs : la charte nous le demande. "
                            "Proposez plutôt un article pour le forum." if slug_is(workspace, "velo-lyon") else
                            "Le juridique prépare une réponse écrite ; pas de prise de parole sur les réseaux d'ici là.")
            if status == ContentRequest.Status.DECLINED else "",
            assignee=cm if status not in (ContentRequest.Status.NEW, ContentRequest.Status.DECLINED) else None,
            created_at=created_at, updated_at=created_at, status_changed_at=created_at + timedelta(hours=5),
        )
        request.channels.set([channels[x] for x in networks if x in channels])
        RequestComment.objects.create(request=request, author=requester, created_at=created_at + timedelta(hours=1),
                                      body="Les visuels sont sur le drive partagé, dossier « réseaux ».")
        if status != ContentRequest.Status.NEW:
            comment = RequestComment(request=request, author=cm, body="", created_at=created_at + timedelta(hours=5))
            if status == ContentRequest.Status.DECLINED:
                comment.event = translated("Declined: %(reason)s") % {"reason": request.decline_reason}
            else:
                comment.event = translated("Status: %(old)s → %(new)s") % {
                    "old": ContentRequest.Status.NEW.label, "new": ContentRequest.Status(status).label}
            comment.save()
        if n == 2:
            request.priority_override = 85
            request.priority_override_reason = "Demandé par le bureau, échéance ferme."
            request.save(update_fields=["priority_override", "priority_override_reason"])
        requests[title] = request

    created = 0
    for n, spec_post in enumerate(spec["posts"]):
        publish_at = local(spec_post.day, spec_post.at) if spec_post.at else None
        status = spec_post.status
        post = Post.objects.create(
            workspace=workspace, title=spec_post.title, master_text=spec_post.text, link=spec_post.link, status=status,
            publish_at=publish_at, campaign=campaigns.get(spec_post.campaign), request=requests.get(spec_post.request),
            created_by=cm, created_at=(publish_at or now) - timedelta(days=4), updated_at=(publish_at or now) - timedelta(days=2),
            version=2 if status in ("changes_requested", "in_review") else 1,
            approved_version=(1 if status in ("approved", "scheduled", "published", "failed") else None),
            current_stage=stages[0] if status == "in_review" and stages else None,
        )
        created += 1
        for network in spec_post.networks:
            channel = channels.get(network)
            if channel is None:
                continue
            variant = Variant.objects.create(post=post, channel=channel, network=network, text=spec_post.overrides.get(network, ""))
            if spec_post.image in images and network != "discourse":
                VariantMedia.objects.create(variant=variant, asset=images[spec_post.image])
            _delivery(variant, post, status, spec_post.failed, n, now)
        _history(post, status, stages, cm, owner, now)
        if post.link and status == "published":
            for variant in post.variants.all():
                link = ShortLink.objects.create(workspace=workspace, target_url=post.link, post=post, variant=variant,
                                                created_at=post.publish_at)
                total = 0
                for d in range(0, min(10, (now - post.publish_at).days + 1)):
                    clicks = max(0, int(rng.gauss(40, 15) / (d + 1)))
                    if clicks:
                        LinkClickDay.objects.create(link=link, day=timezone.localtime(post.publish_at, tz).date() + timedelta(days=d),
                                                    clicks=clicks)
                        total += clicks
                link.clicks, link.last_click_at = total, now - timedelta(hours=rng.randint(1, 30))
                link.save(update_fields=["clicks", "last_click_at"])
        if spec_post.failed:
            _failure_notice(workspace, post, [u for u in (cm, owner) if u])
    return created


def slug_is(workspace, slug: str) -> bool:
    return workspace.slug == slug


def _delivery(variant: Variant, post: Post, status: str, failed: bool, n: int, now: datetime) -> None:
    """The variant's delivery state as the engine would have left it (published ones carry their attempt)."""
    if status == "published" or (failed and variant.network not in FAILURES):
        attempt = uuid.uuid4().hex
        rid, url = _remote(variant.channel, n * 10 + variant.pk)
        sent_at = post.publish_at + timedelta(seconds=4 + variant.pk % 20)
        variant.state, variant.attempt_id, variant.attempts = Variant.State.SENT, attempt, 1
        variant.remote_id, variant.remote_url, variant.sent_at, variant.claimed_at = rid, url, sent_at, post.publish_at
        variant.save()
        DeliveryAttempt.objects.create(variant=variant, attempt_id=attempt, idempotency_key=f"comptoir-{variant.pk}-{attempt}",
                                       started_at=post.publish_at, finished_at=sent_at, outcome=DeliveryAttempt.Outcome.SENT,
                                       remote_id=rid)
        if status == "published" and (post.published_at is None or sent_at > post.published_at):
            post.published_at = sent_at
            post.save(update_fields=["published_at"])
    elif failed:
        code, params = FAILURES[variant.network]
        variant.state, variant.attempts = Variant.State.FAILED, 1
        variant.attempt_id = uuid.uuid4().hex
        variant.error_code, variant.error_params, variant.error_at = code, params, post.publish_at + timedelta(seconds=3)
        variant.claimed_at = post.publish_at
        variant.save()
        attempt = DeliveryAttempt(variant=variant, attempt_id=variant.attempt_id, idempotency_key=f"comptoir-{variant.pk}-{variant.attempt_id}",
                                  started_at=post.publish_at, finished_at=variant.error_at, outcome=DeliveryAttempt.Outcome.FAILED)
        attempt.error_code, attempt.error_params = code, params
        attempt.save()
    elif status == "scheduled":
        # Armed as the engine arms them, except that a demo channel is never sent to: no due time.
        variant.state = Variant.State.SCHEDULED
        variant.save(update_fields=["state"])


def _history(post: Post, status: str, stages: list, cm, owner, now: datetime) -> None:
    """Versions and approval decisions as the team would have left them."""
    from .posts import content_of

    snapshot = content_of(post)
    for number in range(1, post.version + 1):
        content = snapshot
        if number < post.version:
            # The first draft was longer: the second version is what the approvers asked for.
            content = {**snapshot, "master_text": f"{post.master_text} Plus d'informations très bientôt, restez connectés !"}
        PostVersion.objects.create(post=post, number=number, content=content, created_by=cm,
                                   created_at=post.created_at + timedelta(hours=number))
    decided_at = post.created_at + timedelta(hours=3)
    if status in ("approved", "scheduled", "published", "failed"):
        for stage in stages:
            approver = stage.approvers.first() or owner
            Approval.objects.create(post=post, stage=stage, stage_name=stage.name, version=1, decision=Approval.Decision.APPROVED,
                                    decided_by=approver, decided_at=decided_at, comment="")
            decided_at += timedelta(hours=2)
    elif status == "changes_requested" and stages:
        stage = stages[-1]
        Approval.objects.create(post=post, stage=stage, stage_name=stage.name, version=1,
                                decision=Approval.Decision.CHANGES_REQUESTED, decided_by=stage.approvers.first() or owner,
                                decided_at=decided_at,
                                comment="Le ton est trop promotionnel ; raccourcir et ajouter l'accessibilité de l'événement.")
        PostComment.objects.create(post=post, author=cm, version=2, created_at=decided_at + timedelta(hours=1),
                                   body="Texte raccourci, j'ai ajouté l'info sur l'accès PMR.")
    elif status == "in_review" and stages:
        stage = stages[0]
        Approval.objects.create(post=post, stage=stage, stage_name=stage.name, version=1,
                                decision=Approval.Decision.CHANGES_REQUESTED, decided_by=stage.approvers.first() or owner,
                                decided_at=decided_at, comment="Trop long pour un rappel : on coupe la dernière phrase.")
        PostComment.objects.create(post=post, author=cm, version=post.version, created_at=decided_at,
                                   body="Version 2 avec le visuel validé par Paul.")


def _failure_notice(workspace, post: Post, users: list) -> None:
    """The alarm the delivery engine raises for a failed channel (bell only: nobody is e-mailed by the demo)."""
    from comptoir.workspaces.notifications import notify

    from .delivery import post_delivery_url

    variant = post.variants.filter(state=Variant.State.FAILED).select_related("channel").first()
    channel = str(variant.channel) if variant and variant.channel else ""
    notify(workspace.pk, users, "delivery_failed",
           translated("“%(post)s” was not published on %(channel)s: %(error)s") % {
               "post": str(post)[:80], "channel": channel, "error": translated(variant.error_code) % variant.error_params if variant else ""},
           url=post_delivery_url(post), key=f"post:{post.pk}", is_alarm=True, email=False)
