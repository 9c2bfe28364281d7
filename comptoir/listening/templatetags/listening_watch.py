"""Template helpers of the dashboard, alerts, incidents and curation screens."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def signed(value, decimals: int = 0) -> str:
    """+12, −3.5 (a real minus sign), 0: a change as people read it, in the active locale."""
    if value is None or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    shown = number_format(abs(number), decimal_pos=int(decimals), force_grouping=True)
    if round(number, int(decimals)) == 0:
        return number_format(0, decimal_pos=int(decimals))
    return ("+" if number > 0 else "−") + shown

