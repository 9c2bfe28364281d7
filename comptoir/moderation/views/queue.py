"""The review queue: the Fil's list (``stream.screen``) scoped to the messages that have a case, with the case's
reasons on each row, the case in the detail pane (reasons, automatic actions, the person's history, the decision
buttons citing charter articles, the sanction panel), decisions in bulk for spam waves, and the median time to
decision on its head. And Teach Comptoir: the messages the models are least sure of, labelled in one key."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from comptoir.stream.forms import MAX_ID, StreamFilterForm
from comptoir.stream.models import Item
from comptoir.stream.screen import BulkAction, ListScreen, back, flash
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import queue, teach
from ..models import AutoAction, Case, Rule, Sanction

STATUSES = ("open", "decided", "all")
SCAN = 5000  # a filter on the reasons (rule, kind) reads this many newest cases of the status


class CaseFilterForm(StreamFilterForm):
    """The Fil's filters, and the case's status (open by default), the rule and the kind of reason."""

    status = forms.ChoiceField(required=False, choices=[("", "")] + [(s, s) for s in STATUSES])
    rule = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    reason = forms.ChoiceField(required=False, choices=[("", "")] + list(Rule.Kind.choices))

    FIELD_NAMES = {**StreamFilterForm.FIELD_NAMES, "status": gettext_lazy("Status"), "rule": gettext_lazy("Rule"),
                   "reason": gettext_lazy("Reason")}
    MORE_FIELDS = (*StreamFilterForm.MORE_FIELDS, "reason")

    def __init__(self, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields["rule"].error_messages["invalid"] = _("Choose a rule from the list.")

    def clean_rule(self):
        rule = self.cleaned_data.get("rule")
        if rule is not None and not Rule.objects.filter(pk=rule, workspace=self.workspace).exists():
            raise forms.ValidationError(_("Choose a rule from the list."), code="unknown_rule")
        return rule


def _cases(membership, filters: dict):
    cases = Case.objects.filter(workspace=membership.workspace)
    status = filters.get("status") or "open"
    if status != "all":
        cases = cases.filter(status=status)
    return cases


def scope(membership, filters: dict) -> Q:
    """The messages with a case of the chosen status; a rule or a kind of reason is read in the cases' reasons."""
    cases = _cases(membership, filters)
    rule, kind = filters.get("rule"), filters.get("reason")
    if rule or kind:
        ids = []
        for item_id, reasons in cases.filter(item__isnull=False).order_by("-created_at").values_list(
                "item_id", "reasons")[:SCAN]:
            if any((not rule or r.get("rule") == rule) and (not kind or r.get("kind") == kind) for r in reasons or []):
                ids.append(item_id)
        return Q(pk__in=ids)
    return Q(Exists(cases.filter(item=OuterRef("pk"))))


def _rules(membership) -> list[Rule]:
    return list(Rule.objects.filter(workspace=membership.workspace).order_by("position", "pk"))


def chip_names(membership, form) -> dict:
    return ({("rule", str(r.pk)): r.name for r in _rules(membership)}
            | {("reason", k): str(v) for k, v in Rule.Kind.choices}
            | {("status", "decided"): _("Decided"), ("status", "all"): _("Open and decided"),
               ("status", "open"): _("To review")})


def decorate(membership, items) -> None:
    """Each message gets its case (``case``) for the row's reasons."""
    cases = {c.item_id: c for c in Case.objects.filter(workspace=membership.workspace, item__in=[i.pk for i in items])}
    for item in items:
        item.case = cases.get(item.pk)


def page_context(membership, form) -> dict:
    status = form.data.get("status") or "open"
    rest = {k: v for k, v in form.data.items() if v and k != "status"}
    from urllib.parse import urlencode

    tabs = [(s, {"open": _("To review"), "decided": _("Decided"), "all": _("All")}[s],
             "?" + urlencode({**rest, **({"status": s} if s != "open" else {})})) for s in STATUSES]
    median = queue.median_time_to_decision(membership.workspace)
    return {"rules": _rules(membership), "reason_kinds": Rule.Kind.choices, "status_tabs": tabs, "status": status,
            "median": median, "median_words": queue.duration_words(median["all"]),
            "moderator_medians": [(u, queue.duration_words(s), n) for u, s, n in median["moderators"]],
            "can_decide": roles.has_perm(membership.role, roles.MODERATE)}


def _undo_url(slug: str, action: AutoAction) -> str:
    try:
        return reverse("moderation_auto_action_undo", args=[slug, action.pk])
    except NoReverseMatch:
        return ""


def detail_context(membership, item) -> dict:
    from .sanctions import panel_context

    case = Case.objects.filter(workspace=membership.workspace, item=item).select_related(
        "identity", "person", "decided_by", "channel").first()
    if case is None:
        return {"case": None}
    slug = membership.workspace.slug
    who = Q(person=case.person) if case.person_id else Q(identity=case.identity) if case.identity_id else None
    history = sanctions = []
    if who is not None:
        history = list(Case.objects.filter(who, workspace=membership.workspace).exclude(pk=case.pk)
                       .select_related("decided_by").order_by("-created_at")[:10])
        sanctions = list(Sanction.objects.filter(who, workspace=membership.workspace).order_by("-created_at")[:10])
    actions = list(AutoAction.objects.filter(case=case).order_by("-at"))
    from ..rules import ACTIONS

    for action in actions:
        action.action_label = ACTIONS.get(action.action, action.action)
        action.undo_url = _undo_url(slug, action) if action.result == AutoAction.Result.DONE and not action.undone_at else ""
    return {"case": case, "auto_actions": actions, "history": history, "sanctions": sanctions,
            "articles": queue.charter_articles(membership.workspace),
            "can_decide": roles.has_perm(membership.role, roles.MODERATE) and case.status == Case.Status.OPEN,
            "identity": case.identity, "person": case.person, "membership": membership, "slug": slug,
            # The sanction panel's own context (its history is the person's sanctions, its proposal the next step).
            "panel": panel_context(membership, case.identity, case)}


def _bulk(decision: str):
    def run(membership, item_ids) -> str:
        result = queue.do_bulk_decide(membership, queue.cases_of_items(membership, item_ids), decision)
        return result.sentence(decision)
    return run


MODERATION = ListScreen(
    key="moderation", title=gettext_lazy("Review queue"), url_name="moderation_queue",
    count_url_name="moderation_queue_count", bulk_url_name="moderation_queue_bulk",
    view_save_url_name="moderation_queue_view_save", view_delete_url_name="moderation_queue_view_delete",
    item_url_name="moderation_queue_item", perm=roles.VIEW_MODERATION, form_class=CaseFilterForm,
    builtin_views=[(gettext_lazy("To review"), ""), (gettext_lazy("Toxic"), "toxicity=toxic"),
                   (gettext_lazy("Spam"), "spam=spam")],
    scope=scope, chip_names=chip_names, decorate=decorate, page_context=page_context, detail_context=detail_context,
    head_template="moderation/queue_head.html", filters_template="moderation/queue_filters.html",
    more_filters_template="moderation/queue_more_filters.html", row_template="moderation/_case_row.html",
    bulk_template="moderation/queue_bulk.html", detail_template="moderation/_case_detail.html",
    empty_template="moderation/queue_empty.html",
    bulk_actions={d: BulkAction(perm=roles.MODERATE, run=_bulk(d)) for d in queue.BULK_DECISIONS},
    export_name="moderation",
)


@login_required
@require_POST
def decide(request, slug, case_id):
    """One decision from the detail pane (buttons, or the keys a, h, d, w)."""
    membership = get_membership(request, slug, roles.MODERATE)
    case = get_object_or_404(Case.objects.select_related("item__channel", "identity", "person"), pk=case_id,
                             workspace=membership.workspace)
    default = reverse("moderation_queue", args=[slug])
    try:
        outcome = queue.do_decide(membership, case, request.POST.get("decision", "")[:20],
                                  articles=request.POST.getlist("articles")[:50], note=request.POST.get("note", "")[:5000])
    except ValidationError as exc:
        flash(request, exc)
        return redirect(back(request, slug, default))
    level = messages.warning if outcome.network in (AutoAction.Result.MANUAL, AutoAction.Result.FAILED) else messages.success
    level(request, outcome.sentence())
    return redirect(back(request, slug, default))


# Teach Comptoir -------------------------------------------------------------------------------------------------

SKIPPED = "moderation_teach_skipped"


def _skipped(request) -> set[int]:
    return {i for i in request.session.get(SKIPPED, []) if isinstance(i, int)}


@login_required
def teach_page(request, slug):
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    candidates = teach.queue(membership.workspace, skipped=_skipped(request))
    return render(request, "moderation/teach.html", {
        "current": candidates[0] if candidates else None, "upcoming": candidates[1:11], "left": len(candidates),
        "model": teach.model_status(membership.workspace), "can_teach": roles.has_perm(membership.role, roles.MODERATE),
        "skipped": len(_skipped(request))})


@login_required
@require_POST
def teach_label(request, slug):
    membership = get_membership(request, slug, roles.MODERATE)
    default = reverse("moderation_teach", args=[slug])
    raw = request.POST.get("item", "")
    item = get_object_or_404(Item, pk=int(raw) if raw.isdigit() and len(raw) < 19 else 0, workspace=membership.workspace)
    key = request.POST.get("key", "")[:5]
    if key in ("skip", " "):
        request.session[SKIPPED] = [*request.session.get(SKIPPED, [])[-499:], item.pk]
        return redirect(default)
    try:
        teach.do_teach(membership, item, key)
    except ValidationError as exc:
        flash(request, exc)
    except PermissionDenied as exc:  # pragma: no cover - the item was loaded through the workspace
        messages.error(request, str(exc))
    else:
        task, label = teach.KEYS[key]
        messages.success(request, _("Learnt: %(label)s. The next model learns from it.") % {
            "label": {"toxic": _("toxic"), "clean": _("clean"), "spam": _("spam"), "ham": _("not spam")}[label]})
    return redirect(default)


@login_required
@require_POST
def teach_reset(request, slug):
    get_membership(request, slug, roles.VIEW_MODERATION)
    request.session.pop(SKIPPED, None)
    return redirect("moderation_teach", slug=slug)


urlpatterns = [
    *MODERATION.urlpatterns("w/<slug:slug>/moderation/queue/"),
    path("w/<slug:slug>/moderation/cases/<int:case_id>/decide/", decide, name="moderation_case_decide"),
    path("w/<slug:slug>/moderation/teach/", teach_page, name="moderation_teach"),
    path("w/<slug:slug>/moderation/teach/label/", teach_label, name="moderation_teach_label"),
    path("w/<slug:slug>/moderation/teach/skipped/", teach_reset, name="moderation_teach_reset"),
]
