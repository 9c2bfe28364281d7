"""REST API: posts and their per-channel variants (routes gathered by ``publishing/api/__init__.py``).

The same actions as the editor: ``posts.do_save_post`` (variants inside the post's payload), the pre-flight,
and the approval and delivery steps when those parts of publishing are there.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictInt

from comptoir.errors import ApiError, api_responses
from comptoir.workspaces import audit, roles
from comptoir.workspaces.access import get_token_membership
from comptoir.workspaces.models import Membership

from .. import delivery, posts, recurring
from ..models import MAX_TEXT_LENGTH, DeliveryAttempt, Post, Variant

router = Router(tags=["publishing"])

Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]


def _may_refuse(ok: dict) -> dict:
    """A route without a body that can still answer 400 (an action's rule refused it, naming the field)."""
    return {**api_responses(ok), 400: ApiError}


class VariantIn(Schema):
    channel: StrictInt = Field(..., ge=1, le=2**63 - 1, description="A channel of the workspace that can publish.")
    text: str | None = Field(None, max_length=MAX_TEXT_LENGTH, description="Empty: the post's master text.")
    title: str | None = Field(None, max_length=300, description="Discourse topic title, e-mail subject.")
    content_warning: str | None = Field(None, max_length=500)
    visibility: str | None = Field(None, max_length=20, description="public, unlisted, private or direct.")
    media: list[StrictInt] | None = Field(None, max_length=posts.MAX_MEDIA, description="Ids from the workspace's media library.")
    options: dict[str, Any] | None = Field(None, description="Network options, e.g. {\"to\": [\"a@b.example\"]} for e-mail.")
    # Typed loosely on purpose: the action checks it (one code path with the editor) and a refusal is a 400 naming
    # the field; the documented type is the one below.
    alternates: Any = Field(None, description=(
        f"Evergreen: up to {recurring.MAX_ALTERNATES} other texts used in turn by the next occurrences (after "
        "``text``). Part of the content: changing them sends an approved post back to approval. [] removes them."),
        json_schema_extra={"type": "array", "items": {"type": "string", "maxLength": MAX_TEXT_LENGTH},
                           "maxItems": recurring.MAX_ALTERNATES})


class PostIn(Schema):
    title: str | None = Field(None, max_length=200, description="Internal title.")
    master_text: str | None = Field(None, max_length=MAX_TEXT_LENGTH)
    link: str | None = Field(None, max_length=2000)
    campaign: StrictInt | None = Field(None, ge=1, le=2**63 - 1)
    request: StrictInt | None = Field(None, ge=1, le=2**63 - 1)
    publish_at: str | None = Field(None, max_length=40, description=(
        "ISO 8601. Without an offset it is a wall time in the token owner's time zone; a time in the past or "
        "skipped by a daylight-saving change is refused."))
    # Typed loosely on purpose, as ``alternates``: refused values are a 400 from the action, naming the field.
    repeat_every_weeks: Any = Field(None, description=(
        f"Evergreen: once published, the post is published again every N weeks (1–{recurring.MAX_EVERY_WEEKS}) at "
        "the same wall-clock time; null stops the repetition. Not a content change (no new version)."),
        json_schema_extra={"type": ["integer", "null"], "minimum": 1, "maximum": recurring.MAX_EVERY_WEEKS})
    repeat_until: Any = Field(None, description=(
        "Last day of the repetition (YYYY-MM-DD), on or after the publication date, at most three years later; "
        "null: until the repetition is removed. Needs ``repeat_every_weeks``."),
        json_schema_extra={"type": ["string", "null"], "format": "date"})
    variants: list[VariantIn] | None = Field(None, max_length=posts.MAX_VARIANTS, description=(
        "One per channel; when given, it replaces the post's set of variants."))


class PostVariantOut(Schema):
    """A post's version for one channel, with its delivery (named apart from the calendar's ``VariantOut``: one
    OpenAPI component per name)."""

    id: int
    channel: int | None
    network: str
    text: str
    title: str
    content_warning: str
    visibility: str
    media: list[int]
    options: dict
    alternates: list[str] = Field(description="Evergreen: the other texts used in turn by the next occurrences.")
    state: str = Field(description=(
        "Delivery: pending (not scheduled), scheduled (waiting for ``due_at``; with ``attempts`` > 0 it waits for its "
        "next try), claimed (being sent), sent, failed, unknown (the network did not say: check it, then retry or "
        "mark it published), late (not sent: past ``not_after``) or cancelled."))
    attempts: int = Field(description="Tries since it was last armed.")
    due_at: datetime | None = Field(description="When it goes out next (publication date, then retry times).")
    not_after: datetime | None = Field(description="Past this time it is not sent any more (lateness limit).")
    sent_at: datetime | None
    remote_id: str = Field(description="The post's id on the network, once sent.")
    remote_url: str
    error: str = Field(description="Why the last try failed, in the token owner's language (empty: no error).")
    error_at: datetime | None


class DeliveryAttemptOut(Schema):
    variant: int
    attempt_id: str = Field(description="Also the idempotency key's suffix: one per try, never re-used.")
    started_at: datetime
    finished_at: datetime | None
    outcome: str = Field(description="running, sent, found (already published), retry, failed or unknown.")
    remote_id: str
    error: str = Field(description="What the network answered, in the token owner's language (empty: nothing).")


class MarkPublishedIn(Schema):
    # Typed loosely on purpose: the action checks it (one code path with the delivery page) and a refusal is a 400
    # naming ``url``; the documented type is the one below.
    url: Any = Field(None, description="Optional: the address of the post on the network (http or https).",
                     json_schema_extra={"type": ["string", "null"], "format": "uri",
                                        "maxLength": delivery.MAX_URL_LENGTH})


class PostOut(Schema):
    id: int
    title: str
    master_text: str
    link: str
    status: str
    publish_at: datetime | None
    campaign: int | None
    request: int | None
    version: int
    approved_version: int | None
    created_at: datetime
    updated_at: datetime
    repeat_every_weeks: int | None = Field(description="Evergreen: published again every N weeks (null: once).")
    repeat_until: date | None
    repeat_of: int | None = Field(description="The first post of the evergreen series this one is an occurrence of.")
    occurrence: int = Field(description="0 for the first post of a series, then 1, 2…")
    variants: list[PostVariantOut]


class ProblemOut(Schema):
    severity: str = Field(description="error (the network would refuse it) or warning.")
    variant: int | None
    field: str
    message: str


class PreflightOut(Schema):
    ok: bool = Field(description="True when there is no error (warnings may remain).")
    problems: list[ProblemOut]


class PostFilters(Schema):
    status: str | None = Field(None, max_length=30)
    channel: int | None = Field(None, ge=1, le=2**63 - 1)
    campaign: int | None = Field(None, ge=1, le=2**63 - 1)
    q: str | None = Field(None, max_length=200, description="Words in the title or the texts.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class ScheduleIn(Schema):
    publish_at: str | None = Field(None, max_length=40, description="Optional new date (same rules as the post's).")


def _membership(request, slug: str, perm: str) -> Membership:
    return get_token_membership(request, slug, perm)


def _post(membership: Membership, post_id: int) -> Post:
    return get_object_or_404(Post, pk=post_id, workspace=membership.workspace)


def _variant_out(v: Variant) -> dict:
    return {"id": v.pk, "channel": v.channel_id, "network": v.network, "text": v.text, "title": v.title,
            "content_warning": v.content_warning, "visibility": v.visibility,
            "media": [vm.asset_id for vm in v.variantmedia_set.all()], "options": v.options or {},
            "alternates": [a for a in (v.alternates or []) if isinstance(a, str)], "state": v.state,
            "attempts": v.attempts, "due_at": v.due_at, "not_after": v.not_after, "sent_at": v.sent_at,
            "remote_id": v.remote_id, "remote_url": v.remote_url,
            # Stored as a message code and its values: rendered now, in the token owner's language (as the pages do).
            "error": str(v.error) if v.error_code else "", "error_at": v.error_at}


def _attempt_out(a: DeliveryAttempt) -> dict:
    return {"variant": a.variant_id, "attempt_id": a.attempt_id, "started_at": a.started_at,
            "finished_at": a.finished_at, "outcome": a.outcome, "remote_id": a.remote_id,
            "error": str(a.error) if a.error_code else ""}


def _post_out(p: Post) -> dict:
    return {"id": p.pk, "title": p.title, "master_text": p.master_text, "link": p.link, "status": p.status,
            "publish_at": p.publish_at, "campaign": p.campaign_id, "request": p.request_id, "version": p.version,
            "approved_version": p.approved_version, "created_at": p.created_at, "updated_at": p.updated_at,
            "repeat_every_weeks": p.repeat_every_weeks, "repeat_until": p.repeat_until, "repeat_of": p.repeat_of_id,
            "occurrence": p.occurrence,
            "variants": [_variant_out(v) for v in p.variants.all()]}


def _with_variants(qs):
    return qs.prefetch_related("variants__variantmedia_set")


def _payload(payload: PostIn) -> dict:
    data = payload.dict(exclude_unset=True)
    if data.get("variants") is not None:
        data["variants"] = [{k: v for k, v in row.items() if k == "channel" or v is not None} for row in data["variants"]]
        for index, row in enumerate(data["variants"]):
            # The editor's textarea may send one text cut by "---" lines; the API takes a list only.
            if "alternates" in row and not isinstance(row["alternates"], list):
                raise ValidationError({f"variants.{index}.alternates": _("The other texts must be a list of texts.")})
    return data


@router.get("/{slug}/posts", response=_may_refuse({200: list[PostOut]}), summary="Posts, newest change first")
def list_posts(request, slug: Slug, filters: Query[PostFilters]):
    membership = _membership(request, slug, roles.VIEW_PUBLISHING)
    qs = Post.objects.filter(workspace=membership.workspace)
    if filters.status:
        if filters.status not in Post.Status.values:
            raise ValidationError({"status": _("Unknown status: use one of %(values)s.")
                                   % {"values": ", ".join(Post.Status.values)}})
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(variants__channel_id=filters.channel)
    if filters.campaign:
        qs = qs.filter(campaign_id=filters.campaign)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(master_text__icontains=filters.q)
                       | Q(variants__text__icontains=filters.q))
    qs = _with_variants(qs.distinct().order_by("-updated_at", "-pk"))
    return [_post_out(p) for p in qs[filters.offset: filters.offset + filters.limit]]


@router.post("/{slug}/posts", response=api_responses({201: PostOut}, body=True), summary="Write a post (a draft)")
def create_post(request, slug: Slug, payload: PostIn):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    with audit.via("api"):
        post = posts.do_save_post(membership, None, _payload(payload))
    return Status(201, _post_out(_with_variants(Post.objects.filter(pk=post.pk)).get()))


@router.get("/{slug}/posts/{post_id}", response=api_responses({200: PostOut}))
def get_post(request, slug: Slug, post_id: RowId):
    membership = _membership(request, slug, roles.VIEW_PUBLISHING)
    return _post_out(get_object_or_404(_with_variants(Post.objects), pk=post_id, workspace=membership.workspace))


@router.patch("/{slug}/posts/{post_id}", response=api_responses({200: PostOut}, body=True),
              summary="Change a post (a content change makes a new version and goes back through approval)")
def update_post(request, slug: Slug, post_id: RowId, payload: PostIn):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    post = _post(membership, post_id)
    with audit.via("api"):
        post = posts.do_save_post(membership, post, _payload(payload))
    return _post_out(_with_variants(Post.objects.filter(pk=post.pk)).get())


@router.delete("/{slug}/posts/{post_id}", response=_may_refuse({204: None}), summary="Delete a draft")
def delete_post(request, slug: Slug, post_id: RowId):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    post = _post(membership, post_id)
    if post.status not in (Post.Status.DRAFT, Post.Status.CHANGES_REQUESTED):
        raise ValidationError({"status": _("Only drafts can be deleted: cancel this post instead "
                                           "(POST …/posts/%(id)d/cancel).") % {"id": post.pk}})
    with audit.via("api"):
        posts.do_delete_post(membership, post)
    return Status(204, None)


@router.post("/{slug}/posts/{post_id}/cancel", response=_may_refuse({200: PostOut}),
             summary="Cancel a post: nothing more goes out, what was published stays")
def cancel_post(request, slug: Slug, post_id: RowId):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    post = _post(membership, post_id)
    if post.status in (Post.Status.DRAFT, Post.Status.CHANGES_REQUESTED):
        raise ValidationError({"status": _("A draft is deleted, not cancelled.")})
    with audit.via("api"):
        posts.do_delete_post(membership, post)
    return _post_out(_with_variants(Post.objects.filter(pk=post.pk)).get())


@router.post("/{slug}/posts/{post_id}/duplicate", response=api_responses({201: PostOut}),
             summary="A new draft with the same content and channels")
def duplicate_post(request, slug: Slug, post_id: RowId):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    with audit.via("api"):
        copy = posts.do_duplicate_post(membership, _post(membership, post_id))
    return Status(201, _post_out(_with_variants(Post.objects.filter(pk=copy.pk)).get()))


@router.post("/{slug}/posts/{post_id}/preflight", response=api_responses({200: PreflightOut}),
             summary="What each network would refuse, and what deserves a second look")
def preflight_post(request, slug: Slug, post_id: RowId):
    membership = _membership(request, slug, roles.VIEW_PUBLISHING)
    problems = posts.preflight(_post(membership, post_id))
    return {"ok": not any(p.severity == "error" for p in problems), "problems": [p.as_dict() for p in problems]}


def _part(module: str, name: str):
    action = posts.optional_part(module, name)
    if action is None:
        raise Http404(_("This part of publishing is not available yet."))
    return action


def _refuse_errors(post: Post) -> None:
    errors = [p for p in posts.preflight(post, check_links=False) if p.severity == "error"]
    if errors:
        raise ValidationError({errors[0].field if errors[0].variant is None else "variants":
                               " ".join(p.message for p in errors)})


@router.post("/{slug}/posts/{post_id}/schedule", response=api_responses({200: PostOut}, body=True),
             summary="Schedule the post on its channels (after approval when the workspace asks for it)")
def schedule_post(request, slug: Slug, post_id: RowId, payload: ScheduleIn | None = None):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    post = _post(membership, post_id)
    do_schedule = _part("delivery", "do_schedule")
    publish_at = None
    if payload is not None and payload.publish_at:
        publish_at = posts.check_publish_at(payload.publish_at, membership.user.time_zone)
    _refuse_errors(post)
    with audit.via("api"):
        do_schedule(membership, post, publish_at=publish_at) if publish_at else do_schedule(membership, post)
    return _post_out(_with_variants(Post.objects.filter(pk=post.pk)).get())


@router.post("/{slug}/posts/{post_id}/unschedule", response=_may_refuse({200: PostOut}),
             summary="Take the post off the schedule (variants being sent finish)")
def unschedule_post(request, slug: Slug, post_id: RowId):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    post = _post(membership, post_id)
    do_unschedule = _part("delivery", "do_unschedule")
    with audit.via("api"):
        do_unschedule(membership, post)
    return _post_out(_with_variants(Post.objects.filter(pk=post.pk)).get())


@router.post("/{slug}/posts/{post_id}/submit", response=_may_refuse({200: PostOut}),
             summary="Send the post for approval")
def submit_post(request, slug: Slug, post_id: RowId):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    post = _post(membership, post_id)
    do_submit = _part("approvals", "do_submit")
    _refuse_errors(post)
    with audit.via("api"):
        do_submit(membership, post)
    return _post_out(_with_variants(Post.objects.filter(pk=post.pk)).get())


def _variant(membership: Membership, post_id: int, variant_id: int) -> Variant:
    """The variant ``variant_id`` of the post ``post_id`` in the token's workspace: otherwise 404."""
    return get_object_or_404(Variant.objects.select_related("post", "post__workspace", "channel"), pk=variant_id,
                             post_id=post_id, post__workspace=membership.workspace)


def _post_with_variants(post_id: int) -> dict:
    return _post_out(_with_variants(Post.objects.filter(pk=post_id)).get())


@router.get("/{slug}/posts/{post_id}/deliveries", response=api_responses({200: list[DeliveryAttemptOut]}),
            summary="Every try at sending the post's variants, oldest first")
def list_deliveries(request, slug: Slug, post_id: RowId):
    membership = _membership(request, slug, roles.VIEW_PUBLISHING)
    post = _post(membership, post_id)
    attempts = DeliveryAttempt.objects.filter(variant__post=post).order_by("started_at", "pk")
    return [_attempt_out(a) for a in attempts]


@router.post("/{slug}/posts/{post_id}/variants/{variant_id}/retry", response=_may_refuse({200: PostOut}),
             summary="Send a variant again now (after a failure, lateness, or an unknown outcome checked as not sent)")
def retry_variant(request, slug: Slug, post_id: RowId, variant_id: RowId):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    variant = _variant(membership, post_id, variant_id)
    with audit.via("api"):
        delivery.do_retry(membership, variant)
    return _post_with_variants(variant.post_id)


@router.post("/{slug}/posts/{post_id}/variants/{variant_id}/published", response=api_responses({200: PostOut}, body=True),
             summary="Settle an unknown outcome: the variant is on the network (its address optional)")
def mark_variant_published(request, slug: Slug, post_id: RowId, variant_id: RowId, payload: MarkPublishedIn | None = None):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    variant = _variant(membership, post_id, variant_id)
    url = payload.url if payload is not None else None
    if url is not None and not isinstance(url, str):
        raise ValidationError({"url": _("Enter the address of the post on the network, starting with https://.")})
    with audit.via("api"):
        delivery.do_mark_published(membership, variant, url or "")
    return _post_with_variants(variant.post_id)
