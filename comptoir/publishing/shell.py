"""What publishing adds to the sidebar's counts, computed in the shell's one query (see
``workspaces.context_processors.register_count``): the new content requests, for those who triage them."""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from comptoir.workspaces import roles

from .models import ContentRequest, Post, Variant

ALARM_STATES = (Variant.State.FAILED, Variant.State.LATE, Variant.State.UNKNOWN)


def requests_new(workspace, perms):
    if roles.MANAGE_PUBLISHING not in perms:
        return None
    rows = (ContentRequest.objects.filter(workspace=OuterRef("pk"), status=ContentRequest.Status.NEW).order_by()
            .values("workspace").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def delivery_alarms(workspace, perms):
    """Deliveries that need someone: failed, too late or of unknown outcome (on posts not cancelled)."""
    if roles.VIEW_PUBLISHING not in perms:
        return None
    rows = (Variant.objects.filter(post__workspace=OuterRef("pk"), state__in=ALARM_STATES)
            .exclude(post__status=Post.Status.CANCELLED).order_by()
            .values("post__workspace").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)
