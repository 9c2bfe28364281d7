from django.conf import settings


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
        counts = {
            "team": workspace.memberships.count(),
            "channels": workspace.channels.connected().count(),
            "channel_errors": workspace.channels.connected().filter(status="error").count(),
            "source_errors": workspace.sources.current().filter(status="failing").count(),
        }
        if "stream.view" in PERMISSIONS.get(membership.role, frozenset()):
            # Messages nobody reviewed yet, counted no further than the badge shows ("999+").
            unreviewed = workspace.items.filter(reviewed=False)[:1000].count()
            counts |= {"to_review": min(unreviewed, 999), "to_review_more": unreviewed > 999}
    return {
        "demo_mode": settings.COMPTOIR_DEMO,
        "my_memberships": memberships,
        "membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "perms_in_workspace": PERMISSIONS.get(membership.role, frozenset()) if membership else frozenset(),
        "shell_counts": counts,
    }

