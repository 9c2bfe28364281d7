"""Evergreen posts: a published post that repeats every N weeks creates its next occurrence.

An occurrence is a new :class:`Post` (``repeat_of`` the first post of the series, ``occurrence`` one more
than the post it follows), dated N weeks later at the same wall-clock time in the workspace's time zone,
until ``repeat_until``. Each channel's text rotates through ``[text] + alternates`` of the series' first
post: occurrence k publishes the (k mod n)-th text.

The clock (:func:`claim_due_repeats`) claims published posts whose ``next_repeat_at`` has come with a
compare-and-set that moves it a lease ahead; the task creates the occurrence and clears
``next_repeat_at`` in one transaction. A worker that dies only delays the occurrence to the next
claim, and the task is idempotent (an occurrence already made is not made twice).

Approval: the alternates are part of the post's content (the editor stores them with its versions),
so the approval the series got covers its rotation texts. An occurrence of an approved series (or in a
workspace without approval stages) is created approved and scheduled; an occurrence of a series that
never was approved while the workspace now has stages is created as a draft and the managers are told.

:func:`arm` sets ``next_repeat_at`` from the repetition fields; :func:`post_saved` (a ``post_save`` receiver
connected in ``apps.py``) calls it on every save of a post that repeats or did, so the editor, the API and
the import need not remember to.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.tasks import task
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from comptoir.clock import claims
from comptoir.lib.i18n import gettext as stored_gettext
from comptoir.lib.sanitize import clean_text
from comptoir.workspaces import audit
from comptoir.workspaces.models import Membership
from comptoir.workspaces.roles import Role

from .models import MAX_TEXT_LENGTH, ApprovalStage, Post, PostVersion, Variant, VariantMedia

logger = logging.getLogger("comptoir.publishing.recurring")

MAX_EVERY_WEEKS = 52
MAX_ALTERNATES = 10
MAX_SPAN_DAYS = 3 * 366  # repeat_until at most three years after the first date
LEASE = dt.timedelta(minutes=10)
ALTERNATE_SEPARATOR = "---"


# Checking the editor's fields. ------------------------------------------------------------------------------


def check_repetition(data: dict, *, publish_at: dt.datetime | None = None) -> dict:
    """``repeat_every_weeks`` (1–52 or empty) and ``repeat_until`` (a date or empty) of ``data``, cleaned.

    Returns ``{"repeat_every_weeks": int | None, "repeat_until": date | None}``; raises a ValidationError
    naming the field. ``publish_at`` (the post's date) lets it refuse an end before the first date.
    An end without a period is refused; a period without an end repeats until the post is changed.
    """
    raw_every = data.get("repeat_every_weeks")
    raw_until = data.get("repeat_until")
    every: int | None = None
    if raw_every not in (None, ""):  # 0 is refused, not read as "once": empty (null) says that
        if isinstance(raw_every, bool):
            raw_every = "x"
        try:
            every = int(str(raw_every).strip())
        except (TypeError, ValueError):
            every = -1
        if not 1 <= every <= MAX_EVERY_WEEKS:
            raise ValidationError({"repeat_every_weeks": _("Repeat every 1 to %(max)d weeks, or leave it empty.") % {
                "max": MAX_EVERY_WEEKS}})
    until: dt.date | None = None
    if raw_until not in (None, ""):
        if isinstance(raw_until, dt.datetime):
            until = raw_until.date()
        elif isinstance(raw_until, dt.date):
            until = raw_until
        else:
            try:  # text only: a number such as 20270630 is no date, whatever fromisoformat makes of it
                until = parse_date(raw_until.strip()[:20]) if isinstance(raw_until, str) else None
            except ValueError:
                until = None
            if until is None:
                raise ValidationError({"repeat_until": _("Write the end date as 2027-06-30.")})
        if every is None:
            raise ValidationError({"repeat_until": _("An end date needs a repetition: choose every how many weeks.")})
        if publish_at is not None:
            first = timezone.localdate(publish_at)
            if until < first:
                raise ValidationError({"repeat_until": _("The end date is before the first publication.")})
            if (until - first).days > MAX_SPAN_DAYS:
                raise ValidationError({"repeat_until": _("Repeat for three years at most.")})
    return {"repeat_every_weeks": every, "repeat_until": until}


def check_alternates(value, *, field: str = "alternates") -> list[str]:
    """A variant's other texts for the rotation: a list of texts, or one text whose blocks are separated by
    a line holding only ``---``. Empty blocks are dropped; at most 10, each within a post's length."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        blocks, current = [], []
        for line in clean_text(value).split("\n"):
            if line.strip() == ALTERNATE_SEPARATOR:
                blocks.append("\n".join(current))
                current = []
            else:
                current.append(line)
        blocks.append("\n".join(current))
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        blocks = [clean_text(v) for v in value]
    else:
        raise ValidationError({field: _("The other texts must be a list of texts.")})
    texts = [b.strip() for b in blocks if b.strip()]
    if len(texts) > MAX_ALTERNATES:
        raise ValidationError({field: _("%(count)d other texts: keep %(max)d at most.") % {
            "count": len(texts), "max": MAX_ALTERNATES}})
    for text in texts:
        if len(text) > MAX_TEXT_LENGTH:
            raise ValidationError({field: _("One of the other texts is %(length)d characters long; the limit is "
                                            "%(max)d.") % {"length": len(text), "max": MAX_TEXT_LENGTH}})
    return texts


def alternates_text(alternates: list[str]) -> str:
    """The rotation texts as the editor's textarea shows them (the reverse of :func:`check_alternates`)."""
    return f"\n{ALTERNATE_SEPARATOR}\n".join(alternates or [])


# The series. ---------------------------------------------------------------------------------------------------


def _zone(workspace) -> ZoneInfo:
    try:
        return ZoneInfo(workspace.time_zone)
    except Exception:  # noqa: BLE001
        return ZoneInfo("UTC")


def add_weeks(when: dt.datetime, weeks: int, zone: ZoneInfo) -> dt.datetime:
    """``when`` plus ``weeks`` weeks at the same wall-clock time in ``zone`` (09:00 stays 09:00 across DST)."""
    wall = when.astimezone(zone).replace(tzinfo=None) + dt.timedelta(weeks=weeks)
    aware = wall.replace(tzinfo=zone)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != wall:  # in the spring gap: an hour later
        aware = (wall + dt.timedelta(hours=1)).replace(tzinfo=zone)
    return aware.astimezone(dt.UTC)


def next_date(post: Post, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the occurrence after ``post`` goes out: N weeks later (skipping dates already past), or None when
    the series ends (no repetition, no date, past ``repeat_until``)."""
    if not post.repeat_every_weeks or post.publish_at is None:
        return None
    now = now or timezone.now()
    zone = _zone(post.workspace)
    when = add_weeks(post.publish_at, post.repeat_every_weeks, zone)
    for _step in range(520):
        if when > now:
            break
        when = add_weeks(when, post.repeat_every_weeks, zone)
    if post.repeat_until is not None and when.astimezone(zone).date() > post.repeat_until:
        return None
    return when


def arm(post: Post) -> None:
    """Set (or clear) ``post.next_repeat_at`` from its repetition fields; call it after saving a post.

    The clock looks at the post from its publication date on, and makes the next occurrence once it is published.
    """
    due = post.publish_at if post.repeat_every_weeks and post.publish_at and next_date(post, post.publish_at) else None
    if post.status == Post.Status.CANCELLED:
        due = None
    if Post.objects.filter(repeat_of=post.repeat_of or post, occurrence=post.occurrence + 1).exists():
        due = None  # its next occurrence exists already
    if post.next_repeat_at != due:
        Post.objects.filter(pk=post.pk).update(next_repeat_at=due)
        post.next_repeat_at = due


def post_saved(sender, instance: Post, created: bool = False, raw: bool = False, **kwargs) -> None:
    """``post_save`` receiver: keep ``next_repeat_at`` in step with the post's repetition fields."""
    if raw or (not instance.repeat_every_weeks and instance.next_repeat_at is None):
        return
    arm(instance)


def rotation(root_variant: Variant | None, occurrence: int, fallback: str = "") -> str:
    """The text of occurrence ``occurrence`` for one channel: ``[text] + alternates`` in turn."""
    if root_variant is None:
        return fallback
    texts = [root_variant.text] + [t for t in (root_variant.alternates or []) if isinstance(t, str) and t.strip()]
    return texts[occurrence % len(texts)]


def _managers(workspace_id: int) -> list[int]:
    return list(Membership.objects.filter(workspace_id=workspace_id, role__in=[Role.OWNER, Role.MANAGER])
                .values_list("user_id", flat=True))


def _post_url(post: Post) -> str:
    for name in ("publishing_post", "publishing_post_edit"):
        try:
            return reverse(name, args=[post.workspace.slug, post.pk])
        except NoReverseMatch:
            continue
    return ""


def _optional(module: str, name: str):
    try:
        return getattr(importlib.import_module(f"comptoir.publishing.{module}"), name, None)
    except ImportError:
        return None


def make_next_occurrence(post_id: int, now: dt.datetime | None = None) -> Post | None:
    """Create the occurrence that follows post ``post_id`` (idempotent), and schedule it when its series is
    approved. Clears the post's ``next_repeat_at``. Returns the occurrence, or None when the series ended."""
    from comptoir.workspaces.notifications import notify

    now = now or timezone.now()
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("workspace").filter(pk=post_id).first()
        if post is None:
            return None
        root = post.repeat_of or post
        existing = Post.objects.filter(repeat_of=root, occurrence=post.occurrence + 1).first()
        when = next_date(post, now)
        if existing is not None or when is None or post.status != Post.Status.PUBLISHED:
            Post.objects.filter(pk=post.pk).update(next_repeat_at=None)
            return existing
        number = post.occurrence + 1
        needs_approval = ApprovalStage.objects.filter(workspace_id=post.workspace_id).exists()
        covered = not needs_approval or post.approved_version is not None or root.approved_version is not None
        occurrence = Post.objects.create(
            workspace=post.workspace, title=root.title, master_text=root.master_text, link=root.link,
            publish_at=when, late_after_minutes=post.late_after_minutes, campaign=post.campaign,
            utm_campaign=root.utm_campaign, repeat_every_weeks=post.repeat_every_weeks, repeat_until=post.repeat_until,
            repeat_of=root, occurrence=number, version=1, approved_version=1 if covered and needs_approval else None,
            status=Post.Status.APPROVED if covered and needs_approval else Post.Status.DRAFT,
            created_by=post.created_by)
        root_variants = {v.channel_id: v for v in root.variants.all() if v.channel_id}
        for variant in post.variants.select_related("channel"):
            if variant.channel_id is None or (variant.channel and variant.channel.removed_at):
                continue  # a removed channel publishes nothing more
            source = root_variants.get(variant.channel_id, variant)
            copy = Variant.objects.create(
                post=occurrence, channel_id=variant.channel_id, network=variant.network,
                text=rotation(source, number), title=source.title, content_warning=source.content_warning,
                visibility=source.visibility, options=source.options, alternates=source.alternates)
            for position, link in enumerate(VariantMedia.objects.filter(variant=source).order_by("position", "pk")):
                VariantMedia.objects.create(variant=copy, asset_id=link.asset_id, position=position)
        content_of = _optional("posts", "content_of")
        PostVersion.objects.create(post=occurrence, number=1, content=content_of(occurrence) if content_of else {
            "title": occurrence.title, "master_text": occurrence.master_text, "link": occurrence.link,
            "variants": [{"channel": v.channel_id, "text": v.text} for v in occurrence.variants.all()]})
        Post.objects.filter(pk=post.pk).update(next_repeat_at=None)
        audit.record(post.workspace, None, "post.repeat", occurrence, after={
            "of": root.pk, "occurrence": number, "publish_at": when.isoformat()})
        scheduled = False
        if covered:
            schedule = _optional("delivery", "schedule")
            if schedule is not None:
                try:
                    with transaction.atomic():
                        schedule(occurrence)
                    scheduled = True
                except ValidationError as exc:
                    logger.info("Occurrence %s of post %s not scheduled: %s", number, root.pk, exc.messages)
        arm(occurrence)
        if not scheduled:
            message = (stored_gettext(gettext_noop("“%(post)s” repeats on %(date)s: its new occurrence needs approval "
                                                   "before it can be scheduled.")) if not covered else
                       stored_gettext(gettext_noop("“%(post)s” repeats on %(date)s: its new occurrence could not be "
                                                   "scheduled. Open it to check it.")))
            notify(post.workspace_id, _managers(post.workspace_id), "post_repeat",
                   message % {"post": str(root)[:80], "date": when.astimezone(_zone(post.workspace)).strftime("%Y-%m-%d %H:%M")},
                   url=_post_url(occurrence), key=f"post:{occurrence.pk}", email=True)
    return occurrence


@task(queue_name="default")
def create_next_occurrence(post_id: int) -> int | None:
    """Task: the next occurrence of a published evergreen post (ids only, runs twice harmlessly)."""
    occurrence = make_next_occurrence(int(post_id))
    return occurrence.pk if occurrence is not None else None


@claims.register("publishing_evergreen")
def claim_due_repeats() -> list[int]:
    """Published evergreen posts whose next occurrence is due: claimed (``next_repeat_at`` moved a lease ahead,
    compare-and-set) and handed to :func:`create_next_occurrence`."""
    now = timezone.now()
    due = Post.objects.filter(next_repeat_at__lte=now, status=Post.Status.PUBLISHED, repeat_every_weeks__isnull=False)
    won = claims.claim_due(due, "next_repeat_at", lambda post: {"next_repeat_at": now + LEASE})
    for pk in won:
        transaction.on_commit(lambda pk=pk: create_next_occurrence.enqueue(pk))
    return won


audit.sentences({
    "post.repeat": lambda e, n: _("Comptoir created occurrence %(number)s of the evergreen post %(object)s.") % {
        **n, "number": (e.after or {}).get("occurrence", "?")},
})
