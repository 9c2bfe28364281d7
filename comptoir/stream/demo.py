"""Demo messages for the Fil: what an association and a cosmetics brand really receive."""

from datetime import timedelta

from django.utils import timezone

from comptoir.connectors.base import Author, FetchedItem, ItemKind

from .ingest import store_fetched
from .models import Source

MESSAGES = {
    "velo-lyon": ("Forum et réseaux de l'asso", "fr", [
        ("camille_r", "Bonjour, je voudrais adhérer à l'association, comment faire ? Il y a un tarif étudiant ?", ItemKind.COMMENT),
        ("jeanmarc69", "Toujours pas reçu ma carte d'adhérent alors que j'ai payé il y a un mois. C'est inadmissible.", ItemKind.COMMENT),
        ("sophie.velotaf", "Bravo pour la vélorution de samedi, super ambiance et parcours bien sécurisé !", ItemKind.POST),
        ("lyon_velo_news", "La Métropole annonce 12 km de nouvelles pistes cyclables rue Garibaldi d'ici l'été.", ItemKind.ARTICLE),
        ("anon4587", "GAGNEZ UN IPHONE GRATUIT !!! Cliquez ici http://promo-cadeau.example/win", ItemKind.COMMENT),
        ("thomas_b", "L'atelier de réparation du mardi est-il maintenu pendant les vacances ?", ItemKind.COMMENT),
        ("marie.l", "Merci aux bénévoles de l'atelier, mon vélo roule comme neuf !", ItemKind.COMMENT),
        ("rageux_du_69", "Bande d'abrutis, vos pistes cyclables pourrissent la ville, dégagez.", ItemKind.REPLY),
        ("paul.d", "Je cherche à acheter un vélo cargo d'occasion, vous avez des bons plans ?", ItemKind.COMMENT),
        ("expat_lyon", "Hi! Is the Saturday ride open to non-members? I just moved to Lyon.", ItemKind.COMMENT),
        ("claire.m", "Le parking vélo de la gare Part-Dieu est encore saturé ce matin, rien n'a changé.", ItemKind.POST),
        ("ville_rando", "Balade familiale dimanche 10 h au parc de la Tête d'Or, ouverte à tous.", ItemKind.ARTICLE),
    ]),
    "maison-lumiere": ("Réseaux de la marque", "fr", [
        ("lea.beaute", "J'adore le nouveau sérum à l'argan, ma peau n'a jamais été aussi douce 😍", ItemKind.COMMENT),
        ("karine_t", "Commande passée il y a 15 jours, toujours rien et le service client ne répond pas.", ItemKind.COMMENT),
        ("sarah.montreal", "Do you ship to Canada? I'd love to order the whole night-care set.", ItemKind.COMMENT),
        ("julie_b", "La crème de nuit me donne des rougeurs, est-ce normal ? Je suis déçue.", ItemKind.DIRECT_MESSAGE),
        ("beauty_addict", "Where can I buy your products in Toronto? Any retailer?", ItemKind.COMMENT),
        ("promo_bot", "Earn $5000 a week from home!!! DM me for the secret", ItemKind.COMMENT),
        ("nadia.k", "Les flacons en verre recyclé, c'est top, merci pour l'effort écologique !", ItemKind.COMMENT),
        ("mel_skincare", "Votre nouveau parfum sent vraiment le produit chimique, très décevant.", ItemKind.REPLY),
        ("emma.w", "Absolutely love the packaging and the texture, will buy again!", ItemKind.COMMENT),
        ("troll2000", "Marque de nuls, vos produits c'est de l'arnaque pour pigeons.", ItemKind.REPLY),
    ]),
}


def add_demo_items() -> int:
    """Add the demo messages to the demo workspaces once, and read them with the understanding models."""
    from comptoir.workspaces.models import Workspace

    from .tasks import analyse_items

    created = 0
    now = timezone.now()
    for slug, (label, language, rows) in MESSAGES.items():
        workspace = Workspace.objects.filter(slug=slug, is_demo=True).first()
        if workspace is None or Source.objects.filter(workspace=workspace, network="demo").exists():
            continue
        source = Source.objects.create(workspace=workspace, network="demo", label=label, language=language,
                                       status=Source.Status.PAUSED)
        fetched = [
            FetchedItem(external_id=f"demo-{n}", kind=kind, text=text, author=Author("demo", handle, handle),
                        published_at=now - timedelta(hours=3 * n + 1))
            for n, (handle, text, kind) in enumerate(rows)
        ]
        result = store_fetched(source, fetched)
        created += result.created
        analyse_items.call(result.item_ids)
    return created


