"""Response-time targets: "first answer within N business minutes", per team and/or intent, and what happens when one
is missed.

When a member starts waiting (``messages_arrived`` with ``waiting_since`` set and no ``reply_due_at`` yet), the most
specific target applies — team and intent > team > intent > the workspace's default (a target with neither) — and
``reply_due_at`` is ``waiting_since`` plus N minutes of the team's business time (:func:`teams.hours_of`: without a
team, Monday to Friday 9–18 in the workspace's time zone). No target: no due date. Answering clears it (``replies``,
``threading`` for an answer written on the network, closing).

The clock claims the conversations whose due date passed (``breached_at`` is the compare-and-set), and a task escalates
each once (``escalated_at``): a timeline line, a notification to the assignee (or the team, or the managers), and the
rules whose trigger is a missed target.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.clock import claims
from comptoir.lib import businesshours, i18n
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from . import actions, routing, teams
from .models import Conversation, ResponseTarget, RoutingRule

MAX_MINUTES = 60 * 24 * 30  # a month of business time: beyond that it is not a response-time target
MAX_TARGETS = 200


def _check_managed(membership: Membership, target: ResponseTarget | None = None) -> None:
    check_perm(membership, roles.MANAGE_INBOX)
    if target is not None and target.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This target is not in this workspace."))


def check_target(workspace, data: dict, target: ResponseTarget | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    team = None
    raw = data.get("team")
    try:
        if isinstance(raw, bool | float | list | dict):
            raise ValidationError({"team": _("Choose one of this workspace's teams.")})
        team = actions.check_team(workspace.pk, raw)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    intent = str(data.get("intent") or "")
    if intent and intent not in routing.INTENTS:
        errors["intent"] = [_("Choose an intent from the list, or any.")]
    minutes = data.get("minutes")
    try:
        if isinstance(minutes, bool):
            raise ValueError
        minutes = int(str(minutes).strip())
        if not 1 <= minutes <= MAX_MINUTES:
            raise ValueError
    except (TypeError, ValueError):
        errors["minutes"] = [_("Give the target in business minutes, from 1 to %(max)s (e.g. 240 for 4 business "
                               "hours).") % {"max": MAX_MINUTES}]
    if not errors and ResponseTarget.objects.filter(workspace=workspace, team=team, intent=intent).exclude(
            pk=getattr(target, "pk", None)).exists():
        errors["intent"] = [_("There is already a target for this team and intent: change that one.")]
    if errors:
        raise ValidationError(errors)
    return {"team": team, "intent": intent, "minutes": minutes}


def do_save_target(membership: Membership, data: dict, target: ResponseTarget | None = None) -> ResponseTarget:
    _check_managed(membership, target)
    clean = check_target(membership.workspace, data, target)
    with transaction.atomic():
        if target is None and ResponseTarget.objects.filter(workspace=membership.workspace).count() >= MAX_TARGETS:
            raise ValidationError({"minutes": _("A workspace holds at most %(max)s targets.") % {"max": MAX_TARGETS}})
        before = {"team": target.team_id, "intent": target.intent, "minutes": target.minutes} if target else None
        target = target or ResponseTarget(workspace=membership.workspace)
        for name, value in clean.items():
            setattr(target, name, value)
        try:
            with transaction.atomic():
                target.save()
        except IntegrityError:
            raise ValidationError({"intent": _("There is already a target for this team and intent: change that "
                                               "one.")}) from None
        audit.record(membership.workspace, membership.user,
                     "response_target.create" if before is None else "response_target.update", target,
                     object_repr=describe(target), before=before,
                     after={"team": target.team_id, "intent": target.intent, "minutes": target.minutes})
    return target


def do_delete_target(membership: Membership, target: ResponseTarget) -> None:
    _check_managed(membership, target)
    with transaction.atomic():
        audit.record(membership.workspace, membership.user, "response_target.delete", target,
                     object_repr=describe(target), before={"minutes": target.minutes})
        target.delete()


def describe(target: ResponseTarget) -> str:
    from comptoir.stream.actions import LABEL_NAMES

    team = target.team.name if target.team_id else _("Any team")
    intent = str(LABEL_NAMES.get(target.intent, target.intent)) if target.intent else _("Any intent")
    return f"{team} · {intent}"


def target_for(conversation: Conversation) -> ResponseTarget | None:
    """The most specific target: team and intent, team, intent, then the default (neither)."""
    intent = conversation.intent or ""
    rows = ResponseTarget.objects.filter(workspace_id=conversation.workspace_id, intent__in={intent, ""}).filter(
        Q(team__isnull=True) | Q(team_id=conversation.team_id))
    found = {(t.team_id, t.intent): t for t in rows}
    for key in ((conversation.team_id, intent), (conversation.team_id, ""), (None, intent), (None, "")):
        if key in found:
            return found[key]
    return None


def due_at(conversation: Conversation, since: datetime) -> datetime | None:
    target = target_for(conversation)
    if target is None:
        return None
    clock = teams.hours_of(conversation.workspace, conversation.team)
    try:
        return businesshours.add_business_minutes(since, target.minutes, clock.hours, clock.time_zone, clock.holidays)
    except ValueError:  # hours that never come: no due date rather than a broken ingestion
        return None


def messages_arrived(sender, conversation_ids: list[int], **kwargs) -> None:
    """Members started waiting: give each new wait its due date (a new wait clears the last one's breach)."""
    waiting = (Conversation.objects.filter(pk__in=conversation_ids, waiting_since__isnull=False,
                                           reply_due_at__isnull=True)
               .exclude(status=Conversation.Status.CLOSED).select_related("workspace", "team"))
    for conversation in waiting:
        due = due_at(conversation, conversation.waiting_since)
        if due is not None:
            Conversation.objects.filter(pk=conversation.pk, reply_due_at__isnull=True).update(
                reply_due_at=due, breached_at=None, escalated_at=None)


def timer(conversation: Conversation, now: datetime | None = None) -> dict:
    """What a conversation's timer shows: ``due_at``, ``remaining_minutes`` (business minutes, negative once late;
    None without a due date) and ``breached``."""
    now = now or timezone.now()
    due = conversation.reply_due_at
    if due is None or conversation.waiting_since is None:
        return {"due_at": None, "remaining_minutes": None, "breached": False}
    clock = teams.hours_of(conversation.workspace, conversation.team if conversation.team_id else None)
    try:
        remaining = businesshours.business_minutes_between(now, due, clock.hours, clock.time_zone, clock.holidays)
    except ValueError:
        remaining = (due - now).total_seconds() / 60
    return {"due_at": due, "remaining_minutes": int(remaining // 1) if remaining >= 0 else -int(-remaining // 1),
            "breached": conversation.breached_at is not None or due <= now}


# Breaches -------------------------------------------------------------------------------------------------


STALE_ESCALATION = timedelta(minutes=5)


def claim_breaches(now: datetime | None = None) -> list[int]:
    """Mark the conversations whose first answer is late (compare-and-set on ``breached_at``) and enqueue their
    escalation; re-enqueue escalations whose task was lost."""
    now = now or timezone.now()
    due = Conversation.objects.filter(reply_due_at__lte=now, breached_at__isnull=True, waiting_since__isnull=False)
    won = claims.claim_due(due, "breached_at", lambda c: {"breached_at": now}, limit=200)
    lost = list(Conversation.objects.filter(breached_at__lt=now - STALE_ESCALATION, escalated_at__isnull=True,
                                            waiting_since__isnull=False, reply_due_at__isnull=False)
                .values_list("pk", flat=True)[:200])
    for pk in [*won, *lost]:
        transaction.on_commit(lambda pk=pk: escalate.enqueue(pk))
    return won


@claims.register("inbox_breaches")
def _claim() -> list[int]:
    return claim_breaches()


@task(queue_name="default")
def escalate(conversation_id: int) -> str:
    """Escalate a missed target once: ``escalated_at`` is the compare-and-set, so a second run changes nothing."""
    with transaction.atomic():
        now = timezone.now()
        if not Conversation.objects.filter(pk=conversation_id, breached_at__isnull=False, escalated_at__isnull=True,
                                           waiting_since__isnull=False).update(escalated_at=now):
            return "skipped"
        conversation = Conversation.objects.select_related("workspace", "team", "assignee").get(pk=conversation_id)
        actions._event(conversation, "breached", i18n.gettext("The first answer was due %(due)s and has not been sent.")
                       % {"due": conversation.reply_due_at.isoformat(timespec="minutes")})
        _tell(conversation)
        try:
            with transaction.atomic():
                routing.run_rules(conversation, RoutingRule.Trigger.BREACH)
        except Exception:
            routing.logger.exception("escalation rules of conversation %s failed", conversation_id)
    return "escalated"


def _tell(conversation: Conversation) -> None:
    from django.urls import reverse

    from comptoir.workspaces.notifications import notify

    if conversation.assignee_id:
        users = [conversation.assignee]
    elif conversation.team_id:
        users = [link.user for link in conversation.team.team_members.select_related("user")]
    else:
        users = []
    if not users:
        wanted = [r for r in roles.Role.values if roles.has_perm(r, roles.MANAGE_INBOX)]
        users = [m.user for m in Membership.objects.filter(workspace_id=conversation.workspace_id, role__in=wanted)
                 .select_related("user")]
    notify(conversation.workspace_id, users, "conversation.breached",
           i18n.gettext("The answer to “%(subject)s” is late: the response-time target was missed.") % {
               "subject": conversation.subject[:80]},
           url=reverse("inbox_conversation", args=[conversation.workspace.slug, conversation.pk]),
           key=f"conversation-breached:{conversation.pk}", is_alarm=True)


audit.GROUPS["response_target"] = gettext_lazy("Response-time targets")
audit.sentences({
    "response_target.create": lambda e, n: _("%(actor)s set a response-time target (%(object)s).") % n,
    "response_target.update": lambda e, n: _("%(actor)s changed a response-time target (%(object)s).") % n,
    "response_target.delete": lambda e, n: _("%(actor)s removed a response-time target (%(object)s).") % n,
})
