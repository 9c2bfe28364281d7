"""What publishing adds to the sidebar's counts, computed in the shell's one query (see
``workspaces.context_processors.register_count``): the new content requests, for those who triage them."""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from comptoir.workspaces import roles

from .models import ContentRequest


def requests_new(workspace, perms):
    if roles.MANAGE_PUBLISHING not in perms:
        return None
    rows = (ContentRequest.objects.filter(workspace=OuterRef("pk"), status=ContentRequest.Status.NEW).order_by()
            .values("workspace").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)
