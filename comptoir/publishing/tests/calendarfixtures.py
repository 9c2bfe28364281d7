"""Posts, variants and channels for the calendar's tests (plain rows: the calendar only reads them)."""

from datetime import datetime

from comptoir.publishing.models import Campaign, Post, Variant
from comptoir.workspaces.models import Channel


def channel(workspace, network="mastodon", handle="@velo@masto.test") -> Channel:
    return Channel.objects.create(workspace=workspace, network=network, handle=handle)


def post(workspace, publish_at: datetime | None, *, title="Atelier réparation", status=Post.Status.SCHEDULED,
         channels=(), states=None, published_at=None, campaign: Campaign | None = None, text="Venez réparer vos vélos !"):
    p = Post.objects.create(workspace=workspace, title=title, master_text=text, status=status, publish_at=publish_at,
                            published_at=published_at, campaign=campaign)
    for i, ch in enumerate(channels):
        state = (states or [Variant.State.SCHEDULED] * len(channels))[i]
        Variant.objects.create(post=p, channel=ch, network=ch.network, state=state, due_at=publish_at,
                               remote_url=f"https://masto.test/@velo/{p.pk}{i}" if state == Variant.State.SENT else "",
                               remote_id=f"r{p.pk}-{i}" if state == Variant.State.SENT else "")
    return p
