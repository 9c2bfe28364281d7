"""The editorial calendar as iCalendar: a per-workspace secret feed (``/cal/<token>.ics``) and an export of a filter.

Only the token's hash is stored (``PublishingSettings.ical_token_hash``); regenerating it breaks the old address.
Events carry what a calendar app needs to plan: the post's title and a short preview of its text, its channels,
its status, a link to the post in Comptoir and to what went out. Nobody's name, address or e-mail.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, timedelta

import icalendar
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.lib import timeutil
from comptoir.workspaces import audit

from . import calendar
from .models import Post, PublishingSettings

TOKEN_PREFIX = "cal_"  # noqa: S105 (a prefix, not a secret)
# A feed covers a quarter behind and a year ahead: what a calendar app shows, never the whole history.
FEED_PAST = timedelta(days=92)
FEED_AHEAD = timedelta(days=366)
FEED_LIMIT = 2000
PREVIEW = 200


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def settings_for(workspace) -> PublishingSettings:
    """The workspace's settings row, or an unsaved one with the defaults (reading never writes)."""
    return PublishingSettings.objects.filter(workspace=workspace).first() or PublishingSettings(workspace=workspace)


def do_regenerate_token(membership) -> str:
    """A new secret feed token for the workspace (returned once; only its hash is kept); the old one stops working."""
    from .planning import _require

    _require(membership)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        found = PublishingSettings.objects.select_for_update().filter(workspace=membership.workspace).first()
        if found is None:
            found = PublishingSettings.objects.create(workspace=membership.workspace)
        had = bool(found.ical_token_hash)
        found.ical_token_hash = hash_token(raw)
        found.ical_token_prefix = raw[:10]
        found.save(update_fields=["ical_token_hash", "ical_token_prefix"])
        audit.record(membership.workspace, membership.user, "calendar.ical_token", found,
                     object_repr=membership.workspace.name, after={"prefix": found.ical_token_prefix, "replaced": had})
    return raw


def workspace_for_token(raw: str):
    """The workspace whose feed token is ``raw``, or None."""
    if not isinstance(raw, str) or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    digest = hash_token(raw)
    found = PublishingSettings.objects.select_related("workspace").filter(ical_token_hash=digest).first()
    if found is None or not hmac.compare_digest(found.ical_token_hash, digest):
        return None
    return found.workspace


def _preview(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= PREVIEW else text[:PREVIEW - 1] + "…"


def build_feed(workspace, posts, base_url: str) -> bytes:
    """An iCalendar document with one event per post (its date, or when it was published)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Comptoir//Editorial calendar//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _("Editorial calendar · %(workspace)s") % {"workspace": workspace.name})
    cal.add("x-wr-timezone", "UTC")
    stamp = timeutil.now()
    for post in posts:
        entry = calendar.entry_for(post, UTC)
        event = icalendar.Event()
        event.add("uid", f"post-{post.pk}@{workspace.slug}.comptoir")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.at)
        event.add("dtend", entry.at + timedelta(minutes=15))
        event.add("last-modified", post.updated_at)
        channels = ", ".join(v.channel for v in entry.variants) or _("no channel yet")
        summary = str(post.title or _preview(post.master_text)[:80] or _("Untitled post"))
        if entry.has_alarm:
            summary = "⚠ " + summary
        event.add("summary", summary)
        link = base_url + calendar.post_path(post)
        lines = [_("Status: %(status)s") % {"status": post.get_status_display()},
                 _("Channels: %(channels)s") % {"channels": channels}]
        if post.campaign_id and entry.campaign_name:
            lines.append(_("Campaign: %(name)s") % {"name": entry.campaign_name})
        for v in entry.variants:
            lines.append(f"{v.channel}: {v.state_label}" + (f" — {v.remote_url}" if v.remote_url else ""))
        preview = _preview(post.master_text)
        if preview:
            lines += ["", preview]
        lines += ["", link]
        event.add("description", "\n".join(lines))
        event.add("url", link)
        event.add("status", "CANCELLED" if post.status == Post.Status.CANCELLED else "CONFIRMED")
        event.add("categories", [entry.campaign_name] if entry.campaign_name else [str(post.get_status_display())])
        cal.add_component(event)
    return cal.to_ical()


def feed_posts(workspace, filters: calendar.Filters = calendar.NO_FILTERS, start=None, end=None):
    now = timeutil.now()
    start = start or now - FEED_PAST
    end = end or now + FEED_AHEAD
    return list(calendar.posts_between(workspace, start, end, filters).select_related("workspace")[:FEED_LIMIT])
