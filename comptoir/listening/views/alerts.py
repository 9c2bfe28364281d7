"""Listening screens: alerts and alert rules (URL patterns of this module are gathered by ``listening/urls.py``)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import alerts
from ..models import MAX_QUERY_LENGTH, Alert, AlertRule, Incident, Topic
from ._watch import flash, form_errors

PAGE = 50


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Spike on the brand")}))
    kind = forms.ChoiceField(label=gettext_lazy("What the rule watches"), choices=AlertRule.Kind.choices, widget=forms.RadioSelect)
    topic = forms.TypedChoiceField(label=gettext_lazy("Topic"), required=False, coerce=int, empty_value=None,
                                   help_text=gettext_lazy("Empty: every mention (or, for an author or keyword, every "
                                                          "message of the workspace)."))
    value = forms.CharField(label=gettext_lazy("Author or keyword query"), required=False, max_length=MAX_QUERY_LENGTH,
                            help_text=gettext_lazy("For a watched author: their handle, e.g. @journaliste_lyon. For a "
                                                   "watched keyword: a listening query, e.g. “rappel produit” OR intoxication."))
    sensitivity = forms.ChoiceField(label=gettext_lazy("Sensitivity"), choices=AlertRule.Sensitivity.choices,
                                    help_text=gettext_lazy("For spikes and negative surges: how unusual an hour must be, "
                                                           "compared with the same hour of the previous two weeks."))
    min_mentions = forms.IntegerField(label=gettext_lazy("At least this many mentions in the hour"), min_value=1,
                                      max_value=100_000, initial=10,
                                      help_text=gettext_lazy("Below it, a quiet topic's few mentions never ring."))
    email = forms.BooleanField(label=gettext_lazy("Also e-mail the owners and community managers"), required=False,
                               initial=True)
    enabled = forms.BooleanField(label=gettext_lazy("Switched on"), required=False, initial=True)

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("All topics"))] + [(str(t.pk), t.name) for t in topics]
        self.fields["topic"].error_messages["invalid_choice"] = _("Choose a topic from the list.")
        self.fields["min_mentions"].error_messages["invalid"] = _("Enter a whole number, e.g. 10.")
        self.topics = {t.pk: t for t in topics}

    def rule_data(self) -> alerts.RuleData:
        data = self.cleaned_data
        return alerts.RuleData(name=data["name"], kind=data["kind"], topic=self.topics.get(data.get("topic")),
                               sensitivity=data["sensitivity"], min_mentions=data["min_mentions"], value=data.get("value", ""),
                               email=data["email"], enabled=data["enabled"])


def _get_alert(membership, alert_id) -> Alert:
    return get_object_or_404(Alert.objects.select_related("topic", "rule", "acknowledged_by", "closed_by"), pk=alert_id,
                             workspace=membership.workspace)


def _get_rule(membership, rule_id) -> AlertRule:
    return get_object_or_404(AlertRule.objects.select_related("topic"), pk=rule_id, workspace=membership.workspace)


STATUSES = [("open", gettext_lazy("Open")), ("acknowledged", gettext_lazy("Acknowledged")), ("closed", gettext_lazy("Closed"))]


@login_required
def alert_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    workspace = membership.workspace
    status = request.GET.get("status", "open")
    if status not in dict(STATUSES):
        status = "open"
    counts = Alert.objects.filter(workspace=workspace).aggregate(
        **{s: Count("pk", filter=Q(status=s)) for s, _label in STATUSES})
    shown = alerts.decorate(Alert.objects.filter(workspace=workspace, status=status)
                            .select_related("topic", "acknowledged_by").order_by("-started_at")[:PAGE])
    return render(request, "listening/alerts.html", {
        "alerts": shown, "status": status, "tabs": [(s, label, counts[s]) for s, label in STATUSES],
        "rules_count": AlertRule.objects.filter(workspace=workspace).count(),
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_LISTENING),
    })


@login_required
def alert_detail(request, slug, alert_id):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    alert = alerts.decorate([_get_alert(membership, alert_id)])[0]
    items = list(alert.items.select_related("author", "source").order_by("-published_at")[:PAGE])
    return render(request, "listening/alert.html", {
        "alert": alert, "items": items, "item_count": alert.items.count(),
        "incidents": list(Incident.objects.filter(alert=alert).order_by("-opened_at")),
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_LISTENING),
    })


@login_required
@require_POST
def alert_action(request, slug, alert_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    alert = _get_alert(membership, alert_id)
    action = request.POST.get("action", "")
    done = {"acknowledge": alerts.do_acknowledge_alert, "close": alerts.do_close_alert,
            "reopen": alerts.do_reopen_alert}.get(action)
    if done is None:
        messages.error(request, _("Unknown action."))
    elif done(membership, alert):
        messages.success(request, {"acknowledge": _("Alert acknowledged: the team knows someone is on it."),
                                   "close": _("Alert closed."), "reopen": _("Alert reopened.")}[action])
    back = request.POST.get("next", "")
    if back.startswith(f"/w/{slug}/listening/") and "//" not in back:
        return redirect(back)
    return redirect("listening_alert", slug=slug, alert_id=alert.pk)


@login_required
def rule_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    rules = (AlertRule.objects.filter(workspace=membership.workspace).select_related("topic")
             .annotate(n_alerts=Count("alerts")).order_by("name"))
    return render(request, "listening/rules.html", {
        "rules": rules, "can_manage": roles.has_perm(membership.role, roles.MANAGE_LISTENING),
        "has_topics": Topic.objects.filter(workspace=membership.workspace).exists(),
    })


def _topics(membership) -> list[Topic]:
    return list(Topic.objects.filter(workspace=membership.workspace, archived_at__isnull=True))


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, slug, rule_id=None):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    rule = _get_rule(membership, rule_id) if rule_id is not None else None
    topics = _topics(membership)
    if rule is not None and rule.topic_id and rule.topic not in topics:
        topics.append(rule.topic)  # an archived topic stays choosable for the rule that has it
    initial = {}
    if rule is not None:
        initial = {"name": rule.name, "kind": rule.kind, "topic": rule.topic_id, "value": rule.value,
                   "sensitivity": rule.sensitivity, "min_mentions": rule.min_mentions, "email": rule.email,
                   "enabled": rule.enabled}
    else:
        initial = {"kind": request.GET.get("kind") if request.GET.get("kind") in AlertRule.Kind.values else "spike",
                   "sensitivity": "medium", "min_mentions": 10, "email": True, "enabled": True}
    form = RuleForm(request.POST or None, initial=initial, topics=topics)
    if request.method == "POST" and form.is_valid():
        try:
            saved = alerts.do_save_rule(membership, form.rule_data(), rule)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, (_("Alert rule “%(name)s” saved.") if rule else
                                       _("Alert rule “%(name)s” created: it is checked every few minutes.")) % {
                "name": saved.name})
            return redirect("listening_rules", slug=slug)
    return render(request, "listening/rule_form.html", {"form": form, "rule": rule},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def rule_toggle(request, slug, rule_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    rule = _get_rule(membership, rule_id)
    enable = request.POST.get("enabled") == "1"
    alerts.do_set_rule_enabled(membership, rule, enable)
    messages.success(request, (_("“%(name)s” is switched on.") if enable else _("“%(name)s” is switched off.")) % {
        "name": rule.name})
    return redirect("listening_rules", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def rule_delete(request, slug, rule_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    rule = _get_rule(membership, rule_id)
    kept = rule.alerts.count()
    if request.method == "POST":
        try:
            kept = alerts.do_delete_rule(membership, rule)
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, ngettext(
                "Alert rule “%(name)s” deleted; its %(count)s alert stays on the alerts page.",
                "Alert rule “%(name)s” deleted; its %(count)s alerts stay on the alerts page.", kept) % {
                "name": rule.name, "count": kept})
        return redirect("listening_rules", slug=slug)
    return render(request, "listening/rule_delete.html", {"rule": rule, "kept": kept})


urlpatterns: list = [
    path("w/<slug:slug>/listening/alerts/", alert_list, name="listening_alerts"),
    path("w/<slug:slug>/listening/alerts/<int:alert_id>/", alert_detail, name="listening_alert"),
    path("w/<slug:slug>/listening/alerts/<int:alert_id>/act/", alert_action, name="listening_alert_action"),
    path("w/<slug:slug>/listening/alerts/rules/", rule_list, name="listening_rules"),
    path("w/<slug:slug>/listening/alerts/rules/add/", rule_edit, name="listening_rule_add"),
    path("w/<slug:slug>/listening/alerts/rules/<int:rule_id>/", rule_edit, name="listening_rule"),
    path("w/<slug:slug>/listening/alerts/rules/<int:rule_id>/toggle/", rule_toggle, name="listening_rule_toggle"),
    path("w/<slug:slug>/listening/alerts/rules/<int:rule_id>/delete/", rule_delete, name="listening_rule_delete"),
]
