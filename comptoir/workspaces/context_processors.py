from collections.abc import Callable

from django.conf import settings

TO_REVIEW_CAP = 999

# Counts the job apps add to the sidebar's one query (workspaces imports no job app, so they register here):
# name → function(workspace, permissions of the member) giving an SQL expression of an integer, or None.
EXTRA_COUNTS: dict[str, Callable] = {}
PER_USER: set[str] = set()  # those whose function also takes the reader (``user``): "assigned to me"


def register_count(name: str, expression: Callable, *, per_user: bool = False) -> None:
    """Add ``shell_counts.<name>`` to every page, computed in the shell's one query."""
    EXTRA_COUNTS[name] = expression
    if per_user:
        PER_USER.add(name)


def _counts(workspace, with_stream: bool, perms: frozenset = frozenset(), user=None) -> dict[str, int]:
    """The sidebar's counts in one query (every page shows them)."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery
    from django.db.models.expressions import RawSQL
    from django.db.models.functions import Coalesce

    from .models import Channel, Membership, Notification, Workspace

    def counted(queryset):
        rows = queryset.order_by().values("workspace").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    channels = Channel.objects.connected().filter(workspace=OuterRef("pk"))
    sources = workspace.sources.model.objects.current().filter(workspace=OuterRef("pk"), status="failing")
    counts = {"n_team": counted(Membership.objects.filter(workspace=OuterRef("pk"))), "n_channels": counted(channels),
              "n_channel_errors": counted(channels.filter(status="error")), "n_source_errors": counted(sources)}
    if user is not None:
        # The bell: this member's unread notifications in this workspace (and whether one is an alarm).
        unread = Notification.objects.filter(workspace=OuterRef("pk"), user=user, read_at__isnull=True)
        counts["n_notifications"] = counted(unread)
        counts["n_notification_alarms"] = counted(unread.filter(is_alarm=True))
    if with_stream:
        # Listening's open alerts (through the reverse relation: the shell imports no job app).
        counts["n_open_alerts"] = counted(workspace.alerts.model.objects.filter(workspace=OuterRef("pk"), status="open"))
        # Messages nobody reviewed yet, counted no further than the badge shows ("999+").
        table = workspace.items.model._meta.db_table
        counts["n_unreviewed"] = RawSQL(  # noqa: S611 - constant table name, values as parameters
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE workspace_id = %s AND reviewed = %s LIMIT %s) AS t",  # noqa: S608
            [workspace.pk, False, TO_REVIEW_CAP + 1], output_field=IntegerField())
    for name, make in EXTRA_COUNTS.items():
        expression = make(workspace, perms, user) if name in PER_USER else make(workspace, perms)
        if expression is not None:
            counts[f"n_{name}"] = expression
    row = Workspace.objects.filter(pk=workspace.pk).values(**counts).get()
    counts = {name.removeprefix("n_"): value for name, value in row.items()}
    if with_stream:
        unreviewed = counts.pop("unreviewed")
        counts |= {"to_review": min(unreviewed, TO_REVIEW_CAP), "to_review_more": unreviewed > TO_REVIEW_CAP}
    return counts


def shell(request):
    """What the app shell needs on every page: the user's workspaces and the current one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"demo_mode": settings.COMPTOIR_DEMO}
    from .models import Membership
    from .roles import PERMISSIONS

    membership = getattr(request, "membership", None)
    memberships = list(Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name"))
    counts = {}
    if membership is not None:
        workspace = membership.workspace
        perms = PERMISSIONS.get(membership.role, frozenset())
        counts = _counts(workspace, with_stream="stream.view" in perms, perms=perms, user=user)
    return {
        "demo_mode": settings.COMPTOIR_DEMO,
        "my_memberships": memberships,
        "membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "perms_in_workspace": PERMISSIONS.get(membership.role, frozenset()) if membership else frozenset(),
        "shell_counts": counts,
    }

