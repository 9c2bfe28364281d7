"""How a community manager connects a Discourse forum."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from comptoir.lib.fetch import FetchError, check_url

_USERNAME_RE = re.compile(r"^[\w.\-]{1,60}$")


class ConnectForm(forms.Form):
    base_url = forms.URLField(
        label=_("Forum address"),
        assume_scheme="https",
        help_text=_("The address of the forum's home page, e.g. https://forum.example.org"),
    )
    api_username = forms.CharField(
        label=_("API user name"),
        max_length=60,
        initial="system",
        help_text=_(
            "The forum account Comptoir acts as. To hide posts and sanction members it must be a "
            "moderator or an admin; “system” works with an all-users key."
        ),
    )
    api_key = forms.CharField(
        label=_("API key"),
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Create it in the forum's Admin → Advanced → API keys (“Granular” with the topics, "
            "posts and users scopes, or “Global”)."
        ),
    )
    mode = forms.ChoiceField(
        label=_("What to follow"),
        choices=[("posts", _("Every post")), ("topics", _("New topics only"))],
        initial="posts",
        help_text=_(
            "Every post brings replies into the inbox; new topics only suits a busy forum you only watch."
        ),
    )
    default_category = forms.IntegerField(
        label=_("Default category id"),
        required=False,
        min_value=1,
        help_text=_("Category of the topics Comptoir creates when a post does not choose one (optional)."),
    )
    mute_days = forms.IntegerField(
        label=_("Mute length (days)"),
        min_value=1,
        max_value=365,
        initial=7,
        help_text=_("How long a muted member stays silenced on the forum."),
    )
    ban_days = forms.IntegerField(
        label=_("Ban length (days)"),
        required=False,
        min_value=1,
        max_value=36500,
        help_text=_("Leave empty for a permanent suspension."),
    )

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise forms.ValidationError(_("Enter the forum's address starting with https://"))
        # A pasted topic or "latest" page still designates the forum itself.
        path = re.sub(r"/(latest|top|categories|c/.*|t/.*|u/.*|new|unread)/?$", "", parts.path).rstrip("/")
        url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        try:
            check_url(url)
        except FetchError as exc:
            raise forms.ValidationError(exc.message) from None
        if parts.scheme != "https" and not settings.COMPTOIR_FETCH_ALLOW_PRIVATE:
            # The API key travels in a header on every request.
            raise forms.ValidationError(
                _("Use the forum's https:// address: the API key must not travel in clear.")
            )
        return url

    def clean_api_username(self) -> str:
        username = self.cleaned_data["api_username"].strip().lstrip("@")
        if not _USERNAME_RE.match(username):
            raise forms.ValidationError(
                _("A Discourse user name has only letters, digits, dots, dashes and underscores.")
            )
        return username

    def clean_api_key(self) -> str:
        key = self.cleaned_data["api_key"].strip()
        if not re.fullmatch(r"[A-Za-z0-9]{32,128}", key):
            raise forms.ValidationError(
                _("This does not look like a Discourse API key (64 letters and digits). Copy it again.")
            )
        return key

    def get_config(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "base_url": data["base_url"],
            "mode": data["mode"],
            "default_category": data.get("default_category"),
            "mute_days": data["mute_days"],
            "ban_days": data.get("ban_days"),
        }

    def get_credentials(self) -> dict[str, Any]:
        return {"api_key": self.cleaned_data["api_key"], "api_username": self.cleaned_data["api_username"]}

    def get_handle(self) -> str:
        host = urlsplit(self.cleaned_data["base_url"]).hostname or ""
        return f"{self.cleaned_data['api_username']}@{host}"
