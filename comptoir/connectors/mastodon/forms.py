"""How a community manager connects a Mastodon account."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.connectors.mastodon.client import STREAMS
from comptoir.connectors.servers import clean_server_url

_HANDLE_RE = re.compile(
    r"^@?(?P<name>[a-z0-9_](?:[a-z0-9_.-]{0,62}[a-z0-9_])?)@(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"[a-z0-9-]{2,63})$",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9._~+/=-]{8,512}$")
_HASHTAG_RE = re.compile(r"^\w{1,100}$")
MAX_HASHTAGS = 10


class ConnectForm(forms.Form):
    handle = forms.CharField(
        label=_("Mastodon address"),
        max_length=200,
        help_text=_("The account's full address, as shown on its profile: @name@server, e.g. @comptoir@mastodon.social."),
    )
    server = forms.CharField(
        label=_("Server address"),
        required=False,
        max_length=200,
        help_text=_(
            "Leave empty when the account lives on the server named in its address. Fill it in only "
            "if the server's web address differs, e.g. https://social.example.org."
        ),
    )
    access_token = forms.CharField(
        label=_("Access token"),
        max_length=512,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "On the server's website, open Preferences → Development → New application, name it "
            "“Comptoir”, keep the “read” and “write” scopes, save, open it and copy “Your access token”."
        ),
    )
    streams = forms.MultipleChoiceField(
        label=_("What to read"),
        required=False,
        choices=[
            ("home", _("Home timeline (accounts you follow, and your own posts)")),
            ("mentions", _("Mentions of the account")),
            ("direct", _("Private mentions (direct messages)")),
        ],
        initial=list(STREAMS),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Comptoir reads these regularly into the stream and the inbox."),
    )
    hashtags = forms.CharField(
        label=_("Hashtags to follow"),
        required=False,
        max_length=1100,
        help_text=_("Optional: up to 10 hashtags separated by spaces or commas, e.g. #barista #cafe."),
    )

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"].strip()
        match = _HANDLE_RE.match(handle)
        if not match:
            raise forms.ValidationError(
                _("Write the full address with the server, e.g. @comptoir@mastodon.social.")
            )
        return f"@{match['name']}@{match['domain'].lower()}"

    def clean_server(self) -> str:
        return clean_server_url(self.cleaned_data.get("server", ""), example="https://mastodon.social", server=_("server"), empty="")

    def clean_access_token(self) -> str:
        token = self.cleaned_data["access_token"]
        if not _TOKEN_RE.match(token):
            raise forms.ValidationError(
                _("This does not look like a Mastodon access token: copy it again, without spaces.")
            )
        return token

    def clean_hashtags(self) -> list[str]:
        raw = self.cleaned_data.get("hashtags", "")
        tags: list[str] = []
        for part in re.split(r"[\s,;]+", raw):
            tag = part.strip().lstrip("#")
            if not tag:
                continue
            if not _HASHTAG_RE.match(tag):
                raise forms.ValidationError(
                    _("“%(tag)s” is not a hashtag: use letters, digits and _ only.") % {"tag": part[:50]}
                )
            if tag.lower() not in (t.lower() for t in tags):
                tags.append(tag)
        if len(tags) > MAX_HASHTAGS:
            raise forms.ValidationError(_("Follow at most %(max)d hashtags.") % {"max": MAX_HASHTAGS})
        return tags

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("server") and cleaned.get("handle"):
            cleaned["server"] = f"https://{cleaned['handle'].rsplit('@', 1)[1]}"
        return cleaned

    def get_config(self) -> dict[str, Any]:
        return {
            "server": self.cleaned_data["server"],
            "handle": self.cleaned_data["handle"],
            "streams": [s for s in STREAMS if s in self.cleaned_data.get("streams", [])],
            "hashtags": self.cleaned_data.get("hashtags", []),
        }

    def get_credentials(self) -> dict[str, Any]:
        return {"access_token": self.cleaned_data["access_token"]}

    def get_handle(self) -> str:
        return self.cleaned_data["handle"]
