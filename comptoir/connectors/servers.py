"""The address of an account's own server: a Mastodon instance, a Bluesky PDS, a Matrix homeserver.

Forms clean what a person typed (``clean_server_url``); clients check what is stored before they
connect (``check_server_url``). Both accept only an http(s) address of a server, never a page.
"""

from typing import Any
from urllib.parse import SplitResult, urlsplit

from django import forms

from comptoir.lib.i18n import gettext as _

from .base import ConnectorError

MAX_LENGTH = 200
# Schemes that must not be mistaken for a host name when https:// is added in front.
_NOT_HOSTS = ("javascript:", "data:", "mailto:", "file:")


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    return parts


def clean_server_url(value: str, *, example: str, server: str, empty: str | None = None) -> str:
    """Normalise a server address typed in a form; ``https://`` is added when no scheme is given.

    ``server`` names the kind of server in messages (“server”, “homeserver”), ``example`` shows a
    good address. An empty value returns ``empty``, or is refused when ``empty`` is None.
    Returns ``scheme://host[:port]`` in lower case; raises ``forms.ValidationError``.
    """
    value = (value or "").strip()
    if not value and empty is not None:
        return empty
    if len(value) > MAX_LENGTH:
        raise forms.ValidationError(_("This address is too long for a %(server)s address.") % {"server": server})
    if "://" not in value and not value.lower().startswith(_NOT_HOSTS):
        value = f"https://{value}"
    invalid = forms.ValidationError(_("This is not a valid address, e.g. %(example)s.") % {"example": example})
    parts = _split(value)
    if parts is None:
        raise invalid
    if parts.scheme not in ("http", "https"):
        raise forms.ValidationError(
            _("The %(server)s address must start with https:// (or http://).") % {"server": server})
    if not parts.hostname or any(c.isspace() for c in value):
        raise invalid
    if parts.username or parts.password:
        raise forms.ValidationError(_("Do not put a user name or password in the address."))
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise forms.ValidationError(
            _("Give only the %(server)s, without a page: e.g. %(example)s.") % {"server": server, "example": example})
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_server_url(url: Any, *, server: str, example: str, default: str | None = None) -> str:
    """Return a stored server address as a base URL without trailing slash, or raise ``ConnectorError``.

    ``server`` names it in messages (“Mastodon server”, “Matrix homeserver”); ``default`` is used
    when nothing is stored (None: the address is required).
    """
    if default is not None and url in (None, ""):
        return default
    if not isinstance(url, str) or not url.strip():
        raise ConnectorError(_("The %(server)s address is missing. Reconnect the account.") % {"server": server})
    url = url.strip()
    parts = _split(url)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectorError(
            _("The %(server)s address %(url)s is not valid: it should look like %(example)s.")
            % {"server": server, "url": url[:MAX_LENGTH], "example": example}
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConnectorError(
            _("The %(server)s address should be only the server, like %(example)s.") % {"server": server, "example": example})
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
