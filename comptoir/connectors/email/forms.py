"""How a community manager connects a mailbox: IMAP to read, SMTP to send."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.connectors.email.client import DEFAULT_PORTS, SECURITY_NONE, SECURITY_SSL, SECURITY_STARTTLS

SECURITY_CHOICES = [
    (SECURITY_SSL, _("SSL/TLS (recommended)")),
    (SECURITY_STARTTLS, _("STARTTLS")),
    (SECURITY_NONE, _("None (unencrypted, avoid)")),
]

_HOST_RE = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?"  # name or IPv4
    r"|\[?[0-9a-f:.]+\]?",  # IPv6
    re.IGNORECASE,
)
_FOLDER_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f*%]")


def _clean_host(value: str) -> str:
    host = (value or "").strip()
    if "://" in host or "/" in host:
        raise forms.ValidationError(
            _(
                "Enter the server's host name only, without imap://, smtp:// or a path (for example imap.example.org)."
            )
        )
    if host.count(":") == 1:
        raise forms.ValidationError(_("Enter the port in its own field, not after the host name."))
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    if not ascii_host or not _HOST_RE.fullmatch(ascii_host):
        raise forms.ValidationError(_("“%(host)s” is not a valid host name."), params={"host": host})
    return ascii_host.strip("[]").lower()


def _clean_folder(value: str, *, required: bool) -> str:
    folder = (value or "").strip()
    if not folder:
        if required:
            raise forms.ValidationError(_("Enter a folder name, for example INBOX."))
        return ""
    if _FOLDER_FORBIDDEN.search(folder):
        raise forms.ValidationError(
            _("A folder name cannot contain control characters, an asterisk or a percent sign.")
        )
    return folder


class ConnectForm(forms.Form):
    """Mailbox settings. The password goes to the encrypted credentials, the rest to the config."""

    imap_host = forms.CharField(
        label=_("IMAP server"),
        max_length=253,
        help_text=_("Where mail is read, for example imap.example.org."),
    )
    imap_security = forms.ChoiceField(
        label=_("IMAP security"), choices=SECURITY_CHOICES, initial=SECURITY_SSL
    )
    imap_port = forms.IntegerField(
        label=_("IMAP port"),
        min_value=1,
        max_value=65535,
        required=False,
        help_text=_("Leave empty for the usual port: 993 with SSL/TLS, 143 otherwise."),
    )
    smtp_host = forms.CharField(
        label=_("SMTP server"),
        max_length=253,
        help_text=_("Where mail is sent, for example smtp.example.org."),
    )
    smtp_security = forms.ChoiceField(
        label=_("SMTP security"), choices=SECURITY_CHOICES, initial=SECURITY_STARTTLS
    )
    smtp_port = forms.IntegerField(
        label=_("SMTP port"),
        min_value=1,
        max_value=65535,
        required=False,
        help_text=_("Leave empty for the usual port: 465 with SSL/TLS, 587 with STARTTLS, 25 otherwise."),
    )
    username = forms.CharField(
        label=_("User name"), max_length=320, help_text=_("Often the full e-mail address.")
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Use an application password if your provider offers them."),
    )
    from_address = forms.EmailField(
        label=_("Sender address"), help_text=_("The address replies and messages are sent from.")
    )
    from_name = forms.CharField(
        label=_("Sender name"),
        max_length=200,
        required=False,
        help_text=_("Shown next to the address, optional."),
    )
    folder = forms.CharField(
        label=_("Folder to read"),
        max_length=500,
        initial="INBOX",
        help_text=_("INBOX unless you sort mail elsewhere."),
    )
    sent_folder = forms.CharField(
        label=_("Sent folder"),
        max_length=500,
        required=False,
        help_text=_(
            "Where a copy of what Comptoir sends is saved, for example Sent. Leave empty for no copy."
        ),
    )

    def clean_imap_host(self) -> str:
        return _clean_host(self.cleaned_data.get("imap_host", ""))

    def clean_smtp_host(self) -> str:
        return _clean_host(self.cleaned_data.get("smtp_host", ""))

    def clean_username(self) -> str:
        username = (self.cleaned_data.get("username") or "").strip()
        if not username:
            raise forms.ValidationError(_("Enter the user name of the mailbox."))
        if any(c in username for c in "\r\n\x00"):
            raise forms.ValidationError(_("The user name cannot contain line breaks."))
        return username

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if not password.strip():
            raise forms.ValidationError(_("Enter the password of the mailbox."))
        if any(c in password for c in "\r\n\x00"):
            raise forms.ValidationError(_("The password cannot contain line breaks."))
        return password

    def clean_from_name(self) -> str:
        return " ".join((self.cleaned_data.get("from_name") or "").split())

    def clean_folder(self) -> str:
        return _clean_folder(self.cleaned_data.get("folder", ""), required=True)

    def clean_sent_folder(self) -> str:
        return _clean_folder(self.cleaned_data.get("sent_folder", ""), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for service in ("imap", "smtp"):
            mode = cleaned.get(f"{service}_security")
            if mode and not cleaned.get(f"{service}_port"):
                cleaned[f"{service}_port"] = DEFAULT_PORTS[service][mode]
        if cleaned.get("sent_folder") and cleaned.get("sent_folder") == cleaned.get("folder"):
            self.add_error("sent_folder", _("The sent folder must differ from the folder to read."))
        return cleaned

    def get_config(self) -> dict[str, Any]:
        """The non-secret settings, as :class:`EmailConnector` reads them."""
        data = self.cleaned_data
        keys = (
            "imap_host", "imap_port", "imap_security", "smtp_host", "smtp_port", "smtp_security",
            "username", "from_address", "from_name", "folder", "sent_folder",
        )  # fmt: skip
        return {key: data.get(key) for key in keys}

    def get_credentials(self) -> dict[str, Any]:
        return {"password": self.cleaned_data["password"]}

    def get_handle(self) -> str:
        return self.cleaned_data["from_address"]
