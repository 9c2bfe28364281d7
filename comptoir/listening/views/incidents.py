"""Listening screens: crisis mode, the playbook and incidents (URL patterns gathered by ``listening/urls.py``)."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import incidents, stats
from ..alerts import alert_title
from ..models import Alert, Incident, IncidentItem, IncidentStep, PlaybookStep, Topic
from ._watch import as_id, flash, form_errors

ITEMS_SHOWN = 50
MAX_PASTED = 200


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PlaybookStep.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, widget=forms.TextInput(
        attrs={"placeholder": gettext_lazy("e.g. Call the head of communication")}))
    detail = forms.CharField(label=gettext_lazy("Detail"), required=False, max_length=5000, widget=forms.Textarea(
        attrs={"rows": 4}), help_text=gettext_lazy("A phone number, the text of a holding statement, how to do it."))

    def step_data(self) -> incidents.StepData:
        return incidents.StepData(**{k: self.cleaned_data[k] for k in ("kind", "title", "detail")})


class IncidentForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=Incident.Severity.choices,
                                 initial=Incident.Severity.SERIOUS)
    topic = forms.TypedChoiceField(label=gettext_lazy("Topic whose mentions are collected"), required=False, coerce=int,
                                   empty_value=None, help_text=gettext_lazy(
                                       "Its new mentions join the incident by themselves; you can add others by hand."))
    collect_since = forms.DateTimeField(label=gettext_lazy("Collect the mentions published since"), required=False,
                                        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                        help_text=gettext_lazy("Empty: from the start of the alert, or the last 24 hours."))

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", "—")] + [(str(t.pk), t.name) for t in topics]
        self.fields["topic"].error_messages["invalid_choice"] = _("Choose a topic from the list.")
        self.fields["collect_since"].error_messages["invalid"] = _("Enter a date and time, e.g. 2026-03-31 14:00.")
        self.topics = {t.pk: t for t in topics}


class RetrospectiveForm(forms.Form):
    summary = forms.CharField(label=gettext_lazy("What happened"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}),
                              help_text=gettext_lazy("The facts in a few lines: what set it off, how it spread, how it ended."))
    lessons = forms.CharField(label=gettext_lazy("What we learned"), required=False, max_length=20000,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=gettext_lazy("What worked, what to change in the playbook, who to warn earlier."))


def _can_manage(membership) -> bool:
    return roles.has_perm(membership.role, roles.MANAGE_LISTENING)


def _get_incident(membership, incident_id) -> Incident:
    return get_object_or_404(Incident.objects.select_related("topic", "alert", "opened_by", "closed_by"), pk=incident_id,
                             workspace=membership.workspace)


# The playbook. ------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def playbook(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    form = StepForm(request.POST or None, initial={"kind": PlaybookStep.Kind.ACTION})
    if request.method == "POST":
        if not _can_manage(membership):
            raise PermissionDenied(_("Your role in this workspace does not allow this."))
        if form.is_valid():
            try:
                step = incidents.do_add_playbook_step(membership, form.step_data())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Step “%(title)s” added to the playbook.") % {"title": step.title})
                return redirect("listening_playbook", slug=slug)
    steps = list(PlaybookStep.objects.filter(workspace=membership.workspace))
    return render(request, "listening/playbook.html", {"steps": steps, "form": form, "can_manage": _can_manage(membership)},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def playbook_step(request, slug, step_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    step = get_object_or_404(PlaybookStep, pk=step_id, workspace=membership.workspace)
    form = StepForm(request.POST or None, initial={"kind": step.kind, "title": step.title, "detail": step.detail})
    if request.method == "POST" and form.is_valid():
        try:
            incidents.do_update_playbook_step(membership, step, form.step_data())
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Step saved."))
            return redirect("listening_playbook", slug=slug)
    return render(request, "listening/playbook_step.html", {"form": form, "step": step},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def playbook_step_action(request, slug, step_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    step = get_object_or_404(PlaybookStep, pk=step_id, workspace=membership.workspace)
    action = request.POST.get("action", "")
    if action in ("up", "down"):
        incidents.do_move_playbook_step(membership, step, action)
    elif action == "delete":
        incidents.do_delete_playbook_step(membership, step)
        messages.success(request, _("Step “%(title)s” removed from the playbook; incidents that followed it keep it.")
                         % {"title": step.title})
    else:
        messages.error(request, _("Unknown action."))
    return redirect("listening_playbook", slug=slug)


# Incidents. ---------------------------------------------------------------------------------------------

@login_required
def incident_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    rows = (Incident.objects.filter(workspace=membership.workspace).select_related("topic", "opened_by")
            .annotate(n_items=Count("incident_items", distinct=True),
                      n_steps=Count("steps", distinct=True),
                      n_done=Count("steps", filter=Q(steps__done_at__isnull=False), distinct=True)))
    return render(request, "listening/incidents.html", {
        "open": [i for i in rows if i.status == Incident.Status.OPEN],
        "closed": [i for i in rows if i.status == Incident.Status.CLOSED][:50],
        "playbook_size": PlaybookStep.objects.filter(workspace=membership.workspace).count(),
        "can_manage": _can_manage(membership),
    })


@login_required
@require_http_methods(["GET", "POST"])
def incident_add(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    topics = list(Topic.objects.filter(workspace=membership.workspace, archived_at__isnull=True))
    alert_id = as_id(request.POST.get("alert") or request.GET.get("alert"))
    alert = None
    if alert_id is not None:
        alert = get_object_or_404(Alert.objects.select_related("topic"), pk=alert_id, workspace=membership.workspace)
        if alert.topic_id and alert.topic not in topics:
            topics.append(alert.topic)
    initial = {"severity": Incident.Severity.SERIOUS}
    if alert is not None:
        initial |= {"title": alert_title(alert)[:200], "topic": alert.topic_id}
    form = IncidentForm(request.POST or None, initial=initial, topics=topics)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = incidents.do_open_incident(membership, incidents.IncidentData(
                title=data["title"], severity=data["severity"], topic=form.topics.get(data.get("topic")), alert=alert,
                collect_since=data.get("collect_since")))
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Incident opened: follow the checklist, the mentions gather below."))
            return redirect("listening_incident", slug=slug, incident_id=incident.pk)
    return render(request, "listening/incident_add.html", {
        "form": form, "alert": alert, "playbook_size": PlaybookStep.objects.filter(workspace=membership.workspace).count(),
    }, status=400 if request.method == "POST" else 200)


def _figures(incident, tz) -> dict:
    return {"figures": stats.incident_figures(incident, tz), "series": stats.incident_series(incident, tz)}


def _chart(series: dict) -> dict:
    others = [n - neg for n, neg in zip(series["counts"], series.get("negatives", []), strict=True)]
    return {"labels": series["labels"], "others": others, "negatives": series.get("negatives", []),
            "negative_share": series["negative_share"],
            "names": {"others": _("Other mentions"), "negatives": _("Negative mentions"),
                      "share": _("Negative share (%)")}}


@login_required
def incident_detail(request, slug, incident_id):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    incident = _get_incident(membership, incident_id)
    # The signal collects as mentions arrive; at display, what it may have missed (an incident opened on older ones).
    incidents.collect(incident)
    tz = request.user.time_zone
    data = _figures(incident, tz)
    links = IncidentItem.objects.filter(incident=incident)
    items = [link.item for link in links.select_related("item__author", "item__source").order_by("-item__published_at")[:ITEMS_SHOWN]]
    steps = list(incident.steps.select_related("done_by"))
    return render(request, "listening/incident.html", {
        "incident": incident, **data, "chart_data": _chart(data["series"]), "items": items,
        "item_count": data["figures"]["total"], "steps": steps,
        "statements": [s for s in steps if s.kind == PlaybookStep.Kind.STATEMENT],
        "steps_done": sum(1 for s in steps if s.done_at), "can_manage": _can_manage(membership),
        "alert_title": alert_title(incident.alert) if incident.alert_id else "",
    })


@login_required
@require_POST
def incident_step(request, slug, incident_id, step_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    incident = _get_incident(membership, incident_id)
    step = get_object_or_404(IncidentStep, pk=step_id, incident=incident)
    try:
        incidents.do_set_step_done(membership, incident, step, request.POST.get("done") == "1",
                                   request.POST.get("note", "")[:6000])
    except ValidationError as exc:
        flash(request, exc)
    return redirect(f"{incident_url(slug, incident)}#step-{step.pk}")


def incident_url(slug: str, incident: Incident) -> str:
    from django.urls import reverse

    return reverse("listening_incident", args=[slug, incident.pk])


ITEM_REF = re.compile(r"(?:item=|items/)(\d{1,19})|^(\d{1,19})$")


def pasted_ids(text: str) -> list[int]:
    """Message ids from what a person pastes: ids, or links to messages of the Fil (…?item=123, …/items/123/)."""
    ids = []
    for part in re.split(r"[\s,;]+", text or ""):
        match = ITEM_REF.search(part)
        if match:
            value = as_id(match.group(1) or match.group(2))
            if value is not None:
                ids.append(value)
    return ids


@login_required
@require_POST
def incident_items(request, slug, incident_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    incident = _get_incident(membership, incident_id)
    ids = pasted_ids(request.POST.get("items", "")[:20000])[:MAX_PASTED + 1]
    try:
        if not ids:
            raise ValidationError(_("Paste the links of the messages (from the stream) or their numbers."))
        added = incidents.do_add_to_incident(membership, incident, ids)
    except ValidationError as exc:
        flash(request, exc)
    except PermissionDenied:
        messages.error(request, _("Some of these messages are not in this workspace."))
    else:
        messages.success(request, ngettext("%(count)s message added to the incident.",
                                           "%(count)s messages added to the incident.", added) % {"count": added})
    return redirect(incident_url(slug, incident))


@login_required
@require_http_methods(["GET", "POST"])
def incident_close(request, slug, incident_id):
    """Close with the retrospective; on a closed incident, the same page edits the retrospective."""
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    incident = _get_incident(membership, incident_id)
    form = RetrospectiveForm(request.POST or None, initial={"summary": incident.summary, "lessons": incident.lessons})
    if request.method == "POST" and form.is_valid():
        closing = incident.status == Incident.Status.OPEN
        try:
            action = incidents.do_close_incident if closing else incidents.do_edit_retrospective
            action(membership, incident, form.cleaned_data["summary"], form.cleaned_data["lessons"])
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Incident closed. Its retrospective report is ready to print or share.")
                             if closing else _("Retrospective saved."))
            return redirect("listening_incident_report", slug=slug, incident_id=incident.pk)
    steps = incident.steps.all()
    return render(request, "listening/incident_close.html", {
        "incident": incident, "form": form, "open_steps": [s for s in steps if not s.done_at],
    }, status=400 if request.method == "POST" else 200)


@login_required
def incident_report(request, slug, incident_id):
    """The retrospective report: printable (the print stylesheet leaves the app's frame out)."""
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    incident = _get_incident(membership, incident_id)
    tz = request.user.time_zone
    data = _figures(incident, tz)
    steps = list(incident.steps.select_related("done_by"))
    timeline = [(incident.opened_at, _("Incident opened by %(name)s") % {
        "name": incident.opened_by.display_name if incident.opened_by else _("Comptoir")})]
    if incident.alert_id:
        timeline.append((incident.alert.started_at, _("Alert: %(title)s") % {"title": alert_title(incident.alert)}))
    figures = data["figures"]
    if figures["first"]:
        timeline.append((figures["first"], _("First mention")))
    if figures["peak_hour"]:
        timeline.append((figures["peak_hour"], ngettext("Peak hour: %(count)s mention", "Peak hour: %(count)s mentions",
                                                         figures["peak_count"]) % {"count": figures["peak_count"]}))
    if figures["last"]:
        timeline.append((figures["last"], _("Last mention")))
    for s in steps:
        if s.done_at:
            timeline.append((s.done_at, _("Done: %(title)s (%(name)s)") % {
                "title": s.title, "name": s.done_by.display_name if s.done_by else "—"}))
    if incident.closed_at:
        timeline.append((incident.closed_at, _("Incident closed by %(name)s") % {
            "name": incident.closed_by.display_name if incident.closed_by else "—"}))
    timeline.sort(key=lambda row: row[0])
    return render(request, "listening/incident_report.html", {
        "incident": incident, **data, "chart_data": _chart(data["series"]), "steps": steps, "timeline": timeline,
        "steps_done": sum(1 for s in steps if s.done_at),
    })


urlpatterns: list = [
    path("w/<slug:slug>/listening/playbook/", playbook, name="listening_playbook"),
    path("w/<slug:slug>/listening/playbook/<int:step_id>/", playbook_step, name="listening_playbook_step"),
    path("w/<slug:slug>/listening/playbook/<int:step_id>/act/", playbook_step_action, name="listening_playbook_step_action"),
    path("w/<slug:slug>/listening/incidents/", incident_list, name="listening_incidents"),
    path("w/<slug:slug>/listening/incidents/add/", incident_add, name="listening_incident_add"),
    path("w/<slug:slug>/listening/incidents/<int:incident_id>/", incident_detail, name="listening_incident"),
    path("w/<slug:slug>/listening/incidents/<int:incident_id>/steps/<int:step_id>/", incident_step,
         name="listening_incident_step"),
    path("w/<slug:slug>/listening/incidents/<int:incident_id>/items/", incident_items, name="listening_incident_items"),
    path("w/<slug:slug>/listening/incidents/<int:incident_id>/close/", incident_close, name="listening_incident_close"),
    path("w/<slug:slug>/listening/incidents/<int:incident_id>/report/", incident_report, name="listening_incident_report"),
]
