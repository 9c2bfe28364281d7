"""Moderation: the rules screens — the ordered list (switch on, dry run, caught counts), a form per kind, "what
would this rule have caught last week", and the log of automatic actions with their undo button. Everyone who sees
moderation reads them; owners and community managers change rules; moderators undo automatic actions."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import rules
from ..models import AutoAction, Rule

KIND_FIELDS = rules.KIND_FIELDS
KIND_HELP = {
    Rule.Kind.WORDS: gettext_lazy("Words and phrases in the listening query language, and/or Comptoir's insult "
                                  "lists. Add a toxicity threshold to act only when the model agrees."),
    Rule.Kind.MODEL: gettext_lazy("The understanding model's score. Measured on texts it never saw, toxicity reaches "
                                  "about 0.61 macro-F1 and spam 0.96: a model rule may flag, hold or notify, never "
                                  "hide nor delete."),
    Rule.Kind.LINKS: gettext_lazy("Too many links, link shorteners, or links to a domain never seen in this "
                                  "workspace."),
    Rule.Kind.NEWCOMER: gettext_lazy("The first messages of an account this workspace has never read before."),
    Rule.Kind.FLOOD: gettext_lazy("Many messages from the same person in a few minutes."),
    Rule.Kind.REPEAT: gettext_lazy("The same text (case, accents and signs aside) from the same person, on any "
                                   "channel."),
    Rule.Kind.BRIGADING: gettext_lazy("Many accounts first seen recently answering one thread within minutes."),
}


def _can_manage(membership) -> bool:
    return roles.has_perm(membership.role, roles.MANAGE_MODERATION)


def _get_rule(membership, rule_id) -> Rule:
    return get_object_or_404(Rule, pk=rule_id, workspace=membership.workspace)


def _flash(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=rules.NAME_MAX)
    query = forms.CharField(label=gettext_lazy("Watched words (listening query)"), required=False,
                            max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=gettext_lazy('e.g. arnaque* OR "faux concours" — case and accents do not count.'))
    lexicons = forms.MultipleChoiceField(label=gettext_lazy("Word lists"), required=False,
                                         widget=forms.CheckboxSelectMultiple, choices=list(rules.LEXICONS.items()))
    min_toxicity = forms.CharField(label=gettext_lazy("Only when the toxicity score is at least"), required=False,
                                   max_length=20, help_text=gettext_lazy("Between 0 and 1; empty: the words alone."))
    task = forms.ChoiceField(label=gettext_lazy("Model"), required=False,
                             choices=[("toxicity", gettext_lazy("Toxicity")), ("spam", gettext_lazy("Spam"))])
    category = forms.ChoiceField(label=gettext_lazy("Toxicity category"), required=False,
                                 choices=[("", gettext_lazy("Any")), ("threat", gettext_lazy("Threat")),
                                          ("hate", gettext_lazy("Hate")), ("insult", gettext_lazy("Insult")),
                                          ("obscene", gettext_lazy("Obscene"))])
    threshold = forms.CharField(label=gettext_lazy("Score threshold"), required=False, max_length=20,
                                help_text=gettext_lazy("Between 0 and 1, e.g. 0.8."))
    max_links = forms.CharField(label=gettext_lazy("More links than"), required=False, max_length=20)
    shorteners = forms.BooleanField(label=gettext_lazy("Link shorteners (bit.ly, t.co…)"), required=False)
    new_domains = forms.BooleanField(label=gettext_lazy("Domains never seen here before"), required=False)
    first_messages = forms.CharField(label=gettext_lazy("First messages checked"), required=False, max_length=20)
    messages = forms.CharField(label=gettext_lazy("Messages"), required=False, max_length=20)
    minutes = forms.CharField(label=gettext_lazy("Within (minutes)"), required=False, max_length=20)
    copies = forms.CharField(label=gettext_lazy("Copies"), required=False, max_length=20)
    hours = forms.CharField(label=gettext_lazy("Within (hours)"), required=False, max_length=20)
    identities = forms.CharField(label=gettext_lazy("New accounts"), required=False, max_length=20)
    max_age_days = forms.CharField(label=gettext_lazy("First seen within (days)"), required=False, max_length=20)
    actions = forms.MultipleChoiceField(label=gettext_lazy("Then"), required=True, error_messages={
                                            "required": gettext_lazy("Choose at least one action, e.g. “Flag for "
                                                                     "review”.")},
                                        widget=forms.CheckboxSelectMultiple, choices=list(rules.ACTIONS.items()))
    reply_template = forms.CharField(label=gettext_lazy("Reply"), required=False, max_length=10_000,
                                     widget=forms.Textarea(attrs={"rows": 3}),
                                     help_text=gettext_lazy("{name}, {first_name} and {articles} are filled in."))
    articles = forms.CharField(label=gettext_lazy("Charter articles"), required=False, max_length=200,
                               help_text=gettext_lazy("e.g. 3, 5 — cited in the reply and on the case."))
    dry_run = forms.BooleanField(label=gettext_lazy("Dry run: only log what it would do"), required=False)
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False)

    def data_for_actions(self, kind: str) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k in ("name", "actions", "reply_template", "articles",
                                                                     "dry_run", "enabled")}
        data["kind"] = kind
        for name in KIND_FIELDS.get(kind, ()):
            data[name] = self.cleaned_data.get(name)
        return data


def _initial(rule: Rule) -> dict:
    data = rules.flat(rule)
    data["articles"] = ", ".join(str(n) for n in data.get("articles") or [])
    return data


def _summary(rule: Rule) -> str:
    p = rule.params if isinstance(rule.params, dict) else {}
    kind = rule.kind
    if kind == Rule.Kind.WORDS:
        parts = [p.get("query") or ""] + [str(rules.LEXICONS.get(n, n)) for n in p.get("lexicons") or []]
        text = " + ".join(x for x in parts if x)
        if p.get("min_toxicity") is not None:
            text += " · " + _("toxicity ≥ %(min)s") % {"min": p["min_toxicity"]}
        return text
    if kind == Rule.Kind.MODEL:
        return _("%(task)s ≥ %(threshold)s") % {"task": p.get("task"), "threshold": p.get("threshold")} + (
            f" · {p['category']}" if p.get("category") else "")
    if kind == Rule.Kind.LINKS:
        return _("more than %(n)s links") % {"n": p.get("max_links")} + (
            " · " + _("shorteners") if p.get("shorteners") else "") + (
            " · " + _("new domains") if p.get("new_domains") else "")
    if kind == Rule.Kind.NEWCOMER:
        return _("first %(n)s messages") % {"n": p.get("first_messages")}
    if kind == Rule.Kind.FLOOD:
        return _("%(n)s messages in %(m)s min") % {"n": p.get("messages"), "m": p.get("minutes")}
    if kind == Rule.Kind.REPEAT:
        return _("%(n)s copies in %(h)s h") % {"n": p.get("copies"), "h": p.get("hours")}
    if kind == Rule.Kind.BRIGADING:
        return _("%(n)s new accounts (≤ %(d)s days) in %(m)s min") % {
            "n": p.get("identities"), "d": p.get("max_age_days"), "m": p.get("minutes")}
    return ""


@login_required
def rule_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    if _can_manage(membership) and rules.ensure_default_rules(membership.workspace, membership.user):
        messages.info(request, _("Comptoir wrote a starting set of rules: word lists and the model together hide; "
                                 "either alone only holds or flags. Adjust them, or try them in dry run."))
    shown = []
    for rule in rules.ordered(membership.workspace_id):
        rule.summary = _summary(rule)
        rule.action_labels = [str(rules.ACTIONS.get(a, a)) for a in rule.actions or []]
        shown.append(rule)
    return render(request, "moderation/rules.html", {
        "rules": shown, "can_manage": _can_manage(membership), "kinds": Rule.Kind.choices, "tab": "rules"})


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, slug, moderation_rule_id=None):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    rule = _get_rule(membership, moderation_rule_id) if moderation_rule_id is not None else None
    kind = rule.kind if rule is not None else str(request.POST.get("kind") or request.GET.get("kind") or "")
    if kind not in Rule.Kind.values:
        kind = Rule.Kind.WORDS
    initial = _initial(rule) if rule is not None else {"enabled": True, "actions": ["flag"], "kind": kind,
                                                      "shorteners": True}
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = rules.do_save_rule(membership, form.data_for_actions(kind), rule)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, (_("Rule “%(name)s” saved.") if rule else _(
                "Rule “%(name)s” created: it reads the next new messages.")) % {"name": saved.name})
            return redirect("moderation_rules", slug=slug)
    return render(request, "moderation/rules_form.html", {
        "form": form, "rule": rule, "kind": kind, "kind_label": Rule.Kind(kind).label, "help": KIND_HELP[kind],
        "kind_fields": [form[name] for name in KIND_FIELDS[kind]], "tab": "rules",
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def rule_preview(request, slug, moderation_rule_id=None):
    """What the rule (saved, or as being edited: the form's data, not saved) would have caught last week."""
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    rule = _get_rule(membership, moderation_rule_id) if moderation_rule_id is not None else None
    errors: list[str] = []
    clean = None
    if request.method == "POST":
        if not _can_manage(membership):
            raise PermissionDenied
        kind = rule.kind if rule is not None else str(request.POST.get("kind") or "")
        form = RuleForm(request.POST)
        form.is_valid()
        data = form.data_for_actions(kind if kind in Rule.Kind.values else "")
        data["name"] = data.get("name") or _("Unsaved rule")
        try:
            clean = rules.check_rule(membership.workspace, data, preview_check=False)
        except ValidationError as exc:
            errors = [" ".join(v) for v in exc.message_dict.values()]
    elif rule is not None:
        clean = rules.flat(rule) | {"params": rule.params, "actions": list(rule.actions or [])}
    else:
        return redirect("moderation_rules", slug=slug)
    result = rules.preview(membership.workspace, clean) if clean is not None else None
    return render(request, "moderation/rules_preview.html", {
        "rule": rule, "clean": clean, "result": result, "errors": errors, "max": rules.PREVIEW_MAX, "tab": "rules",
        "per_action": [(str(rules.ACTIONS.get(a, a)), n) for a, n in (result.per_action.items() if result else [])],
    }, status=400 if errors else 200)


@login_required
@require_POST
def rule_flags(request, slug, moderation_rule_id):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    rule = _get_rule(membership, moderation_rule_id)
    values = {}
    for name in ("enabled", "dry_run"):
        if name in request.POST:
            values[name] = request.POST.get(name) == "1"
    rules.do_set_rule_flags(membership, rule, **values)
    return redirect("moderation_rules", slug=slug)


@login_required
@require_POST
def rule_move(request, slug, moderation_rule_id):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    try:
        rules.do_move_rule(membership, _get_rule(membership, moderation_rule_id), str(request.POST.get("direction", ""))[:10])
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("moderation_rules", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def rule_delete(request, slug, moderation_rule_id):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    rule = _get_rule(membership, moderation_rule_id)
    if request.method == "POST":
        rules.do_delete_rule(membership, rule)
        messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
        return redirect("moderation_rules", slug=slug)
    return render(request, "moderation/rules_delete.html", {"rule": rule, "tab": "rules"})


@login_required
def auto_actions(request, slug):
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    rows = (AutoAction.objects.filter(workspace=membership.workspace)
            .select_related("item__author", "item__channel", "case", "undone_by"))
    rule_id = request.GET.get("rule", "")
    if rule_id.isdigit() and len(rule_id) < 19:
        rows = rows.filter(rule_id=int(rule_id))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for row in page:
        row.action_label = rules.ACTIONS.get(row.action, row.action)
        row.can_undo = row.undone_at is None and row.result != AutoAction.Result.LOGGED and not (
            row.action in ("delete", "reply") and row.result == AutoAction.Result.DONE)
    return render(request, "moderation/rules_log.html", {
        "page": page, "can_undo": roles.has_perm(membership.role, roles.MODERATE), "tab": "log"})


@login_required
@require_POST
def auto_action_undo(request, slug, auto_action_id):
    membership = get_membership(request, slug, roles.MODERATE)
    row = get_object_or_404(AutoAction, pk=auto_action_id, workspace=membership.workspace)
    try:
        left = rules.do_undo(membership, row)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Undone: “%(rule)s” — %(action)s.") % {
            "rule": row.rule_name, "action": rules.ACTIONS.get(row.action, row.action)})
        if left:
            messages.warning(request, left)
    return redirect("moderation_rules_log", slug=slug)


urlpatterns = [
    path("w/<slug:slug>/moderation/rules/", rule_list, name="moderation_rules"),
    path("w/<slug:slug>/moderation/rules/add/", rule_edit, name="moderation_rule_add"),
    path("w/<slug:slug>/moderation/rules/preview/", rule_preview, name="moderation_rule_preview_new"),
    path("w/<slug:slug>/moderation/rules/log/", auto_actions, name="moderation_rules_log"),
    path("w/<slug:slug>/moderation/rules/log/<int:auto_action_id>/undo/", auto_action_undo,
         name="moderation_auto_action_undo"),
    path("w/<slug:slug>/moderation/rules/<int:moderation_rule_id>/", rule_edit, name="moderation_rule"),
    path("w/<slug:slug>/moderation/rules/<int:moderation_rule_id>/preview/", rule_preview, name="moderation_rule_preview"),
    path("w/<slug:slug>/moderation/rules/<int:moderation_rule_id>/flags/", rule_flags, name="moderation_rule_flags"),
    path("w/<slug:slug>/moderation/rules/<int:moderation_rule_id>/move/", rule_move, name="moderation_rule_move"),
    path("w/<slug:slug>/moderation/rules/<int:moderation_rule_id>/delete/", rule_delete, name="moderation_rule_delete"),
]
