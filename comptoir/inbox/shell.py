"""What the inbox adds to the sidebar's counts, computed in the shell's one query (see
``workspaces.context_processors.register_count``): open conversations nobody has read yet, and those given to me.

Both are capped like the Fil's badge ("999+") and read the (workspace, status, -sort_key) / (workspace, assignee, …)
indexes, so a page of the app never pays for a big inbox.
"""

from django.db.models import IntegerField
from django.db.models.expressions import RawSQL

from comptoir.workspaces import roles

from .models import Conversation

BADGE_CAP = 999
TABLE = Conversation._meta.db_table


def inbox_unread(workspace, perms):
    """Open conversations nobody of the team has opened yet (for those who see the whole inbox)."""
    if roles.VIEW_INBOX not in perms:
        return None
    return RawSQL(  # noqa: S611 - constant table name, values as parameters
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {TABLE} WHERE workspace_id = %s AND status = %s AND unread = %s "  # noqa: S608
        "LIMIT %s) AS t", [workspace.pk, Conversation.Status.OPEN, True, BADGE_CAP + 1], output_field=IntegerField())


def inbox_mine(workspace, perms, user):
    """Open conversations assigned to the reader (contributors too: what is routed to them by name)."""
    if user is None or (roles.VIEW_INBOX not in perms and roles.VIEW_ROUTED not in perms):
        return None
    return RawSQL(  # noqa: S611 - constant table name, values as parameters
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {TABLE} WHERE workspace_id = %s AND assignee_id = %s AND status = %s "  # noqa: S608
        "LIMIT %s) AS t", [workspace.pk, user.pk, Conversation.Status.OPEN, BADGE_CAP + 1], output_field=IntegerField())
