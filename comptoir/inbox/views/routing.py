"""The inbox: routing screens — teams and their members, routing rules (ordered, testable on past conversations),
response-time targets. Everyone who sees the inbox reads them; owners and community managers change them."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.lib import businesshours
from comptoir.stream.actions import LABEL_NAMES
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership
from comptoir.workspaces.forms import time_zone_choices
from comptoir.workspaces.models import Channel, Membership

from .. import routing, targets, teams
from ..models import Conversation, ResponseTarget, RoutingRule, Team

MAX_ID = 2**63 - 1
COUNTRIES = ["FR", "BE", "CH", "LU", "CA", "MC", "SN", "CI", "MA", "TN", "DE", "ES", "IT", "GB", "US"]
PRESETS = [("mon-fri-9-18", gettext_lazy("Mon–Fri 9–18")),
           ("mon-fri-9-12-14-18", gettext_lazy("Mon–Fri 9–12, 14–18")),
           ("always", gettext_lazy("Round the clock"))]


def _id(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _flash(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _can_manage(membership) -> bool:
    return roles.has_perm(membership.role, roles.MANAGE_INBOX)


def _get_team(membership, team_id) -> Team:
    return get_object_or_404(Team, pk=team_id, workspace=membership.workspace)


def _get_rule(membership, rule_id) -> RoutingRule:
    return get_object_or_404(RoutingRule, pk=rule_id, workspace=membership.workspace)


# Teams ------------------------------------------------------------------------------------------------------


class TeamForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=teams.NAME_MAX,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Adhésions")}))
    description = forms.CharField(label=gettext_lazy("What the team handles"), required=False,
                                  max_length=teams.DESCRIPTION_MAX)
    email = forms.CharField(label=gettext_lazy("Team e-mail address"), required=False, max_length=254,
                            help_text=gettext_lazy("A shared address rules can notify, e.g. adhesions@asso.fr."))
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone of its working hours"), required=False)
    holidays_country = forms.ChoiceField(label=gettext_lazy("Public holidays (days off)"), required=False)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", _("The workspace's (%(zone)s)") % {"zone": workspace.time_zone}),
                                            *time_zone_choices()]
        self.fields["time_zone"].error_messages["invalid_choice"] = _("Choose a time zone from the list.")
        supported = set(businesshours_countries())
        self.fields["holidays_country"].choices = [("", _("None"))] + [(c, c) for c in COUNTRIES if c in supported] + [
            (c, c) for c in sorted(supported) if c not in COUNTRIES]
        self.fields["holidays_country"].error_messages["invalid_choice"] = _("Choose a country from the list.")


def businesshours_countries() -> list[str]:
    import holidays

    return list(holidays.list_supported_countries())


def _hours_from_post(data) -> dict:
    """The hours grid of the form (``h-<day>-<n>-start``/``-end``), as working hours; half-filled ranges are kept so
    that :func:`businesshours.check_hours` names them."""
    hours: dict[str, list[list[str]]] = {}
    for day in range(7):
        for n in range(businesshours.MAX_RANGES):
            start = str(data.get(f"h-{day}-{n}-start", "")).strip()[:10]
            end = str(data.get(f"h-{day}-{n}-end", "")).strip()[:10]
            if start or end:
                hours.setdefault(str(day), []).append([start, end])
    return hours


def _hours_grid(hours: dict) -> list[dict]:
    grid = []
    for day in range(7):
        ranges = list(hours.get(str(day)) or []) if isinstance(hours, dict) else []
        slots = [(ranges[n] if n < len(ranges) and isinstance(ranges[n], list | tuple) and len(ranges[n]) == 2
                  else ["", ""]) for n in range(businesshours.MAX_RANGES)]
        grid.append({"day": day, "name": businesshours.DAY_NAMES[day],
                     "slots": [{"n": n, "start": s, "end": e} for n, (s, e) in enumerate(slots)]})
    return grid


@login_required
def team_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_INBOX)
    rows = (Team.objects.filter(workspace=membership.workspace)
            .annotate(n_members=Count("team_members", distinct=True)).prefetch_related("members"))
    open_counts = dict(Conversation.objects.filter(workspace=membership.workspace, team__isnull=False)
                       .exclude(status=Conversation.Status.CLOSED).values_list("team").annotate(n=Count("pk")))
    shown = []
    for team in rows:
        team.n_open = open_counts.get(team.pk, 0)
        team.hours_summary = _summary(team.working_hours)
        shown.append(team)
    return render(request, "inbox/teams.html", {"teams": shown, "can_manage": _can_manage(membership), "tab": "teams"})


def _summary(hours) -> str:
    if not isinstance(hours, dict) or not any(hours.values()):
        return str(_("Round the clock"))
    days = [str(businesshours.DAY_NAMES[int(d)])[:3] for d in sorted(hours) if hours[d]]
    first = next(hours[d] for d in sorted(hours) if hours[d])
    return f"{', '.join(days)} · {', '.join(f'{a}–{b}' for a, b in first)}"


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request, slug, team_id=None):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    team = _get_team(membership, team_id) if team_id is not None else None
    initial = {"holidays_country": "FR"}
    hours = businesshours.preset("mon-fri-9-18")
    if team is not None:
        initial = {k: getattr(team, k) for k in ("name", "description", "email", "time_zone", "holidays_country")}
        hours = team.working_hours
    form = TeamForm(request.POST or None, initial=initial, workspace=membership.workspace)
    status = 200
    hour_errors: list[str] = []
    if request.method == "POST":
        hours = _hours_from_post(request.POST)
        preset = request.POST.get("preset", "")
        if preset in dict(PRESETS):
            # A preset fills the grid in, unsaved: the person reviews it and saves.
            hours = businesshours.preset(preset)
            form = TeamForm(initial={k: request.POST.get(k, "") for k in TeamForm.base_fields},
                            workspace=membership.workspace)
        elif form.is_valid():
            try:
                saved = teams.do_save_team(membership, {**form.cleaned_data, "working_hours": hours}, team)
            except ValidationError as exc:
                errors = exc.message_dict
                hour_errors = errors.pop("working_hours", [])
                for name, field_errors in errors.items():
                    form.add_error(name if name in form.fields else None, field_errors)
                status = 400
            else:
                messages.success(request, (_("Team “%(name)s” saved.") if team else
                                           _("Team “%(name)s” created: add its members below.")) % {"name": saved.name})
                return redirect("inbox_team", slug=slug, team_id=saved.pk)
        else:
            status = 400
    members = []
    candidates = []
    if team is not None:
        members = list(team.team_members.select_related("user").order_by("user__full_name", "user__email"))
        inside = {m.user_id for m in members}
        candidates = [m for m in Membership.objects.filter(workspace=membership.workspace).select_related("user")
                      .order_by("user__full_name", "user__email")
                      if m.user_id not in inside and (roles.has_perm(m.role, roles.VIEW_INBOX)
                                                      or roles.has_perm(m.role, roles.VIEW_ROUTED))]
    return render(request, "inbox/teams_form.html", {
        "form": form, "team": team, "grid": _hours_grid(hours), "presets": PRESETS,
        "hour_errors": hour_errors, "members": members, "candidates": candidates, "tab": "teams",
    }, status=status)


@login_required
@require_POST
def team_member_add(request, slug, team_id):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    team = _get_team(membership, team_id)
    try:
        link = teams.do_add_member(membership, team, request.POST.get("user"))
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("%(name)s is in the team %(team)s.") % {"name": str(link.user), "team": team.name})
    return redirect("inbox_team", slug=slug, team_id=team.pk)


@login_required
@require_POST
def team_member_remove(request, slug, team_id, user_id):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    team = _get_team(membership, team_id)
    if teams.do_remove_member(membership, team, user_id):
        messages.success(request, _("Removed from the team %(team)s.") % {"team": team.name})
    return redirect("inbox_team", slug=slug, team_id=team.pk)


@login_required
@require_http_methods(["GET", "POST"])
def team_delete(request, slug, team_id):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    team = _get_team(membership, team_id)
    if request.method == "POST":
        impact = teams.do_delete_team(membership, team)
        messages.success(request, ngettext(
            "Team “%(name)s” deleted; its %(count)s conversation stays in the inbox, with no team.",
            "Team “%(name)s” deleted; its %(count)s conversations stay in the inbox, with no team.",
            impact["conversations"]) % {"name": team.name, "count": impact["conversations"]})
        return redirect("inbox_teams", slug=slug)
    return render(request, "inbox/teams_delete.html", {"team": team, "impact": teams.deletion_impact(team),
                                                       "rules": teams.rules_routing_to(team), "tab": "teams"})


# Rules ------------------------------------------------------------------------------------------------------


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=routing.NAME_MAX,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy(
                               "e.g. Membership requests to the membership team")}))
    trigger = forms.ChoiceField(label=gettext_lazy("When"), choices=RoutingRule.Trigger.choices, widget=forms.RadioSelect,
                                initial=RoutingRule.Trigger.NEW)
    intents = forms.MultipleChoiceField(label=gettext_lazy("Intent is one of"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    sentiments = forms.MultipleChoiceField(label=gettext_lazy("Sentiment is one of"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    languages = forms.CharField(label=gettext_lazy("Language is one of"), required=False, max_length=200,
                                help_text=gettext_lazy("Codes separated by commas, e.g. fr, en."))
    channels = forms.MultipleChoiceField(label=gettext_lazy("Arrived on"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    segments = forms.MultipleChoiceField(label=gettext_lazy("The member is"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    query = forms.CharField(label=gettext_lazy("Keywords (listening query)"), required=False,
                            max_length=routing.querylang.MAX_LENGTH + 100,
                            widget=forms.Textarea(attrs={"rows": 2, "placeholder": "adhérer OR adhésion OR cotisation*"}),
                            help_text=gettext_lazy("Read in the conversation's first messages, as listening reads "
                                                   "mentions: AND, OR, NOT, \"exact phrase\", prefix*, NEAR/5."))
    team = forms.ChoiceField(label=gettext_lazy("Route to the team"), required=False)
    assignee = forms.ChoiceField(label=gettext_lazy("Assign to"), required=False)
    priority = forms.ChoiceField(label=gettext_lazy("Set the priority"), required=False)
    tag = forms.CharField(label=gettext_lazy("Add the tag"), required=False, max_length=200)
    ack_text = forms.CharField(label=gettext_lazy("Send this acknowledgment"), required=False,
                               max_length=routing.ACK_MAX + 100, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=gettext_lazy("Sent on the member's channel. Variables: {first_name}, {name}, "
                                                      "{agent}, {channel}."))
    notify = forms.ChoiceField(label=gettext_lazy("Notify by e-mail"), required=False)
    stop = forms.BooleanField(label=gettext_lazy("Stop here: later rules do not run when this one matches"),
                              required=False)
    enabled = forms.BooleanField(label=gettext_lazy("Switched on"), required=False, initial=True)

    CONDITIONS = ("intents", "sentiments", "languages", "channels", "segments", "query")
    ACTIONS = ("team", "assignee", "priority", "tag", "ack_text", "notify")

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intents"].choices = [(v, LABEL_NAMES.get(v, v)) for v in routing.INTENTS]
        self.fields["sentiments"].choices = [(v, LABEL_NAMES.get(v, v)) for v in routing.SENTIMENTS]
        self.fields["segments"].choices = list(routing.SEGMENTS.items())
        self.fields["channels"].choices = [(str(c.pk), c.label or c.handle) for c in Channel.objects.filter(
            workspace=workspace, removed_at__isnull=True).order_by("label")]
        self.fields["team"].choices = [("", _("No change"))] + [(str(t.pk), t.name) for t in Team.objects.filter(
            workspace=workspace)]
        people = [m for m in Membership.objects.filter(workspace=workspace).select_related("user").order_by(
            "user__full_name") if roles.has_perm(m.role, roles.VIEW_INBOX) or roles.has_perm(m.role, roles.VIEW_ROUTED)]
        self.fields["assignee"].choices = [("", _("No change"))] + [(str(m.user_id), str(m.user)) for m in people]
        self.fields["priority"].choices = [("", _("No change"))] + [(str(v), label) for v, label in
                                                                     Conversation.Priority.choices]
        self.fields["notify"].choices = [("", _("Nobody"))] + list(routing.NOTIFY.items())
        for name in ("intents", "sentiments", "channels", "segments", "team", "assignee", "priority", "notify"):
            self.fields[name].error_messages["invalid_choice"] = {
                "channels": _("Choose channels of this workspace from the list."),
                "team": _("Choose one of this workspace's teams."),
                "assignee": _("Choose a member of this workspace to assign the conversation to."),
            }.get(name, _("Choose from the list."))

    def data_for_actions(self) -> dict:
        data = dict(self.cleaned_data)
        data["languages"] = [v for v in str(data.get("languages") or "").replace(";", ",").replace(" ", ",").split(",")
                             if v]
        return data


def _rule_initial(rule: RoutingRule) -> dict:
    values = routing.flat(rule)
    values["languages"] = ", ".join(values["languages"])
    values["channels"] = [str(c) for c in values["channels"]]
    for key in ("team", "assignee", "priority"):
        values[key] = "" if values[key] is None else str(values[key])
    values["tag"] = values["tag"] or ""
    values["ack_text"] = values["ack_text"] or ""
    values["notify"] = values["notify"] or ""
    return values


@login_required
def rule_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_INBOX)
    teams_by_id = {t.pk: t.name for t in Team.objects.filter(workspace=membership.workspace)}
    groups = []
    for trigger, label in RoutingRule.Trigger.choices:
        rules = routing.ordered(membership.workspace_id, trigger)
        for rule in rules:
            rule.summary = _rule_summary(rule, teams_by_id)
            rule.everything = routing.matches_everything(rule.conditions or {})
        groups.append({"trigger": trigger, "label": label, "rules": rules})
    return render(request, "inbox/rules.html", {"groups": groups, "can_manage": _can_manage(membership),
                                                "tab": "rules"})


def _rule_summary(rule: RoutingRule, teams_by_id: dict) -> dict:
    conditions = rule.conditions if isinstance(rule.conditions, dict) else {}
    acts = rule.actions if isinstance(rule.actions, dict) else {}
    when = []
    if conditions.get("intents"):
        when.append(", ".join(str(LABEL_NAMES.get(v, v)) for v in conditions["intents"]))
    if conditions.get("sentiments"):
        when.append(", ".join(str(LABEL_NAMES.get(v, v)) for v in conditions["sentiments"]))
    if conditions.get("languages"):
        when.append(", ".join(conditions["languages"]))
    if conditions.get("segments"):
        when.append(", ".join(str(routing.SEGMENTS.get(v, v)) for v in conditions["segments"]))
    if conditions.get("channels"):
        when.append(ngettext("%(n)s channel", "%(n)s channels", len(conditions["channels"])) % {
            "n": len(conditions["channels"])})
    then = []
    if acts.get("team"):
        then.append(teams_by_id.get(acts["team"], "?"))
    if acts.get("assignee"):
        then.append(_("assign"))
    if acts.get("priority") is not None:
        then.append(str(dict(Conversation.Priority.choices).get(acts["priority"], "")))
    if acts.get("tag"):
        then.append("#" + acts["tag"])
    if acts.get("ack_text"):
        then.append(_("acknowledge"))
    if acts.get("notify"):
        then.append(_("notify"))
    return {"when": when, "query": conditions.get("query", ""), "then": then}


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, slug, routing_rule_id=None):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    rule = _get_rule(membership, routing_rule_id) if routing_rule_id is not None else None
    initial = _rule_initial(rule) if rule is not None else {
        "trigger": request.GET.get("trigger") if request.GET.get("trigger") in RoutingRule.Trigger.values else "new",
        "enabled": True}
    form = RuleForm(request.POST or None, initial=initial, workspace=membership.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            saved = routing.do_save_rule(membership, form.data_for_actions(), rule)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, (_("Rule “%(name)s” saved.") if rule else
                                       _("Rule “%(name)s” created: it runs on the next new conversations.")) % {
                "name": saved.name})
            if routing.matches_everything(saved.conditions):
                messages.warning(request, _("This rule has no condition: it matches every conversation."))
            return redirect("inbox_rules", slug=slug)
    return render(request, "inbox/rules_form.html", {"form": form, "rule": rule, "tab": "rules"},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def rule_test(request, slug, routing_rule_id=None):
    """What the rule (saved, or as being edited: the form's data, not saved) would have matched lately. Read-only."""
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    rule = _get_rule(membership, routing_rule_id) if routing_rule_id is not None else None
    source = request.POST if request.method == "POST" else request.GET
    days = _id(source.get("days")) or 7
    days = days if days in routing.PREVIEW_DAYS else 7
    form = None
    errors: list[str] = []
    if request.method == "POST":
        form = RuleForm(request.POST, workspace=membership.workspace)
        form.is_valid()
        data = {k: v for k, v in form.cleaned_data.items() if k in RuleForm.CONDITIONS}
        data["languages"] = form.data_for_actions()["languages"] if "languages" in form.cleaned_data else []
        errors = [f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items()
                  if k in RuleForm.CONDITIONS]
        try:
            conditions = routing.check_conditions(membership.workspace, data) if not errors else {}
        except ValidationError as exc:
            errors = [" ".join(v) for v in exc.message_dict.values()]
            conditions = {}
    elif rule is not None:
        conditions = rule.conditions if isinstance(rule.conditions, dict) else {}
    else:
        return redirect("inbox_rule_add", slug=slug)
    result = routing.preview(membership.workspace, conditions, days) if not errors else None
    hidden = [(k, v) for k in RuleForm.CONDITIONS + ("name",) for v in (request.POST.getlist(k) if form else [])]
    return render(request, "inbox/rules_test.html", {
        "rule": rule, "result": result, "errors": errors, "days": days, "choices": routing.PREVIEW_DAYS,
        "hidden": hidden, "posted": form is not None, "max": routing.PREVIEW_MAX, "tab": "rules",
        "name": (form.cleaned_data.get("name") if form is not None else None) or (rule.name if rule else ""),
    }, status=400 if errors else 200)


@login_required
@require_POST
def rule_move(request, slug, routing_rule_id):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    rule = _get_rule(membership, routing_rule_id)
    try:
        routing.do_move_rule(membership, rule, request.POST.get("direction", ""))
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("inbox_rules", slug=slug)


@login_required
@require_POST
def rule_toggle(request, slug, routing_rule_id):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    rule = _get_rule(membership, routing_rule_id)
    enable = request.POST.get("enabled") == "1"
    routing.do_set_rule_enabled(membership, rule, enable)
    messages.success(request, (_("“%(name)s” is switched on.") if enable else _("“%(name)s” is switched off.")) % {
        "name": rule.name})
    return redirect("inbox_rules", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def rule_delete(request, slug, routing_rule_id):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    rule = _get_rule(membership, routing_rule_id)
    if request.method == "POST":
        routing.do_delete_rule(membership, rule)
        messages.success(request, _("Rule “%(name)s” deleted; the timelines still name it on what it did.") % {
            "name": rule.name})
        return redirect("inbox_rules", slug=slug)
    return render(request, "inbox/rules_delete.html", {"rule": rule, "tab": "rules"})


# Targets ----------------------------------------------------------------------------------------------------


class TargetForm(forms.Form):
    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False)
    intent = forms.ChoiceField(label=gettext_lazy("Intent"), required=False)
    hours = forms.IntegerField(label=gettext_lazy("Hours"), required=False, min_value=0, max_value=720)
    minutes = forms.IntegerField(label=gettext_lazy("Minutes"), required=False, min_value=0, max_value=59)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("Any team"))] + [(str(t.pk), t.name) for t in Team.objects.filter(
            workspace=workspace)]
        self.fields["intent"].choices = [("", _("Any intent"))] + [(v, LABEL_NAMES.get(v, v)) for v in routing.INTENTS]
        self.fields["team"].error_messages["invalid_choice"] = _("Choose one of this workspace's teams.")
        self.fields["intent"].error_messages["invalid_choice"] = _("Choose an intent from the list, or any.")

    def data_for_actions(self) -> dict:
        data = self.cleaned_data
        return {"team": data.get("team") or None, "intent": data.get("intent") or "",
                "minutes": (data.get("hours") or 0) * 60 + (data.get("minutes") or 0)}


@login_required
@require_http_methods(["GET", "POST"])
def target_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_INBOX)
    form = TargetForm(request.POST or None, workspace=membership.workspace)
    status = 200
    if request.method == "POST":
        membership = get_membership(request, slug, roles.MANAGE_INBOX)
        target = None
        if request.POST.get("target"):
            target = get_object_or_404(ResponseTarget, pk=_id(request.POST.get("target")) or 0,
                                       workspace=membership.workspace)
        if form.is_valid():
            try:
                saved = targets.do_save_target(membership, form.data_for_actions(), target)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Target saved: %(target)s.") % {"target": targets.describe(saved)})
                return redirect("inbox_targets", slug=slug)
        status = 400
    rows = list(ResponseTarget.objects.filter(workspace=membership.workspace).select_related("team")
                .order_by("team__name", "intent"))
    for row in rows:
        row.label = targets.describe(row)
        row.h, row.m = divmod(row.minutes, 60)
        row.specificity = (2 if row.team_id else 0) + (1 if row.intent else 0)
    rows.sort(key=lambda r: (-r.specificity, r.label))
    return render(request, "inbox/targets.html", {
        "form": form, "targets": rows, "can_manage": _can_manage(membership), "tab": "targets",
        "default_zone": membership.workspace.time_zone}, status=status)


@login_required
@require_POST
def target_delete(request, slug, target_id):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    target = get_object_or_404(ResponseTarget, pk=target_id, workspace=membership.workspace)
    targets.do_delete_target(membership, target)
    messages.success(request, _("Target removed."))
    return redirect("inbox_targets", slug=slug)


urlpatterns: list = [
    path("w/<slug:slug>/inbox/teams/", team_list, name="inbox_teams"),
    path("w/<slug:slug>/inbox/teams/add/", team_edit, name="inbox_team_add"),
    path("w/<slug:slug>/inbox/teams/<int:team_id>/", team_edit, name="inbox_team"),
    path("w/<slug:slug>/inbox/teams/<int:team_id>/members/", team_member_add, name="inbox_team_member_add"),
    path("w/<slug:slug>/inbox/teams/<int:team_id>/members/<int:user_id>/remove/", team_member_remove,
         name="inbox_team_member_remove"),
    path("w/<slug:slug>/inbox/teams/<int:team_id>/delete/", team_delete, name="inbox_team_delete"),
    path("w/<slug:slug>/inbox/rules/", rule_list, name="inbox_rules"),
    path("w/<slug:slug>/inbox/rules/add/", rule_edit, name="inbox_rule_add"),
    path("w/<slug:slug>/inbox/rules/test/", rule_test, name="inbox_rule_test_new"),
    path("w/<slug:slug>/inbox/rules/<int:routing_rule_id>/", rule_edit, name="inbox_rule"),
    path("w/<slug:slug>/inbox/rules/<int:routing_rule_id>/test/", rule_test, name="inbox_rule_test"),
    path("w/<slug:slug>/inbox/rules/<int:routing_rule_id>/move/", rule_move, name="inbox_rule_move"),
    path("w/<slug:slug>/inbox/rules/<int:routing_rule_id>/toggle/", rule_toggle, name="inbox_rule_toggle"),
    path("w/<slug:slug>/inbox/rules/<int:routing_rule_id>/delete/", rule_delete, name="inbox_rule_delete"),
    path("w/<slug:slug>/inbox/targets/", target_list, name="inbox_targets"),
    path("w/<slug:slug>/inbox/targets/<int:target_id>/delete/", target_delete, name="inbox_target_delete"),
]
