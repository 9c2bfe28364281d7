"""How a community manager connects a Bluesky account."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.connectors.bluesky.client import DEFAULT_SERVICE, STREAMS
from comptoir.connectors.servers import clean_server_url

# A handle is a domain name: comptoir.bsky.social, or the brand's own domain.
_HANDLE_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# What Bluesky (and any PDS) generates in Settings → Privacy and security → App passwords.
_APP_PASSWORD_RE = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$")
MAX_SEARCHES = 10


class ConnectForm(forms.Form):
    handle = forms.CharField(
        label=_("Bluesky handle"),
        max_length=253,
        help_text=_("The account's handle, shown under its name: e.g. comptoir.bsky.social or comptoir.fr."),
    )
    app_password = forms.CharField(
        label=_("App password"),
        max_length=19,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Never the account's main password. In Bluesky: Settings → Privacy and security → App "
            "passwords → Add App Password, name it “Comptoir”, and copy the code (xxxx-xxxx-xxxx-xxxx)."
        ),
    )
    service = forms.CharField(
        label=_("Server (PDS)"),
        required=False,
        max_length=200,
        help_text=_(
            "Leave empty for an account hosted by Bluesky. For a self-hosted server, give its address, "
            "e.g. https://pds.example.org."
        ),
    )
    streams = forms.MultipleChoiceField(
        label=_("What to read"),
        required=False,
        choices=[
            ("posts", _("The account's own posts (and their counts)")),
            ("notifications", _("Mentions, replies and quotes of the account")),
        ],
        initial=list(STREAMS),
        widget=forms.CheckboxSelectMultiple,
    )
    searches = forms.CharField(
        label=_("Searches to follow"),
        required=False,
        max_length=2200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: one search per line (words, #hashtags, “exact phrases”), at most 10."),
    )

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"].strip().lstrip("@").lower()
        if not _HANDLE_RE.match(handle) or handle.endswith((".local", ".arpa", ".internal", ".invalid")):
            raise forms.ValidationError(_("A Bluesky handle looks like a web address: e.g. comptoir.bsky.social."))
        return handle

    def clean_app_password(self) -> str:
        password = self.cleaned_data["app_password"].lower()
        if not _APP_PASSWORD_RE.match(password):
            raise forms.ValidationError(
                _(
                    "Paste an app password (four groups of four letters or digits: xxxx-xxxx-xxxx-xxxx), "
                    "not the account's main password."
                )
            )
        return password

    def clean_service(self) -> str:
        return clean_server_url(self.cleaned_data.get("service", ""), example="https://bsky.social", server=_("server"), empty=DEFAULT_SERVICE)

    def clean_searches(self) -> list[str]:
        searches: list[str] = []
        for line in self.cleaned_data.get("searches", "").splitlines():
            query = " ".join(line.split())
            if not query:
                continue
            if len(query) > 200 or not query.isprintable():
                raise forms.ValidationError(
                    _("The search “%(query)s…” is too long or contains invisible characters.") % {"query": query[:30]}
                )
            if query not in searches:
                searches.append(query)
        if len(searches) > MAX_SEARCHES:
            raise forms.ValidationError(_("Follow at most %(max)d searches.") % {"max": MAX_SEARCHES})
        return searches

    def get_config(self) -> dict[str, Any]:
        return {
            "service": self.cleaned_data["service"],
            "handle": self.cleaned_data["handle"],
            "streams": [s for s in STREAMS if s in self.cleaned_data.get("streams", [])],
            "searches": self.cleaned_data.get("searches", []),
        }

    def get_credentials(self) -> dict[str, Any]:
        return {"app_password": self.cleaned_data["app_password"]}

    def get_handle(self) -> str:
        return f"@{self.cleaned_data['handle']}"
