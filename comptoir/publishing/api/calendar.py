"""REST API: the editorial calendar, campaigns, the workspace's notable dates, moving a post
(routes gathered by ``publishing/api/__init__.py``)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from comptoir.errors import api_responses
from comptoir.lib import timeutil
from comptoir.workspaces import audit, roles
from comptoir.workspaces.access import get_token_membership
from comptoir.workspaces.models import Channel, Membership

from .. import calendar, notabledates, planning
from ..models import Campaign, NotableDate, Post

router = Router(tags=["publishing"])

Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]


def _membership(request, slug: str, perm: str = roles.VIEW_PUBLISHING) -> Membership:
    return get_token_membership(request, slug, perm)


class CalendarQuery(Schema):
    start: date | None = Field(None, description="First day (the token owner's time zone); default: today.")
    end: date | None = Field(None, description=f"Last day, included; at most {calendar.MAX_RANGE_DAYS} days after start.")
    channel: int | None = Field(None, ge=1, le=2**63 - 1)
    status: str | None = Field(None, max_length=30, description="A post status, or “problem” for delivery problems.")
    campaign: int | None = Field(None, ge=1, le=2**63 - 1)


class VariantOut(Schema):
    id: int
    network: str
    channel_id: int | None
    channel: str
    state: str
    remote_url: str
    error: str
    problem: bool


class CalendarPostOut(Schema):
    id: int
    title: str
    status: str
    publish_at: datetime | None
    published_at: datetime | None
    day: date = Field(description="The day it sits on in the calendar (published_at, else publish_at), in time_zone.")
    campaign_id: int | None
    campaign: str
    color: str
    problem: bool = Field(description="A variant failed, was too late or its outcome is unknown.")
    movable: bool
    url: str
    variants: list[VariantOut]


class NotableOut(Schema):
    day: date
    name: str
    kind: str = Field(description="holiday, world_day or own")
    source: str
    id: int | None = Field(None, description="The row of the workspace's own dates.")


class CalendarOut(Schema):
    start: date
    end: date
    time_zone: str
    posts: list[CalendarPostOut]
    notable_dates: list[NotableOut]


class CampaignIn(Schema):
    name: str = Field(..., max_length=500)
    color: str = Field("#7048e8", max_length=20)
    starts_on: date | None = None
    ends_on: date | None = None
    utm_campaign: str = Field("", max_length=200)


class CampaignOut(Schema):
    id: int
    name: str
    color: str
    starts_on: date | None
    ends_on: date | None
    utm_campaign: str
    archived: bool

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj.archived_at is not None


class NotableDateIn(Schema):
    day: date
    name: str = Field(..., max_length=1000)
    every_year: bool = False
    note: str = Field("", max_length=5000)


class NotableDatePatch(Schema):
    day: date | None = None
    name: str | None = Field(None, max_length=1000)
    every_year: bool | None = None
    note: str | None = Field(None, max_length=5000)


class NotableDateOut(Schema):
    id: int
    day: date
    name: str
    every_year: bool
    note: str


class MoveIn(Schema):
    publish_at: datetime | None = Field(None, description="The new date and time; without an offset, read in the token "
                                                          "owner's time zone.")
    day: date | None = Field(None, description="Or only a day: the post keeps its time of day.")


class MoveOut(Schema):
    id: int
    status: str
    publish_at: datetime


def _check_filters(workspace, q: CalendarQuery) -> calendar.Filters:
    if q.status and q.status not in Post.Status.values and q.status != calendar.STATUS_PROBLEM:
        raise ValidationError({"status": _("Unknown status “%(value)s”.") % {"value": q.status[:30]}})
    if q.channel and not Channel.objects.filter(pk=q.channel, workspace=workspace).exists():
        raise ValidationError({"channel": _("No such channel in this workspace.")})
    if q.campaign and not Campaign.objects.filter(pk=q.campaign, workspace=workspace).exists():
        raise ValidationError({"campaign": _("No such campaign in this workspace.")})
    return calendar.Filters(channel=q.channel, status=q.status or "", campaign=q.campaign)


def _range(q_start: date | None, q_end: date | None, tzname: str) -> tuple[date, date]:
    start = q_start or calendar.today_in(tzname)
    end = q_end or start + timedelta(days=30)
    for field, value in (("start", start), ("end", end)):
        if not 1900 <= value.year <= 2200:
            raise ValidationError({field: _("Enter a valid date.")})
    if end < start:
        raise ValidationError({"end": _("The end comes before the start.")})
    if (end - start).days > calendar.MAX_RANGE_DAYS:
        raise ValidationError({"end": _("At most %(days)s days at once: ask for a shorter range.") % {
            "days": calendar.MAX_RANGE_DAYS}})
    return start, end


@router.get("/{slug}/calendar", response=api_responses({200: CalendarOut}),
            summary="Posts planned and published in a range, with their variants' delivery states, and notable dates")
def get_calendar(request, slug: Slug, q: Query[CalendarQuery]):
    membership = _membership(request, slug)
    workspace = membership.workspace
    tzname = calendar.zone_for(request.auth.user, workspace)
    start, end = _range(q.start, q.end, tzname)
    filters = _check_filters(workspace, q)
    zone = zoneinfo.ZoneInfo(tzname)
    posts = calendar.posts_between(workspace, timeutil.local_day_bounds(start, tzname)[0],
                                   timeutil.local_day_bounds(end, tzname)[1], filters)
    out = []
    for post in posts:
        e = calendar.entry_for(post, zone)
        out.append({
            "id": post.pk, "title": str(post), "status": post.status, "publish_at": post.publish_at,
            "published_at": post.published_at, "day": e.at.date(), "campaign_id": post.campaign_id,
            "campaign": e.campaign_name, "color": e.campaign_color, "problem": e.has_alarm, "movable": e.movable,
            "url": e.url,
            "variants": [{"id": v.id, "network": v.network, "channel_id": v.channel_id, "channel": v.channel,
                          "state": v.state, "remote_url": v.remote_url, "error": v.error, "problem": v.is_alarm}
                         for v in e.variants],
        })
    notables = [{"day": n.day, "name": n.name, "kind": n.kind, "source": n.source, "id": n.id}
                for n in notabledates.between(workspace, start, end, language=request.auth.user.language)]
    return {"start": start, "end": end, "time_zone": tzname, "posts": out, "notable_dates": notables}


@router.post("/{slug}/posts/{post_id}/move", response=api_responses({200: MoveOut}, body=True),
             summary="Move a post to another date (the calendar's drag and drop)")
def move_post(request, slug: Slug, post_id: RowId, payload: MoveIn):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    post = get_object_or_404(Post.objects.select_related("workspace"), pk=post_id, workspace=membership.workspace)
    tzname = calendar.zone_for(request.auth.user, membership.workspace)
    if payload.publish_at is not None:
        when = payload.publish_at
        if when.tzinfo is None or when.utcoffset() is None:
            when = planning.local_datetime(when.date(), when.time(), tzname)
    elif payload.day is not None:
        when = planning.new_date_for_day(post, payload.day, tzname)
    else:
        raise ValidationError({"publish_at": _("Give publish_at (a date and time) or day.")})
    with audit.via("api"):
        post = planning.do_move_post(membership, post, when)
    return {"id": post.pk, "status": post.status, "publish_at": post.publish_at}


@router.get("/{slug}/campaigns", response=api_responses({200: list[CampaignOut]}))
def list_campaigns(request, slug: Slug, archived: bool = False):
    membership = _membership(request, slug)
    rows = Campaign.objects.filter(workspace=membership.workspace)
    if not archived:
        rows = rows.filter(archived_at__isnull=True)
    return list(rows.order_by("name"))


@router.post("/{slug}/campaigns", response=api_responses({201: CampaignOut}, body=True))
def create_campaign(request, slug: Slug, payload: CampaignIn):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    with audit.via("api"):
        campaign = planning.do_save_campaign(membership, None, payload.dict())
    return Status(201, campaign)


@router.get("/{slug}/notable-dates", response=api_responses({200: list[NotableDateOut]}),
            summary="The workspace's own notable dates (holidays and world days come with GET /calendar)")
def list_notable_dates(request, slug: Slug):
    membership = _membership(request, slug)
    return list(NotableDate.objects.filter(workspace=membership.workspace))


@router.post("/{slug}/notable-dates", response=api_responses({201: NotableDateOut}, body=True))
def create_notable_date(request, slug: Slug, payload: NotableDateIn):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    with audit.via("api"):
        notable = planning.do_save_notable_date(membership, None, payload.dict())
    return Status(201, notable)


@router.patch("/{slug}/notable-dates/{date_id}", response=api_responses({200: NotableDateOut}, body=True))
def update_notable_date(request, slug: Slug, date_id: RowId, payload: NotableDatePatch):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    notable = get_object_or_404(NotableDate, pk=date_id, workspace=membership.workspace)
    data = {k: getattr(notable, k) for k in planning.FIELDS_DATE}
    data.update(payload.dict(exclude_unset=True, exclude_none=True))
    with audit.via("api"):
        return planning.do_save_notable_date(membership, notable, data)


@router.delete("/{slug}/notable-dates/{date_id}", response=api_responses({204: None}))
def delete_notable_date(request, slug: Slug, date_id: RowId):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    notable = get_object_or_404(NotableDate, pk=date_id, workspace=membership.workspace)
    with audit.via("api"):
        planning.do_delete_notable_date(membership, notable)
    return Status(204, None)
