"""Template helpers of the moderation screens."""

from django import template

from comptoir.lib import i18n

register = template.Library()


@register.filter
def reason_detail(reason) -> str:
    """A case reason's detail in the reader's language (stored as message id and values; older ones as text)."""
    if not isinstance(reason, dict):
        return ""
    if reason.get("detail_code"):
        return i18n.render(reason["detail_code"], reason.get("detail_params") or {})
    return str(reason.get("detail") or "")
