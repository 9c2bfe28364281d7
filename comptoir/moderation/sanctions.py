"""Sanctions: the workspace's ladder, the step proposed from a person's history, carrying a sanction out on the
networks, the member's message, and the end of a sanction (expiry, lift, reduction).

The proposal rule (``propose``). A person's sanctions (all their identities; lifted ones do not count: an appeal
found them undeserved) are read in the order they started. Each raises the person's *level* to its own step's rank
(1 = the ladder's first step). A *clean period* is ``probation_days`` days without a new sanction after the last one
ended (a reminder or a warning ends when it is given; an active sanction without an end never ends): each whole
clean period lowers the level by one, down to 0. The proposal is the step after the level, the top step at most.
So with the default ladder and 90 days of probation: a warning (level 2) → a mute is proposed; 100 days later without
anything new → level 1 → a warning again; 200 days → level 0 → a reminder.

Carrying out. A sanction applies to the person on every channel of the workspace on the network of each of their
identities. What each kind does per network (``ACTIONS``): a mute mutes on Mastodon and silences on Discourse; a
suspension and a ban block on Mastodon; Matrix kicks for a suspension and bans for a ban; Discourse suspends for a
ban. What a network cannot do is listed "to do by hand". Network calls happen outside the database transaction;
each one leaves a ``SanctionExecution`` (done, manual, failed with its reason). Reminders and warnings are only the
member's message.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from comptoir.clock import claims
from comptoir.connectors.base import Action, ConnectorError
from comptoir.lib.i18n import code_and_params
from comptoir.lib.i18n import gettext as stored_
from comptoir.members.models import Identity, Person
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Channel, Membership

from .models import Case, CharterVersion, LadderStep, ModerationSettings, Sanction, SanctionExecution

logger = logging.getLogger(__name__)
Kind = LadderStep.Kind
MAX_REASON = 2000
MAX_LABEL = 80
MAX_HOURS = 24 * 365 * 10
MAX_STEPS = 12
MAX_PROBATION_DAYS = 3650
MAX_APPEAL_DAYS = 365

# (kind, duration in hours or None, label msgid) — the ladder a workspace starts with.
DEFAULT_LADDER = [
    (Kind.REMINDER, None, gettext_noop("Reminder of the charter")),
    (Kind.WARNING, None, gettext_noop("Warning")),
    (Kind.MUTE, 24, gettext_noop("24-hour mute")),
    (Kind.SUSPENSION, 24 * 7, gettext_noop("7-day suspension")),
    (Kind.BAN, None, gettext_noop("Ban")),
]

# What a kind does on each network: the execution's action name, and the connector call (None: by hand).
ACTIONS: dict[str, dict[str, tuple[str, Action | str | None]]] = {
    Kind.MUTE: {"mastodon": ("mute", Action.MUTE), "discourse": ("silence", Action.MUTE), "matrix": ("mute", None),
                "bluesky": ("mute", None)},
    Kind.SUSPENSION: {"mastodon": ("block", Action.BLOCK), "matrix": ("kick", "kick"),
                      "discourse": ("suspend", None), "bluesky": ("block", None)},
    Kind.BAN: {"mastodon": ("block", Action.BLOCK), "matrix": ("ban", Action.BAN), "discourse": ("suspend", Action.BAN),
               "bluesky": ("block", None)},
}
ACTION_LABELS = {"mute": gettext_lazy("mute"), "silence": gettext_lazy("silence"), "block": gettext_lazy("block"),
                 "kick": gettext_lazy("remove from the rooms"), "ban": gettext_lazy("ban"),
                 "suspend": gettext_lazy("suspend")}
# Kinds with no action on the networks: the message is the sanction.
MESSAGE_ONLY = {Kind.REMINDER, Kind.WARNING}


def hash_token(raw: str) -> str:
    return hashlib.sha256(str(raw).encode("utf-8", "replace")).hexdigest()


def appeal_url(raw_token: str) -> str:
    return settings.BASE_URL + reverse("moderation_appeal_page", args=[raw_token])


# The ladder ----------------------------------------------------------------------------------------------------


def ladder(workspace) -> list[LadderStep]:
    """The workspace's steps in order; the default ladder is created the first time it is read."""
    steps = list(LadderStep.objects.filter(workspace=workspace).order_by("position"))
    if steps:
        return steps
    with transaction.atomic(), translation.override(workspace.language or settings.LANGUAGE_CODE):
        if not LadderStep.objects.select_for_update().filter(workspace=workspace).exists():
            for position, (kind, hours, label) in enumerate(DEFAULT_LADDER, start=1):
                LadderStep.objects.get_or_create(workspace=workspace, position=position,
                                                 defaults={"kind": kind, "duration_hours": hours, "label": _(label)})
    return list(LadderStep.objects.filter(workspace=workspace).order_by("position"))


@dataclass
class StepData:
    kind: str
    label: str
    duration_hours: int | None


def check_step(kind, label, duration_hours) -> StepData:
    """A step as typed: a known kind, a name, a duration in hours for mutes and suspensions (none for the others)."""
    errors: dict[str, list[str]] = {}
    kind = str(kind or "").strip()
    if kind not in Kind.values:
        errors["kind"] = [_("Choose what the step does: reminder, warning, mute, suspension or ban.")]
    label = " ".join(str(label or "").split())
    if not label:
        errors["label"] = [_("Give the step a name the team and the member will read, e.g. “24-hour mute”.")]
    elif len(label) > MAX_LABEL:
        errors["label"] = [_("A step's name holds at most %(max)s characters.") % {"max": MAX_LABEL}]
    raw = str(duration_hours if duration_hours is not None else "").strip()
    hours: int | None = None
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_HOURS:
            errors["duration_hours"] = [_("The duration is a whole number of hours from 1 to %(max)s (ten years), "
                                          "or empty for no end.") % {"max": MAX_HOURS}]
        else:
            hours = int(raw)
    if kind in MESSAGE_ONLY and hours:
        errors["duration_hours"] = [_("A reminder or a warning has no duration: leave it empty.")]
    if kind in (Kind.MUTE, Kind.SUSPENSION) and not hours and "duration_hours" not in errors:
        errors["duration_hours"] = [_("A mute or a suspension ends: give its duration in hours (24 for a day).")]
    if errors:
        raise ValidationError(errors)
    return StepData(kind, label, hours)


def _renumber(workspace) -> None:
    steps = list(LadderStep.objects.select_for_update().filter(workspace=workspace).order_by("position", "pk"))
    top = (max((s.position for s in steps), default=0)) + len(steps) + 1
    for offset, step in enumerate(steps):  # out of the way first: positions are unique
        LadderStep.objects.filter(pk=step.pk).update(position=top + offset)
    for position, step in enumerate(steps, start=1):
        LadderStep.objects.filter(pk=step.pk).update(position=position)


def do_add_step(membership: Membership, kind, label, duration_hours) -> LadderStep:
    check_perm(membership, roles.MANAGE_MODERATION)
    data = check_step(kind, label, duration_hours)
    workspace = membership.workspace
    ladder(workspace)
    with transaction.atomic():
        existing = LadderStep.objects.select_for_update().filter(workspace=workspace)
        if existing.count() >= MAX_STEPS:
            raise ValidationError({"kind": [_("A ladder holds at most %(max)s steps.") % {"max": MAX_STEPS}]})
        position = (existing.aggregate(m=Max("position"))["m"] or 0) + 1
        step = LadderStep.objects.create(workspace=workspace, position=position, kind=data.kind, label=data.label,
                                         duration_hours=data.duration_hours)
        audit.record(workspace, membership.user, "ladder.add_step", step,
                     after=audit.snapshot(step, ["position", "kind", "label", "duration_hours"]))
    return step


def do_update_step(membership: Membership, step: LadderStep, kind, label, duration_hours) -> LadderStep:
    check_perm(membership, roles.MANAGE_MODERATION)
    data = check_step(kind, label, duration_hours)
    fields = ["kind", "label", "duration_hours"]
    with transaction.atomic():
        before = audit.snapshot(step, fields)
        step.kind, step.label, step.duration_hours = data.kind, data.label, data.duration_hours
        step.save(update_fields=fields)
        audit.record(step.workspace, membership.user, "ladder.update_step", step, before=before,
                     after=audit.snapshot(step, fields))
    return step


def do_delete_step(membership: Membership, step: LadderStep) -> None:
    """Remove a step; sanctions given at that step keep their kind, level and name."""
    check_perm(membership, roles.MANAGE_MODERATION)
    workspace = step.workspace
    with transaction.atomic():
        if LadderStep.objects.filter(workspace=workspace).count() <= 1:
            raise ValidationError({"step": [_("The ladder needs at least one step.")]})
        audit.record(workspace, membership.user, "ladder.delete_step", step,
                     before=audit.snapshot(step, ["position", "kind", "label", "duration_hours"]))
        step.delete()
        _renumber(workspace)


def do_move_step(membership: Membership, step: LadderStep, direction: str) -> None:
    """Move a step one rung up (earlier) or down (later)."""
    check_perm(membership, roles.MANAGE_MODERATION)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move a step up or down.")]})
    workspace = step.workspace
    with transaction.atomic():
        steps = list(LadderStep.objects.select_for_update().filter(workspace=workspace).order_by("position"))
        index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(steps):
            return
        steps[index], steps[other] = steps[other], steps[index]
        top = max(s.position for s in steps) + len(steps) + 1
        for offset, s in enumerate(steps):
            LadderStep.objects.filter(pk=s.pk).update(position=top + offset)
        for position, s in enumerate(steps, start=1):
            LadderStep.objects.filter(pk=s.pk).update(position=position)
        audit.record(workspace, membership.user, "ladder.move_step", step,
                     before={"position": index + 1}, after={"position": other + 1})


def check_settings(probation_days, appeal_days) -> tuple[int, int]:
    errors: dict[str, list[str]] = {}
    values = []
    for name, raw, top, message in (
        ("probation_days", probation_days, MAX_PROBATION_DAYS,
         _("The probation is a whole number of days from 1 to %(max)s.")),
        ("appeal_days", appeal_days, MAX_APPEAL_DAYS,
         _("The time to appeal is a whole number of days from 1 to %(max)s.")),
    ):
        text = str(raw if raw is not None else "").strip()
        if not text.isdigit() or not 1 <= int(text) <= top:
            errors[name] = [message % {"max": top}]
            values.append(0)
        else:
            values.append(int(text))
    if errors:
        raise ValidationError(errors)
    return values[0], values[1]


def do_update_settings(membership: Membership, probation_days, appeal_days) -> ModerationSettings:
    check_perm(membership, roles.MANAGE_MODERATION)
    probation, appeal = check_settings(probation_days, appeal_days)
    fields = ["probation_days", "appeal_days"]
    with transaction.atomic():
        found = ModerationSettings.objects.select_for_update().get(pk=ModerationSettings.of(membership.workspace_id).pk)
        before = audit.snapshot(found, fields)
        found.probation_days, found.appeal_days = probation, appeal
        found.save(update_fields=fields)
        audit.record(membership.workspace, membership.user, "ladder.settings", found, before=before,
                     after=audit.snapshot(found, fields), object_repr=str(_("sanctions")))
    return found


# The proposal --------------------------------------------------------------------------------------------------


def history(person_or_identity) -> list[Sanction]:
    """The sanctions of a person (all their identities), or of an identity that belongs to no person, newest first."""
    if isinstance(person_or_identity, Identity) and person_or_identity.person_id:
        person_or_identity = person_or_identity.person
    if isinstance(person_or_identity, Person):
        query = Q(person=person_or_identity) | Q(identity__person=person_or_identity)
        workspace_id = person_or_identity.workspace_id
    else:
        query = Q(identity=person_or_identity)
        workspace_id = person_or_identity.workspace_id
    return list(Sanction.objects.filter(query, workspace_id=workspace_id).select_related("identity", "decided_by")
                .prefetch_related("executions__channel", "appeals").order_by("-starts_at", "-pk"))


def current_level(sanctions: list[Sanction], probation_days: int, now: datetime | None = None) -> int:
    """The person's level now (0: clean), by the rule in the module's docstring."""
    now = now or timezone.now()
    probation = timedelta(days=max(1, probation_days))

    def clean_periods(since: datetime | None, until: datetime) -> int:
        if since is None or until <= since:
            return 0
        return int((until - since) / probation)

    level, last_end = 0, None
    for s in sorted((s for s in sanctions if s.status != Sanction.Status.LIFTED), key=lambda s: (s.starts_at, s.pk)):
        level = max(0, level - clean_periods(last_end, s.starts_at))
        level = max(level, s.level)
        if s.status == Sanction.Status.ACTIVE and s.ends_at is None and s.kind not in MESSAGE_ONLY:
            end = now  # a ban without an end: never clean
        else:
            end = min(s.ends_at, now) if s.ends_at else s.starts_at
        last_end = end if last_end is None else max(last_end, end)
    return max(0, level - clean_periods(last_end, now))


def propose(person_or_identity, now: datetime | None = None) -> LadderStep:
    """The next step for this person (or identity): the step after their current level, the top step at most."""
    workspace = person_or_identity.workspace
    steps = ladder(workspace)
    level = current_level(history(person_or_identity), ModerationSettings.of(workspace.pk).probation_days, now)
    return steps[min(level, len(steps) - 1)]


# Sanctioning ---------------------------------------------------------------------------------------------------


def published_charter(workspace_id: int) -> CharterVersion | None:
    return (CharterVersion.objects.filter(workspace_id=workspace_id, published_at__isnull=False)
            .order_by("-number").first())


def article_title(article: dict, language: str) -> str:
    return str(article.get(f"title_{language}") or article.get("title_fr") or article.get("title_en") or "")


def check_articles(workspace_id: int, articles) -> tuple[list[int], CharterVersion | None]:
    """Article numbers as ints, each in the published charter; at least one when a charter is published."""
    charter = published_charter(workspace_id)
    if isinstance(articles, str | int):
        articles = [articles]
    numbers: list[int] = []
    for raw in list(articles or [])[:50]:
        text = str(raw).strip()
        if not text.isdigit() or len(text) > 6:
            raise ValidationError({"articles": [_("“%(value)s” is not an article number.") % {"value": text[:40]}]})
        if int(text) not in numbers:
            numbers.append(int(text))
    if charter is None:
        if numbers:
            raise ValidationError({"articles": [_("No charter is published: publish it before citing its articles.")]})
        return [], None
    known = {int(a.get("number")) for a in charter.articles if str(a.get("number", "")).isdigit()}
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise ValidationError({"articles": [_("The charter v%(version)s has no article %(numbers)s.") % {
            "version": charter.number, "numbers": ", ".join(map(str, unknown))}]})
    if not numbers:
        raise ValidationError({"articles": [_("Cite at least one article of the charter the member did not respect.")]})
    return sorted(numbers), charter


def check_reason(reason, *, required: bool = False, field: str = "reason") -> str:
    text = str(reason or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_REASON:
        raise ValidationError({field: [_("The reason holds at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_REASON, "n": len(text)}]})
    if required and not text:
        raise ValidationError({field: [_("Write the reason of the decision: the member and the team will read it.")]})
    return text


def identities_of(sanction: Sanction) -> list[Identity]:
    """Every identity of the sanctioned person in the workspace (the one identity when it belongs to no person)."""
    if sanction.person_id:
        return list(Identity.objects.filter(person_id=sanction.person_id, workspace_id=sanction.workspace_id)
                    .order_by("pk"))
    return [sanction.identity] if sanction.identity_id else []


@dataclass
class Planned:
    identity: Identity
    channel: Channel
    action: str
    call: Action | str | None


def plan(kind: str, workspace_id: int, identities: list[Identity]) -> list[Planned]:
    """Each (identity × channel of the workspace on that identity's network) the kind acts on."""
    per_network = ACTIONS.get(kind, {})
    planned = []
    channels = list(Channel.objects.connected().filter(workspace_id=workspace_id, network__in=list(per_network))
                    .order_by("pk"))
    for identity in identities:
        for channel in channels:
            if channel.network == identity.network:
                action, call = per_network[channel.network]
                planned.append(Planned(identity, channel, action, call))
    return planned


def _target(identity: Identity) -> str:
    return identity.external_id or identity.handle


def _carry_out(planned: Planned, reason: str) -> tuple[str, str, dict]:
    """One network call (outside any transaction): (state, error code, error params)."""
    if planned.call is None:
        return SanctionExecution.State.MANUAL, *code_and_params(
            stored_("%(network)s cannot do this through Comptoir: do it by hand.") % {"network": planned.channel.network_label})
    try:
        connector = planned.channel.connector()
        if planned.call == "kick":
            kick = getattr(connector, "kick", None)
            if kick is None:
                return SanctionExecution.State.MANUAL, "", {}
            kick(_target(planned.identity), reason)
        elif not connector.capabilities.can(planned.call):
            return SanctionExecution.State.MANUAL, *code_and_params(
                stored_("%(network)s cannot do this through Comptoir: do it by hand.") % {
                    "network": planned.channel.network_label})
        else:
            connector.moderate(planned.call, _target(planned.identity), reason)
    except ConnectorError as exc:
        return SanctionExecution.State.FAILED, *code_and_params(exc.args[0] if exc.args else str(exc))
    except Exception as exc:  # noqa: BLE001 - a connector's surprise is recorded, never a 500 for the moderator
        logger.exception("sanction execution failed")
        return SanctionExecution.State.FAILED, *code_and_params(str(exc)[:500] or exc.__class__.__name__)
    return SanctionExecution.State.DONE, "", {}


def _undo(execution: SanctionExecution) -> tuple[str, str, dict]:
    """Undo one execution on its network: (state, error code, params). What cannot be undone stays "by hand"."""
    if execution.state != SanctionExecution.State.DONE:
        if execution.state == SanctionExecution.State.MANUAL:
            return SanctionExecution.State.MANUAL, *code_and_params(stored_("To undo by hand, if it was done."))
        return SanctionExecution.State.UNDONE, "", {}
    channel, identity = execution.channel, execution.identity
    if channel is None or identity is None or channel.removed_at:
        return SanctionExecution.State.MANUAL, *code_and_params(stored_("To undo by hand: the channel is gone."))
    calls = {"mute": Action.MUTE, "block": Action.BLOCK}
    try:
        connector = channel.connector()
        undo = getattr(connector, "unmoderate", None)
        if undo is None or execution.action not in calls:
            return SanctionExecution.State.MANUAL, *code_and_params(
                stored_("%(network)s cannot undo this through Comptoir: undo it by hand.") % {
                    "network": channel.network_label})
        undo(calls[execution.action], _target(identity))
    except ConnectorError as exc:
        return SanctionExecution.State.MANUAL, *code_and_params(exc.args[0] if exc.args else str(exc))
    except Exception as exc:  # noqa: BLE001
        logger.exception("sanction undo failed")
        return SanctionExecution.State.MANUAL, *code_and_params(str(exc)[:500] or exc.__class__.__name__)
    return SanctionExecution.State.UNDONE, "", {}


def _message_language(sanction: Sanction) -> str:
    case = sanction.case
    channel = case.channel if case else None
    item = case.item if case else None
    return ((item.language if item else "") or (channel.language if channel else "")
            or sanction.workspace.language or settings.LANGUAGE_CODE)[:2]


def _articles_text(sanction: Sanction, language: str) -> list[str]:
    charter = sanction.charter_version
    if not sanction.articles or charter is None:
        return []
    titles = {int(a["number"]): article_title(a, language) for a in charter.articles if str(a.get("number", "")).isdigit()}
    return [_("Article %(number)s — %(title)s") % {"number": n, "title": titles.get(n, "")} if titles.get(n)
            else _("Article %(number)s") % {"number": n} for n in sanction.articles]


def member_message(sanction: Sanction, raw_token: str) -> str:
    """What the member reads: the step, why, the articles cited, how long, and how to appeal."""
    language = _message_language(sanction)
    appeal_days = ModerationSettings.of(sanction.workspace_id).appeal_days
    with translation.override(language):
        lines = [_("Hello, the moderators of %(workspace)s applied a sanction to you: %(step)s.") % {
            "workspace": sanction.workspace.name, "step": sanction.label}]
        if sanction.ends_at:
            lines.append(_("It ends on %(date)s (UTC).") % {"date": sanction.ends_at.strftime("%Y-%m-%d %H:%M")})
        articles = _articles_text(sanction, language)
        if articles:
            lines.append(_("Charter: %(articles)s.") % {"articles": "; ".join(articles)})
        if sanction.reason:
            lines.append(_("Reason: %(reason)s") % {"reason": sanction.reason})
        lines.append(_("You may appeal within %(days)s days: %(url)s") % {"days": appeal_days, "url": appeal_url(raw_token)})
    return "\n".join(lines)


def send_to_member(sanction: Sanction, text: str, key: str) -> str:
    """Tell the member (a reply on the channel of the case's message, or an e-mail): sent, failed or manual.
    Outside any transaction."""
    case = sanction.case
    item = case.item if case else None
    channel = (item.channel if item else None) or (case.channel if case else None)
    identity = sanction.identity
    try:
        if item is not None and channel is not None and not channel.removed_at:
            connector = channel.connector()
            if connector.capabilities.can(Action.REPLY):
                connector.reply(item.external_id, text, key)
                return "sent"
        if identity is not None and identity.network == "email" and "@" in identity.handle:
            from django.core.mail import EmailMessage, mailers

            with translation.override(_message_language(sanction)):
                subject = _("[%(workspace)s] A message from the moderators") % {"workspace": sanction.workspace.name}
            mailers.default.send_messages([EmailMessage(subject, text, None, [identity.handle])])
            return "sent"
    except ConnectorError:
        logger.info("member message failed for sanction %s", sanction.pk)
        return "failed"
    except Exception:  # noqa: BLE001
        logger.exception("member message failed for sanction %s", sanction.pk)
        return "failed"
    return "manual"


def _get_identity(membership: Membership, identity) -> Identity:
    if not isinstance(identity, Identity):
        identity = Identity.objects.filter(pk=identity).first() if str(identity).isdigit() else None
    if identity is None or identity.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This member is not in this workspace."))
    return identity


def do_sanction(membership: Membership, *, identity, step, articles, reason, case: Case | None = None) -> Sanction:
    """Apply a step of the ladder to the identity's person, carry it out on the networks, and tell the member.

    Refused (``PermissionDenied``), with nothing applied, when the identity, the step or the case belongs to another
    workspace. Articles of the published charter must be cited (at least one) when there is one.
    """
    check_perm(membership, roles.MODERATE)
    identity = _get_identity(membership, identity)
    workspace = membership.workspace
    if not isinstance(step, LadderStep):
        step = LadderStep.objects.filter(pk=step, workspace=workspace).first() if str(step).isdigit() else None
        if step is None:
            raise ValidationError({"step": [_("Choose a step of the ladder.")]})
    if step.workspace_id != workspace.pk:
        raise PermissionDenied(_("This step is not in this workspace's ladder."))
    if case is not None and case.workspace_id != workspace.pk:
        raise PermissionDenied(_("This case is not in this workspace."))
    numbers, charter = check_articles(workspace.pk, articles)
    reason = check_reason(reason)
    steps = ladder(workspace)
    level = next((i for i, s in enumerate(steps, start=1) if s.pk == step.pk), step.position)
    raw_token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        sanction = Sanction.objects.create(
            workspace=workspace, person_id=identity.person_id, identity=identity, case=case, step=step, kind=step.kind,
            level=level, label=step.label, articles=numbers, charter_version=charter, reason=reason, starts_at=now,
            ends_at=now + timedelta(hours=step.duration_hours) if step.duration_hours else None,
            decided_by=membership.user, appeal_token_hash=hash_token(raw_token))
        if case is not None and case.status == Case.Status.OPEN:
            case.status, case.decided_by, case.decided_at = Case.Status.DECIDED, membership.user, now
            case.decision = Case.Decision.WARNED if step.kind in MESSAGE_ONLY else Case.Decision.SANCTIONED
            case.articles = numbers
            case.save(update_fields=["status", "decided_by", "decided_at", "decision", "articles"])
        audit.record(workspace, membership.user, "sanction.apply", sanction, object_repr=_who(identity),
                     after={"step": step.label, "kind": step.kind, "articles": numbers, "reason": reason[:200],
                            "ends_at": sanction.ends_at.isoformat() if sanction.ends_at else None})
    planned = [] if step.kind in MESSAGE_ONLY else plan(step.kind, workspace.pk, identities_of(sanction))
    results = [(p, _carry_out(p, reason)) for p in planned]
    sanction.message = member_message(sanction, raw_token)
    sanction.message_state = send_to_member(sanction, sanction.message, f"comptoir-sanction-{sanction.pk}")
    with transaction.atomic():
        for p, (state, code, params) in results:
            SanctionExecution.objects.create(
                sanction=sanction, identity=p.identity, channel=p.channel, action=p.action, state=state,
                error_code=code, error_params=params, done_at=timezone.now() if state == "done" else None,
                done_by=membership.user if state == "done" else None)
        Sanction.objects.filter(pk=sanction.pk).update(message=sanction.message, message_state=sanction.message_state)
    sanction.raw_appeal_token = raw_token  # shown nowhere; tests and the API caller may need the link once
    return sanction


def _who(identity: Identity | None) -> str:
    if identity is None:
        return "—"
    name = identity.person.display_name if identity.person_id else (identity.display_name or identity.handle)
    return name[:200]


def undo_on_networks(sanction: Sanction) -> list[SanctionExecution]:
    """Undo what the sanction did on the networks (outside any transaction); executions become undone (or stay "by
    hand" with the reason). Returns the executions changed."""
    changed = []
    for execution in sanction.executions.select_related("channel", "identity").exclude(state="undone"):
        state, code, params = _undo(execution)
        SanctionExecution.objects.filter(pk=execution.pk).update(state=state, error_code=code, error_params=params)
        changed.append(execution)
    return changed


def do_lift(membership: Membership, sanction: Sanction, reason, *, via_appeal: bool = False) -> Sanction:
    """End an active sanction before its time: undo it on the networks, keep the reason."""
    check_perm(membership, roles.MODERATE)
    if sanction.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This sanction is not in this workspace."))
    reason = check_reason(reason, required=True)
    with transaction.atomic():
        won = Sanction.objects.filter(pk=sanction.pk, status=Sanction.Status.ACTIVE).update(
            status=Sanction.Status.LIFTED, lifted_at=timezone.now(), lifted_by=membership.user, lift_reason=reason)
        if not won:
            raise ValidationError({"reason": [_("This sanction is no longer active.")]})
        if not via_appeal:
            audit.record(membership.workspace, membership.user, "sanction.lift", sanction,
                         object_repr=_who(sanction.identity), after={"reason": reason[:200]})
    sanction.refresh_from_db()
    undo_on_networks(sanction)
    return sanction


# Expiry --------------------------------------------------------------------------------------------------------


@claims.register("moderation_sanction_expiry")
def claim_expired() -> list[int]:
    """Active sanctions past their end become expired; a task undoes them on the networks."""
    due = Sanction.objects.filter(status=Sanction.Status.ACTIVE, ends_at__isnull=False, ends_at__lte=timezone.now())
    won = claims.claim_due(due, "status", lambda s: {"status": Sanction.Status.EXPIRED}, limit=100)
    for pk in won:
        transaction.on_commit(lambda pk=pk: end_sanction.enqueue(pk))
    return won


@task(queue_name="default")
def end_sanction(sanction_id: int) -> str:
    """Undo an expired sanction on the networks. Idempotent: undone executions are not touched again."""
    sanction = Sanction.objects.select_related("workspace").filter(pk=sanction_id).first()
    if sanction is None or sanction.status == Sanction.Status.ACTIVE:
        return "skipped"
    if not sanction.executions.exclude(state="undone").exists():
        return "skipped"
    undo_on_networks(sanction)
    with transaction.atomic():
        audit.record(sanction.workspace, None, "sanction.expire", sanction, object_repr=_who(sanction.identity),
                     after={"step": sanction.label})
    return "undone"


def _kind_label(value: str) -> str:
    return str(Kind(value).label) if value in Kind.values else value


audit.sentences({
    "ladder.add_step": lambda e, n: _("%(actor)s added the step “%(object)s” to the sanctions ladder.") % n,
    "ladder.update_step": lambda e, n: _("%(actor)s changed the step “%(object)s” of the sanctions ladder.") % n,
    "ladder.delete_step": lambda e, n: _("%(actor)s removed the step “%(object)s” from the sanctions ladder.") % n,
    "ladder.move_step": lambda e, n: _("%(actor)s moved the step “%(object)s” of the sanctions ladder to rung %(to)s.") % {
        **n, "to": e.after["position"]},
    "ladder.settings": lambda e, n: _("%(actor)s changed the probation and the time to appeal of sanctions.") % n,
    "sanction.apply": lambda e, n: _("%(actor)s applied “%(step)s” to %(object)s.") % {**n, "step": e.after["step"]},
    "sanction.lift": lambda e, n: _("%(actor)s lifted the sanction of %(object)s.") % n,
    "sanction.expire": lambda e, n: _("The sanction “%(step)s” of %(object)s ended.") % {**n, "step": e.after["step"]},
})
