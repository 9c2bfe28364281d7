"""The delivery partial's rows: each variant with its chip, what to show and what the reader may do."""

from django import template

from comptoir.workspaces import roles

from ..models import Variant

register = template.Library()

CHIPS = {
    Variant.State.PENDING: "cpt-chip-idle", Variant.State.SCHEDULED: "cpt-chip-info", Variant.State.CLAIMED: "cpt-chip-info",
    Variant.State.SENT: "cpt-chip-ok", Variant.State.FAILED: "cpt-chip-error", Variant.State.UNKNOWN: "cpt-chip-error",
    Variant.State.LATE: "cpt-chip-error", Variant.State.CANCELLED: "cpt-chip-idle",
}


@register.simple_tag(takes_context=True)
def delivery_rows(context, post) -> list[dict]:
    """One row per variant of ``post``; ``can_manage`` comes from the reader's membership in the post's workspace."""
    request = context.get("request")
    membership = getattr(request, "membership", None) or context.get("membership")
    can_manage = bool(membership and membership.workspace_id == post.workspace_id
                      and roles.has_perm(membership.role, roles.MANAGE_PUBLISHING))
    rows = []
    for variant in post.variants.select_related("channel").order_by("pk"):
        waiting = variant.state == Variant.State.SCHEDULED and variant.attempts > 0
        rows.append({
            "variant": variant,
            "chip": "cpt-chip-warn" if waiting else CHIPS.get(variant.state, "cpt-chip-idle"),
            "label": variant.get_state_display(),
            "channel": str(variant.channel) if variant.channel_id else variant.network,
            "error": variant.error if variant.error_code else "",
            "waiting": waiting,
            "can_retry": can_manage and (variant.state in (Variant.State.FAILED, Variant.State.LATE) or waiting),
            "can_resolve": can_manage and variant.state == Variant.State.UNKNOWN,
        })
    return rows
