"""The publishing demo: a month of the calendar, requests at every stage, approvals and one failed delivery, made once."""

from datetime import timedelta

from django.utils import timezone

from comptoir import demo
from comptoir.publishing.models import ContentRequest, MediaAsset, Post, ShortLink, Variant
from comptoir.workspaces.models import Notification


def test_both_demo_workspaces_hold_a_month_of_planned_and_published_posts(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    demo.create()
    now = timezone.now()
    for slug in ("velo-lyon", "maison-lumiere"):
        posts = Post.objects.filter(workspace__slug=slug)
        published = posts.filter(status=Post.Status.PUBLISHED)
        planned = posts.filter(publish_at__gt=now)
        assert published.count() >= 5 and planned.count() >= 5
        dates = [p for p in posts.values_list("publish_at", flat=True) if p]
        assert min(dates) < now - timedelta(days=20) and max(dates) > now + timedelta(days=10)
        # Published variants point to their remote post; every post has variants on the workspace's own channels.
        sent = Variant.objects.filter(post__in=published)
        assert sent.exists() and not sent.exclude(state=Variant.State.SENT).exists()
        assert not sent.filter(remote_id="").exists()
        assert not Variant.objects.filter(post__workspace__slug=slug).exclude(channel__workspace__slug=slug).exists()
        # Exactly one failed delivery, with the network's words kept, and the team told.
        failed = Variant.objects.filter(post__workspace__slug=slug, state=Variant.State.FAILED)
        assert failed.count() >= 1 and failed.first().error_code
        assert posts.filter(status=Post.Status.FAILED).count() == 1
        assert Notification.objects.filter(workspace__slug=slug, kind="delivery_failed", is_alarm=True).exists()
        # Requests at every stage of the board.
        statuses = set(ContentRequest.objects.filter(workspace__slug=slug).values_list("status", flat=True))
        assert statuses == set(ContentRequest.Status.values)
        assert set(posts.values_list("status", flat=True)) >= {"draft", "in_review", "changes_requested", "approved",
                                                               "scheduled", "published", "failed"}
        assert ShortLink.objects.filter(workspace__slug=slug, clicks__gt=0).exists()
        assert MediaAsset.objects.filter(workspace__slug=slug).exists()
        # The channels' own history is long enough for the best times to post.
        from comptoir.publishing import besttime
        from comptoir.workspaces.models import Workspace

        times = besttime.for_workspace(Workspace.objects.get(slug=slug))
        assert any(t.enough and t.slots for t in times)
    # Scheduled demo posts are never due: a demo channel is not connected to any network.
    assert not Variant.objects.filter(state=Variant.State.SCHEDULED, due_at__isnull=False).exists()
    before = Post.objects.count()
    demo.create()
    assert Post.objects.count() == before
