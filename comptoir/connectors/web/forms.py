"""How a community manager adds a web page to watch."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.lib.fetch import FetchError, check_url

from .client import MIN_INTERVAL_SECONDS
from .page import SelectorError, parse_selector


class ConnectForm(forms.Form):
    url = forms.URLField(
        label=_("Page address"),
        assume_scheme="https",
        max_length=2000,
        help_text=_("The page to watch, e.g. a news list or a forum's home page."),
    )
    mode = forms.ChoiceField(
        label=_("What to watch"),
        choices=[("links", _("New links on the page")), ("changes", _("Changes to the page's text"))],
        initial="links",
        help_text=_(
            "New links: each new article or topic listed on the page becomes a message. Changes: a "
            "message each time the text of the page changes."
        ),
    )
    link_prefix = forms.CharField(
        label=_("Only links starting with"),
        required=False,
        max_length=500,
        help_text=_("Optional: a path such as /actualites/ or a full address; other links are ignored."),
    )
    selector = forms.CharField(
        label=_("Part of the page (CSS selector)"),
        required=False,
        max_length=300,
        help_text=_(
            "Optional: watch only this part of the page, e.g. main .news-list or #content. Tag names, "
            "#id and .class, separated by spaces or commas."
        ),
    )
    interval_minutes = forms.IntegerField(
        label=_("Check every (minutes)"),
        min_value=MIN_INTERVAL_SECONDS // 60,
        max_value=7 * 24 * 60,
        initial=60,
        help_text=_("Be gentle with small sites; the site's robots.txt may ask for more."),
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            check_url(url)
        except FetchError as exc:
            raise forms.ValidationError(exc.message) from None
        return url

    def clean_link_prefix(self) -> str:
        prefix = self.cleaned_data.get("link_prefix", "").strip()
        if prefix and not prefix.startswith(("/", "http://", "https://")):
            prefix = "/" + prefix
        if any(ch.isspace() for ch in prefix):
            raise forms.ValidationError(_("A link prefix cannot contain spaces."))
        return prefix

    def clean_selector(self) -> str:
        selector = " ".join(self.cleaned_data.get("selector", "").split())
        if selector:
            try:
                parse_selector(selector)
            except SelectorError as exc:
                raise forms.ValidationError(
                    _(
                        "“%(part)s” is not supported: use tag names, #id and .class, separated by spaces or commas."
                    )
                    % {"part": str(exc) or selector}
                ) from None
        return selector

    def get_config(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "url": data["url"],
            "mode": data["mode"],
            "link_prefix": data.get("link_prefix", ""),
            "selector": data.get("selector", ""),
            "min_interval_seconds": data["interval_minutes"] * 60,
        }

    def get_credentials(self) -> dict[str, Any]:
        return {}

    def get_handle(self) -> str:
        return self.cleaned_data["url"]
