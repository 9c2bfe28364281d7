"""``{% load moderation_charter %}{% cite_articles numbers version %}``: "Article 3 — Respect" linked to its anchor."""

from django import template
from django.utils import translation
from django.utils.html import format_html, format_html_join

from .. import charter

register = template.Library()


@register.simple_tag
def cite_articles(articles, version, language=""):
    """The cited articles, comma-separated, each a link to the public anchor when the charter is public."""
    language = language or translation.get_language() or "fr"
    found = charter.cite(articles, version, language[:2])
    return format_html_join(", ", "{}", ((format_html('<a href="{}" rel="noopener">{}</a>', c.url, c.text)
                                          if c.url else c.text,) for c in found))
