"""What moderation adds to the sidebar's counts, computed in the shell's one query (see
``workspaces.context_processors.register_count``): the open cases of the review queue, under the key
``moderation_open`` (``shell_counts.moderation_open`` in templates), capped like the Fil's badge ("999+")."""

from django.db.models import IntegerField
from django.db.models.expressions import RawSQL

from comptoir.workspaces import roles

from .models import Case

BADGE_CAP = 999
TABLE = Case._meta.db_table


def open_cases(workspace, perms):
    """Messages waiting for a decision in the review queue, read through the (workspace, status, -created_at) index."""
    if roles.VIEW_MODERATION not in perms:
        return None
    return RawSQL(  # noqa: S611 - constant table name, values as parameters
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {TABLE} WHERE workspace_id = %s AND status = %s LIMIT %s) AS t",  # noqa: S608
        [workspace.pk, Case.Status.OPEN, BADGE_CAP + 1], output_field=IntegerField())
