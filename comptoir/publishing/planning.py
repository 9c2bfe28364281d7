"""Actions of the editorial calendar: moving a post to another day, campaigns, the workspace's own notable dates.

``check_*`` raise a ValidationError a person can act on; ``do_*`` run in one transaction and write the activity log.
The web pages and the API call the same functions.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.lib import timeutil
from comptoir.workspaces import audit, roles

from . import calendar
from .models import Campaign, NotableDate, Post, Variant

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
UTM = re.compile(r"[-a-zA-Z0-9_]+")
# When an unscheduled draft is dropped on a day, it goes out at this local time.
DEFAULT_TIME = time(10, 0)
FIELDS_CAMPAIGN = ["name", "color", "starts_on", "ends_on", "utm_campaign"]
FIELDS_DATE = ["day", "name", "every_year", "note"]


def _require(membership, perm: str = roles.MANAGE_PUBLISHING) -> None:
    if not roles.has_perm(membership.role, perm):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))


def _same_workspace(membership, obj) -> None:
    if obj.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This is not in this workspace."))


# Moving a post. --------------------------------------------------------------------------------------------


def local_datetime(day: date, at: time, tzname: str) -> datetime:
    """``day`` at the wall time ``at`` in ``tzname``, as an aware UTC instant; a time the clocks skip is refused."""
    zone = zoneinfo.ZoneInfo(tzname)
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone)
    back = local.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValidationError({"day": _("%(time)s does not exist on %(day)s: the clocks skip that hour (change to "
                                        "summer time). Choose another time.") % {
            "time": at.strftime("%H:%M"), "day": formats.date_format(day, "SHORT_DATE_FORMAT")}})
    return local.astimezone(UTC)


def new_date_for_day(post: Post, day: date, tzname: str) -> datetime:
    """Where ``post`` lands when dropped on ``day``: same local time of day (10:00 for an unscheduled draft)."""
    if post.publish_at is not None:
        at = post.publish_at.astimezone(zoneinfo.ZoneInfo(tzname)).time()
    else:
        at = DEFAULT_TIME
    return local_datetime(day, at, tzname)


def check_move(post: Post, publish_at: datetime) -> None:
    if not isinstance(publish_at, datetime) or publish_at.tzinfo is None:
        raise ValidationError({"publish_at": _("Give a date and a time.")})
    if not calendar.is_movable(post):
        raise ValidationError({"publish_at": _("This post has already gone out (or is going out): it cannot be moved.")})
    if publish_at <= timeutil.now():
        raise ValidationError({"publish_at": _("This date is in the past: choose a later one.")})
    if publish_at.year > timeutil.now().year + 5:
        raise ValidationError({"publish_at": _("This date is too far in the future.")})


def _reschedule_in_delivery():
    """The delivery area's ``do_reschedule`` if this build has it (it re-arms the variants)."""
    try:
        from . import delivery
    except ImportError:
        return None
    return getattr(delivery, "do_reschedule", None)


def do_move_post(membership, post: Post, publish_at: datetime) -> Post:
    """Move ``post`` to ``publish_at``: through delivery's ``do_reschedule`` when present (it re-arms what was armed),
    else by changing the date and the due time of the variants waiting for it."""
    _require(membership)
    _same_workspace(membership, post)
    check_move(post, publish_at)
    reschedule = _reschedule_in_delivery()
    if reschedule is not None:
        reschedule(membership, post, publish_at)
        post.refresh_from_db()
        return post
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        check_move(locked, publish_at)
        before = audit.snapshot(locked, ["publish_at"])
        locked.publish_at = publish_at
        locked.updated_at = timeutil.now()
        locked.save(update_fields=["publish_at", "updated_at"])
        locked.variants.filter(state=Variant.State.SCHEDULED).update(due_at=publish_at)
        audit.record(membership.workspace, membership.user, "calendar.move", locked, before=before,
                     after=audit.snapshot(locked, ["publish_at"]))
    post.refresh_from_db()
    return post


# Campaigns. ------------------------------------------------------------------------------------------------


def check_campaign(workspace, data: dict, campaign: Campaign | None = None) -> dict:
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the campaign a name.")})
    if len(name) > 120:
        raise ValidationError({"name": _("At most %(max)s characters.") % {"max": 120}})
    same = Campaign.objects.filter(workspace=workspace, name__iexact=name)
    if campaign is not None:
        same = same.exclude(pk=campaign.pk)
    if same.exists():
        raise ValidationError({"name": _("A campaign of this workspace already has this name.")})
    color = str(data.get("color") or "#7048e8").strip()
    if not COLOR.fullmatch(color):
        raise ValidationError({"color": _("A colour is written #rrggbb, such as #7048e8.")})
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    for key, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if value is not None and not isinstance(value, date):
            raise ValidationError({key: _("Enter a valid date.")})
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The campaign ends before it starts.")})
    utm = str(data.get("utm_campaign") or "").strip()
    if utm and (len(utm) > 80 or not UTM.fullmatch(utm)):
        raise ValidationError({"utm_campaign": _("Letters, digits, dashes and underscores only, at most 80.")})
    return {"name": name, "color": color.lower(), "starts_on": starts_on, "ends_on": ends_on, "utm_campaign": utm}


def do_save_campaign(membership, campaign: Campaign | None, data: dict) -> Campaign:
    _require(membership)
    if campaign is not None:
        _same_workspace(membership, campaign)
    clean = check_campaign(membership.workspace, data, campaign)
    with transaction.atomic():
        before = audit.snapshot(campaign, FIELDS_CAMPAIGN)
        if campaign is None:
            campaign = Campaign.objects.create(workspace=membership.workspace, **clean)
            action = "calendar.campaign_create"
        else:
            for key, value in clean.items():
                setattr(campaign, key, value)
            campaign.save()
            action = "calendar.campaign_update"
        audit.record(membership.workspace, membership.user, action, campaign, before=before,
                     after=audit.snapshot(campaign, FIELDS_CAMPAIGN))
    return campaign


def do_archive_campaign(membership, campaign: Campaign, archived: bool = True) -> Campaign:
    """Archive (hide from the calendar's colours and lists) or bring back a campaign; its posts keep it."""
    _require(membership)
    _same_workspace(membership, campaign)
    with transaction.atomic():
        campaign.archived_at = timeutil.now() if archived else None
        campaign.save(update_fields=["archived_at"])
        audit.record(membership.workspace, membership.user,
                     "calendar.campaign_archive" if archived else "calendar.campaign_restore", campaign)
    return campaign


# The workspace's own notable dates. ------------------------------------------------------------------------


def check_notable_date(data: dict) -> dict:
    day = data.get("day")
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError({"day": _("Enter a valid date.")})
    if not 1900 <= day.year <= 2200:
        raise ValidationError({"day": _("Enter a valid date.")})
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the date a name.")})
    if len(name) > 200:
        raise ValidationError({"name": _("At most %(max)s characters.") % {"max": 200}})
    note = str(data.get("note") or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("At most %(max)s characters.") % {"max": 2000}})
    return {"day": day, "name": name, "every_year": bool(data.get("every_year")), "note": note}


def do_save_notable_date(membership, notable: NotableDate | None, data: dict) -> NotableDate:
    _require(membership)
    if notable is not None:
        _same_workspace(membership, notable)
    clean = check_notable_date(data)
    with transaction.atomic():
        before = audit.snapshot(notable, FIELDS_DATE)
        if notable is None:
            notable = NotableDate.objects.create(workspace=membership.workspace, **clean)
            action = "calendar.date_create"
        else:
            for key, value in clean.items():
                setattr(notable, key, value)
            notable.save()
            action = "calendar.date_update"
        audit.record(membership.workspace, membership.user, action, notable, before=before,
                     after=audit.snapshot(notable, FIELDS_DATE))
    return notable


def do_delete_notable_date(membership, notable: NotableDate) -> None:
    _require(membership)
    _same_workspace(membership, notable)
    with transaction.atomic():
        audit.record(membership.workspace, membership.user, "calendar.date_delete", notable,
                     before=audit.snapshot(notable, FIELDS_DATE))
        notable.delete()


def _when(event, key: str = "publish_at") -> str:
    value = (event.after or {}).get(key)
    parsed = timeutil.parse_datetime_any(value)
    return formats.date_format(parsed, "SHORT_DATETIME_FORMAT") if parsed else "—"


audit.GROUPS.setdefault("calendar", gettext_lazy("Editorial calendar"))
audit.sentences({
    "calendar.move": lambda e, n: _("%(actor)s moved the post %(object)s to %(when)s on the calendar.") % {
        **n, "when": _when(e)},
    "calendar.campaign_create": lambda e, n: _("%(actor)s created the campaign %(object)s.") % n,
    "calendar.campaign_update": lambda e, n: _("%(actor)s changed the campaign %(object)s.") % n,
    "calendar.campaign_archive": lambda e, n: _("%(actor)s archived the campaign %(object)s.") % n,
    "calendar.campaign_restore": lambda e, n: _("%(actor)s brought back the campaign %(object)s.") % n,
    "calendar.date_create": lambda e, n: _("%(actor)s added the notable date %(object)s.") % n,
    "calendar.date_update": lambda e, n: _("%(actor)s changed the notable date %(object)s.") % n,
    "calendar.date_delete": lambda e, n: _("%(actor)s deleted the notable date %(object)s.") % n,
    "calendar.ical_token": lambda e, n: _("%(actor)s made a new secret address for the calendar feed; the old one "
                                          "no longer works.") % n,
})
