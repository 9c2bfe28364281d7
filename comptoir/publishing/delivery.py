"""Delivery: scheduled posts go out on their channels, once, on time, and never fail silently.

Each variant (one channel's version of a post) carries its own state machine::

    pending → scheduled → claimed(attempt_id) → sent(remote_id) | failed | unknown | late

* ``schedule(post)`` arms the variants (state scheduled, ``due_at`` = the post's date, ``not_after`` = that date +
  the lateness limit). The clock (``clock.py``) claims due variants with a compare-and-set update that gives each a
  fresh attempt id and a lease (``due_at`` moves to the lease's end), and enqueues ``tasks.deliver_variants``.
* :func:`deliver` runs one claimed variant: short transactions around the network call, never one across it. Every
  try at the network is a :class:`DeliveryAttempt` row with its own idempotency key, written *before* the call.
  :func:`deliver_batch` (what the task runs) does the same for a batch with a few queries for all of it, its network
  calls in threads that never touch the database, and hands every unusual claim to :func:`deliver`.
* An attempt whose outcome is not known (the connection dropped after sending, a timeout, ``OutcomeUnknown``, a worker
  that died during the call, so its row is still "running") is looked up on the network with
  ``connector.find_published(its key)`` before anything else is tried: found → sent; not found → a new attempt.
  A connector that cannot look posts up (it keeps :class:`BaseConnector`'s ``find_published``) is never asked to post
  again: the variant becomes *unknown* and the community managers are asked to say what happened.
* A claim whose lease ran out (the worker was killed) comes due again: the clock claims it anew, with a new attempt
  id, and the same look-up runs first. A re-queued task of the dead worker finds it no longer holds the claim.
* Transient errors retry with exponential backoff (``retry_after`` honoured) up to
  ``COMPTOIR_DELIVERY_MAX_ATTEMPTS``; permanent ones (refused token, refused media or text, channel removed) fail at
  once with the network's own message. Past ``not_after`` a variant is not sent: it is *late*.
* Every failure, lateness or unknown outcome notifies the workspace's owners and community managers (an alarm) and
  shows on the post (``publishing/_delivery.html``); :func:`roll_up` keeps the post's status in step.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from comptoir.connectors.base import (
    BaseConnector,
    ConnectorError,
    OutcomeUnknown,
    RemoteRef,
    get_connector_class,
)
from comptoir.lib import i18n
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Channel, Membership
from comptoir.workspaces.notifications import notify

from .models import ApprovalStage, DeliveryAttempt, Post, Variant

logger = logging.getLogger("comptoir.publishing.delivery")

State = Variant.State
Outcome = DeliveryAttempt.Outcome

# Outcomes of an attempt that may have published something: looked up before any new attempt.
UNRESOLVED = (Outcome.RUNNING, Outcome.UNKNOWN)
# Variants the post's status is read from (pending and cancelled ones are not on their way).
FINAL_BAD = (State.FAILED, State.LATE, State.UNKNOWN)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
MAX_URL_LENGTH = 2000


def lease() -> timedelta:
    return timedelta(seconds=settings.COMPTOIR_DELIVERY_LEASE_SECONDS)


def max_attempts() -> int:
    return max(int(settings.COMPTOIR_DELIVERY_MAX_ATTEMPTS), 1)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th try failed for a passing reason: 30 s, 1 min, 2 min… at most 1 h."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def new_attempt_id() -> str:
    return uuid.uuid4().hex


def idempotency_key(variant_id: int, attempt_id: str) -> str:
    """The key one attempt sends to the network: the same attempt never publishes twice."""
    return f"comptoir-{variant_id}-{attempt_id}"


def can_verify(connector: BaseConnector) -> bool:
    """Whether the connector can look a post up by its key (it overrides ``find_published``)."""
    return getattr(type(connector), "find_published", None) is not BaseConnector.find_published


def channel_problem(channel: Channel | None):
    """Why a variant cannot go out on ``channel`` right now (a message), or None."""
    if channel is None:
        return i18n.gettext("This version has no channel any more: the channel was deleted.")
    if channel.removed_at is not None:
        return i18n.gettext("The channel %(channel)s was removed from the workspace: reconnect it, then send again.") % {
            "channel": str(channel)}
    if channel.status == Channel.Status.DISCONNECTED:
        return i18n.gettext("The channel %(channel)s is disconnected: reconnect it, then send again.") % {
            "channel": str(channel)}
    if channel.status == Channel.Status.PAUSED:
        return i18n.gettext("The channel %(channel)s is paused: switch it back on, then send again.") % {
            "channel": str(channel)}
    if (channel.config or {}).get("demo"):
        # The demo's channels name real accounts without their keys: nothing is ever sent to them.
        return i18n.gettext("The channel %(channel)s belongs to the demo: Comptoir sends nothing to the network from "
                            "it. Connect a real account to publish.") % {"channel": str(channel)}
    return None


# Scheduling ------------------------------------------------------------------------------------------------


def _not_after(post: Post, start: datetime) -> datetime:
    return start + timedelta(minutes=post.late_after_minutes)


def _needs_approval(post: Post) -> bool:
    return ApprovalStage.objects.filter(workspace_id=post.workspace_id).exists()


def check_schedule(post: Post, publish_at: datetime | None = None) -> None:
    """Raise ``ValidationError`` (naming the field) when ``post`` cannot be scheduled at ``publish_at``."""
    when = publish_at if publish_at is not None else post.publish_at
    if when is None:
        raise ValidationError({"publish_at": _("Choose a publication date.")})
    if timezone.is_naive(when):
        raise ValidationError({"publish_at": _("The publication date has no time zone.")})
    if when < timezone.now():
        raise ValidationError({"publish_at": _("The publication date is in the past: choose a later one.")})
    if post.status == Post.Status.PUBLISHED:
        raise ValidationError({"publish_at": _("This post is already published: its date cannot move.")})
    if not post.variants.filter(channel__isnull=False).exists():
        raise ValidationError({"variants": _("Add at least one channel to the post before scheduling it.")})
    if _needs_approval(post) and post.approved_version != post.version:
        raise ValidationError({"status": _("This version of the post is not approved yet: send it for approval first.")})


@transaction.atomic
def schedule(post: Post) -> int:
    """Arm every variant that has a channel to go out at ``post.publish_at``; the post becomes scheduled.

    Variants already sent or being sent are left alone; those failed, late or cancelled are armed again. Raises
    ``ValidationError`` without a date, without variants, with a date in the past, or when the workspace has approval
    stages and this version is not the approved one. Returns how many variants were armed.
    """
    check_schedule(post)
    armed = (Variant.objects.filter(post=post, channel__isnull=False)
             .filter(state__in=[State.PENDING, State.SCHEDULED, State.CANCELLED, State.FAILED, State.LATE])
             .update(state=State.SCHEDULED, due_at=post.publish_at, not_after=_not_after(post, post.publish_at),
                     attempts=0, attempt_id="", claimed_at=None, error_code="", error_params={}, error_at=None))
    Post.objects.filter(pk=post.pk).update(status=Post.Status.SCHEDULED, updated_at=timezone.now())
    post.status = Post.Status.SCHEDULED
    roll_up(post)  # some versions may be out already: then it is publishing
    _request_follows(post)
    return armed


@transaction.atomic
def unschedule(post: Post) -> int:
    """Scheduled variants go back to pending (claimed ones are left to finish). Returns how many."""
    count = Variant.objects.filter(post=post, state=State.SCHEDULED).update(
        state=State.PENDING, due_at=None, not_after=None, attempt_id="", claimed_at=None)
    if post.status == Post.Status.SCHEDULED:
        status = Post.Status.APPROVED if post.approved_version == post.version else Post.Status.DRAFT
        Post.objects.filter(pk=post.pk).update(status=status, updated_at=timezone.now())
        post.status = status
    return count


def _request_follows(post: Post) -> None:
    """The content request the post answers follows it (scheduled, published), when that part is installed."""
    if not post.request_id:
        return
    try:
        module = import_module("comptoir.publishing.requests")
    except ImportError:
        return
    follow = getattr(module, "request_follows_post", None)
    if not callable(follow):
        return
    try:
        with transaction.atomic():  # a savepoint: the request's trouble never undoes a delivery being recorded
            follow(post)
    except Exception:
        logger.exception("The request of post %s could not follow it", post.pk)


def roll_up(post: Post) -> str:
    """Recompute the post's status from its variants; returns it.

    Published when every variant on its way is sent, failed when any failed, was late or has an outcome nobody can
    verify, publishing while some are being sent or some sent and others still to go, scheduled while all wait. A post
    none of whose variants is on its way (draft, in review…) keeps its status.
    """
    _roll_up_many({post.pk: post})
    return post.status


def _status_of(rows: list[tuple[str, datetime | None]], current: str) -> str:
    states = [s for s, _sent in rows if s not in (State.PENDING, State.CANCELLED)]
    if not states:
        return current
    if any(s in FINAL_BAD for s in states):
        return Post.Status.FAILED
    if all(s == State.SENT for s in states):
        return Post.Status.PUBLISHED
    if any(s in (State.CLAIMED, State.SENT) for s in states):
        return Post.Status.PUBLISHING
    return Post.Status.SCHEDULED


def _roll_up_many(posts: dict[int, Post]) -> None:
    """:func:`roll_up` for many posts with one read of their variants and one write per changed post."""
    if not posts:
        return
    for pk, status in Post.objects.filter(pk__in=list(posts)).values_list("pk", "status"):
        posts[pk].status = status  # as it is now, not as it was read before the network call
    rows: dict[int, list] = {pk: [] for pk in posts}
    for post_id, state_, sent_at in Variant.objects.filter(post_id__in=list(posts)).values_list(
            "post_id", "state", "sent_at"):
        rows[post_id].append((state_, sent_at))
    now = timezone.now()
    changed = []
    for pk, post in posts.items():
        status = _status_of(rows[pk], post.status)
        if status == post.status:
            continue
        post.status, post.updated_at = status, now
        if status == Post.Status.PUBLISHED:
            post.published_at = max((sent for _s, sent in rows[pk] if sent), default=now)
        changed.append(post)
    by_status: dict[str, list[int]] = {}
    for post in changed:
        by_status.setdefault(post.status, []).append(post.pk)
    for status, pks in by_status.items():
        Post.objects.filter(pk__in=pks).update(status=status, updated_at=now)
    _set_each(Post, "published_at", [(p.published_at, p.pk) for p in changed if p.status == Post.Status.PUBLISHED])
    for post in changed:
        _request_follows(post)


# Actions of the community managers --------------------------------------------------------------------------


def check_managed(membership: Membership, post: Post) -> None:
    """The member may manage publishing, and the post is of their workspace: otherwise PermissionDenied."""
    check_perm(membership, roles.MANAGE_PUBLISHING)
    if post.workspace_id != membership.workspace_id:
        raise PermissionDenied


def _snapshot(post: Post) -> dict:
    return {"status": post.status, "publish_at": post.publish_at.isoformat() if post.publish_at else None}


def _check_date(publish_at) -> datetime:
    if not isinstance(publish_at, datetime):
        raise ValidationError({"publish_at": _("Choose a publication date.")})
    if timezone.is_naive(publish_at):
        raise ValidationError({"publish_at": _("The publication date has no time zone.")})
    if publish_at < timezone.now():
        raise ValidationError({"publish_at": _("The publication date is in the past: choose a later one.")})
    return publish_at


@transaction.atomic
def do_schedule(membership: Membership, post: Post, publish_at: datetime | None = None) -> int:
    """Schedule the post (at ``publish_at`` when given). Returns how many variants were armed."""
    check_managed(membership, post)
    post = Post.objects.select_for_update().get(pk=post.pk)
    before = _snapshot(post)
    if publish_at is not None:
        post.publish_at = _check_date(publish_at)
        check_schedule(post)
        Post.objects.filter(pk=post.pk).update(publish_at=post.publish_at)
    armed = schedule(post)
    audit.record(membership.workspace, membership.user, "post.schedule", post, before=before,
                 after={**_snapshot(post), "variants": armed})
    return armed


@transaction.atomic
def do_unschedule(membership: Membership, post: Post) -> int:
    """Take the post off the schedule. Returns how many variants were disarmed; refuses a post with none armed."""
    check_managed(membership, post)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status != Post.Status.SCHEDULED and not post.variants.filter(state=State.SCHEDULED).exists():
        raise ValidationError({"status": _("This post is not scheduled.")})
    before = _snapshot(post)
    count = unschedule(post)
    audit.record(membership.workspace, membership.user, "post.unschedule", post, before=before,
                 after={**_snapshot(post), "variants": count})
    return count


@transaction.atomic
def do_reschedule(membership: Membership, post: Post, publish_at: datetime) -> int:
    """Move the post to ``publish_at`` (calendar drag). Variants not yet claimed follow the new date; on a scheduled or
    failed post, failed and late ones are armed again. No new approval: only the date changes. Returns how many
    variants were (re)armed."""
    check_managed(membership, post)
    publish_at = _check_date(publish_at)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status in (Post.Status.PUBLISHED, Post.Status.CANCELLED):
        raise ValidationError({"publish_at": _("This post is already published: its date cannot move.")})
    before = _snapshot(post)
    post.publish_at = publish_at
    Post.objects.filter(pk=post.pk).update(publish_at=publish_at, updated_at=timezone.now())
    rearm = [State.SCHEDULED]
    if post.status in (Post.Status.SCHEDULED, Post.Status.PUBLISHING, Post.Status.FAILED):
        rearm += [State.FAILED, State.LATE]
    armed = (Variant.objects.filter(post=post, channel__isnull=False, state__in=rearm)
             .update(state=State.SCHEDULED, due_at=publish_at, not_after=_not_after(post, publish_at), attempts=0,
                     attempt_id="", claimed_at=None, error_code="", error_params={}, error_at=None))
    if armed:
        roll_up(post)
    audit.record(membership.workspace, membership.user, "post.reschedule", post, before=before,
                 after={**_snapshot(post), "variants": armed})
    return armed


def _variant_for_update(membership: Membership, variant: Variant) -> Variant:
    check_perm(membership, roles.MANAGE_PUBLISHING)
    if variant.post.workspace_id != membership.workspace_id:
        raise PermissionDenied
    _lock_post(variant.post_id)
    return Variant.objects.select_related("post", "channel").get(pk=variant.pk)


RETRYABLE = (State.FAILED, State.LATE, State.UNKNOWN, State.SCHEDULED)


@transaction.atomic
def do_retry(membership: Membership, variant: Variant) -> Variant:
    """Send this version now: after a failure, lateness, while it waits for its next try, or, for an unknown outcome,
    when the community manager has checked that it was not published (its unverified attempts are closed as such)."""
    variant = _variant_for_update(membership, variant)
    post = variant.post
    if variant.state not in RETRYABLE or (variant.state == State.SCHEDULED and not variant.attempts):
        raise ValidationError({"variant": _("This version is not waiting to be sent again.")})
    problem = channel_problem(variant.channel)
    if problem:
        raise ValidationError({"variant": str(problem)})
    if _needs_approval(post) and post.approved_version != post.version:
        raise ValidationError({"variant": _("This version of the post is not approved: it cannot be sent.")})
    before = {"state": variant.state}
    now = timezone.now()
    if variant.state == State.UNKNOWN:
        # The community manager looked: it is not on the network. Those attempts need no look-up any more.
        variant.deliveries.filter(outcome__in=UNRESOLVED).update(
            outcome=Outcome.FAILED, finished_at=now, error_code=gettext_noop("Not published, as checked by %(name)s."),
            error_params={"name": membership.user.display_name[:200]})
    Variant.objects.filter(pk=variant.pk).update(
        state=State.SCHEDULED, due_at=now, not_after=_not_after(post, now), attempts=0, attempt_id="",
        claimed_at=None, error_code="", error_params={}, error_at=None)
    variant.refresh_from_db()
    roll_up(post)
    audit.record(membership.workspace, membership.user, "post.delivery_retry", post, before=before,
                 after={"state": variant.state, "channel": str(variant.channel)})
    return variant


def check_remote_url(url) -> str:
    url = str(url or "").strip()
    if not url:
        return ""
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError({"url": _("An address has at most %(max)d characters.") % {"max": MAX_URL_LENGTH}})
    from django.core.validators import URLValidator

    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": _("Enter the address of the post on the network, starting with https://.")}) from None
    return url


@transaction.atomic
def do_mark_published(membership: Membership, variant: Variant, url: str = "") -> Variant:
    """The community manager saw the post on the network: an unknown outcome becomes sent (with its address)."""
    url = check_remote_url(url)
    variant = _variant_for_update(membership, variant)
    if variant.state != State.UNKNOWN:
        raise ValidationError({"variant": _("Only a version whose outcome is unknown can be marked as published.")})
    now = timezone.now()
    variant.deliveries.filter(outcome__in=UNRESOLVED).update(
        outcome=Outcome.FOUND, finished_at=now, error_code=gettext_noop("Published, as checked by %(name)s."),
        error_params={"name": membership.user.display_name[:200]})
    Variant.objects.filter(pk=variant.pk).update(state=State.SENT, sent_at=now, remote_url=url, due_at=None,
                                                 error_code="", error_params={}, error_at=None)
    variant.refresh_from_db()
    roll_up(variant.post)
    audit.record(membership.workspace, membership.user, "post.delivery_confirm", variant.post,
                 before={"state": State.UNKNOWN}, after={"state": State.SENT, "channel": str(variant.channel),
                                                         "url": url})
    return variant


# Delivering one claimed variant (run by tasks.deliver_variants) -----------------------------------------------


@dataclass
class _Held:
    variant: Variant
    attempt_id: str
    unresolved: list[DeliveryAttempt]
    current: DeliveryAttempt | None  # the attempt row to send with, when no look-up is needed first


def _lock_post(post_id: int) -> None:
    """One writer per post at a time, so that the roll-ups of two variants finishing together agree."""
    Post.objects.select_for_update().filter(pk=post_id).values_list("pk", flat=True).first()


def _holding(variant_id: int, attempt_id: str) -> Variant | None:
    return (Variant.objects.select_related("post", "post__workspace", "channel")
            .filter(pk=variant_id, state=State.CLAIMED, attempt_id=attempt_id).first())


def _new_attempt(variant: Variant, attempt_id: str, now: datetime) -> DeliveryAttempt:
    attempt = DeliveryAttempt.objects.create(variant=variant, attempt_id=attempt_id, started_at=now,
                                             idempotency_key=idempotency_key(variant.pk, attempt_id))
    Variant.objects.filter(pk=variant.pk).update(attempts=variant.attempts + 1)
    variant.attempts += 1
    return attempt


def _start(variant_id: int, attempt_id: str) -> _Held | str:
    """Take hold of the claimed variant: renew the lease and write the attempt row, or say why not."""
    now = timezone.now()
    with transaction.atomic():
        variant = _holding(variant_id, attempt_id)
        if variant is None:
            return "skipped"  # sent, unscheduled, or claimed again by the clock after our lease ran out
        if not Variant.objects.filter(pk=variant_id, state=State.CLAIMED, attempt_id=attempt_id).update(
                claimed_at=now, due_at=now + lease()):
            return "skipped"
        unresolved = list(variant.deliveries.filter(outcome__in=UNRESOLVED).order_by("started_at", "pk"))
        problem = channel_problem(variant.channel)
        if problem is not None or (not unresolved and variant.not_after and now > variant.not_after):
            _lock_post(variant.post_id)
        if problem is not None:
            if unresolved:
                _finish_unknown(variant, problem)
                return "unknown"
            _finish_failed(variant, None, problem)
            return "failed"
        if unresolved:
            return _Held(variant, attempt_id, unresolved, None)
        if variant.not_after and now > variant.not_after:
            _finish_late(variant)
            return "late"
        return _Held(variant, attempt_id, [], _new_attempt(variant, attempt_id, now))


def _rotate(held: _Held) -> _Held | str:
    """After the look-ups found nothing: a fresh attempt (new id, new key), unless too late or the claim was lost."""
    now = timezone.now()
    with transaction.atomic():
        variant = _holding(held.variant.pk, held.attempt_id)
        if variant is None:
            return "skipped"
        if variant.not_after and now > variant.not_after:
            _lock_post(variant.post_id)
            _finish_late(variant)
            return "late"
        attempt_id = held.attempt_id
        if DeliveryAttempt.objects.filter(attempt_id=attempt_id).exists():
            attempt_id = new_attempt_id()
            if not Variant.objects.filter(pk=variant.pk, state=State.CLAIMED, attempt_id=held.attempt_id).update(
                    attempt_id=attempt_id, claimed_at=now, due_at=now + lease()):
                return "skipped"
            variant.attempt_id = attempt_id
        return _Held(variant, attempt_id, [], _new_attempt(variant, attempt_id, now))


def deliver(variant_id: int, attempt_id: str) -> str:
    """Deliver one claimed variant; safe to run twice (the second run finds the claim taken or the post sent).

    Returns what happened: sent, found, retry, failed, unknown, late or skipped.
    """
    held = _start(variant_id, attempt_id)
    if isinstance(held, str):
        return held
    variant = held.variant
    try:
        connector = variant.channel.connector()
    except Exception:
        logger.exception("Channel %s: no connector", variant.channel_id)
        message = i18n.gettext("The channel %(channel)s cannot be used: its settings or secrets are damaged. "
                               "Reconnect it.") % {"channel": str(variant.channel)}
        return _record(held, failed=message)

    if held.unresolved:
        if not can_verify(connector):
            return _record(held, unknown=i18n.gettext(
                "%(network)s cannot tell Comptoir whether an earlier try published the post. Look at the channel: if "
                "the post is there, mark it as published; if not, send it again.") % {"network": connector.label})
        window = connector.capabilities.lookup_window_seconds
        if window is not None and held.unresolved[0].started_at < timezone.now() - timedelta(seconds=window):
            # Past the network's memory of keys, "not found" proves nothing: a new try could post it twice.
            return _record(held, unknown=i18n.gettext(
                "%(network)s only remembers for %(minutes)s minutes whether a try published the post, and the "
                "earliest unanswered try is older. Look at the channel: if the post is there, mark it as published; "
                "if not, send it again.") % {"network": connector.label, "minutes": window // 60})
        for attempt in held.unresolved:
            try:
                ref = connector.find_published(attempt.idempotency_key)
            except Exception as exc:  # noqa: BLE001 - any failure to look it up leaves the outcome unknown
                return _record(held, verify_failed=exc)
            finally:
                _save_credentials(variant.channel, connector)
            if ref is not None:
                return _record(held, found=(attempt, ref))
            DeliveryAttempt.objects.filter(pk=attempt.pk, outcome__in=UNRESOLVED).update(
                outcome=Outcome.RETRY, finished_at=timezone.now(),
                error_code=gettext_noop("Not found on the network: a new attempt follows."), error_params={})
        held = _rotate(held)
        if isinstance(held, str):
            return held
        variant = held.variant

    spec = _outbound(variant)
    if "failed" not in spec:
        assert held.current is not None
        try:
            spec = _attempt(connector, spec["outbound"], held.current.idempotency_key)
        finally:
            _save_credentials(variant.channel, connector)
    return _record(held, **spec)


def _outbound(variant: Variant) -> dict:
    from .outbound import outbound_post

    try:
        return {"outbound": outbound_post(variant)}
    except OSError:
        return {"failed": i18n.gettext("A media file of this post cannot be read any more: replace it in the media "
                                       "library, then send again.")}


def _attempt(connector: BaseConnector, outbound, key: str) -> dict:
    """One call to the network (no database here: it may run in a thread). Returns what to record."""
    problems = connector.check_post(outbound)
    if problems:
        return {"failed": " ".join(str(p) for p in problems)}
    try:
        return {"sent": connector.publish(outbound, key)}
    except OutcomeUnknown as exc:
        return {"maybe": exc.message, "verifiable": can_verify(connector)}
    except ConnectorError as exc:
        return {"retry": exc} if exc.retryable else {"failed": exc.message}
    except Exception as exc:  # noqa: BLE001 - a bug or a broken connection mid-call: it may have gone out
        logger.exception("Publishing raised")
        return {"maybe": i18n.gettext("Publishing stopped with an unexpected error (%(error)s). Comptoir will check on "
                                      "the network before trying again.") % {"error": type(exc).__name__},
                "verifiable": can_verify(connector)}


def deliver_batch(claims, threads: int = 1) -> Counter:
    """Deliver a batch of claims (``[(variant_id, attempt_id), …]``) with a few queries for the whole batch.

    The common case (a claim still held, nothing to look up, a usable channel, on time) is started in one
    transaction for all, published from ``threads`` threads (network only, no database), and recorded in one
    transaction; every other claim goes through :func:`deliver` one by one. Returns a count per outcome.
    """
    pairs: dict[int, str] = {}
    for claim in claims:
        try:
            pairs[int(claim[0])] = str(claim[1])
        except (TypeError, ValueError, IndexError):
            logger.error("Malformed delivery claim %r", claim)
    outcomes: Counter = Counter()
    now = timezone.now()
    fast: list[_Held] = []
    slow: list[Variant] = []
    with transaction.atomic():
        rows = Variant.objects.select_related("post", "post__workspace", "channel").filter(
            pk__in=list(pairs), state=State.CLAIMED).order_by("pk")
        if connection.features.has_select_for_update:
            rows = rows.select_for_update(of=("self",) if connection.features.has_select_for_update_of else ())
        held = [v for v in rows if v.attempt_id == pairs[v.pk]]
        outcomes["skipped"] += len(pairs) - len(held)
        pending = set(DeliveryAttempt.objects.filter(variant_id__in=[v.pk for v in held], outcome__in=UNRESOLVED)
                      .values_list("variant_id", flat=True))
        ready = []
        for variant in held:
            late = variant.not_after is not None and now > variant.not_after
            (slow if variant.pk in pending or late or channel_problem(variant.channel) else ready).append(variant)
        if ready:
            Variant.objects.filter(pk__in=[v.pk for v in ready]).update(claimed_at=now, due_at=now + lease(),
                                                                        attempts=F("attempts") + 1)
            attempts = DeliveryAttempt.objects.bulk_create([
                DeliveryAttempt(variant=v, attempt_id=v.attempt_id, started_at=now,
                                idempotency_key=idempotency_key(v.pk, v.attempt_id)) for v in ready])
            for variant, attempt in zip(ready, attempts, strict=True):
                variant.attempts += 1
                fast.append(_Held(variant, variant.attempt_id, [], attempt))

    if fast:
        outcomes.update(_record_batch(list(zip(fast, _publish_all(fast, threads), strict=True))))

    for variant in slow:
        outcomes[deliver(variant.pk, variant.attempt_id)] += 1
    return outcomes


def _publish_all(fast: list[_Held], threads: int) -> list[dict]:
    """Publish each held variant; what to record for each, in order.

    The first variant of each channel goes first (a network that opens a session, Bluesky, opens it once and the
    others reuse it), then the rest, ``threads`` at a time. Each call has its own connector: none is shared by threads.
    """
    secrets: dict[int, dict | None] = {}
    built: dict[int, BaseConnector] = {}

    def connector_for(held_one: _Held) -> BaseConnector | None:
        channel = held_one.variant.channel
        try:
            if channel.pk not in secrets:
                secrets[channel.pk] = channel.credentials
            connector = get_connector_class(channel.network)(config=channel.config, credentials=secrets[channel.pk])
        except Exception:  # noqa: BLE001 - damaged settings or secrets: said on the variant
            logger.exception("Channel %s: no connector", channel.pk)
            secrets[channel.pk] = None
            return None
        built[held_one.variant.pk] = connector
        return connector

    def run(held_one: _Held) -> dict:
        connector = connector_for(held_one)
        if connector is None:
            return {"failed": i18n.gettext("The channel %(channel)s cannot be used: its settings or secrets are "
                                           "damaged. Reconnect it.") % {"channel": str(held_one.variant.channel)}}
        spec = outbounds[held_one.variant.pk]
        if "failed" in spec:
            return spec
        return _attempt(connector, spec["outbound"], held_one.current.idempotency_key)

    def run_all(group: list[_Held]) -> list[dict]:
        if threads > 1 and len(group) > 1:
            with ThreadPoolExecutor(max_workers=min(threads, len(group)), thread_name_prefix="deliver") as pool:
                return list(pool.map(run, group))
        return [run(h) for h in group]

    outbounds = {h.variant.pk: _outbound(h.variant) for h in fast}  # database reads stay in this thread
    firsts, rest, seen = [], [], set()
    for held_one in fast:
        (rest if held_one.variant.channel_id in seen else firsts).append(held_one)
        seen.add(held_one.variant.channel_id)
    # Build the first connector of each channel here, so that the others start from what it learnt (a session).
    specs = dict(zip([h.variant.pk for h in firsts], run_all(firsts), strict=True))
    for held_one in firsts:
        connector = built.get(held_one.variant.pk)
        if connector is not None:
            fresh = connector.updated_credentials()
            if fresh is not None:
                secrets[held_one.variant.channel_id] = fresh
    specs.update(zip([h.variant.pk for h in rest], run_all(rest), strict=True))
    saved = set()
    for held_one in reversed(fast):  # the latest connector of each channel that changed them holds the freshest
        connector = built.get(held_one.variant.pk)
        if connector is not None and held_one.variant.channel_id not in saved and connector.updated_credentials():
            saved.add(held_one.variant.channel_id)
            _save_credentials(held_one.variant.channel, connector)
    return [specs[h.variant.pk] for h in fast]


def _set_each(model, field: str, values: list[tuple]) -> None:
    """``UPDATE … SET field = value WHERE id = pk`` for each ``(value, pk)``, as one prepared statement."""
    if not values:
        return
    table, column = model._meta.db_table, model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {connection.ops.quote_name(table)} SET {connection.ops.quote_name(column)} = %s "  # noqa: S608 - names from the model
                           f"WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s", values)


def _record_batch(results: list[tuple[_Held, dict]]) -> Counter:
    """Record a batch's answers in one transaction: the published ones together, the others one by one."""
    outcomes: Counter = Counter()
    now = timezone.now()
    published = [(h, spec["sent"]) for h, spec in results if "sent" in spec]
    with transaction.atomic():
        post_ids = sorted({h.variant.post_id for h, _spec in results})
        list(Post.objects.select_for_update().filter(pk__in=post_ids).order_by("pk").values_list("pk", flat=True))
        if published:
            DeliveryAttempt.objects.filter(pk__in=[h.current.pk for h, _r in published]).update(
                outcome=Outcome.SENT, finished_at=now)
            _set_each(DeliveryAttempt, "remote_id", [(ref.external_id[:500], h.current.pk) for h, ref in published])
            # Published is published: even a claim lost meanwhile (lease run out) records it.
            not_yet = set(Variant.objects.filter(pk__in=[h.variant.pk for h, _r in published])
                          .exclude(state=State.SENT).values_list("pk", flat=True))
            Variant.objects.filter(pk__in=not_yet).update(state=State.SENT, sent_at=now, due_at=None, error_code="",
                                                         error_params={}, error_at=None)
            _set_each(Variant, "remote_id", [(ref.external_id[:500], h.variant.pk) for h, ref in published
                                             if h.variant.pk in not_yet])
            _set_each(Variant, "remote_url", [(_url(ref.url), h.variant.pk) for h, ref in published
                                              if h.variant.pk in not_yet])
            for h, _ref in published:
                h.variant.state = State.SENT
            outcomes["sent"] += len(published)
        for h, spec in results:
            if "sent" not in spec:
                outcomes[_record(h, **spec)] += 1
        _roll_up_many({h.variant.post_id: h.variant.post for h, _spec in published})
    return outcomes


def _save_credentials(channel: Channel, connector: BaseConnector) -> None:
    fresh = connector.updated_credentials()
    if fresh is not None:
        channel.credentials = fresh
        Channel.objects.filter(pk=channel.pk).update(credentials_encrypted=channel.credentials_encrypted)


def _record(held: _Held, *, sent: RemoteRef | None = None, found=None, failed=None, retry: ConnectorError | None = None,
            maybe=None, verifiable: bool = True, unknown=None, verify_failed: Exception | None = None) -> str:
    """Write what the network said, in one short transaction."""
    now = timezone.now()
    variant, attempt = held.variant, held.current
    with transaction.atomic():
        _lock_post(variant.post_id)
        holds = Variant.objects.filter(pk=variant.pk, state=State.CLAIMED, attempt_id=held.attempt_id).exists()
        if sent is not None or found is not None:
            ref = sent if sent is not None else found[1]
            done = attempt if sent is not None else found[0]
            DeliveryAttempt.objects.filter(pk=done.pk).update(
                outcome=Outcome.SENT if sent is not None else Outcome.FOUND, finished_at=now,
                remote_id=ref.external_id[:500])
            # Published is published: even a claim lost meanwhile (lease run out) records it.
            Variant.objects.filter(pk=variant.pk).exclude(state=State.SENT).update(
                state=State.SENT, remote_id=ref.external_id[:500], remote_url=_url(ref.url), sent_at=now, due_at=None,
                error_code="", error_params={}, error_at=None)
            roll_up(variant.post)
            return "sent" if sent is not None else "found"
        if not holds:
            if attempt is not None and (maybe is not None or retry is not None or failed is not None):
                _close_attempt(attempt, Outcome.UNKNOWN if maybe is not None else Outcome.FAILED,
                               maybe or (retry.message if retry else failed), now)
            return "skipped"
        if failed is not None:
            if attempt is not None:
                _close_attempt(attempt, Outcome.FAILED, failed, now)
            _finish_failed(variant, None, failed)
            return "failed"
        if unknown is not None:
            DeliveryAttempt.objects.filter(pk__in=[a.pk for a in held.unresolved], outcome=Outcome.RUNNING).update(
                outcome=Outcome.UNKNOWN, finished_at=now, error_code=gettext_noop("The worker stopped during this attempt."),
                error_params={})
            _finish_unknown(variant, unknown)
            return "unknown"
        if verify_failed is not None:
            message = verify_failed.message if isinstance(verify_failed, ConnectorError) else i18n.gettext(
                "The network could not be asked whether the post was published (%(error)s).") % {
                "error": type(verify_failed).__name__}
            Variant.objects.filter(pk=variant.pk).update(attempts=variant.attempts + 1)
            variant.attempts += 1
            if variant.attempts >= max_attempts() or not getattr(verify_failed, "retryable", True):
                _finish_unknown(variant, message)
                return "unknown"
            _wait(variant, message, backoff(variant.attempts), getattr(verify_failed, "retry_after", None))
            return "retry"
        if maybe is not None:
            _close_attempt(attempt, Outcome.UNKNOWN, maybe, now)
            if not verifiable:
                _finish_unknown(variant, maybe)
                return "unknown"
            if variant.attempts >= max_attempts():
                _finish_unknown(variant, maybe)
                return "unknown"
            # Looked up at the next claim, before anything is sent again.
            _wait(variant, maybe, backoff(variant.attempts), None)
            return "retry"
        assert retry is not None
        _close_attempt(attempt, Outcome.RETRY, retry.message, now)
        if variant.attempts >= max_attempts():
            _finish_failed(variant, None, i18n.gettext(
                "The post could not be published after %(count)s tries. Last error: %(error)s") % {
                "count": variant.attempts, "error": retry.message})
            return "failed"
        if not _wait(variant, retry.message, backoff(variant.attempts), retry.retry_after, may_be_late=True):
            return "late"
        return "retry"


def _url(url: str) -> str:
    url = str(url or "")
    return url if url.startswith(("https://", "http://")) and len(url) <= MAX_URL_LENGTH else ""


def _close_attempt(attempt: DeliveryAttempt, outcome: str, message, now: datetime) -> None:
    code, params = i18n.code_and_params(message)
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(outcome=outcome, finished_at=now, error_code=code,
                                                         error_params=params)


def _wait(variant: Variant, message, delay: timedelta, retry_after: float | None, *, may_be_late: bool = False) -> bool:
    """Back to scheduled, due again after ``delay`` (or the network's Retry-After when longer). With ``may_be_late``,
    a next try that would come after the lateness limit is not waited for: the variant is late now (and the
    community managers told now, not when the limit passes). Returns whether it will be tried again."""
    if retry_after is not None and retry_after > delay.total_seconds():
        delay = timedelta(seconds=min(retry_after, 86400))
    now = timezone.now()
    if may_be_late and variant.not_after is not None and now + delay > variant.not_after:
        _finish_late(variant, message)
        return False
    code, params = i18n.code_and_params(message)
    Variant.objects.filter(pk=variant.pk).update(
        state=State.SCHEDULED, due_at=now + delay, attempt_id="", claimed_at=None, error_code=code,
        error_params=params, error_at=now)
    return True


def _finish(variant: Variant, state: str, message, kind: str, note) -> None:
    code, params = i18n.code_and_params(message)
    now = timezone.now()
    Variant.objects.filter(pk=variant.pk).update(state=state, due_at=None, claimed_at=None, error_code=code,
                                                 error_params=params, error_at=now)
    variant.state = state
    post = variant.post
    roll_up(post)
    channel = str(variant.channel) if variant.channel_id and variant.channel else variant.network
    audit.record(post.workspace, None, f"post.delivery_{state}", post, after={"channel": channel, "error": code[:500]})
    tell_managers(post, kind, note % {"post": str(post)[:80], "channel": channel, "error": message})


def _finish_failed(variant: Variant, _attempt, message) -> None:
    _finish(variant, State.FAILED, message, "delivery_failed",
            i18n.gettext("“%(post)s” was not published on %(channel)s: %(error)s"))


def _finish_unknown(variant: Variant, message) -> None:
    _finish(variant, State.UNKNOWN, message, "delivery_unknown",
            i18n.gettext("“%(post)s” may or may not be on %(channel)s: %(error)s Say what you see on the post’s page."))


def _finish_late(variant: Variant, last_error=None) -> None:
    message = i18n.gettext("It could not go out before its lateness limit (%(minutes)s minutes after its date), so it "
                           "was not sent. Choose a new date or send it now.") % {
        "minutes": variant.post.late_after_minutes}
    if last_error:
        message = i18n.gettext("%(late)s Last error: %(error)s") % {"late": message, "error": last_error}
    _finish(variant, State.LATE, message, "delivery_late",
            i18n.gettext("“%(post)s” was not sent on %(channel)s: too late. %(error)s"))


def managers_of(workspace_id: int) -> list[int]:
    return list(Membership.objects.filter(workspace_id=workspace_id, role__in=[roles.Role.OWNER, roles.Role.MANAGER])
                .values_list("user_id", flat=True))


def post_delivery_url(post: Post) -> str:
    return reverse("publishing_delivery", args=[post.workspace.slug, post.pk])


def tell_managers(post: Post, kind: str, message) -> None:
    """An alarm for the workspace's owners and community managers (bell and e-mail), one per post."""
    notify(post.workspace_id, managers_of(post.workspace_id), kind, message, url=post_delivery_url(post),
           key=f"post:{post.pk}", is_alarm=True)


def fail_without_channel(variant_ids: list[int]) -> int:
    """Scheduled variants whose channel row is gone are never claimed: they fail here, visibly."""
    count = 0
    for variant in Variant.objects.select_related("post", "post__workspace").filter(pk__in=variant_ids):
        with transaction.atomic():
            _lock_post(variant.post_id)
            if Variant.objects.filter(pk=variant.pk, state=State.SCHEDULED, channel__isnull=True).exists():
                _finish_failed(variant, None, channel_problem(None))
                count += 1
    return count


# How the activity log reads these actions ------------------------------------------------------------------


def _when(e) -> str:
    """The event's new date in the reader's time zone and language."""
    from django.utils import formats
    from django.utils.dateparse import parse_datetime

    value = parse_datetime(str((e.after or {}).get("publish_at") or ""))
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "DATETIME_FORMAT")


audit.sentences({
    "post.schedule": lambda e, n: _("%(actor)s scheduled the post “%(object)s” for %(when)s.") % {
        **n, "when": _when(e)},
    "post.unschedule": lambda e, n: _("%(actor)s took the post “%(object)s” off the schedule.") % n,
    "post.reschedule": lambda e, n: _("%(actor)s moved the post “%(object)s” to %(when)s.") % {
        **n, "when": _when(e)},
    "post.delivery_retry": lambda e, n: _("%(actor)s sent the post “%(object)s” again on %(channel)s.") % {
        **n, "channel": (e.after or {}).get("channel", "—")},
    "post.delivery_confirm": lambda e, n: _("%(actor)s confirmed that the post “%(object)s” is on %(channel)s.") % {
        **n, "channel": (e.after or {}).get("channel", "—")},
    "post.delivery_failed": lambda e, n: _("The post “%(object)s” was not published on %(channel)s.") % {
        **n, "channel": (e.after or {}).get("channel", "—")},
    "post.delivery_late": lambda e, n: _("The post “%(object)s” was not sent on %(channel)s: too late.") % {
        **n, "channel": (e.after or {}).get("channel", "—")},
    "post.delivery_unknown": lambda e, n: _("Nobody can tell whether the post “%(object)s” is on %(channel)s.") % {
        **n, "channel": (e.after or {}).get("channel", "—")},
})
audit.GROUPS.setdefault("post", gettext_lazy("Publishing"))
audit.FIELD_NAMES.setdefault("publish_at", gettext_lazy("publication date"))

__all__ = ["deliver", "do_mark_published", "do_reschedule", "do_retry", "do_schedule", "do_unschedule",
           "roll_up", "schedule", "unschedule"]
