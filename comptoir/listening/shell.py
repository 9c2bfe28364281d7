"""What listening adds to the sidebar's counts, computed in the shell's one query (see
``workspaces.context_processors.register_count``): the mentions left to review."""

from datetime import timedelta

from django.db import connection
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL
from django.utils import timezone

BADGE_CAP = 999
BADGE_DAYS = 7


def mentions_to_review(workspace, perms):
    """Messages a topic matched in the last days that nobody reviewed yet, counted no further than the badge shows
    ("999+"), through the mentions' (workspace, published_at) index."""
    if "stream.view" not in perms:
        return None
    since = connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(days=BADGE_DAYS))
    return RawSQL(  # noqa: S611 - constant table names, values as parameters
        "SELECT COUNT(*) FROM (SELECT DISTINCT m.item_id FROM listening_mention m "
        "JOIN listening_topic t ON t.id = m.topic_id JOIN stream_item i ON i.id = m.item_id "
        "WHERE m.workspace_id = %s AND m.published_at >= %s AND t.archived_at IS NULL AND i.reviewed = %s "
        "LIMIT %s) AS x", [workspace.pk, since, False, BADGE_CAP + 1], output_field=IntegerField())
