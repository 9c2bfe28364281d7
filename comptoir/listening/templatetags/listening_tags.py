"""Listening's template helpers: a topic's colour dot, a reach in few characters."""

import re

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html

register = template.Library()

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


@register.simple_tag
def topic_dot(color: str, title: str = "", size: str = "") -> str:
    """A round dot of the topic's colour. An SVG attribute, not a style: the pages' CSP allows no inline style."""
    fill = color if isinstance(color, str) and _COLOR.fullmatch(color) else "#868e96"
    css = "cpt-topic-dot" + (f" cpt-topic-dot-{size}" if size in ("lg", "sm") else "")
    if title:
        return format_html('<svg class="{}" viewBox="0 0 10 10" role="img" aria-label="{}"><title>{}</title>'
                           '<circle cx="5" cy="5" r="5" fill="{}"/></svg>', css, title, title, fill)
    return format_html('<svg class="{}" viewBox="0 0 10 10" aria-hidden="true"><circle cx="5" cy="5" r="5" fill="{}"/>'
                       "</svg>", css, fill)


@register.filter
def compact(value) -> str:
    """12 → "12", 12 345 → "12 k", 1 234 567 → "1,2 M" (in the reader's number format)."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return ""
    if n < 1000:
        return str(n)
    for size, unit in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= size:
            shown = n / size
            return f"{number_format(shown, 1 if shown < 10 else 0)} {unit}"
    return str(n)
