"""Links of posts: the address a variant publishes (UTM parameters, tracked short link), and click counting.

:func:`outbound_link` is what delivery and the editor's checks ask: the post's link with UTM
parameters (``utm_source`` and ``utm_medium`` from the workspace's publishing settings,
``utm_campaign`` from the post, its campaign or its title, ``utm_content`` the network), appended
after the existing query string without rewriting it, fragment kept; parameters the link already
names are left as the CM wrote them. When the settings ask for short links, the variant's
:class:`ShortLink` (one per variant, always the same code) replaces it: ``BASE_URL/l/<code>``.

Only http and https links are tracked; anything else is published as written (the editor refuses
such links with :func:`check_link`).

Clicks (:func:`count_click`) are counted per link and per day in the workspace's time zone, with
F expressions so concurrent clicks all count; no address, cookie or user agent is stored.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from comptoir.workspaces import audit

from .models import LinkClickDay, PublishingSettings, ShortLink, Variant

MAX_LINK = 2000
# Link-preview fetchers, crawlers, monitors and command-line clients: not people clicking.
_BOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|fetch|facebookexternalhit|embedly|mastodon|pleroma|akkoma|misskey|"
    r"friendica|bluesky|cardyb|http\.rb|python-|curl/|wget/|libwww|go-http-client|java/|okhttp|axios|node-fetch|"
    r"headless|lighthouse|pingdom|uptime|monitor|validator|scan|whatsapp|telegram|discord|slack|skype|vkshare|"
    r"linkedin|pinterest|redditbot|applebot|bingpreview|yahoo|yandex|baidu|duckduck|semrush|ahrefs|petalbot",
    re.IGNORECASE)


def is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def check_link(url: str) -> str:
    """The link as it will be stored, or a ValidationError on ``link`` saying what to fix."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > MAX_LINK:
        raise ValidationError({"link": _("The link is %(length)d characters long; the limit is %(max)d.") % {
            "length": len(url), "max": MAX_LINK}})
    if not is_http(url) or any(c.isspace() for c in url):
        raise ValidationError({"link": _("The link must be a web address starting with http:// or https://.")})
    return url


_UTM_VALUE = re.compile(r"[\w.\-]{1,80}")


def check_utm_value(value, field: str) -> str:
    """A UTM source or medium: letters, digits, dots, hyphens and underscores, 80 at most (empty: left out)."""
    value = str(value or "").strip()
    if value and not _UTM_VALUE.fullmatch(value):
        raise ValidationError({field: _("Use letters, digits, hyphens, dots or underscores only (80 at most), "
                                        "e.g. “social”.")})
    return value


def do_update_link_settings(membership, data: dict) -> PublishingSettings:
    """The workspace's link settings: ``add_utm``, ``utm_source``, ``utm_medium``, ``shorten_links``."""
    errors: dict[str, list[str]] = {}
    cleaned = {"add_utm": bool(data.get("add_utm")), "shorten_links": bool(data.get("shorten_links"))}
    for field in ("utm_source", "utm_medium"):
        try:
            cleaned[field] = check_utm_value(data.get(field), field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        prefs, _created = PublishingSettings.objects.select_for_update().get_or_create(workspace=membership.workspace)
        fields = list(cleaned)
        before = audit.snapshot(prefs, fields)
        for key, value in cleaned.items():
            setattr(prefs, key, value)
        prefs.save(update_fields=fields)
        after = audit.snapshot(prefs, fields)
        if before != after:
            audit.record(membership.workspace, membership.user, "publishing.link_settings", None, before=before,
                         after=after, object_repr=str(membership.workspace))
    return prefs


def publishing_settings(workspace) -> PublishingSettings:
    """The workspace's publishing settings (defaults when none were saved)."""
    found = PublishingSettings.objects.filter(workspace=workspace).first()
    return found if found is not None else PublishingSettings(workspace=workspace)


def campaign_slug(post) -> str:
    """utm_campaign: the post's own, else its campaign's, else a slug of its title."""
    chosen = post.utm_campaign or (post.campaign.utm_campaign if post.campaign_id and post.campaign else "")
    chosen = chosen or slugify(post.title)[:80] or (f"post-{post.pk}" if post.pk else "post")
    return chosen.strip()[:80]


def add_utm(url: str, *, source: str, medium: str, campaign: str, content: str) -> str:
    """``url`` with UTM parameters appended; its query, the parameters it already has and its fragment unchanged."""
    if not is_http(url):
        return url
    parts = urlsplit(url)
    present = {key.lower() for key, _value in parse_qsl(parts.query, keep_blank_values=True)}
    wanted = [(k, v) for k, v in (("utm_source", source), ("utm_medium", medium), ("utm_campaign", campaign),
                                  ("utm_content", content)) if v and k not in present]
    if not wanted:
        return url
    extra = urlencode(wanted)
    query = f"{parts.query}&{extra}" if parts.query and not parts.query.endswith("&") else f"{parts.query}{extra}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def tracked_target(variant: Variant, prefs: PublishingSettings | None = None) -> str:
    """The post's link with the UTM parameters the settings ask for (no short link)."""
    post = variant.post
    link = (post.link or "").strip()
    if not link or not is_http(link):
        return link
    prefs = prefs or publishing_settings(post.workspace)
    if not prefs.add_utm:
        return link
    return add_utm(link, source=prefs.utm_source, medium=prefs.utm_medium, campaign=campaign_slug(post),
                   content=variant.network)


def short_url(link: ShortLink) -> str:
    return f"{settings.BASE_URL}/l/{link.code}"


def short_link_for(variant: Variant, target: str) -> ShortLink:
    """The variant's short link, created once: publishing again, or a retry, gives the same code.

    Until the variant is sent its target follows the post's link; once sent it never changes.
    """
    link = ShortLink.objects.filter(variant=variant).first()
    if link is None:
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    return ShortLink.objects.create(workspace_id=variant.post.workspace_id, post=variant.post,
                                                    variant=variant, target_url=target[:MAX_LINK])
            except IntegrityError:
                # Another process created this variant's link at the same moment, or the random code was taken.
                link = ShortLink.objects.filter(variant=variant).first()
                if link is not None:
                    break
        else:  # pragma: no cover - five collisions of 48 random bits
            raise RuntimeError("could not find a free short-link code")
    if link.target_url != target and variant.state != Variant.State.SENT and not variant.sent_at:
        ShortLink.objects.filter(pk=link.pk).update(target_url=target[:MAX_LINK])
        link.target_url = target
    return link


# Stands for a code not made yet: as long as a real one (``new_link_code`` gives 8 characters), so counts are right.
PLACEHOLDER_CODE = "xxxxxxxx"


def outbound_link(variant: Variant, *, create: bool = True) -> str:
    """The link the variant publishes: UTM parameters added, then the tracked short link when the settings ask.

    ``create=False`` (checks and previews) makes no short link: it gives the variant's existing one, else an
    address of the same length, so that a draft never leaves a short link behind.
    """
    prefs = publishing_settings(variant.post.workspace)
    target = tracked_target(variant, prefs)
    if not target or not is_http(target):
        return target
    if not prefs.shorten_links:
        return target
    if not create or variant.pk is None:
        existing = ShortLink.objects.filter(variant=variant).first() if variant.pk is not None else None
        return short_url(existing) if existing is not None else f"{settings.BASE_URL}/l/{PLACEHOLDER_CODE}"
    return short_url(short_link_for(variant, target))


def is_bot(user_agent: str) -> bool:
    user_agent = (user_agent or "").strip()
    return not user_agent or bool(_BOTS.search(user_agent[:500]))


def count_click(link: ShortLink, *, when=None) -> None:
    """One more click on ``link``, today in its workspace's time zone; safe under concurrent clicks."""
    when = when or timezone.now()
    try:
        zone = ZoneInfo(link.workspace.time_zone)
    except Exception:  # noqa: BLE001 — an unknown zone counts in UTC rather than losing the click
        zone = ZoneInfo("UTC")
    day = when.astimezone(zone).date()
    with transaction.atomic():
        ShortLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1, last_click_at=when)
        if LinkClickDay.objects.filter(link=link, day=day).update(clicks=F("clicks") + 1):
            return
        try:
            with transaction.atomic():
                LinkClickDay.objects.create(link=link, day=day, clicks=1)
        except IntegrityError:
            LinkClickDay.objects.filter(link=link, day=day).update(clicks=F("clicks") + 1)


audit.sentences({
    "publishing.link_settings": lambda e, n: _("%(actor)s changed the link settings (UTM parameters, short links): "
                                               "%(fields)s.") % {**n, "fields": ", ".join(
        f for f, _b, _a in audit.changes(e)) or "—"},
})
