"""What the "mark as feedback" form needs in any pane: the workspace's themes, and whether the reader may mark."""

from django import template

from comptoir.workspaces import roles

from .. import feedback as fb
from ..models import Feedback

register = template.Library()


@register.simple_tag(takes_context=True)
def feedback_form_context(context, item=None, conversation=None) -> dict:
    """Themes to suggest, the kinds, whether the reader may mark, and what this message is already marked as."""
    item = item if hasattr(item, "pk") else None
    conversation = conversation if hasattr(conversation, "pk") else None
    membership = context.get("membership") or getattr(context.get("request"), "membership", None)
    target = item or conversation
    if membership is None or target is None or not fb.can_mark(membership):
        return {"allowed": False}
    marked = Feedback.objects.filter(workspace_id=membership.workspace_id)
    marked = marked.filter(item=item) if item is not None else marked.filter(conversation=conversation)
    return {
        "allowed": True,
        "themes": [name for name, _n in fb.themes(membership.workspace_id)[:50]],
        "kinds": Feedback.Kind.choices,
        "marked": list(marked.order_by("-created_at")[:5]),
        "can_view": roles.has_perm(membership.role, roles.VIEW_FEEDBACK),
    }


@register.filter
def change(value) -> str:
    """+3, −2 or ±0: a week-over-week difference."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return ""
    return f"+{value}" if value > 0 else (f"−{-value}" if value < 0 else "±0")


@register.filter
def duration(value) -> str:
    """A delay as people say it: 45 min, 2 h 10 min, 3 d 4 h."""
    from django.utils.translation import gettext as _

    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("under a minute")
    if minutes < 60:
        return _("%(m)s min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return (_("%(h)s h %(m)s min") if minutes else _("%(h)s h")) % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return (_("%(d)s d %(h)s h") if hours else _("%(d)s d")) % {"d": days, "h": hours}
