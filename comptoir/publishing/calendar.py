"""The editorial calendar as data: the weeks of a month or the days of a week, in the reader's time zone, with the
posts of each day (their variants' channels and delivery states, their campaign's colour) and the notable dates.

Planned posts sit on their ``publish_at``, published ones on their ``published_at``. Nothing here renders or
writes: the views, the API and the iCalendar feed read the same data.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, Q
from django.urls import NoReverseMatch, reverse

from comptoir.lib import timeutil

from . import notabledates
from .models import Campaign, Post, Variant

# Delivery states that need the CM: a red badge on the calendar.
ALARM_STATES = frozenset({Variant.State.FAILED, Variant.State.LATE, Variant.State.UNKNOWN})
# A post is fixed once something went out or is going out.
FIXED_STATES = frozenset({Variant.State.CLAIMED, Variant.State.SENT})
FIXED_STATUSES = frozenset({Post.Status.PUBLISHED, Post.Status.PUBLISHING, Post.Status.CANCELLED})
# Status filter values beyond the post statuses.
STATUS_PROBLEM = "problem"
# The widest range one request may ask (API, export).
MAX_RANGE_DAYS = 92

STATUS_CHIPS = {
    Post.Status.DRAFT: "cpt-chip-idle", Post.Status.IN_REVIEW: "cpt-chip-warn",
    Post.Status.CHANGES_REQUESTED: "cpt-chip-warn", Post.Status.APPROVED: "cpt-chip-info",
    Post.Status.SCHEDULED: "cpt-chip-info", Post.Status.PUBLISHING: "cpt-chip-info",
    Post.Status.PUBLISHED: "cpt-chip-ok", Post.Status.FAILED: "cpt-chip-error", Post.Status.CANCELLED: "cpt-chip-idle",
}
NETWORK_ICONS = {
    "mastodon": "bi-mastodon", "bluesky": "bi-bluesky", "matrix": "bi-chat-square-dots", "discourse": "bi-chat-left-text",
    "email": "bi-envelope", "rss": "bi-rss", "webhook": "bi-plug", "twitter": "bi-twitter-x", "facebook": "bi-facebook",
    "instagram": "bi-instagram", "linkedin": "bi-linkedin", "youtube": "bi-youtube",
}
VARIANT_CHIPS = {
    Variant.State.PENDING: "cpt-chip-idle", Variant.State.SCHEDULED: "cpt-chip-info", Variant.State.CLAIMED: "cpt-chip-info",
    Variant.State.SENT: "cpt-chip-ok", Variant.State.FAILED: "cpt-chip-error", Variant.State.UNKNOWN: "cpt-chip-error",
    Variant.State.LATE: "cpt-chip-error", Variant.State.CANCELLED: "cpt-chip-idle",
}


# The post page is the editor's; these are the names it may have.
POST_URL_NAMES = ("publishing_post", "publishing_post_detail", "publishing_post_edit")


def post_path(post: Post) -> str:
    """The post's page in Comptoir (the calendar's week of the post while no post page exists)."""
    slug = post.workspace.slug
    for name in POST_URL_NAMES:
        try:
            return reverse(name, args=[slug, post.pk])
        except NoReverseMatch:
            continue
    when = post.published_at or post.publish_at
    return reverse("publishing_calendar", args=[slug]) + (f"?view=week&day={when:%Y-%m-%d}" if when else "")


def network_icon(network: str) -> str:
    return NETWORK_ICONS.get(network, "bi-broadcast")


@dataclass(frozen=True)
class Filters:
    """The calendar's filters, read leniently from a query string: an unreadable value is no filter."""

    channel: int | None = None
    status: str = ""
    campaign: int | None = None

    @classmethod
    def from_query(cls, query, workspace=None) -> Filters:
        def as_id(name):
            try:
                value = int(str(query.get(name, "")).strip()[:20])
            except ValueError:
                return None
            return value if 0 < value <= 2**63 - 1 else None

        status = str(query.get("status", ""))[:30]
        if status not in Post.Status.values and status != STATUS_PROBLEM:
            status = ""
        return cls(channel=as_id("channel"), status=status, campaign=as_id("campaign"))

    def query_items(self) -> list[tuple[str, str]]:
        items = []
        if self.channel:
            items.append(("channel", str(self.channel)))
        if self.status:
            items.append(("status", self.status))
        if self.campaign:
            items.append(("campaign", str(self.campaign)))
        return items

    @property
    def active(self) -> bool:
        return bool(self.channel or self.status or self.campaign)

    def apply(self, posts):
        if self.channel:
            posts = posts.filter(variants__channel_id=self.channel)
        if self.status == STATUS_PROBLEM:
            posts = posts.filter(Q(status=Post.Status.FAILED) | Q(variants__state__in=ALARM_STATES))
        elif self.status:
            posts = posts.filter(status=self.status)
        if self.campaign:
            posts = posts.filter(campaign_id=self.campaign)
        return posts.distinct()


NO_FILTERS = Filters()


@dataclass
class VariantEntry:
    id: int
    network: str
    channel: str
    channel_id: int | None
    state: str
    state_label: str
    remote_url: str
    error: str

    @property
    def icon(self) -> str:
        return network_icon(self.network)

    @property
    def chip(self) -> str:
        return VARIANT_CHIPS.get(self.state, "cpt-chip-idle")

    @property
    def is_alarm(self) -> bool:
        return self.state in ALARM_STATES


@dataclass
class PostEntry:
    post: Post
    at: datetime  # local time of the reader
    published: bool
    variants: list[VariantEntry]
    campaign_color: str
    campaign_name: str

    @property
    def id(self) -> int:
        return self.post.pk

    @property
    def title(self) -> str:
        return str(self.post)

    @property
    def url(self) -> str:
        return post_path(self.post)

    @property
    def status_chip(self) -> str:
        return STATUS_CHIPS.get(self.post.status, "cpt-chip-idle")

    @property
    def has_alarm(self) -> bool:
        return self.post.status == Post.Status.FAILED or any(v.is_alarm for v in self.variants)

    @property
    def movable(self) -> bool:
        return is_movable(self.post, self.variants)


@dataclass
class Day:
    day: date
    in_range: bool
    is_today: bool
    is_past: bool
    entries: list[PostEntry] = field(default_factory=list)
    notables: list = field(default_factory=list)

    def at_hour(self, hour: int) -> list[PostEntry]:
        return [e for e in self.entries if e.at.hour == hour]


@dataclass
class Period:
    kind: str  # "month" | "week"
    start: date  # first day shown
    end: date  # last day shown
    anchor: date  # the month's first day, or the week's Monday
    today: date
    tzname: str
    days: list[Day]
    unscheduled: list[Post]

    @property
    def weeks(self) -> list[list[Day]]:
        return [self.days[i:i + 7] for i in range(0, len(self.days), 7)]

    @property
    def previous(self) -> date:
        if self.kind == "week":
            return self.anchor - timedelta(days=7)
        return (self.anchor - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        if self.kind == "week":
            return self.anchor + timedelta(days=7)
        return (self.anchor + timedelta(days=32)).replace(day=1)

    @property
    def entries(self) -> list[PostEntry]:
        return [e for d in self.days for e in d.entries]


def is_movable(post: Post, variants: list | None = None) -> bool:
    """Whether the post may still change date: nothing of it went out or is going out."""
    if post.status in FIXED_STATUSES:
        return False
    states = [v.state for v in variants] if variants is not None else list(post.variants.values_list("state", flat=True))
    return not any(s in FIXED_STATES for s in states)


def zone_for(user, workspace) -> str:
    """The reader's time zone, else the workspace's, else UTC."""
    for name in (getattr(user, "time_zone", ""), getattr(workspace, "time_zone", "")):
        if timeutil.is_valid_timezone(name):
            return name
    return "UTC"


def today_in(tzname: str) -> date:
    return timeutil.now().astimezone(zoneinfo.ZoneInfo(tzname)).date()


def month_bounds(anchor: date) -> tuple[date, date]:
    """The Monday before (or on) the month's first day and the Sunday after (or on) its last."""
    first = anchor.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def week_bounds(anchor: date) -> tuple[date, date]:
    monday = anchor - timedelta(days=anchor.weekday())
    return monday, monday + timedelta(days=6)


def posts_between(workspace, start_utc: datetime, end_utc: datetime, filters: Filters | None = None):
    """The workspace's posts planned (``publish_at``) or published (``published_at``) in ``[start_utc, end_utc)``."""
    filters = filters or NO_FILTERS
    posts = Post.objects.filter(workspace=workspace).filter(
        Q(published_at__isnull=True, publish_at__gte=start_utc, publish_at__lt=end_utc)
        | Q(published_at__gte=start_utc, published_at__lt=end_utc))
    posts = filters.apply(posts)
    return (posts.select_related("campaign", "workspace")
            .prefetch_related(Prefetch("variants", queryset=Variant.objects.select_related("channel").order_by("pk")))
            .order_by("publish_at", "pk"))


def entry_for(post: Post, tz) -> PostEntry:
    when = post.published_at or post.publish_at
    variants = [
        VariantEntry(id=v.pk, network=v.network, channel=str(v.channel) if v.channel_id else v.network.title(),
                     channel_id=v.channel_id, state=v.state, state_label=str(v.get_state_display()),
                     remote_url=v.remote_url if v.state == Variant.State.SENT else "",
                     error=str(v.error) if v.error_code else "")
        for v in post.variants.all()
    ]
    campaign = post.campaign if post.campaign_id and post.campaign and not post.campaign.archived_at else None
    return PostEntry(post=post, at=when.astimezone(tz), published=post.published_at is not None, variants=variants,
                     campaign_color=campaign.color if campaign else "", campaign_name=campaign.name if campaign else "")


def build(workspace, kind: str, anchor: date, tzname: str, filters: Filters | None = None, *,
          with_unscheduled: bool = True) -> Period:
    """The month (``kind="month"``) or week around ``anchor``, seen from ``tzname``."""
    tz = zoneinfo.ZoneInfo(tzname)
    filters = filters or NO_FILTERS
    if kind == "week":
        start, end = week_bounds(anchor)
        anchor = start
        in_range = (start, end)
    else:
        kind = "month"
        anchor = anchor.replace(day=1)
        start, end = month_bounds(anchor)
        in_range = (anchor, (anchor + timedelta(days=32)).replace(day=1) - timedelta(days=1))
    today = today_in(tzname)
    days = {start + timedelta(days=i): None for i in range((end - start).days + 1)}
    by_day = {d: Day(d, in_range[0] <= d <= in_range[1], d == today, d < today) for d in days}
    start_utc = timeutil.local_day_bounds(start, tzname)[0]
    end_utc = timeutil.local_day_bounds(end, tzname)[1]
    for post in posts_between(workspace, start_utc, end_utc, filters):
        entry = entry_for(post, tz)
        day = by_day.get(entry.at.date())
        if day is not None:
            day.entries.append(entry)
    for day in by_day.values():
        day.entries.sort(key=lambda e: (e.at, e.id))
    for notable_day, found in notabledates.by_day(workspace, start, end).items():
        if notable_day in by_day:
            by_day[notable_day].notables = found
    unscheduled: list[Post] = []
    if with_unscheduled:
        drafts = Post.objects.filter(workspace=workspace, publish_at__isnull=True, published_at__isnull=True).exclude(
            status=Post.Status.CANCELLED)
        if filters.campaign:
            drafts = drafts.filter(campaign_id=filters.campaign)
        if filters.channel:
            drafts = drafts.filter(variants__channel_id=filters.channel).distinct()
        unscheduled = list(drafts.select_related("campaign").order_by("-updated_at", "-pk")[:30])
    return Period(kind=kind, start=start, end=end, anchor=anchor, today=today, tzname=tzname,
                  days=list(by_day.values()), unscheduled=unscheduled)


def campaigns_of(workspace):
    return Campaign.objects.filter(workspace=workspace, archived_at__isnull=True).order_by("name")
