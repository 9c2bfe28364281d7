"""Appeals: a member contests a sanction through the private link of its message (``/appel/<token>/``, no account);
another moderator than the one who decided reviews it — upheld, lifted (undone on the networks) or reduced to a
lower step — with a reason the member is told on the same channel as the sanction's message."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir.lib.i18n import gettext as stored_
from comptoir.lib.ratelimit import hits_this_hour
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership
from comptoir.workspaces.notifications import notify

from . import sanctions
from .models import Appeal, LadderStep, ModerationSettings, Sanction, SanctionExecution

MAX_TEXT = 5000
MAX_POSTS_PER_HOUR = 5
Decision = Appeal.Status


class TooManyAppeals(PermissionDenied):
    pass


class SameModerator(PermissionDenied):
    pass


def find(raw_token: str) -> Sanction | None:
    raw = str(raw_token or "")
    if not raw or len(raw) > 200:
        return None
    return (Sanction.objects.select_related("workspace", "charter_version", "case__item", "identity")
            .filter(appeal_token_hash=sanctions.hash_token(raw)).first())


def closes_at(sanction: Sanction):
    return sanction.starts_at + timedelta(days=ModerationSettings.of(sanction.workspace_id).appeal_days)


def is_open(sanction: Sanction, now=None) -> bool:
    """The member may still appeal: within the time to appeal, the sanction not lifted, no appeal sent yet."""
    return ((now or timezone.now()) < closes_at(sanction) and sanction.status != Sanction.Status.LIFTED
            and not sanction.appeals.exists())


def check_text(text) -> str:
    text = str(text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"text": [_("Write why you contest this sanction.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [_("An appeal holds at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_TEXT, "n": len(text)}]})
    return text


def _throttle(sanction: Sanction) -> None:
    if hits_this_hour(f"moderation-appeal:{sanction.appeal_token_hash}") > MAX_POSTS_PER_HOUR:
        raise TooManyAppeals(_("Too many attempts from this link: try again in an hour."))


def moderators(workspace_id: int) -> list[int]:
    return [m.user_id for m in Membership.objects.filter(workspace_id=workspace_id)
            if roles.has_perm(m.role, roles.MODERATE)]


def do_appeal(sanction: Sanction, text) -> Appeal:
    """The member's appeal, from the public page. One per sanction, within the time to appeal."""
    _throttle(sanction)
    text = check_text(text)
    with transaction.atomic():
        locked = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if not is_open(locked):
            raise ValidationError({"text": [_("This sanction can no longer be appealed (already appealed, lifted, "
                                              "or past the time to appeal).")]})
        appeal = Appeal.objects.create(workspace_id=sanction.workspace_id, sanction=sanction, text=text)
        audit.record(sanction.workspace, None, "appeal.submit", appeal, object_repr=sanctions._who(sanction.identity))
        url = reverse("moderation_appeals", args=[sanction.workspace.slug])
        deciders = [u for u in moderators(sanction.workspace_id) if u != sanction.decided_by_id]
        notify(sanction.workspace_id, deciders, "moderation.appeal",
               stored_("%(who)s appealed the sanction “%(step)s”.") % {
                   "who": sanctions._who(sanction.identity), "step": sanction.label},
               url=url, key=f"appeal:{appeal.pk}")
    return appeal


def check_decision(membership: Membership, appeal: Appeal, decision, reason, step) -> tuple[str, str, LadderStep | None]:
    check_perm(membership, roles.MODERATE)
    if appeal.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This appeal is not in this workspace."))
    sanction = appeal.sanction
    if sanction.decided_by_id == membership.user_id:
        raise SameModerator(_("You decided this sanction: another moderator must review the appeal."))
    if appeal.status != Decision.PENDING:
        raise ValidationError({"decision": [_("This appeal was already decided.")]})
    decision = str(decision or "").strip()
    if decision not in (Decision.UPHELD, Decision.LIFTED, Decision.REDUCED):
        raise ValidationError({"decision": [_("Choose: uphold, lift or reduce the sanction.")]})
    reason = sanctions.check_reason(reason, required=True)
    lower = None
    if decision == Decision.REDUCED:
        if sanction.status != Sanction.Status.ACTIVE and sanction.kind not in sanctions.MESSAGE_ONLY:
            raise ValidationError({"decision": [_("This sanction has ended: uphold or lift it.")]})
        steps = sanctions.ladder(appeal.workspace)
        lower = next((s for s in steps if str(s.pk) == str(step).strip()), None) if step not in (None, "") else None
        if lower is None or steps.index(lower) + 1 >= sanction.level:
            raise ValidationError({"step": [_("Choose a step lower than “%(step)s”.") % {"step": sanction.label}]})
    if decision == Decision.LIFTED and sanction.status == Sanction.Status.LIFTED:
        raise ValidationError({"decision": [_("This sanction is already lifted.")]})
    return decision, reason, lower


def do_decide(membership: Membership, appeal: Appeal, decision, reason, *, step=None) -> Appeal:
    """Decide an appeal (another moderator than the sanction's): upheld, lifted (undone on the networks) or reduced
    to a lower step (the old step undone, the new one carried out). The member is told."""
    decision, reason, lower = check_decision(membership, appeal, decision, reason, step)
    sanction = appeal.sanction
    now = timezone.now()
    with transaction.atomic():
        if not Appeal.objects.filter(pk=appeal.pk, status=Decision.PENDING).update(
                status=decision, reviewer=membership.user, decided_at=now, reason=reason):
            raise ValidationError({"decision": [_("This appeal was already decided.")]})
        if decision == Decision.LIFTED:
            Sanction.objects.filter(pk=sanction.pk).exclude(status=Sanction.Status.LIFTED).update(
                status=Sanction.Status.LIFTED, lifted_at=now, lifted_by=membership.user, lift_reason=reason)
        elif decision == Decision.REDUCED:
            steps = sanctions.ladder(appeal.workspace)
            Sanction.objects.filter(pk=sanction.pk).update(
                step=lower, kind=lower.kind, level=steps.index(lower) + 1, label=lower.label,
                ends_at=sanction.starts_at + timedelta(hours=lower.duration_hours) if lower.duration_hours else None)
        audit.record(membership.workspace, membership.user, "appeal.decide", appeal,
                     object_repr=sanctions._who(sanction.identity),
                     after={"decision": decision, "reason": reason[:200], "step": lower.label if lower else ""})
    appeal.refresh_from_db()
    sanction.refresh_from_db()
    if decision in (Decision.LIFTED, Decision.REDUCED):
        sanctions.undo_on_networks(sanction)
    if decision == Decision.REDUCED and lower.kind not in sanctions.MESSAGE_ONLY:
        for p in sanctions.plan(lower.kind, sanction.workspace_id, sanctions.identities_of(sanction)):
            state, code, params = sanctions._carry_out(p, reason)
            SanctionExecution.objects.create(sanction=sanction, identity=p.identity, channel=p.channel, action=p.action,
                                             state=state, error_code=code, error_params=params,
                                             done_at=timezone.now() if state == "done" else None,
                                             done_by=membership.user if state == "done" else None)
    text = decision_message(appeal, sanction)
    sanctions.send_to_member(sanction, text, f"comptoir-appeal-{appeal.pk}")
    return appeal


def decision_message(appeal: Appeal, sanction: Sanction) -> str:
    with translation.override(sanctions._message_language(sanction)):
        head = {
            Decision.UPHELD: _("Hello, your appeal was reviewed by another moderator: the sanction is upheld."),
            Decision.LIFTED: _("Hello, your appeal was reviewed by another moderator: the sanction is lifted."),
            Decision.REDUCED: _("Hello, your appeal was reviewed by another moderator: the sanction is reduced to "
                                "%(step)s.") % {"step": sanction.label},
        }[appeal.status]
        return "\n".join([head, _("Reason: %(reason)s") % {"reason": appeal.reason}])


def _decision_label(value: str) -> str:
    return str(Decision(value).label) if value in Decision.values else value


audit.sentences({
    "appeal.submit": lambda e, n: _("%(object)s appealed a sanction.") % n,
    "appeal.decide": lambda e, n: _("%(actor)s reviewed the appeal of %(object)s: %(decision)s.") % {
        **n, "decision": _decision_label(e.after["decision"]).lower()},
})
