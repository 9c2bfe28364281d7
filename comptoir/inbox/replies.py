"""Replies: an answer written in Comptoir goes out through the channel's connector, and is never lost.

``do_send_reply`` checks the text against the network (the connector's own ``check_post``: length, emptiness), stores
the reply as *queued* with its idempotency key and enqueues :func:`send_reply` after the commit. The task claims it with
a compare-and-set (queued → sending), calls ``connector.reply`` outside any transaction, and writes what happened:
*sent* (remote id and link), *failed* (the network's reason, kept for the person who retries) or *unknown* (the call may
have reached the network: the team is asked to look before sending again). A retryable error is tried again a few times
with backoff; the clock re-queues a reply whose task was lost (``clock.py``).

An expert (contributor) whose workspace does not let experts answer directly writes a *draft*; a CM approves it (maybe
after editing) and it is queued like any other reply.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.connectors.base import Action, ConnectorError, OutboundPost, OutcomeUnknown
from comptoir.lib import i18n
from comptoir.workspaces import audit, roles
from comptoir.workspaces.models import Channel, Membership

from .actions import _event, can_answer
from .models import Conversation, InboxSettings, Reply

logger = logging.getLogger(__name__)

MAX_REPLY = 10_000
MAX_TRIES = int(getattr(settings, "COMPTOIR_REPLY_MAX_ATTEMPTS", 4))
LEASE = timedelta(minutes=10)


class ReplyCollision(ValidationError):
    """A colleague answered since the composer was opened: shown before anything is sent."""


def channel_of(conversation: Conversation) -> Channel:
    channel = conversation.channel
    if channel is None or channel.removed_at is not None:
        raise ValidationError({"text": _("This conversation's channel was disconnected: connect it again to answer "
                                         "from Comptoir, or answer on the network itself.")})
    return channel


def check_reply_text(conversation: Conversation, text: str) -> str:
    """The text as it will be sent, or a ValidationError naming the problem (empty, too long for the network…)."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"text": _("Write the answer before sending it.")})
    if len(text) > MAX_REPLY:
        raise ValidationError({"text": _("An answer holds at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_REPLY, "n": len(text)}})
    channel = channel_of(conversation)
    connector = channel.connector()
    if not connector.capabilities.can(Action.REPLY):
        raise ValidationError({"text": _("%(network)s does not let Comptoir answer: answer on the network itself.") % {
            "network": type(connector).label or channel.network}})
    problems = connector.check_post(OutboundPost(text=text))
    if problems:
        raise ValidationError({"text": [str(p) for p in problems]})
    return text


def text_length(conversation: Conversation, text: str) -> tuple[int, int | None]:
    """(length as the network counts it, its limit or None): what the composer's live counter shows."""
    try:
        channel = channel_of(conversation)
    except ValidationError:
        return len(text), None
    connector = channel.connector()
    return connector.text_length(OutboundPost(text=text)), connector.capabilities.max_text_length


def _target(conversation: Conversation):
    """The message a reply answers: the member's latest (a reply to it lands in the same thread)."""
    from comptoir.stream.models import Item

    item = None
    if conversation.last_item_id:
        item = conversation.last_item
    if item is None:
        item = (Item.objects.filter(inbox_link__conversation=conversation, inbox_link__inbound=True)
                .order_by("-sort_key").first())
    if item is None:
        raise ValidationError({"text": _("This conversation has no message left to answer (they were erased).")})
    return item


def check_collision(conversation: Conversation, seen_reply_id, user) -> None:
    """Raise :class:`ReplyCollision` if someone else answered after the reply ``seen_reply_id`` the composer knew of."""
    try:
        seen = int(seen_reply_id or 0)
    except (TypeError, ValueError):
        seen = 0
    newer = (Reply.objects.filter(conversation=conversation, pk__gt=seen)
             .exclude(state__in=[Reply.State.DRAFT, Reply.State.DISCARDED, Reply.State.FAILED])
             .exclude(author=user).select_related("author").last())
    if newer is not None:
        raise ReplyCollision({"text": _("%(name)s already answered this conversation while you were writing: read their "
                                        "answer, then send yours if it is still needed.") % {
            "name": str(newer.author) if newer.author_id else _("A rule")}})


def do_send_reply(membership: Membership | None, conversation: Conversation, text: str, *, seen_reply_id=None,
                  purpose: str = Reply.Purpose.ANSWER, rule=None, force: bool = False) -> Reply:
    """Answer the member on the conversation's channel. A contributor's answer is a draft unless the workspace lets
    experts answer directly. ``seen_reply_id``: the latest reply the writer saw (collision guard; ``force`` skips it)."""
    if membership is not None:
        if conversation.workspace_id != membership.workspace_id or not can_answer(membership, conversation):
            raise PermissionDenied(_("Your role in this workspace does not allow this."))
    text = check_reply_text(conversation, text)
    if membership is not None and not force:
        check_collision(conversation, seen_reply_id, membership.user)
    target = _target(conversation)
    draft = (membership is not None and not roles.has_perm(membership.role, roles.ANSWER_INBOX)
             and not InboxSettings.of(conversation.workspace_id).experts_reply_directly)
    user = membership.user if membership is not None else None
    with transaction.atomic():
        reply = Reply.objects.create(
            workspace_id=conversation.workspace_id, conversation=conversation, in_reply_to=target,
            in_reply_to_external_id=target.external_id, text=text, purpose=purpose, author=user, rule=rule,
            state=Reply.State.DRAFT if draft else Reply.State.QUEUED, idempotency_key=uuid.uuid4().hex,
            approved_by=None if draft else user,
        )
        if draft:
            _event(conversation, "draft", i18n.gettext("%(name)s wrote a draft answer for review.") % {"name": str(user)},
                   actor=user)
            audit.record(conversation.workspace, user, "reply.draft", conversation)
            _tell_reviewers(conversation, user)
        else:
            if rule is not None:
                _event(conversation, "ack", i18n.gettext("Automatic answer queued."), rule=rule)
            audit.record(conversation.workspace, user, "reply.send", conversation)
            transaction.on_commit(lambda: send_reply.enqueue(reply.pk))
    return reply


def _tell_reviewers(conversation: Conversation, author) -> None:
    from comptoir.workspaces.notifications import notify

    wanted = [r for r in roles.Role.values if roles.has_perm(r, roles.ANSWER_INBOX)]
    users = [m.user for m in Membership.objects.filter(workspace_id=conversation.workspace_id, role__in=wanted)
             .select_related("user") if m.user_id != getattr(author, "pk", None)]
    if conversation.assignee_id and conversation.assignee_id != getattr(author, "pk", None):
        users = [u for u in users if u.pk == conversation.assignee_id] or users
    notify(conversation.workspace_id, users, "reply.draft",
           i18n.gettext("%(name)s drafted an answer to “%(subject)s”: review it and send it.") % {
               "name": str(author), "subject": conversation.subject[:80]},
           url=reverse("inbox_conversation", args=[conversation.workspace.slug, conversation.pk]),
           key=f"conversation-draft:{conversation.pk}")


def _get_draft(membership: Membership, reply: Reply) -> Reply:
    if reply.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This answer is not in this workspace."))
    if not roles.has_perm(membership.role, roles.ANSWER_INBOX):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    if reply.state != Reply.State.DRAFT:
        raise ValidationError({"text": _("This answer is no longer a draft: it was sent or discarded already.")})
    return reply


def do_approve_draft(membership: Membership, reply: Reply, text: str | None = None) -> Reply:
    """A CM sends an expert's draft, as written or edited."""
    reply = _get_draft(membership, reply)
    final = check_reply_text(reply.conversation, reply.text if text is None else text)
    with transaction.atomic():
        changed = Reply.objects.filter(pk=reply.pk, state=Reply.State.DRAFT).update(
            state=Reply.State.QUEUED, text=final, approved_by=membership.user)
        if not changed:
            raise ValidationError({"text": _("This answer is no longer a draft: it was sent or discarded already.")})
        _event(reply.conversation, "approved", i18n.gettext("%(name)s approved the draft answer.") % {
            "name": str(membership.user)}, actor=membership.user)
        audit.record(membership.workspace, membership.user, "reply.approve", reply.conversation)
        transaction.on_commit(lambda: send_reply.enqueue(reply.pk))
    reply.refresh_from_db()
    return reply


def do_discard_draft(membership: Membership, reply: Reply) -> None:
    reply = _get_draft(membership, reply)
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk, state=Reply.State.DRAFT).update(state=Reply.State.DISCARDED)
        audit.record(membership.workspace, membership.user, "reply.discard", reply.conversation)


def do_retry_reply(membership: Membership, reply: Reply) -> Reply:
    """Send a failed (or unknown) reply again, with the same key: a network that received it already does not post twice."""
    if reply.workspace_id != membership.workspace_id or not can_answer(membership, reply.conversation):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    with transaction.atomic():
        changed = (Reply.objects.filter(pk=reply.pk, state__in=[Reply.State.FAILED, Reply.State.UNKNOWN])
                   .update(state=Reply.State.QUEUED, attempts=0, claimed_at=None))
        if not changed:
            raise ValidationError({"text": _("Only a failed answer, or one whose outcome is unknown, can be sent again.")})
        audit.record(membership.workspace, membership.user, "reply.retry", reply.conversation)
        transaction.on_commit(lambda: send_reply.enqueue(reply.pk))
    reply.refresh_from_db()
    return reply


def do_mark_reply_sent(membership: Membership, reply: Reply) -> Reply:
    """The team looked on the network: a reply whose outcome was unknown did go out."""
    if reply.workspace_id != membership.workspace_id or not can_answer(membership, reply.conversation):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    with transaction.atomic():
        if not Reply.objects.filter(pk=reply.pk, state=Reply.State.UNKNOWN).update(state=Reply.State.SENT,
                                                                                 sent_at=timezone.now()):
            raise ValidationError({"text": _("Only an answer whose outcome is unknown can be marked as sent.")})
        _answered(reply.conversation_id, timezone.now())
        audit.record(membership.workspace, membership.user, "reply.mark_sent", reply.conversation)
    reply.refresh_from_db()
    return reply


# Sending ------------------------------------------------------------------------------------------------


def _answered(conversation_id: int, at) -> None:
    Conversation.objects.filter(pk=conversation_id).update(waiting_since=None, reply_due_at=None, last_replied_at=at,
                                                           unread=False)
    Conversation.objects.filter(pk=conversation_id, first_replied_at__isnull=True).update(first_replied_at=at)


@task(queue_name="deliver")
def send_reply(reply_id: int) -> str:
    """Send one queued reply. Idempotent: a reply that is not queued (sent, being sent elsewhere) is left alone."""
    now = timezone.now()
    claimed = Reply.objects.filter(pk=reply_id, state=Reply.State.QUEUED).update(
        state=Reply.State.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return "skipped"
    reply = Reply.objects.select_related("conversation__channel", "conversation__workspace").get(pk=reply_id)
    conversation = reply.conversation
    try:
        channel = channel_of(conversation)
        connector = channel.connector()
        ref = connector.reply(reply.in_reply_to_external_id, reply.text, reply.idempotency_key)
    except ValidationError as exc:
        return _failed(reply, exc.messages[0] if exc.messages else str(exc))
    except OutcomeUnknown as exc:
        return _unknown(reply, exc)
    except ConnectorError as exc:
        if exc.retryable and reply.attempts < MAX_TRIES:
            delay = exc.retry_after or 30 * 2 ** (reply.attempts - 1)
            code, params = exc.code, exc.params
            Reply.objects.filter(pk=reply.pk, state=Reply.State.SENDING).update(
                state=Reply.State.QUEUED, error_code=code, error_params=params)
            _requeue(reply.pk, delay)
            return "retry"
        return _failed(reply, exc)
    except Exception as exc:  # a connector bug must not leave the reply "sending" forever
        logger.exception("reply %s: unexpected error", reply.pk)
        return _unknown(reply, i18n.gettext("Unexpected error while sending: %(error)s") % {"error": str(exc)[:200]})
    _save_credentials(channel, connector)
    with transaction.atomic():
        at = timezone.now()
        Reply.objects.filter(pk=reply.pk).update(state=Reply.State.SENT, remote_id=ref.external_id[:500],
                                                 remote_url=(ref.url or "")[:2000], sent_at=at, error_code="", error_params={})
        # Only an answer ends the member's wait: an automatic acknowledgment ("we received your message") does not
        # count as the first reply of a response-time target, nor does the satisfaction question after closing.
        if reply.purpose in (Reply.Purpose.ANSWER, Reply.Purpose.FEEDBACK):
            _answered(conversation.pk, at)
    return "sent"


def _requeue(reply_id: int, delay: float) -> None:
    run_after = timezone.now() + timedelta(seconds=min(float(delay), 3600))
    try:
        send_reply.using(run_after=run_after).enqueue(reply_id)
    except Exception:  # a backend without run_after: the clock's sweep sends it again
        logger.warning("reply %s: could not schedule the retry; the clock will", reply_id)


def _save_credentials(channel: Channel, connector) -> None:
    fresh = connector.updated_credentials()
    if fresh is not None:
        channel.credentials = fresh
        Channel.objects.filter(pk=channel.pk).update(credentials_encrypted=channel.credentials_encrypted)


def _failed(reply: Reply, error) -> str:
    with transaction.atomic():
        stored = Reply.objects.get(pk=reply.pk)
        stored.state = Reply.State.FAILED
        stored.error = error.message if isinstance(error, ConnectorError) else error
        stored.save(update_fields=["state", "error_code", "error_params"])
        _alarm(reply, i18n.gettext("An answer to “%(subject)s” could not be sent: %(error)s") % {
            "subject": reply.conversation.subject[:80], "error": error})
    return "failed"


def _unknown(reply: Reply, error) -> str:
    with transaction.atomic():
        stored = Reply.objects.get(pk=reply.pk)
        stored.state = Reply.State.UNKNOWN
        stored.error = error.message if isinstance(error, ConnectorError) else error
        stored.save(update_fields=["state", "error_code", "error_params"])
        _alarm(reply, i18n.gettext("An answer to “%(subject)s” may or may not have gone out: look on the network before "
                                   "sending it again.") % {"subject": reply.conversation.subject[:80]})
    return "unknown"


def _alarm(reply: Reply, message) -> None:
    from comptoir.workspaces.notifications import notify

    users = [u for u in [reply.author, reply.approved_by] if u is not None]
    if not users:
        wanted = [r for r in roles.Role.values if roles.has_perm(r, roles.MANAGE_INBOX)]
        users = [m.user for m in Membership.objects.filter(workspace_id=reply.workspace_id, role__in=wanted).select_related("user")]
    notify(reply.workspace_id, users, "reply.failed", message, is_alarm=True,
           url=reverse("inbox_conversation", args=[reply.conversation.workspace.slug, reply.conversation_id]),
           key=f"reply:{reply.pk}")


def lost_replies(now=None) -> list[int]:
    """Queued replies whose task never ran (older than a minute, unclaimed or with a stale claim), and replies left
    "sending" by a worker that died (their outcome is unknown: never sent blindly again)."""
    now = now or timezone.now()
    stale = Reply.objects.filter(state=Reply.State.SENDING, claimed_at__lt=now - LEASE)
    for reply in stale.select_related("conversation"):
        _unknown(reply, i18n.gettext("The sending was interrupted (the worker stopped): the answer may or may not have "
                                     "gone out."))
    from comptoir.clock import claims

    due = (Reply.objects.filter(state=Reply.State.QUEUED, created_at__lt=now - timedelta(minutes=1))
           .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(minutes=1))))
    # Compare-and-set on claimed_at: with several clocks, one wins each reply.
    return claims.claim_due(due, "claimed_at", lambda r: {"claimed_at": now}, limit=200)


audit.sentences({
    "reply.send": lambda e, n: _("%(actor)s answered the conversation “%(object)s”.") % n,
    "reply.draft": lambda e, n: _("%(actor)s drafted an answer to the conversation “%(object)s”.") % n,
    "reply.approve": lambda e, n: _("%(actor)s approved a draft answer to the conversation “%(object)s”.") % n,
    "reply.discard": lambda e, n: _("%(actor)s discarded a draft answer to the conversation “%(object)s”.") % n,
    "reply.retry": lambda e, n: _("%(actor)s sent again an answer to the conversation “%(object)s”.") % n,
    "reply.mark_sent": lambda e, n: _("%(actor)s marked an answer to the conversation “%(object)s” as sent.") % n,
})
