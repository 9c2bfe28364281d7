"""Crisis mode: the workspace's playbook, incidents that follow it, collect their mentions and end with a retrospective."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.lib.sanitize import clean_text
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from .actions import check_managed
from .models import Alert, Incident, IncidentItem, IncidentStep, Mention, PlaybookStep, Topic

MAX_STEPS = 50
MAX_COLLECT = 5000  # messages collected in one pass; the rest come at the next
DEFAULT_LOOKBACK = timedelta(hours=24)


def _text(value, limit: int) -> str:
    return clean_text(str(value or ""), max_length=limit + 1).strip()


# The playbook. ------------------------------------------------------------------------------------------

@dataclass
class StepData:
    kind: str
    title: str
    detail: str = ""


def check_step(membership: Membership, data: StepData) -> StepData:
    check_perm(membership, roles.MANAGE_LISTENING)
    errors = {}
    if data.kind not in PlaybookStep.Kind.values:
        errors["kind"] = _("Choose who to call, a holding statement or an action.")
    title = " ".join(_text(data.title, 200).split())
    if not title:
        errors["title"] = _("Give the step a title, e.g. “Call the head of communication”.")
    elif len(title) > 200:
        errors["title"] = _("A title has at most %(max)d characters.") % {"max": 200}
    detail = _text(data.detail, 5000)
    if len(detail) > 5000:
        errors["detail"] = _("The detail has at most %(max)d characters.") % {"max": 5000}
    if errors:
        raise ValidationError(errors)
    return StepData(data.kind, title, detail)


@transaction.atomic
def do_add_playbook_step(membership: Membership, data: StepData) -> PlaybookStep:
    data = check_step(membership, data)
    steps = PlaybookStep.objects.filter(workspace_id=membership.workspace_id)
    if steps.count() >= MAX_STEPS:
        raise ValidationError({"title": _("The playbook has %(max)d steps already.") % {"max": MAX_STEPS}})
    position = (steps.aggregate(m=Max("position"))["m"] or 0) + 1
    step = PlaybookStep.objects.create(workspace=membership.workspace, position=position, kind=data.kind,
                                       title=data.title, detail=data.detail)
    audit.record(membership.workspace, membership.user, "playbook.add", step, after={"kind": step.kind})
    return step


@transaction.atomic
def do_update_playbook_step(membership: Membership, step: PlaybookStep, data: StepData) -> PlaybookStep:
    check_managed(membership, step)
    data = check_step(membership, data)
    before = audit.snapshot(step, ["kind", "title", "detail"])
    step.kind, step.title, step.detail = data.kind, data.title, data.detail
    step.save(update_fields=["kind", "title", "detail"])
    audit.record(membership.workspace, membership.user, "playbook.update", step, before=before,
                 after=audit.snapshot(step, ["kind", "title", "detail"]))
    return step


@transaction.atomic
def do_delete_playbook_step(membership: Membership, step: PlaybookStep) -> None:
    """Remove a step from the playbook; incidents that copied it keep their copy."""
    check_managed(membership, step)
    audit.record(membership.workspace, membership.user, "playbook.delete", step,
                 before=audit.snapshot(step, ["kind", "title", "detail"]))
    step.delete()


@transaction.atomic
def do_move_playbook_step(membership: Membership, step: PlaybookStep, direction: str) -> bool:
    check_managed(membership, step)
    steps = list(PlaybookStep.objects.select_for_update().filter(workspace_id=membership.workspace_id))
    index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
    other = index - 1 if direction == "up" else index + 1 if direction == "down" else -1
    if not 0 <= other < len(steps):
        return False
    steps[index], steps[other] = steps[other], steps[index]
    for position, s in enumerate(steps, start=1):
        if s.position != position:
            s.position = position
            s.save(update_fields=["position"])
    audit.record(membership.workspace, membership.user, "playbook.move", step, after={"position": other + 1})
    return True


# Incidents. ---------------------------------------------------------------------------------------------

@dataclass
class IncidentData:
    title: str
    severity: str = Incident.Severity.SERIOUS
    topic: Topic | None = None
    alert: Alert | None = None
    collect_since: datetime | None = None


def check_incident(membership: Membership, data: IncidentData) -> IncidentData:
    check_perm(membership, roles.MANAGE_LISTENING)
    for obj in (data.topic, data.alert):
        if obj is not None and obj.workspace_id != membership.workspace_id:
            raise PermissionDenied
    errors = {}
    title = " ".join(_text(data.title, 200).split())
    if not title:
        errors["title"] = _("Give the incident a title, e.g. “Bad buzz about the delivery delays”.")
    elif len(title) > 200:
        errors["title"] = _("A title has at most %(max)d characters.") % {"max": 200}
    if data.severity not in Incident.Severity.values:
        errors["severity"] = _("Choose a severity.")
    now = timezone.now()
    if data.collect_since is not None and not now - timedelta(days=90) <= data.collect_since <= now:
        errors["collect_since"] = _("Choose a moment within the last 90 days.")
    if data.alert is not None and Incident.objects.filter(alert=data.alert, status=Incident.Status.OPEN).exists():
        errors["alert"] = _("An incident is already open for this alert.")
    if errors:
        raise ValidationError(errors)
    data.title = title
    return data


@transaction.atomic
def do_open_incident(membership: Membership, data: IncidentData) -> Incident:
    """Open an incident (from an alert or from scratch): the playbook is copied, the mentions collected."""
    data = check_incident(membership, data)
    now = timezone.now()
    alert = data.alert
    topic = data.topic or (alert.topic if alert is not None else None)
    since = data.collect_since or (alert.started_at if alert is not None else now - DEFAULT_LOOKBACK)
    incident = Incident.objects.create(
        workspace=membership.workspace, title=data.title, severity=data.severity, alert=alert, topic=topic,
        collect_since=since, opened_at=now, opened_by=membership.user)
    IncidentStep.objects.bulk_create([
        IncidentStep(incident=incident, position=s.position, kind=s.kind, title=s.title, detail=s.detail)
        for s in PlaybookStep.objects.filter(workspace_id=membership.workspace_id)])
    if alert is not None:
        IncidentItem.objects.bulk_create([IncidentItem(incident=incident, item_id=i, added_at=now)
                                          for i in alert.items.values_list("pk", flat=True)], ignore_conflicts=True)
    audit.record(membership.workspace, membership.user, "incident.open", incident,
                 after={"severity": incident.severity, "alert": getattr(alert, "pk", None), "topic": getattr(topic, "pk", None)})
    if alert is not None and alert.status == Alert.Status.OPEN:
        from .alerts import do_acknowledge_alert

        do_acknowledge_alert(membership, alert)
    collect(incident)
    return incident


def collect(incident: Incident, mention_ids: list[int] | None = None) -> int:
    """Add to an open incident the mentions of its topic published since ``collect_since``. Idempotent."""
    if incident.status != Incident.Status.OPEN or incident.topic_id is None:
        return 0
    mentions = Mention.objects.filter(topic_id=incident.topic_id, published_at__gte=incident.collect_since or incident.opened_at)
    if mention_ids is not None:
        mentions = mentions.filter(pk__in=mention_ids)
    mentions = mentions.exclude(item__in=IncidentItem.objects.filter(incident=incident).values("item"))
    ids = list(mentions.order_by("published_at").values_list("item_id", flat=True)[:MAX_COLLECT])
    created = IncidentItem.objects.bulk_create([IncidentItem(incident=incident, item_id=i) for i in dict.fromkeys(ids)],
                                               ignore_conflicts=True)
    return len(created)


def collect_new_mentions(workspace_id: int, mention_ids: list[int]) -> int:
    """New mentions arrived: the open incidents of their topics take them."""
    topics = set(Mention.objects.filter(pk__in=mention_ids).values_list("topic_id", flat=True))
    collected = 0
    for incident in Incident.objects.filter(workspace_id=workspace_id, status=Incident.Status.OPEN, topic_id__in=topics):
        collected += collect(incident, mention_ids)
    return collected


def _check_incident_open(membership: Membership, incident: Incident) -> None:
    check_managed(membership, incident)
    if incident.status != Incident.Status.OPEN:
        raise ValidationError(_("This incident is closed."))


@transaction.atomic
def do_add_to_incident(membership: Membership, incident: Incident, item_ids) -> int:
    """Add messages to an incident by hand. Returns how many were not in it yet."""
    from comptoir.stream.actions import check_items

    _check_incident_open(membership, incident)
    ids = check_items(membership, item_ids)
    already = set(IncidentItem.objects.filter(incident=incident, item_id__in=ids).values_list("item_id", flat=True))
    fresh = [i for i in ids if i not in already]
    IncidentItem.objects.bulk_create([IncidentItem(incident=incident, item_id=i, added_by=membership.user) for i in fresh],
                                     ignore_conflicts=True)
    if fresh:
        audit.record(membership.workspace, membership.user, "incident.add_items", incident,
                     after={"count": len(fresh), "items": fresh[:50]})
    return len(fresh)


@transaction.atomic
def do_set_step_done(membership: Membership, incident: Incident, step: IncidentStep, done: bool, note: str = "") -> None:
    """Tick (or untick) a step of an incident's checklist: who and when are kept, with a note."""
    _check_incident_open(membership, incident)
    if step.incident_id != incident.pk:
        raise PermissionDenied
    note = _text(note, 5000)
    if len(note) > 5000:
        raise ValidationError({"note": _("A note has at most %(max)d characters.") % {"max": 5000}})
    step.done_at, step.done_by = (timezone.now(), membership.user) if done else (None, None)
    step.note = note
    step.save(update_fields=["done_at", "done_by", "note"])
    audit.record(membership.workspace, membership.user, "incident.step_done" if done else "incident.step_undone", incident,
                 after={"step": step.title, "note": note[:200]})


def check_retrospective(summary: str, lessons: str) -> tuple[str, str]:
    summary, lessons = _text(summary, 20000), _text(lessons, 20000)
    errors = {}
    if not summary:
        errors["summary"] = _("Say in a few lines what happened: the retrospective starts there.")
    elif len(summary) > 20000:
        errors["summary"] = _("At most %(max)d characters.") % {"max": 20000}
    if len(lessons) > 20000:
        errors["lessons"] = _("At most %(max)d characters.") % {"max": 20000}
    if errors:
        raise ValidationError(errors)
    return summary, lessons


@transaction.atomic
def do_close_incident(membership: Membership, incident: Incident, summary: str, lessons: str) -> None:
    """Close the incident with its retrospective (what happened, what we learned)."""
    _check_incident_open(membership, incident)
    summary, lessons = check_retrospective(summary, lessons)
    collect(incident)
    incident.status, incident.closed_at, incident.closed_by = Incident.Status.CLOSED, timezone.now(), membership.user
    incident.summary, incident.lessons = summary, lessons
    incident.save(update_fields=["status", "closed_at", "closed_by", "summary", "lessons"])
    done = incident.steps.filter(done_at__isnull=False).count()
    audit.record(membership.workspace, membership.user, "incident.close", incident,
                 after={"messages": incident.incident_items.count(), "steps_done": done, "steps": incident.steps.count()})


@transaction.atomic
def do_edit_retrospective(membership: Membership, incident: Incident, summary: str, lessons: str) -> None:
    check_managed(membership, incident)
    if incident.status != Incident.Status.CLOSED:
        raise ValidationError(_("Close the incident first: the retrospective is written at the end."))
    summary, lessons = check_retrospective(summary, lessons)
    before = audit.snapshot(incident, ["summary", "lessons"])
    incident.summary, incident.lessons = summary, lessons
    incident.save(update_fields=["summary", "lessons"])
    audit.record(membership.workspace, membership.user, "incident.retrospective", incident, before=before,
                 after=audit.snapshot(incident, ["summary", "lessons"]))


def _kind(value: str) -> str:
    return str(PlaybookStep.Kind(value).label) if value in PlaybookStep.Kind.values else value


audit.sentences({
    "playbook.add": lambda e, n: _("%(actor)s added the step “%(object)s” (%(kind)s) to the crisis playbook.") % {
        **n, "kind": _kind((e.after or {}).get("kind", ""))},
    "playbook.update": lambda e, n: _("%(actor)s changed the playbook step “%(object)s”.") % n,
    "playbook.delete": lambda e, n: _("%(actor)s removed the step “%(object)s” from the crisis playbook.") % n,
    "playbook.move": lambda e, n: _("%(actor)s moved the playbook step “%(object)s” to position %(position)s.") % {
        **n, "position": (e.after or {}).get("position", "?")},
    "incident.open": lambda e, n: _("%(actor)s opened the incident “%(object)s”.") % n,
    "incident.add_items": lambda e, n: ngettext(
        "%(actor)s added %(count)s message to the incident “%(object)s”.",
        "%(actor)s added %(count)s messages to the incident “%(object)s”.",
        (e.after or {}).get("count", 0)) % {**n, "count": (e.after or {}).get("count", 0)},
    "incident.step_done": lambda e, n: _("%(actor)s ticked “%(step)s” in the incident “%(object)s”.") % {
        **n, "step": (e.after or {}).get("step", "")},
    "incident.step_undone": lambda e, n: _("%(actor)s unticked “%(step)s” in the incident “%(object)s”.") % {
        **n, "step": (e.after or {}).get("step", "")},
    "incident.close": lambda e, n: _("%(actor)s closed the incident “%(object)s” with its retrospective "
                                     "(%(messages)s messages, %(done)s of %(steps)s steps done).") % {
        **n, "messages": (e.after or {}).get("messages", 0), "done": (e.after or {}).get("steps_done", 0),
        "steps": (e.after or {}).get("steps", 0)},
    "incident.retrospective": lambda e, n: _("%(actor)s edited the retrospective of the incident “%(object)s”.") % n,
})
