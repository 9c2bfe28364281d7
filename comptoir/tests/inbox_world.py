"""A workspace's inbox objects, made through the app's own paths, for the project-wide sweeps.

``test_api_errors`` reads every route from the OpenAPI document; the inbox's routes take ids this module provides:
a conversation (a member's message on an owned Mastodon channel, stored and analysed like a poll brings it, which
threads it), a reply to it (queued, never sent: no peer here) and a tag on it.
"""

import datetime as dt

from django.utils import timezone

from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.inbox import actions, replies
from comptoir.inbox.models import Conversation
from comptoir.stream.actions import source_for_channel
from comptoir.stream.ingest import store_fetched
from comptoir.stream.tasks import analyse_items
from comptoir.workspaces.models import Channel, Membership


def inbox_world(member: Membership) -> dict:
    """Ids of one of each inbox object of ``member``'s workspace (``member`` answers the inbox)."""
    workspace = member.workspace
    channel = Channel.objects.create(workspace=workspace, network="mastodon", handle=f"@inbox-{workspace.slug}@masto.example",
                                     label=f"Inbox {workspace.slug}", config={"server": "https://masto.example"})
    source = source_for_channel(channel)
    stored = store_fetched(source, [FetchedItem(
        external_id=f"inbox-{workspace.slug}-1", kind=ItemKind.POST, text="Bonjour, comment adhérer ?",
        author=Author("mastodon", f"lea-{workspace.slug}@masto.example", display_name="Léa"),
        published_at=timezone.now() - dt.timedelta(minutes=30))])
    analyse_items.call(stored.item_ids, fast=True)
    conversation = Conversation.objects.get(channel=channel)
    reply = replies.do_send_reply(member, conversation, "Bonjour Léa, le formulaire est en ligne.")
    tag = actions.do_tag(member, conversation, "adhésion")
    return {"conversation_id": conversation.pk, "reply_id": reply.pk, "tag_id": tag.pk}
