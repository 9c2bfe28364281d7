"""A workspace's sanctions objects, made through the app's own paths, for the project-wide sweeps and these tests:
a published charter (article 3 — Respect), a member (person with a Mastodon identity), a warning given to them
(message only: no peer needed), and their appeal."""

from django.utils import timezone

from comptoir.members.models import Identity, Person
from comptoir.workspaces.models import Membership

from .. import appeals, sanctions
from ..models import CharterVersion

ARTICLES = [{"number": 1, "title_fr": "Bienveillance", "title_en": "Kindness"},
            {"number": 3, "title_fr": "Respect", "title_en": "Respect"}]


def publish_charter(workspace) -> CharterVersion:
    number = (CharterVersion.objects.filter(workspace=workspace).order_by("-number").values_list("number", flat=True)
              .first() or 0) + 1
    return CharterVersion.objects.create(workspace=workspace, number=number, body_fr="## Article 3 — Respect",
                                         body_en="## Article 3 — Respect", articles=ARTICLES,
                                         published_at=timezone.now())


def member(workspace, handle: str = "troll@masto.example", *, network: str = "mastodon", external_id: str = "") -> Identity:
    found = Identity.objects.filter(workspace=workspace, network=network, handle=handle).first()
    if found is not None:  # another world of the same sweep made them already
        return found
    person = Person.objects.create(workspace=workspace, display_name=handle.split("@")[0].title())
    return Identity.objects.create(workspace=workspace, network=network, handle=handle, person=person,
                                   external_id=external_id)


def sanction_world(moderator: Membership) -> dict:
    """Ids of one of each sanctions object of ``moderator``'s workspace, and the appeal link's token."""
    workspace = moderator.workspace
    publish_charter(workspace)
    identity = member(workspace, f"troll-{workspace.slug}@masto.example")
    steps = sanctions.ladder(workspace)
    warning = sanctions.do_sanction(moderator, identity=identity, step=steps[1], articles=[3], reason="Insultes")
    appeal = appeals.do_appeal(warning, "Je contestais seulement.")
    return {"identity_id": identity.pk, "step_id": steps[0].pk, "sanction_id": warning.pk, "appeal_id": appeal.pk,
            "appel/token": warning.raw_appeal_token}
