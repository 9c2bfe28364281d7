"""How a community manager opens an inbound webhook channel."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MIN_SECRET_LENGTH = 24


class ConnectForm(forms.Form):
    # The secret Comptoir made when none was pasted: the person must see it once to give it to the sender.
    generated_secret = ""

    name = forms.CharField(
        label=_("Sender name"),
        max_length=100,
        help_text=_("What sends to this channel, e.g. “Support form” or “Typeform survey”."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Leave empty and Comptoir creates one for you (recommended). Paste one only if the sending "
            "tool already has its own."
        ),
    )
    require_timestamp = forms.BooleanField(
        label=_("Require a timestamp (replay protection)"),
        required=False,
        initial=True,
        help_text=_(
            "Refuse requests without an X-Comptoir-Timestamp header or older than five minutes. "
            "Untick only for a tool that cannot send that header."
        ),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the sender a name so you recognise its messages."))
        return name

    def clean_secret(self) -> str:
        secret = self.cleaned_data.get("secret", "")
        if secret and len(secret) < MIN_SECRET_LENGTH:
            raise forms.ValidationError(
                _("This secret is too short to be safe: use at least %(min)d characters, or leave it empty.")
                % {"min": MIN_SECRET_LENGTH}
            )
        if secret and not secret.isprintable():
            raise forms.ValidationError(_("The secret contains invisible characters; copy it again."))
        if secret:
            return secret
        # Generated once here so every get_credentials() call returns the same value; shown once after connecting.
        self.generated_secret = secrets.token_urlsafe(32)
        return self.generated_secret

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.cleaned_data["name"],
            "require_timestamp": bool(self.cleaned_data["require_timestamp"]),
        }

    def get_credentials(self) -> dict[str, Any]:
        return {"secret": self.cleaned_data["secret"]}

    def get_handle(self) -> str:
        return self.cleaned_data["name"]
