"""The demo: a French association and an agency client, with a team of every role.

Other apps add their own demo content in their own ``demo.py``; ``comptoir/demo.py`` calls them in turn.
"""

from django.db import transaction

from . import audit
from .models import Channel, Membership, User, Workspace
from .roles import Role

DEMO_PASSWORD = "comptoir-demo"
DEMO_DOMAIN = "demo.comptoir.test"

# (e-mail, full name, role in both workspaces)
DEMO_ACCOUNTS = [
    (f"claire@{DEMO_DOMAIN}", "Claire Dubois", Role.OWNER),
    (f"camille@{DEMO_DOMAIN}", "Camille Martin", Role.MANAGER),
    (f"mehdi@{DEMO_DOMAIN}", "Mehdi Benali", Role.MODERATOR),
    (f"ines@{DEMO_DOMAIN}", "Inès Laurent", Role.ANALYST),
    (f"paul@{DEMO_DOMAIN}", "Paul Girard", Role.CONTRIBUTOR),
]

WORKSPACES = [
    {
        "slug": "velo-lyon", "name": "Les Amis du Vélo Lyonnais", "kind": Workspace.Kind.ASSOCIATION, "language": "fr",
        "time_zone": "Europe/Paris",
        "description": "Association de 1 200 adhérents qui défend le vélo au quotidien à Lyon : balades, ateliers de réparation, plaidoyer.",
        "channels": [
            ("mastodon", "@amisduvelo@piaille.fr", "Mastodon de l'asso", "fr", Channel.Status.ACTIVE, ""),
            ("discourse", "forum.amisduvelo.org", "Forum des adhérents", "fr", Channel.Status.ACTIVE, ""),
            ("email", "contact@amisduvelo.org", "Boîte contact", "fr", Channel.Status.ERROR,
             ("IMAP server %(host)s refused the user name or password (%(reason)s).",
              {"host": "mail.amisduvelo.org", "reason": "[AUTHENTICATIONFAILED] Authentication failed"})),
            ("rss", "https://www.lyon.fr/actualites/rss", "Actualités de la Ville", "fr", Channel.Status.PAUSED, ""),
        ],
    },
    {
        "slug": "maison-lumiere", "name": "Maison Lumière — cosmétiques (client agence)", "kind": Workspace.Kind.AGENCY_CLIENT,
        "language": "fr", "time_zone": "Europe/Paris",
        "description": "Marque de cosmétiques bio, clientèle française et canadienne. Géré par l'agence Comptoir & Co.",
        "channels": [
            ("bluesky", "maisonlumiere.bsky.social", "Bluesky", "fr", Channel.Status.ACTIVE, ""),
            ("mastodon", "@maisonlumiere@mastodon.social", "Mastodon (EN)", "en", Channel.Status.ACTIVE, ""),
            ("matrix", "#clientes-lumiere:matrix.org", "Salon des clientes", "fr", Channel.Status.ACTIVE, ""),
        ],
    },
]


@transaction.atomic
def create_demo(reset: bool = False) -> list[tuple[str, str]]:
    from django.utils import timezone

    if reset:
        Workspace.objects.filter(is_demo=True).delete()
        User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").delete()
    users = {}
    for email, name, role in DEMO_ACCOUNTS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name, language="fr", time_zone="Europe/Paris")
        users[email] = (user, role)
    owner = users[DEMO_ACCOUNTS[0][0]][0]
    with audit.via("system"):
        for spec in WORKSPACES:
            workspace, created = Workspace.objects.get_or_create(
                slug=spec["slug"],
                defaults={k: spec[k] for k in ("name", "kind", "language", "time_zone", "description")} | {
                    "is_demo": True, "created_by": owner},
            )
            if not created:
                continue
            audit.record(workspace, owner, "workspace.create", workspace, after={"name": workspace.name, "slug": workspace.slug})
            for user, role in users.values():
                membership = Membership.objects.create(workspace=workspace, user=user, role=role)
                if role != Role.OWNER:
                    audit.record(workspace, owner, "team.join", membership, after={"email": user.email, "role": role},
                                 object_repr=user.email)
            for network, handle, label, language, status, error in spec["channels"]:
                # An error as a connector leaves it (message id and values), so each reader sees it in their language.
                code, params = error or ("", {})
                channel = Channel(workspace=workspace, network=network, handle=handle, label=label, language=language,
                                  status=status, last_error_code=code, last_error_params=params, created_by=owner,
                                  config={"demo": True})
                channel.credentials = {}
                if status == Channel.Status.ACTIVE:
                    channel.last_success_at = timezone.now()
                if error:
                    channel.last_error_at = timezone.now()
                channel.save()
                audit.record(workspace, owner, "channel.connect", channel, after={"network": network, "handle": handle})
    for user, _role in users.values():
        if user.last_workspace_id is None:
            user.last_workspace = Workspace.objects.get(slug=WORKSPACES[0]["slug"])
            user.save(update_fields=["last_workspace"])
    return [(email, str(Role(role).label)) for email, _name, role in DEMO_ACCOUNTS]
