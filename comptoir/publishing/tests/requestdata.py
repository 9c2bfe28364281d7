"""Helpers of the requests and approvals tests: channels, a request as a contributor types it, a post."""

from datetime import timedelta

from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.publishing import requests
from comptoir.publishing.models import Post, PostVersion, Variant
from comptoir.workspaces.models import Channel


def channel(workspace, network="mastodon", handle="@velo@masto.test", **fields) -> Channel:
    return Channel.objects.create(workspace=workspace, network=network, handle=handle, **fields)


def form(**overrides) -> dict:
    data = {"title": "Journée portes ouvertes", "goal": "registrations", "audience": "community",
            "audience_detail": "Parents et cyclistes du quartier", "key_message": "Venez découvrir l'atelier le 12 avril.",
            "desired_at": "", "deadline": (timezone.now() + timedelta(days=10)).isoformat(), "channels": [],
            "links": "https://amis-du-velo.test/portes-ouvertes"}
    data.update(overrides)
    return data


def submit(user, workspace, files=(), **overrides):
    return requests.do_submit_request(membership_of(user, workspace), form(**overrides), files)


def post(workspace, user=None, text="Portes ouvertes samedi !", **fields) -> Post:
    """A post on one Mastodon channel of the workspace (the pre-flight wants a channel to publish on)."""
    p = Post.objects.create(workspace=workspace, master_text=text, created_by=user, **fields)
    on = Channel.objects.filter(workspace=workspace, network="mastodon").first() or channel(workspace)
    Variant.objects.create(post=p, channel=on, network=on.network)
    PostVersion.objects.create(post=p, number=p.version, content={"master_text": text})
    return p


def edit(p: Post, text: str) -> Post:
    """What the editor does on a content change: a new version, snapshotted."""
    p.master_text = text
    p.version += 1
    p.save(update_fields=["master_text", "version"])
    PostVersion.objects.create(post=p, number=p.version, content={"master_text": text})
    return p
