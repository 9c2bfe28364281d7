"""Content requests (intake): a colleague asks for content, the community manager triages it on the board.

Each ``do_*`` checks the member's permission, runs in one transaction and writes the activity log. A status
change is also a line of the request's discussion, and the requester is told; a new request and the requester's
comments go to the managers. ``priority`` is a pure function (the board computes it for every card).
"""

from __future__ import annotations

import datetime as dt
import importlib
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from comptoir.lib import i18n
from comptoir.lib.sanitize import clean_text
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Channel, Membership, User
from comptoir.workspaces.notifications import notify

from .models import ContentRequest, Post, PostVersion, RequestAttachment, RequestComment, Variant

Status = ContentRequest.Status

TITLE_MAX = 200
TEXT_MAX = 5000
AUDIENCE_DETAIL_MAX = 500
DECLINE_MAX = 2000
OVERRIDE_REASON_MAX = 300
MAX_LINKS = 20
LINK_MAX = 2000
MAX_ATTACHMENTS = 10
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# What an attachment may be, told by its first bytes rather than by its name or what the browser says.
ALLOWED_TYPES = {
    "application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP",
    "application/zip": _("office document (docx, xlsx, pptx, odt…)"), "text/plain": _("text"), "video/mp4": "MP4",
}
# Statuses the board shows, in order.
BOARD = [Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS, Status.SCHEDULED, Status.PUBLISHED, Status.DECLINED]
OPEN = [Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS]


# Who sees what. ------------------------------------------------------------------------------------------

def can_manage(membership: Membership) -> bool:
    return roles.has_perm(membership.role, roles.MANAGE_PUBLISHING)


def visible_requests(membership: Membership) -> QuerySet[ContentRequest]:
    """The requests a member may see: all of the workspace's for those who see publishing, else only their own."""
    rows = ContentRequest.objects.filter(workspace_id=membership.workspace_id)
    if not roles.has_perm(membership.role, roles.VIEW_PUBLISHING):
        rows = rows.filter(requester_id=membership.user_id)
    return rows


def check_visible(membership: Membership, content_request: ContentRequest) -> None:
    if content_request.workspace_id != membership.workspace_id:
        raise PermissionDenied
    if (not roles.has_perm(membership.role, roles.VIEW_PUBLISHING)
            and content_request.requester_id != membership.user_id):
        raise PermissionDenied


def check_managed(membership: Membership, content_request: ContentRequest) -> None:
    check_perm(membership, roles.MANAGE_PUBLISHING)
    if content_request.workspace_id != membership.workspace_id:
        raise PermissionDenied


def request_url(content_request: ContentRequest) -> str:
    return reverse("publishing_request", args=[content_request.workspace.slug, content_request.pk])


def managers_of(workspace_id: int) -> list[int]:
    wanted = [r for r in roles.Role.values if roles.has_perm(r, roles.MANAGE_PUBLISHING)]
    return list(Membership.objects.filter(workspace_id=workspace_id, role__in=wanted).values_list("user_id", flat=True))


# Checking what a person typed. ---------------------------------------------------------------------------

def _text(value, field: str, max_length: int, errors: dict, *, required_message=None) -> str:
    text = clean_text(str(value or "")).strip()
    if not text and required_message:
        errors[field] = [required_message]
    elif len(text) > max_length:
        errors[field] = [_("At most %(max)d characters.") % {"max": max_length}]
    return text


def check_links(value) -> list[str]:
    """Links, one per line: only http and https addresses, at most MAX_LINKS."""
    lines = [line.strip() for line in clean_text(str(value or "")).splitlines() if line.strip()]
    if len(lines) > MAX_LINKS:
        raise ValidationError(_("At most %(max)d links.") % {"max": MAX_LINKS})
    validate = URLValidator(schemes=["http", "https"])
    for n, line in enumerate(lines, start=1):
        try:
            if len(line) > LINK_MAX:
                raise ValidationError("too long")
            validate(line)
        except ValidationError:
            raise ValidationError(_("Line %(n)d is not a web address (http:// or https://): %(line)s")
                                  % {"n": n, "line": line[:80]}) from None
    return list(dict.fromkeys(lines))


def local_datetime(value, tz_name: str) -> dt.datetime | None:
    """An aware datetime from what a form or the API gave: a naive one is read in ``tz_name``; a wall time that
    does not exist there (the spring DST change) is refused."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip()[:40])
        except ValueError:
            raise ValidationError(_("Enter a date and time, e.g. 2026-03-31 14:00.")) from None
    if not isinstance(value, dt.datetime):
        if isinstance(value, dt.date):
            value = dt.datetime.combine(value, dt.time(12, 0))
        else:
            raise ValidationError(_("Enter a date and time, e.g. 2026-03-31 14:00."))
    if value.tzinfo is None or value.utcoffset() is None:
        try:
            zone = zoneinfo.ZoneInfo(tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = dt.UTC
        aware = value.replace(tzinfo=zone)
        back = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
        if back != value:
            raise ValidationError(_("%(time)s does not exist in your time zone (the clocks change that night): "
                                    "choose another time.") % {"time": value.strftime("%Y-%m-%d %H:%M")})
        value = aware
    return value


def check_request(membership: Membership, data: dict, *, now: dt.datetime | None = None) -> dict:
    """The request's fields, cleaned, or a ValidationError naming each wrong field.

    ``data``: title, goal, audience, audience_detail, key_message, desired_at, deadline (aware, or naive in the
    member's time zone), channels (ids), links (text, one per line).
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    out: dict = {}
    out["title"] = _text(data.get("title"), "title", TITLE_MAX, errors,
                         required_message=_("Give the request a title, e.g. “Open day on 12 April”."))
    out["key_message"] = _text(data.get("key_message"), "key_message", TEXT_MAX, errors,
                               required_message=_("Say in a few words what the publication must get across."))
    out["audience_detail"] = _text(data.get("audience_detail"), "audience_detail", AUDIENCE_DETAIL_MAX, errors)
    goal = str(data.get("goal") or "")
    if goal not in ContentRequest.Goal.values:
        errors["goal"] = [_("Choose one of the goals.")]
    out["goal"] = goal
    audience = str(data.get("audience") or "")
    if audience not in ContentRequest.Audience.values:
        errors["audience"] = [_("Choose one of the audiences.")]
    out["audience"] = audience
    tz_name = membership.user.time_zone
    for field in ("desired_at", "deadline"):
        try:
            when = local_datetime(data.get(field), tz_name)
        except ValidationError as exc:
            errors[field] = exc.messages
            continue
        if when is not None and when < now:
            errors[field] = [_("This date is past: choose a date to come.")]
        out[field] = when
    if (not errors.get("desired_at") and not errors.get("deadline") and out.get("desired_at") and out.get("deadline")
            and out["desired_at"] > out["deadline"]):
        errors["desired_at"] = [_("The desired date is after the deadline.")]
    raw_channels = data.get("channels") or []
    if isinstance(raw_channels, str | int):
        raw_channels = [raw_channels]
    try:
        channel_ids = sorted({int(c) for c in raw_channels})
    except (TypeError, ValueError):
        channel_ids = None
    allowed = set(active_channels(membership.workspace_id).values_list("pk", flat=True))
    if channel_ids is None or len(channel_ids) > 100 or not set(channel_ids) <= allowed:
        errors["channels"] = [_("Choose among the workspace's connected channels.")]
    out["channels"] = channel_ids or []
    try:
        out["links"] = check_links(data.get("links"))
    except ValidationError as exc:
        errors["links"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return out


def active_channels(workspace_id: int) -> QuerySet[Channel]:
    """The channels a request may wish for: connected, and not paused by the team (one in error is only for now)."""
    return Channel.objects.connected().filter(workspace_id=workspace_id, status__in=[
        Channel.Status.ACTIVE, Channel.Status.ERROR]).order_by("network", "handle")


# Attachments. -------------------------------------------------------------------------------------------

def sniff(head: bytes) -> str:
    """The content type told by a file's first bytes, or "" when it is none of the allowed kinds."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the end of the sample is still text.
            if exc.start >= len(head) - 3:
                return "text/plain"
    return ""


def check_attachments(files, already: int = 0) -> list[tuple[object, str, str]]:
    """Uploaded files → (file, safe name, sniffed type); a ValidationError on ``attachments`` naming the file."""
    files = [f for f in files or [] if f is not None]
    if len(files) + already > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": [_("At most %(max)d attachments per request.") % {"max": MAX_ATTACHMENTS}]})
    checked = []
    for f in files:
        name = clean_text(str(getattr(f, "name", "") or "file")).replace("/", "_").replace("\\", "_").strip()[-100:] or "file"
        size = getattr(f, "size", 0) or 0
        if size > ATTACHMENT_MAX_BYTES:
            raise ValidationError({"attachments": [_("“%(name)s” is too large: at most %(max)d MB per file.")
                                                   % {"name": name, "max": ATTACHMENT_MAX_BYTES // (1024 * 1024)}]})
        if size == 0:
            raise ValidationError({"attachments": [_("“%(name)s” is empty.") % {"name": name}]})
        f.seek(0)
        head = f.read(512)
        f.seek(0)
        kind = sniff(head)
        if not kind:
            raise ValidationError({"attachments": [
                _("“%(name)s” is not a file Comptoir keeps: PDF, images, office documents, text or MP4 video.")
                % {"name": name}]})
        checked.append((f, name, kind))
    return checked


def _store_attachments(membership: Membership, content_request: ContentRequest, checked) -> list[RequestAttachment]:
    stored = []
    for f, name, kind in checked:
        attachment = RequestAttachment(request=content_request, filename=name, content_type=kind, size=f.size,
                                       uploaded_by=membership.user)
        attachment.file.save(name, f, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


# Priority. ----------------------------------------------------------------------------------------------

GOAL_POINTS = {
    ContentRequest.Goal.CRISIS: 30, ContentRequest.Goal.REGISTRATIONS: 22, ContentRequest.Goal.RECRUITMENT: 18,
    ContentRequest.Goal.TRAFFIC: 16, ContentRequest.Goal.INFORMATION: 14, ContentRequest.Goal.ENGAGEMENT: 12,
    ContentRequest.Goal.AWARENESS: 10,
}
AUDIENCE_POINTS = {ContentRequest.Audience.NICHE: 5, ContentRequest.Audience.COMMUNITY: 10,
                   ContentRequest.Audience.BROAD: 15}
WORKLOAD_POINTS = 15  # a free week; each post already planned that week takes WORKLOAD_STEP off
WORKLOAD_STEP = 2


@dataclass(frozen=True)
class Reason:
    points: int
    text: str

    def __str__(self) -> str:
        return f"{self.text} ({self.points:+d})"


def target_date(content_request) -> dt.datetime | None:
    """The date that matters most: the deadline, else the desired date."""
    return content_request.deadline or content_request.desired_at


def _deadline_points(when: dt.datetime | None, now: dt.datetime) -> Reason:
    if when is None:
        return Reason(0, _("No date given"))
    days = (when - now).total_seconds() / 86400
    if days < 0:
        return Reason(40, _("The date is past"))
    for limit, points in ((2, 36), (7, 28), (14, 18), (30, 10)):
        if days <= limit:
            n = int(days)
            if n == 0:
                return Reason(points, _("Due today"))
            return Reason(points, ngettext("Due in %(n)d day", "Due in %(n)d days", n) % {"n": n})
    return Reason(4, _("Due in more than a month"))


def priority(content_request, now: dt.datetime, workload: int) -> tuple[int, list[Reason]]:
    """A request's priority from 0 to 100, and the reasons that make it, for the board.

    Deadline nearness (up to 40), goal weight (up to 30), audience size (up to 15), and the team's workload
    the week of the request's date (``workload``: posts already planned that week; a free week gives 15, each
    post 2 less). Pure: the same request, time and workload always give the same answer.
    """
    deadline = _deadline_points(target_date(content_request), now)
    goal = Reason(GOAL_POINTS.get(content_request.goal, 10),
                  _("Goal: %(goal)s") % {"goal": ContentRequest.Goal(content_request.goal).label}
                  if content_request.goal in ContentRequest.Goal.values else _("Goal: unknown"))
    audience_label = (ContentRequest.Audience(content_request.audience).label
                      if content_request.audience in ContentRequest.Audience.values else "—")
    audience = Reason(AUDIENCE_POINTS.get(content_request.audience, 5), _("Audience: %(audience)s") % {
        "audience": audience_label})
    workload = max(0, int(workload or 0))
    load = Reason(max(0, WORKLOAD_POINTS - WORKLOAD_STEP * workload),
                  ngettext("That week: %(n)d post already planned", "That week: %(n)d posts already planned",
                           workload) % {"n": workload} if workload
                  else _("That week: nothing planned yet"))
    reasons = [deadline, goal, audience, load]
    return max(0, min(100, sum(r.points for r in reasons))), reasons


def week_of(when: dt.datetime, tz_name: str) -> dt.date:
    """The Monday of ``when``'s week in the workspace's time zone."""
    try:
        local = when.astimezone(zoneinfo.ZoneInfo(tz_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = when
    day = local.date()
    return day - dt.timedelta(days=day.weekday())


PLANNED = [Post.Status.IN_REVIEW, Post.Status.APPROVED, Post.Status.SCHEDULED, Post.Status.PUBLISHING,
           Post.Status.PUBLISHED, Post.Status.CHANGES_REQUESTED]


def workloads(workspace, weeks: set[dt.date]) -> dict[dt.date, int]:
    """Posts planned per week (Monday → count) for the given weeks, in one query."""
    if not weeks:
        return {}
    start = dt.datetime.combine(min(weeks) - dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(max(weeks) + dt.timedelta(days=8), dt.time.min, tzinfo=dt.UTC)
    counts = dict.fromkeys(weeks, 0)
    for when in Post.objects.filter(workspace=workspace, status__in=PLANNED, publish_at__gte=start,
                                    publish_at__lt=end).values_list("publish_at", flat=True):
        week = week_of(when, workspace.time_zone)
        if week in counts:
            counts[week] += 1
    return counts


def with_priorities(workspace, rows, now: dt.datetime | None = None) -> list:
    """The requests with ``score`` (the CM's override when set), ``computed``, ``reasons`` and ``workload``."""
    now = now or timezone.now()
    rows = list(rows)
    weeks = {week_of(target_date(r) or now, workspace.time_zone) for r in rows}
    loads = workloads(workspace, weeks)
    for r in rows:
        r.workload = loads.get(week_of(target_date(r) or now, workspace.time_zone), 0)
        r.computed, r.reasons = priority(r, now, r.workload)
        r.score = r.priority_override if r.priority_override is not None else r.computed
    return rows


# Doing. -------------------------------------------------------------------------------------------------

def _snapshot(r: ContentRequest) -> dict:
    return audit.snapshot(r, ["title", "status", "goal", "audience", "desired_at", "deadline", "assignee",
                              "priority_override", "priority_override_reason", "decline_reason"])


def _event(content_request: ContentRequest, author, message) -> RequestComment:
    line = RequestComment(request=content_request, author=author, body="")
    line.event = message
    line.save()
    return line


@transaction.atomic
def do_submit_request(membership: Membership, data: dict, files=()) -> ContentRequest:
    """A member asks for content. The managers are told (bell and e-mail)."""
    check_perm(membership, roles.SUBMIT_REQUESTS)
    clean = check_request(membership, data)
    checked = check_attachments(files)
    now = timezone.now()
    content_request = ContentRequest.objects.create(
        workspace=membership.workspace, requester=membership.user, title=clean["title"], goal=clean["goal"],
        audience=clean["audience"], audience_detail=clean["audience_detail"], key_message=clean["key_message"],
        desired_at=clean["desired_at"], deadline=clean["deadline"], links="\n".join(clean["links"]),
        created_at=now, updated_at=now, status_changed_at=now)
    content_request.channels.set(clean["channels"])
    _store_attachments(membership, content_request, checked)
    audit.record(membership.workspace, membership.user, "request.create", content_request,
                 after=_snapshot(content_request))
    others = [u for u in managers_of(membership.workspace_id) if u != membership.user_id]
    notify(membership.workspace_id, others, "request.new",
           i18n.gettext("New content request from %(name)s: %(title)s")
           % {"name": membership.user.display_name, "title": content_request.title},
           url=request_url(content_request), key=f"request:{content_request.pk}")
    return content_request


@transaction.atomic
def do_add_attachments(membership: Membership, content_request: ContentRequest, files) -> list[RequestAttachment]:
    check_visible(membership, content_request)
    if not (can_manage(membership) or content_request.requester_id == membership.user_id):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    checked = check_attachments(files, already=content_request.attachments.count())
    stored = _store_attachments(membership, content_request, checked)
    audit.record(membership.workspace, membership.user, "request.attach", content_request,
                 after={"files": [a.filename for a in stored]})
    return stored


@transaction.atomic
def do_comment(membership: Membership, content_request: ContentRequest, body) -> RequestComment:
    """A line of the discussion: from the team, the requester is told; from the requester, the managers."""
    check_visible(membership, content_request)
    if not (can_manage(membership) or content_request.requester_id == membership.user_id):
        raise PermissionDenied(_("Only the requester and the community managers discuss a request."))
    text = clean_text(str(body or "")).strip()
    if not text:
        raise ValidationError({"body": [_("Write your comment.")]})
    if len(text) > TEXT_MAX:
        raise ValidationError({"body": [_("At most %(max)d characters.") % {"max": TEXT_MAX}]})
    comment = RequestComment.objects.create(request=content_request, author=membership.user, body=text)
    ContentRequest.objects.filter(pk=content_request.pk).update(updated_at=timezone.now())
    message = i18n.gettext("%(name)s commented on the request “%(title)s”") % {
        "name": membership.user.display_name, "title": content_request.title}
    if content_request.requester_id == membership.user_id:
        to = [u for u in managers_of(membership.workspace_id) if u != membership.user_id]
        if content_request.assignee_id and content_request.assignee_id != membership.user_id:
            to.append(content_request.assignee_id)
    else:
        to = [content_request.requester_id] if content_request.requester_id else []
    notify(membership.workspace_id, to, "request.comment", message, url=request_url(content_request),
           key=f"request:{content_request.pk}")
    return comment


def _set_status(content_request: ContentRequest, status: str, actor, *, reason: str = "") -> bool:
    """Move a request (already locked) and tell the requester; the caller writes the audit log."""
    old = content_request.status
    if old == status:
        return False
    now = timezone.now()
    content_request.status = status
    content_request.status_changed_at = content_request.updated_at = now
    content_request.decline_reason = reason if status == Status.DECLINED else ""
    content_request.save(update_fields=["status", "status_changed_at", "updated_at", "decline_reason"])
    if status == Status.DECLINED:
        message = i18n.gettext("Declined: %(reason)s") % {"reason": reason}
    else:
        message = i18n.gettext("Status: %(old)s → %(new)s") % {"old": Status(old).label, "new": Status(status).label}
    _event(content_request, actor, message)
    if content_request.requester_id and content_request.requester_id != getattr(actor, "pk", None):
        notify(content_request.workspace_id, [content_request.requester_id], "request.status",
               i18n.gettext("Your request “%(title)s” is now: %(status)s")
               % {"title": content_request.title, "status": Status(status).label},
               url=request_url(content_request), key=f"request:{content_request.pk}")
    return True


def check_decline_reason(reason) -> str:
    text = clean_text(str(reason or "")).strip()
    if not text:
        raise ValidationError({"decline_reason": [_("Say why the request is declined: the requester reads it.")]})
    if len(text) > DECLINE_MAX:
        raise ValidationError({"decline_reason": [_("At most %(max)d characters.") % {"max": DECLINE_MAX}]})
    return text


@transaction.atomic
def do_move(membership: Membership, content_request: ContentRequest, status, reason="") -> ContentRequest:
    """Move a request to another column of the board; declining needs a reason, shown to the requester."""
    check_managed(membership, content_request)
    if status not in Status.values:
        raise ValidationError({"status": [_("Choose one of the board's columns.")]})
    reason = check_decline_reason(reason) if status == Status.DECLINED else ""
    content_request = ContentRequest.objects.select_for_update().get(pk=content_request.pk)
    before = _snapshot(content_request)
    if _set_status(content_request, status, membership.user, reason=reason):
        audit.record(membership.workspace, membership.user, "request.move", content_request, before=before,
                     after=_snapshot(content_request))
    return content_request


@transaction.atomic
def do_assign(membership: Membership, content_request: ContentRequest, assignee_id) -> ContentRequest:
    """Give the request to a member who may publish (or to nobody)."""
    check_managed(membership, content_request)
    if assignee_id in (None, ""):
        user = None
    else:
        try:
            assignee_id = int(str(assignee_id)[:20])
        except (TypeError, ValueError):
            assignee_id = 0
        if not 0 < assignee_id < 2**63:
            assignee_id = 0
        allowed = [r for r in roles.Role.values if roles.has_perm(r, roles.MANAGE_PUBLISHING)]
        membership_row = Membership.objects.filter(workspace_id=membership.workspace_id, user_id=assignee_id,
                                                   role__in=allowed).select_related("user").first()
        if membership_row is None:
            raise ValidationError({"assignee": [_("Choose a member who manages publishing.")]})
        user = membership_row.user
    content_request = ContentRequest.objects.select_for_update().get(pk=content_request.pk)
    if content_request.assignee_id == (user.pk if user else None):
        return content_request
    before = _snapshot(content_request)
    content_request.assignee = user
    content_request.updated_at = timezone.now()
    content_request.save(update_fields=["assignee", "updated_at"])
    audit.record(membership.workspace, membership.user, "request.assign", content_request, before=before,
                 after=_snapshot(content_request))
    if user is not None and user.pk != membership.user_id:
        notify(membership.workspace_id, [user], "request.assigned",
               i18n.gettext("The request “%(title)s” is assigned to you") % {"title": content_request.title},
               url=request_url(content_request), key=f"request:{content_request.pk}")
    return content_request


@transaction.atomic
def do_override_priority(membership: Membership, content_request: ContentRequest, value, reason="") -> ContentRequest:
    """Set the priority by hand (0–100, with a reason), or give it back to the computation (``value`` empty)."""
    check_managed(membership, content_request)
    if value in (None, ""):
        score, reason_text = None, ""
    else:
        try:
            score = int(str(value).strip())
        except (TypeError, ValueError):
            score = -1
        if not 0 <= score <= 100:
            raise ValidationError({"priority_override": [_("A priority is a whole number from 0 to 100.")]})
        reason_text = clean_text(str(reason or "")).strip()
        if not reason_text:
            raise ValidationError({"priority_override_reason": [_("Say why you set this priority by hand.")]})
        if len(reason_text) > OVERRIDE_REASON_MAX:
            raise ValidationError({"priority_override_reason": [
                _("At most %(max)d characters.") % {"max": OVERRIDE_REASON_MAX}]})
    content_request = ContentRequest.objects.select_for_update().get(pk=content_request.pk)
    before = _snapshot(content_request)
    content_request.priority_override, content_request.priority_override_reason = score, reason_text
    content_request.save(update_fields=["priority_override", "priority_override_reason"])
    audit.record(membership.workspace, membership.user, "request.priority", content_request, before=before,
                 after=_snapshot(content_request))
    return content_request


def _optional(module: str, name: str):
    """A function another part of publishing provides, or None while it does not exist yet."""
    try:
        return getattr(importlib.import_module(f"comptoir.publishing.{module}"), name, None)
    except ImportError:
        return None


def _post_content(post: Post) -> dict:
    return {"title": post.title, "master_text": post.master_text, "link": post.link,
            "variants": [{"network": v.network, "channel": v.channel_id, "text": v.text} for v in post.variants.all()]}


@transaction.atomic
def do_create_post(membership: Membership, content_request: ContentRequest) -> Post:
    """A draft post from the request (its key message as the text, a variant per wished channel); the request
    moves to in progress."""
    check_managed(membership, content_request)
    content_request = ContentRequest.objects.select_for_update().get(pk=content_request.pk)
    if content_request.status == Status.DECLINED:
        raise ValidationError(_("This request was declined: move it back to the board before writing its post."))
    channels = list(active_channels(membership.workspace_id).filter(
        pk__in=content_request.channels.values_list("pk", flat=True)))
    links = content_request.links.split()
    save_post = _optional("posts", "do_save_post")
    post = None
    if save_post is not None:
        # The editor's action: it checks the fields, makes the variants and the first version.
        publishing = [c for c in channels if c.status == Channel.Status.ACTIVE]
        post = save_post(membership, None, {
            "title": content_request.title[:200], "master_text": content_request.key_message,
            "link": links[0] if links else "", "request": content_request.pk,
            "variants": [{"channel": c.pk} for c in publishing]})
    if post is None:
        post = Post.objects.create(workspace=membership.workspace, title=content_request.title[:200],
                                   master_text=content_request.key_message, link=links[0][:2000] if links else "",
                                   request=content_request, created_by=membership.user)
        for channel in channels:
            Variant.objects.create(post=post, channel=channel, network=channel.network)
        PostVersion.objects.create(post=post, number=post.version, content=_post_content(post),
                                   created_by=membership.user)
    elif post.request_id != content_request.pk:
        Post.objects.filter(pk=post.pk).update(request=content_request)
        post.request = content_request
    audit.record(membership.workspace, membership.user, "request.post", content_request, after={"post": post.pk})
    if content_request.status in (Status.NEW, Status.ACCEPTED):
        _set_status(content_request, Status.IN_PROGRESS, membership.user)
    return post


FOLLOWS = {Post.Status.SCHEDULED: Status.SCHEDULED, Post.Status.PUBLISHED: Status.PUBLISHED}


def request_follows_post(post: Post) -> bool:
    """When a post linked to a request is scheduled or published, the request follows (and its requester is told).
    Never moves a request backwards (published stays published) nor out of declined. Returns whether it moved."""
    if not post.request_id:
        return False
    target = FOLLOWS.get(post.status)
    if target is None:
        return False
    with transaction.atomic():
        content_request = ContentRequest.objects.select_for_update().filter(pk=post.request_id).first()
        if content_request is None or content_request.status == Status.DECLINED:
            return False
        order = [Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS, Status.SCHEDULED, Status.PUBLISHED]
        if order.index(content_request.status) >= order.index(target):
            return False
        before = _snapshot(content_request)
        _set_status(content_request, target, None)
        audit.record(content_request.workspace, None, "request.follow", content_request, before=before,
                     after=_snapshot(content_request))
        return True


# Reading. -----------------------------------------------------------------------------------------------

def filtered(rows: QuerySet[ContentRequest], *, goal: str = "", assignee: str = "", q: str = "") -> QuerySet:
    if goal in ContentRequest.Goal.values:
        rows = rows.filter(goal=goal)
    if assignee == "none":
        rows = rows.filter(assignee__isnull=True)
    elif assignee.isdigit() and len(assignee) < 19:
        rows = rows.filter(assignee_id=int(assignee))
    if q:
        rows = rows.filter(Q(title__icontains=q[:100]) | Q(key_message__icontains=q[:100]))
    return rows


def assignable(workspace_id: int) -> list[User]:
    wanted = [r for r in roles.Role.values if roles.has_perm(r, roles.MANAGE_PUBLISHING)]
    return [m.user for m in Membership.objects.filter(workspace_id=workspace_id, role__in=wanted)
            .select_related("user").order_by("user__full_name", "user__email")]


audit.GROUPS["request"] = gettext_lazy("Content requests")
audit.sentences({
    "request.create": lambda e, n: _("%(actor)s submitted the content request “%(object)s”.") % n,
    "request.attach": lambda e, n: _("%(actor)s attached files to the request “%(object)s”.") % n,
    "request.move": lambda e, n: _("%(actor)s moved the request “%(object)s” to “%(status)s”.") % {
        **n, "status": Status(e.after["status"]).label},
    "request.assign": lambda e, n: _("%(actor)s changed who handles the request “%(object)s”.") % n,
    "request.priority": lambda e, n: _("%(actor)s set the priority of the request “%(object)s” by hand.") % n,
    "request.post": lambda e, n: _("%(actor)s wrote a post from the request “%(object)s”.") % n,
    "request.follow": lambda e, n: _("The request “%(object)s” followed its post: “%(status)s”.") % {
        **n, "status": Status(e.after["status"]).label},
})
