"""What connectors of account APIs (Mastodon, Bluesky, Matrix, Discourse) share: reading the
timestamps they send, and what an HTTP error status means for the community manager."""

from __future__ import annotations

import datetime as dt
from typing import Any

from comptoir.connectors.base import ConnectorError
from comptoir.lib.i18n import gettext as _

# Besides every 5xx: a request timeout, and "too early" (RFC 8470), both worth retrying later.
RETRYABLE_STATUSES = frozenset({408, 425})


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 timestamp from an API as an aware UTC datetime (no zone: UTC); None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def status_error(
    status: int | None, *, server: str, refused: ConnectorError, retry_after: float | None = None
) -> ConnectorError | None:
    """The error every network means by ``status``, or None for the statuses a connector words itself.

    401: ``refused`` (the connector's own :class:`AuthenticationFailed`: what to reconnect
    depends on the credential). 429: slow down, retry later (after ``retry_after`` seconds when
    the server said). 408, 425 and 5xx: unavailable, retry later. ``server`` names the server in
    a sentence, e.g. “Mastodon (mastodon.social)”.
    """
    if status == 401:
        return refused
    if status == 429:
        if retry_after:
            message = _(
                "%(server)s asks Comptoir to slow down (rate limit). Comptoir will try again in %(seconds)d seconds."
            ) % {"server": server, "seconds": round(retry_after)}
        else:
            message = _("%(server)s asks Comptoir to slow down (rate limit). Comptoir will try again later.") % {
                "server": server
            }
        return ConnectorError(message, retryable=True, status=status, retry_after=retry_after)
    if status is not None and (status >= 500 or status in RETRYABLE_STATUSES):
        return ConnectorError(
            _("%(server)s is unavailable (error %(status)d). Comptoir will try again later.")
            % {"server": server, "status": status},
            retryable=True,
            status=status,
            retry_after=retry_after,
        )
    return None
