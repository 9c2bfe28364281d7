"""A workspace's review-queue case, made through the app's own paths, for the project-wide sweeps (``case_id``)."""

from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.moderation import queue
from comptoir.moderation.models import Rule
from comptoir.stream.actions import source_for_channel
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item
from comptoir.workspaces.models import Channel


def queue_world(member) -> dict:
    workspace = member.workspace
    channel = Channel.objects.create(workspace=workspace, network="mastodon", handle=f"@queue-{workspace.slug}@masto.example",
                                     label=f"Queue {workspace.slug}", config={"server": "https://masto.example"})
    stored = store_fetched(source_for_channel(channel), [FetchedItem(
        external_id=f"queue-{workspace.slug}-1", kind=ItemKind.REPLY, text="Espèce d'abruti",
        author=Author("mastodon", f"troll-{workspace.slug}@masto.example", display_name="Troll"))])
    rule = Rule.objects.create(workspace=workspace, name="Insultes", kind=Rule.Kind.WORDS, actions=["flag"])
    case = queue.open_case(Item.objects.get(pk=stored.item_ids[0]), rule=rule, reason={"detail": "abruti"})
    return {"case_id": case.pk}
