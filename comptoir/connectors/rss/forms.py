"""How a community manager adds a feed to watch."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.lib.fetch import FetchError, check_url


class ConnectForm(forms.Form):
    url = forms.URLField(
        label=_("Feed address"),
        assume_scheme="https",
        max_length=2000,
        help_text=_(
            "The address of the RSS or Atom feed, e.g. https://www.example.fr/feed. If you only have the "
            "site's address, paste it: the check will list the feeds the site offers."
        ),
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            check_url(url)
        except FetchError as exc:
            raise forms.ValidationError(exc.message) from None
        return url

    def get_config(self) -> dict[str, Any]:
        return {"url": self.cleaned_data["url"]}

    def get_credentials(self) -> dict[str, Any]:
        return {}

    def get_handle(self) -> str:
        return self.cleaned_data["url"]
