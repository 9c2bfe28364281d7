"""Posts and their per-channel variants: saving (with versions), duplicating, deleting, the network checks and
the pre-flight shown before a post is sent for approval or scheduled.

One code path: the editor's live counters, the API and delivery all ask the channel's connector
(``check_post``) through :func:`check_variant` / :func:`check_outbound`.
"""

from __future__ import annotations

import importlib
import json
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from comptoir.connectors.base import Action, BaseConnector, OutboundMedia, OutboundPost, get_connector_class
from comptoir.lib.sanitize import clean_input
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Channel, Membership

from .models import (
    MAX_TEXT_LENGTH,
    Campaign,
    ContentRequest,
    MediaAsset,
    Post,
    PostComment,
    PostVersion,
    PublishingSettings,
    Variant,
    VariantMedia,
)
from .outbound import SizedBytes, outbound_post
from .recurring import check_alternates, check_repetition

# A post in one of these states is waiting for approval or armed: changing its content takes it back.
ARMED_STATUSES = (Post.Status.IN_REVIEW, Post.Status.APPROVED, Post.Status.SCHEDULED)
# Gone out (or going): its content is history.
LOCKED_STATUSES = (Post.Status.PUBLISHING, Post.Status.PUBLISHED, Post.Status.CANCELLED)
# A variant that left (or may have left) cannot be changed nor removed.
LOCKED_VARIANT_STATES = (Variant.State.CLAIMED, Variant.State.SENT, Variant.State.UNKNOWN)
VISIBILITIES = ("", "public", "unlisted", "private", "direct")
MAX_VARIANTS = 20
MAX_MEDIA = 10
MAX_OPTIONS_CHARS = 4000
POST_FIELDS = ("title", "master_text", "link", "campaign", "request", "publish_at", "repeat_every_weeks", "repeat_until")
VARIANT_FIELDS = ("text", "title", "content_warning", "visibility", "alternates")
REPEAT_FIELDS = ("repeat_every_weeks", "repeat_until")


@dataclass(frozen=True)
class Problem:
    """One thing the pre-flight found. ``severity``: ``error`` (the network would refuse) or ``warning``."""

    severity: str
    variant: Variant | None
    field: str
    message: str

    @property
    def variant_id(self) -> int | None:
        return self.variant.pk if self.variant is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "variant": self.variant_id, "field": self.field, "message": self.message}


# Helpers that the other parts of publishing write (delivery, approvals): called when they are there. --------


def optional_part(module: str, name: str):
    """``publishing.<module>.<name>`` when that part of the app exists, else None (parts land separately)."""
    try:
        mod = importlib.import_module(f"comptoir.publishing.{module}")
    except ImportError:
        return None
    return getattr(mod, name, None)


# Reading the data -------------------------------------------------------------------------------------------


def _text(data: dict, field: str, max_length: int, *, line: bool = False) -> str:
    value = data.get(field, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: _("This must be text.")})
    if len(value) > max_length:
        raise ValidationError({field: _("At most %(max)d characters, please (this one has %(length)d).")
                               % {"max": max_length, "length": len(value)}})
    value = clean_input(value)
    if line:
        value = " ".join(value.split())
    return value.strip() if line else value.rstrip()


def _row_id(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValidationError({field: _("This must be a number.")})
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        value = int(value)
    if not isinstance(value, int) or not 0 < value < 2**63:
        raise ValidationError({field: _("This must be a number.")})
    return value


def check_link(value: Any) -> str:
    """An http(s) address, or empty."""
    link = _text({"link": value}, "link", 2000, line=True)
    if not link:
        return ""
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in link:
        raise ValidationError({"link": _("Enter a full web address starting with https:// (or http://).")})
    return link


def local_to_aware(value: datetime, tzname: str, field: str = "publish_at") -> datetime:
    """A wall time read in ``tzname``; a time that does not exist there (the hour skipped when the clocks go
    forward) is refused rather than silently moved."""
    tz = zoneinfo.ZoneInfo(tzname)
    aware = value.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value.replace(tzinfo=None):
        raise ValidationError({field: _(
            "%(time)s does not exist in the time zone %(zone)s: the clocks go forward at that hour. "
            "Choose a time before or after the change.") % {"time": value.strftime("%d/%m/%Y %H:%M"), "zone": tzname}})
    return aware


def parse_publish_at(value: Any, tzname: str) -> datetime | None:
    """The publication date as an aware UTC datetime (naive input is the user's wall time in ``tzname``)."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        if len(value) > 40:
            raise ValidationError({"publish_at": _("Enter a date and time such as 2027-03-12 09:30.")})
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError({"publish_at": _("Enter a date and time such as 2027-03-12 09:30.")}) from None
    if not isinstance(value, datetime):
        raise ValidationError({"publish_at": _("Enter a date and time such as 2027-03-12 09:30.")})
    if value.tzinfo is None or value.utcoffset() is None:
        value = local_to_aware(value, tzname)
    return value.astimezone(UTC)


def check_publish_at(value: Any, tzname: str, *, current: datetime | None = None) -> datetime | None:
    """:func:`parse_publish_at`, refusing a date in the past, unless it is the post's ``current`` date (to the
    minute: forms show no seconds), which editing the text must not turn into an error."""
    when = parse_publish_at(value, tzname)
    if when is None:
        return None
    if current is not None and when.replace(second=0, microsecond=0) == current.replace(second=0, microsecond=0):
        return current
    if when <= timezone.now():
        raise ValidationError({"publish_at": _("This date is in the past: choose a time to come.")})
    return when


def publishing_channels(workspace):
    """The workspace's channels a post can go out on: connected, active, and whose network can publish."""
    channels = Channel.objects.connected().filter(workspace=workspace, status=Channel.Status.ACTIVE)
    return [c for c in channels if _can_publish(c.network)]


def _can_publish(network: str) -> bool:
    try:
        # The capability to publish is the network's (the class's); no need to decrypt the account's secrets.
        return get_connector_class(network).capabilities.can(Action.PUBLISH)
    except KeyError:
        return False


def _check_options(value: Any, index: int) -> dict:
    if value in (None, ""):
        return {}
    field = f"variants.{index}.options"
    if not isinstance(value, dict):
        raise ValidationError({field: _("The options must be an object of names and values.")})

    if len(json.dumps(value, ensure_ascii=False)) > MAX_OPTIONS_CHARS:
        raise ValidationError({field: _("The options are too long.")})
    out = {}
    for key, item in value.items():
        if not isinstance(key, str) or not re.fullmatch(r"[a-z_]{1,40}", key):
            raise ValidationError({field: _("Unknown option name.")})
        if isinstance(item, str | int | bool) or (isinstance(item, list) and all(isinstance(v, str) for v in item)):
            out[key] = clean_input(item) if isinstance(item, str) else item
        else:
            raise ValidationError({field: _("An option's value must be text, a number or a list of texts.")})
    return out


def check_post_data(membership: Membership, data: dict, post: Post | None = None) -> dict:
    """The fields of ``data`` that are present, cleaned, or a ValidationError naming the field.

    ``data``: ``title``, ``master_text``, ``link``, ``campaign`` / ``request`` (ids), ``publish_at`` (aware, or
    the user's wall time), ``repeat_every_weeks`` / ``repeat_until`` (evergreen: see
    :func:`~comptoir.publishing.recurring.check_repetition`), ``variants`` (a list of ``{channel, text, title,
    content_warning, visibility, media, options, alternates}``; when present it replaces the post's set, one per
    channel). Ids of another workspace are refused as unknown.
    """
    if not isinstance(data, dict):
        raise ValidationError({"__all__": _("The post must be an object of fields.")})
    workspace = membership.workspace
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = _text(data, "title", 200, line=True)
    if "master_text" in data:
        out["master_text"] = _text(data, "master_text", MAX_TEXT_LENGTH)
    if "link" in data:
        out["link"] = check_link(data.get("link"))
    if "campaign" in data:
        campaign_id = _row_id(data.get("campaign"), "campaign")
        out["campaign"] = None
        if campaign_id is not None:
            out["campaign"] = Campaign.objects.filter(workspace=workspace, pk=campaign_id).first()
            if out["campaign"] is None:
                raise ValidationError({"campaign": _("No such campaign in this workspace.")})
    if "request" in data:
        request_id = _row_id(data.get("request"), "request")
        out["request"] = None
        if request_id is not None:
            out["request"] = ContentRequest.objects.filter(workspace=workspace, pk=request_id).first()
            if out["request"] is None:
                raise ValidationError({"request": _("No such content request in this workspace.")})
    if "publish_at" in data:
        out["publish_at"] = check_publish_at(data.get("publish_at"), membership.user.time_zone,
                                             current=post.publish_at if post is not None else None)
    if any(name in data for name in REPEAT_FIELDS) or ("publish_at" in data and post is not None
                                                          and post.repeat_every_weeks):
        # A field left out keeps the post's value; both are checked together, against the (new) date.
        current = {name: getattr(post, name) if post is not None else None for name in REPEAT_FIELDS}
        if data.get("repeat_every_weeks") in (None, "") and "repeat_every_weeks" in data:
            current["repeat_until"] = None  # stopping the repetition ends it: its end date goes with it
        out.update(check_repetition({name: data[name] if name in data else current[name] for name in REPEAT_FIELDS},
                                    publish_at=out["publish_at"] if "publish_at" in out else (
                                        post.publish_at if post is not None else None)))
    if "variants" in data:
        out["variants"] = _check_variants(membership, data.get("variants"), post)
    return out


def _check_variants(membership: Membership, rows: Any, post: Post | None) -> list[dict]:
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise ValidationError({"variants": _("The variants must be a list.")})
    if len(rows) > MAX_VARIANTS:
        raise ValidationError({"variants": _("At most %(max)d channels per post.") % {"max": MAX_VARIANTS}})
    workspace = membership.workspace
    existing = {v.channel_id: v for v in post.variants.all()} if post is not None and post.pk else {}
    allowed = {c.pk: c for c in publishing_channels(workspace)}
    # A channel already on the post may have been paused since: the variant stays (the pre-flight says so).
    kept = Channel.objects.connected().filter(workspace=workspace, pk__in=[k for k in existing if k])
    allowed.update({c.pk: c for c in kept if c.pk not in allowed})
    cleaned: list[dict] = []
    seen: set[int] = set()
    for index, row in enumerate(rows):
        prefix = f"variants.{index}"
        if isinstance(row, int | str) and not isinstance(row, bool):
            row = {"channel": row}
        if not isinstance(row, dict):
            raise ValidationError({prefix: _("Each variant must be an object with a channel.")})
        channel_id = _row_id(row.get("channel"), f"{prefix}.channel")
        channel = allowed.get(channel_id) if channel_id is not None else None
        if channel is None:
            raise ValidationError({f"{prefix}.channel": _(
                "No such channel in this workspace, or it cannot publish (removed, paused or read-only).")})
        if channel.pk in seen:
            raise ValidationError({f"{prefix}.channel": _("Each channel takes one variant: %(channel)s is listed twice.")
                                   % {"channel": channel}})
        seen.add(channel.pk)
        item = {
            "channel": channel,
            "text": _text(row, "text", MAX_TEXT_LENGTH) if "text" in row else None,
            "title": _text(row, "title", 300, line=True) if "title" in row else None,
            "content_warning": _text(row, "content_warning", 500, line=True) if "content_warning" in row else None,
            "visibility": _text(row, "visibility", 20, line=True) if "visibility" in row else None,
            "options": _check_options(row.get("options"), index) if "options" in row else None,
            "alternates": check_alternates(row.get("alternates"), field=f"{prefix}.alternates")
            if "alternates" in row else None,
            "media": None,
        }
        if item["visibility"] is not None and item["visibility"] not in VISIBILITIES:
            raise ValidationError({f"{prefix}.visibility": _("Choose public, unlisted, private or direct (or nothing).")})
        if "media" in row:
            item["media"] = _check_media(workspace, row.get("media"), existing.get(channel.pk), f"{prefix}.media")
        cleaned.append(item)
    return cleaned


def _check_media(workspace, ids: Any, variant: Variant | None, field: str) -> list[MediaAsset]:
    if ids in (None, ""):
        return []
    if not isinstance(ids, list):
        raise ValidationError({field: _("The media must be a list of ids from the media library.")})
    if len(ids) > MAX_MEDIA:
        raise ValidationError({field: _("At most %(max)d media per variant.") % {"max": MAX_MEDIA}})
    wanted = [_row_id(v, field) for v in ids]
    if None in wanted or len(set(wanted)) != len(wanted):
        raise ValidationError({field: _("Each media file is listed once, by its id.")})
    attached = set(variant.media.values_list("pk", flat=True)) if variant is not None else set()
    found = {a.pk: a for a in MediaAsset.objects.filter(workspace=workspace, pk__in=wanted)
             if a.archived_at is None or a.pk in attached}
    missing = [v for v in wanted if v not in found]
    if missing:
        raise ValidationError({field: _("No such file in this workspace's media library: %(ids)s.")
                               % {"ids": ", ".join(str(m) for m in missing[:5])}})
    return [found[v] for v in wanted]


# Content and versions -------------------------------------------------------------------------------------


def content_of(post: Post) -> dict:
    """What an approval is given to: the master text and each variant (a version's snapshot)."""
    return {
        "title": post.title,
        "master_text": post.master_text,
        "link": post.link,
        "variants": [
            {"channel": v.channel_id, "network": v.network, "channel_label": str(v.channel) if v.channel else v.network,
             "text": v.text, "title": v.title, "content_warning": v.content_warning, "visibility": v.visibility,
             "options": v.options, "alternates": list(v.alternates or []), "media": list(v.variantmedia_set.order_by("position", "pk").values_list("asset_id", flat=True))}
            for v in post.variants.select_related("channel").order_by("pk")
        ],
    }


def _comparable(content: dict) -> dict:
    """The content without the labels that can change on their own (a channel renamed is no edit)."""
    return {**content, "variants": sorted(
        ({k: v for k, v in row.items() if k != "channel_label"} for row in content.get("variants", [])),
        key=lambda row: (row["channel"] or 0, row["network"]))}


def _apply(post: Post, cleaned: dict) -> None:
    for name in POST_FIELDS:
        if name in cleaned:
            setattr(post, name, cleaned[name])


def _apply_variants(post: Post, rows: list[dict]) -> None:
    current = {v.channel_id: v for v in post.variants.select_for_update()}
    wanted = {row["channel"].pk for row in rows}
    for channel_id, variant in current.items():
        if channel_id not in wanted:
            if variant.state in LOCKED_VARIANT_STATES:
                raise ValidationError({"variants": _(
                    "The variant for %(channel)s has been sent (or is being sent): it cannot be removed.")
                    % {"channel": variant.channel or variant.network}})
            variant.delete()
    for row in rows:
        channel = row["channel"]
        variant = current.get(channel.pk) or Variant(post=post, channel=channel, network=channel.network)
        before = [getattr(variant, name) for name in (*VARIANT_FIELDS, "options")]
        for name in (*VARIANT_FIELDS, "options"):
            if row.get(name) is not None:
                setattr(variant, name, row[name])
        changed = before != [getattr(variant, name) for name in (*VARIANT_FIELDS, "options")]
        media_changed = row.get("media") is not None and variant.pk is not None and (
            list(variant.variantmedia_set.order_by("position", "pk").values_list("asset_id", flat=True))
            != [a.pk for a in row["media"]])
        if variant.pk and variant.state in LOCKED_VARIANT_STATES and (changed or media_changed):
            raise ValidationError({"variants": _(
                "The variant for %(channel)s has been sent (or is being sent): it cannot be changed.")
                % {"channel": channel}})
        variant.save()
        if row.get("media") is not None and (media_changed or not current.get(channel.pk)):
            VariantMedia.objects.filter(variant=variant).delete()
            VariantMedia.objects.bulk_create(
                [VariantMedia(variant=variant, asset=a, position=n) for n, a in enumerate(row["media"])])


def _snapshot(post: Post, user) -> PostVersion:
    return PostVersion.objects.create(post=post, number=post.version, content=content_of(post), created_by=user)


def _audit_fields(post: Post) -> dict:
    data = audit.snapshot(post, ["title", "status", "publish_at", "campaign", "request", "version", "link",
                                 *REPEAT_FIELDS])
    data["variants"] = sorted(str(v.channel or v.network) for v in post.variants.select_related("channel"))
    return data


def _content_changed_after_approval(membership: Membership, post: Post, was: str) -> None:
    """An approved (or awaiting, or armed) post whose content changed: disarm it and send it back to approval."""
    user = membership.user
    unschedule = optional_part("delivery", "unschedule")
    if unschedule is not None:
        unschedule(post)
    else:
        post.variants.filter(state=Variant.State.SCHEDULED).update(state=Variant.State.PENDING, due_at=None)
    content_changed = optional_part("approvals", "content_changed")
    needs_approval = optional_part("approvals", "needs_approval")
    approval_needed = needs_approval(post.workspace) if needs_approval else post.workspace.approval_stages.exists()
    if content_changed is not None:
        content_changed(post, user)
        post.refresh_from_db()
    elif approval_needed:
        Post.objects.filter(pk=post.pk).update(status=Post.Status.IN_REVIEW)
        post.status = Post.Status.IN_REVIEW
    if was == Post.Status.SCHEDULED and not approval_needed:
        # Nobody has to approve again: the new content goes out at the planned time.
        schedule = optional_part("delivery", "schedule")
        if schedule is not None and post.publish_at and post.publish_at > timezone.now():
            schedule(post)
            post.refresh_from_db()
        elif post.status == Post.Status.SCHEDULED:
            Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)
            post.status = Post.Status.DRAFT


@transaction.atomic
def do_save_post(membership: Membership, post: Post | None, data: dict) -> Post:
    """Create (``post`` None) or change a post and its variants. A change of content bumps the version and keeps
    a snapshot; an approved, awaiting or scheduled post whose content changes is disarmed and goes back through
    approval (``delivery.unschedule`` and ``approvals.content_changed``)."""
    check_perm(membership, roles.MANAGE_PUBLISHING)
    if post is not None:
        if post.workspace_id != membership.workspace_id:
            raise PermissionDenied
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.status in LOCKED_STATUSES:
            raise ValidationError({"__all__": _("This post is %(status)s: it can no longer be changed. "
                                                "Duplicate it to write a new one.") % {"status": post.get_status_display()}})
    cleaned = check_post_data(membership, data, post)
    user = membership.user
    if post is None:
        post = Post(workspace=membership.workspace, created_by=user)
        settings = PublishingSettings.objects.filter(workspace=membership.workspace).first()
        if settings is not None:
            post.late_after_minutes = settings.late_after_minutes
        _apply(post, cleaned)
        post.save()
        if "variants" in cleaned:
            _apply_variants(post, cleaned["variants"])
        _snapshot(post, user)
        audit.record(membership.workspace, user, "publishing.post_create", post, after=_audit_fields(post),
                     object_repr=_repr(post))
        return post

    before_fields = _audit_fields(post)
    before_content = _comparable(content_of(post))
    before_publish_at = post.publish_at
    was = post.status
    _apply(post, cleaned)
    post.updated_at = timezone.now()
    post.save()
    if "variants" in cleaned:
        _apply_variants(post, cleaned["variants"])
    content_changed = _comparable(content_of(post)) != before_content
    if content_changed:
        post.version += 1
        Post.objects.filter(pk=post.pk).update(version=post.version)
        _snapshot(post, user)
        if was in ARMED_STATUSES:
            _content_changed_after_approval(membership, post, was)
    elif was == Post.Status.SCHEDULED and post.publish_at != before_publish_at:
        # Only the date moved: re-arm the variants for the new time (no new approval for a date).
        reschedule = optional_part("delivery", "schedule")
        unschedule = optional_part("delivery", "unschedule")
        if unschedule is not None and reschedule is not None:
            unschedule(post)
            if post.publish_at is not None:
                reschedule(post)
            post.refresh_from_db()
        elif post.publish_at is not None:
            post.variants.filter(state=Variant.State.SCHEDULED).update(due_at=post.publish_at)
        else:
            post.variants.filter(state=Variant.State.SCHEDULED).update(state=Variant.State.PENDING, due_at=None)
            Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)
            post.status = Post.Status.DRAFT
    after_fields = _audit_fields(post)
    if after_fields != before_fields or content_changed:
        audit.record(membership.workspace, user, "publishing.post_update", post, before=before_fields,
                     after={**after_fields, "content_changed": content_changed}, object_repr=_repr(post))
    return post


def _repr(post: Post) -> str:
    return (post.title or post.master_text.strip().split("\n")[0] or _("Post #%(id)s") % {"id": post.pk})[:200]


def delete_counts(post: Post) -> dict[str, int]:
    """What deleting a draft forgets."""
    return {"variants": post.variants.count(), "versions": post.versions.count(), "comments": post.comments.count()}


@transaction.atomic
def do_delete_post(membership: Membership, post: Post) -> dict[str, Any]:
    """Delete a draft (with its variants, versions and comments); any other post is cancelled instead (its
    scheduled variants disarmed; what was published stays). Returns what was done and counted."""
    check_perm(membership, roles.MANAGE_PUBLISHING)
    if post.workspace_id != membership.workspace_id:
        raise PermissionDenied
    post = Post.objects.select_for_update().get(pk=post.pk)
    counts = delete_counts(post)
    if post.status in (Post.Status.DRAFT, Post.Status.CHANGES_REQUESTED) and not post.variants.filter(
            state__in=LOCKED_VARIANT_STATES).exists():
        audit.record(membership.workspace, membership.user, "publishing.post_delete", post,
                     before={**_audit_fields(post), **counts}, object_repr=_repr(post))
        post.delete()
        return {"deleted": True, **counts}
    if post.status == Post.Status.CANCELLED:
        raise ValidationError({"__all__": _("This post is already cancelled.")})
    if post.status in (Post.Status.PUBLISHED,):
        raise ValidationError({"__all__": _("This post is published: it stays in the history.")})
    before = _audit_fields(post)
    unschedule = optional_part("delivery", "unschedule")
    if unschedule is not None:
        unschedule(post)
    disarmed = post.variants.filter(state__in=(Variant.State.SCHEDULED, Variant.State.PENDING)).update(
        state=Variant.State.CANCELLED, due_at=None)
    post.status = Post.Status.CANCELLED
    post.updated_at = timezone.now()
    post.save(update_fields=["status", "updated_at"])
    audit.record(membership.workspace, membership.user, "publishing.post_cancel", post, before=before,
                 after={**_audit_fields(post), "disarmed": disarmed}, object_repr=_repr(post))
    return {"deleted": False, "cancelled": True, "disarmed": disarmed, **counts}


@transaction.atomic
def do_duplicate_post(membership: Membership, post: Post) -> Post:
    """A new draft with the same content and channels (no date, no approval, no delivery state)."""
    check_perm(membership, roles.MANAGE_PUBLISHING)
    if post.workspace_id != membership.workspace_id:
        raise PermissionDenied
    allowed = {c.pk for c in publishing_channels(membership.workspace)}
    copy = Post.objects.create(
        workspace=post.workspace, title=(_("Copy of %(title)s") % {"title": post.title})[:200] if post.title else "",
        master_text=post.master_text, link=post.link, campaign=post.campaign, request=post.request,
        utm_campaign=post.utm_campaign, late_after_minutes=post.late_after_minutes, created_by=membership.user)
    for variant in post.variants.filter(channel_id__in=allowed):
        new = Variant.objects.create(post=copy, channel_id=variant.channel_id, network=variant.network, text=variant.text,
                                     title=variant.title, content_warning=variant.content_warning,
                                     visibility=variant.visibility, options=variant.options,
                                     alternates=variant.alternates)
        VariantMedia.objects.bulk_create([VariantMedia(variant=new, asset_id=vm.asset_id, position=vm.position)
                                          for vm in variant.variantmedia_set.all()])
    _snapshot(copy, membership.user)
    audit.record(membership.workspace, membership.user, "publishing.post_duplicate", copy,
                 after={**_audit_fields(copy), "from": post.pk}, object_repr=_repr(copy))
    return copy


@transaction.atomic
def do_add_comment(membership: Membership, post: Post, body: Any) -> PostComment:
    """A comment on the post (the team's discussion, kept with the version it was written on)."""
    check_perm(membership, roles.VIEW_PUBLISHING)
    if post.workspace_id != membership.workspace_id:
        raise PermissionDenied
    text = _text({"body": body}, "body", 5000).strip()
    if not text:
        raise ValidationError({"body": _("Write a comment first.")})
    comment = PostComment.objects.create(post=post, author=membership.user, body=text, version=post.version)
    audit.record(membership.workspace, membership.user, "publishing.post_comment", post,
                 after={"comment": comment.pk}, object_repr=_repr(post))
    return comment


@transaction.atomic
def do_draft_from_curation(membership: Membership, curation) -> Post:
    """A draft post from a content saved “to share” in listening: the team's note and the title as text, the
    saved address as the post's link; the saved content is marked drafted (listening's own action)."""
    from comptoir.listening import curation as curating

    check_perm(membership, roles.MANAGE_PUBLISHING)
    curating.do_make_draft(membership, curation)  # checks the workspace and marks it drafted
    try:
        link = check_link(curation.url)
    except ValidationError:
        link = ""
    text = curating.compose_draft(curation.title or curation.excerpt[:200], "", curation.note)
    post = do_save_post(membership, None, {"title": " ".join(curation.title.split())[:200], "master_text": text,
                                           "link": link})
    post.from_item_id = curation.item_id
    post.from_url = curation.url[:2000]
    post.save(update_fields=["from_item", "from_url"])
    return post


# The networks' checks ------------------------------------------------------------------------------------


def check_outbound(connector: BaseConnector, outbound: OutboundPost) -> list[str]:
    """The connector's ``check_post``, plus what every network's ``publish`` would refuse without saying so in
    its check (a content warning or a visibility it does not have)."""
    problems = [str(p) for p in connector.check_post(outbound)]
    caps = connector.capabilities
    if outbound.content_warning and not caps.supports_content_warning:
        message = _("%(network)s has no content warnings: remove it from this version of the post.") % {
            "network": connector.label or connector.network}
        if not any("content warning" in p for p in problems):
            problems.append(message)
    if outbound.visibility and outbound.visibility != "public" and not caps.supports_visibility:
        message = _("%(network)s has no per-post visibility: remove it from this version of the post.") % {
            "network": connector.label or connector.network}
        if not any("visibility" in p for p in problems):
            problems.append(message)
    return problems


def check_variant(variant: Variant) -> list[str]:
    """What the variant's network would refuse (empty when it can be sent), through ``connector.check_post``."""
    if variant.channel_id is None or variant.channel is None or variant.channel.removed_at is not None:
        return [_("The channel of this variant was removed: choose another channel or remove the variant.")]
    try:
        connector = variant.channel.connector()
    except KeyError:
        return [_("Comptoir no longer knows this network.")]
    return check_outbound(connector, outbound_post(variant, with_media_data=False))


def draft_outbound(post_fields: dict, variant_fields: dict, media: list[MediaAsset]) -> OutboundPost:
    """The ``OutboundPost`` of a variant not saved yet (the editor's live counters): same shape as
    :func:`~comptoir.publishing.outbound.outbound_post` without the bytes."""
    text = variant_fields.get("text") or ""
    return OutboundPost(
        text=text if text.strip() else post_fields.get("master_text", ""),
        title=variant_fields.get("title") or post_fields.get("title", ""),
        media=tuple(OutboundMedia(filename=a.filename, content_type=a.content_type, data=SizedBytes(a.size),
                                  alt_text=a.alt_text) for a in media),
        link=post_fields.get("link", ""),
        content_warning=variant_fields.get("content_warning") or "",
        visibility=variant_fields.get("visibility") or "",
        options=dict(variant_fields.get("options") or {}),
    )


# Pre-flight ----------------------------------------------------------------------------------------------


def forbidden_words(workspace) -> list[str]:
    settings = PublishingSettings.objects.filter(workspace=workspace).first()
    if settings is None:
        return []
    return [line.strip() for line in settings.forbidden_words.splitlines() if line.strip()][:500]


def find_forbidden(text: str, words_: list[str]) -> list[str]:
    """The charter's words or expressions that ``text`` uses, compared through the search normaliser (case and
    accents do not matter, whole words only)."""
    from comptoir.stream.search import words as folded_words

    haystack = folded_words(text)
    if not haystack:
        return []
    joined = f" {' '.join(haystack)} "
    found = []
    for expression in words_:
        needle = folded_words(expression)
        if needle and f" {' '.join(needle)} " in joined:
            found.append(expression)
    return found


def check_link_alive(url: str, timeout: float = 4.0) -> str | None:
    """None when ``url`` answers; else why not, for a warning (HEAD first, GET when HEAD is refused)."""
    from comptoir.lib import fetch

    try:
        response = fetch.safe_fetch(url, method="HEAD", timeout=timeout, max_bytes=64 * 1024)
        if response.status >= 400:  # many servers refuse HEAD (405, 403, 501): ask as a browser would
            response = fetch.safe_fetch(url, method="GET", timeout=timeout, max_bytes=256 * 1024)
    except fetch.FetchError as exc:
        return _("the address cannot be reached (%(reason)s)") % {"reason": str(exc)[:200]}
    if response.status >= 400:
        return _("the address answers with the error %(status)d") % {"status": response.status}
    return None


def preflight(post: Post, *, check_links: bool = True) -> list[Problem]:
    """Everything to know before sending ``post`` for approval or scheduling it: what each network would refuse
    (errors), and what deserves a second look (warnings): a dead link, images without alt text or too heavy,
    words the workspace's charter forbids, a date already past."""
    problems: list[Problem] = []
    variants = list(post.variants.select_related("channel").order_by("pk"))
    if not variants:
        problems.append(Problem("error", None, "variants", _("Choose at least one channel to publish on.")))
    if not variants and not post.master_text.strip():
        problems.append(Problem("error", None, "master_text", _("The post has no text.")))
    if post.publish_at is not None and post.publish_at <= timezone.now() and post.status not in LOCKED_STATUSES:
        problems.append(Problem("warning", None, "publish_at", _("The publication date is in the past.")))
    if post.link and check_links:
        reason = check_link_alive(post.link)
        if reason:
            problems.append(Problem("warning", None, "link", _("The link may be dead: %(reason)s.") % {"reason": reason}))
    charter = forbidden_words(post.workspace)
    for variant in variants:
        label = str(variant.channel) if variant.channel else variant.network
        for message in check_variant(variant):
            problems.append(Problem("error", variant, "text", f"{label} — {message}"))
        assets = list(variant.media.order_by("variantmedia__position"))
        for asset in assets:
            if asset.kind == MediaAsset.Kind.IMAGE and not asset.alt_text.strip():
                problems.append(Problem("warning", variant, "media", _(
                    "%(channel)s — the image %(name)s has no alt text: people using a screen reader will miss it.")
                    % {"channel": label, "name": asset}))
        if charter:
            from .outbound import variant_text

            found = find_forbidden(" ".join([variant_text(variant), variant.title, variant.content_warning]), charter)
            if found:
                problems.append(Problem("warning", variant, "text", ngettext(
                    "%(channel)s — the charter forbids the word %(words)s.",
                    "%(channel)s — the charter forbids the words %(words)s.", len(found))
                    % {"channel": label, "words": ", ".join(f"« {w} »" for w in found)}))
    if charter and not variants:
        found = find_forbidden(f"{post.title} {post.master_text}", charter)
        if found:
            problems.append(Problem("warning", None, "master_text", ngettext(
                "The charter forbids the word %(words)s.", "The charter forbids the words %(words)s.", len(found))
                % {"words": ", ".join(f"« {w} »" for w in found)}))
    return problems



# The activity log's sentences -------------------------------------------------------------------------------

audit.GROUPS.update({"publishing": gettext_lazy("Publishing")})
audit.FIELD_NAMES.update({"master_text": gettext_lazy("text"), "publish_at": gettext_lazy("publication date"),
                          "variants": gettext_lazy("channels"), "campaign": gettext_lazy("campaign"),
                          "version": gettext_lazy("version"), "link": gettext_lazy("link"),
                          "repeat_every_weeks": gettext_lazy("repeat every (weeks)"),
                          "repeat_until": gettext_lazy("repeat until")})


def _updated(event, names) -> str:
    if (event.after or {}).get("content_changed"):
        return _("%(actor)s edited the post %(object)s (version %(version)s).") % {
            **names, "version": (event.after or {}).get("version", "?")}
    return _("%(actor)s changed the settings of the post %(object)s.") % names


audit.sentences({
    "publishing.post_create": lambda e, n: _("%(actor)s wrote the post %(object)s.") % n,
    "publishing.post_update": _updated,
    "publishing.post_duplicate": lambda e, n: _("%(actor)s duplicated a post as %(object)s.") % n,
    "publishing.post_delete": lambda e, n: _("%(actor)s deleted the draft %(object)s.") % n,
    "publishing.post_cancel": lambda e, n: _("%(actor)s cancelled the post %(object)s.") % n,
    "publishing.post_comment": lambda e, n: _("%(actor)s commented on the post %(object)s.") % n,
})
