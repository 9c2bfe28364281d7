from django import template

register = template.Library()

BELL_SIZE = 8


@register.simple_tag(takes_context=True)
def bell(context) -> dict:
    """The bell of the current workspace: the latest unread notifications, how many are unread, and whether one
    is an alarm (from the shell's counts when the page has them)."""
    from ..models import Notification

    request = context.get("request")
    workspace = context.get("current_workspace")
    user = getattr(request, "user", None)
    if workspace is None or user is None or not user.is_authenticated:
        return {"notes": [], "count": 0, "alarms": 0}
    unread = Notification.objects.filter(workspace=workspace, user=user, read_at__isnull=True)
    counts = context.get("shell_counts") or {}
    count = counts.get("notifications")
    alarms = counts.get("notification_alarms")
    if count is None:
        count = unread.count()
        alarms = unread.filter(is_alarm=True).count()
    notes = list(unread[:BELL_SIZE]) if count else []
    return {"notes": notes, "count": count, "alarms": alarms or 0}
