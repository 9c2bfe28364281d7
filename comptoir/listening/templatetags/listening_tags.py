"""Listening's template helpers: a topic's colour dot, a reach in few characters, the sidebar's mention count."""

import re
from datetime import timedelta

from django import template
from django.db import connection
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html

register = template.Library()

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
BADGE_CAP = 999
BADGE_DAYS = 7


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


def mentions_to_review(workspace_id: int) -> int:
    """Messages that a topic matched in the last days and nobody reviewed yet, counted no further than the badge
    shows ("999+"): one query through the mentions' (workspace, published_at) index."""
    since = timezone.now() - timedelta(days=BADGE_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT m.item_id FROM listening_mention m "
            "JOIN listening_topic t ON t.id = m.topic_id JOIN stream_item i ON i.id = m.item_id "
            "WHERE m.workspace_id = %s AND m.published_at >= %s AND t.archived_at IS NULL AND i.reviewed = %s "
            "LIMIT %s) AS x", [workspace_id, since, False, BADGE_CAP + 1])
        return cursor.fetchone()[0]


@register.inclusion_tag("listening/_badge.html")
def mention_badge(workspace) -> dict:
    n = mentions_to_review(workspace.pk) if workspace is not None else 0
    return {"count": min(n, BADGE_CAP), "more": n > BADGE_CAP, "days": BADGE_DAYS}
