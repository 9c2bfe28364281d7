"""Moderation: the sanctions ladder and its settings, the sanctions given, a member's record with the proposed step,
the appeals to review, and the member's public appeal page (``/appel/<token>/``, no account)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.members.models import Identity
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import appeals, sanctions
from ..models import Appeal, Case, LadderStep, ModerationSettings, Sanction

MAX_FIELD = 10_000


def _field(request, name: str) -> str:
    return request.POST.get(name, "")[:MAX_FIELD]


def _flash(request, exc: ValidationError) -> None:
    for problems in getattr(exc, "message_dict", {"": exc.messages}).values():
        for problem in problems:
            messages.error(request, problem)


# The ladder ----------------------------------------------------------------------------------------------------


@login_required
def ladder(request, slug):
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    return render(request, "moderation/ladder.html", {
        "steps": sanctions.ladder(membership.workspace), "settings": ModerationSettings.of(membership.workspace_id),
        "kinds": LadderStep.Kind.choices, "can_manage": roles.has_perm(membership.role, roles.MANAGE_MODERATION),
        "errors": {}, "typed": {}})


def _ladder_error(request, membership, exc: ValidationError, typed: dict, editing: int | None = None):
    return render(request, "moderation/ladder.html", {
        "steps": sanctions.ladder(membership.workspace), "settings": ModerationSettings.of(membership.workspace_id),
        "kinds": LadderStep.Kind.choices, "can_manage": True, "errors": exc.message_dict, "typed": typed,
        "editing": editing}, status=400)


@login_required
@require_POST
def ladder_add(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    typed = {n: _field(request, n) for n in ("kind", "label", "duration_hours")}
    try:
        step = sanctions.do_add_step(membership, typed["kind"], typed["label"], typed["duration_hours"])
    except ValidationError as exc:
        return _ladder_error(request, membership, exc, typed)
    messages.success(request, _("Step “%(label)s” added.") % {"label": step.label})
    return redirect("moderation_ladder", slug=slug)


@login_required
@require_POST
def ladder_edit(request, slug, step_id):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    step = get_object_or_404(LadderStep, pk=step_id, workspace=membership.workspace)
    typed = {n: _field(request, n) for n in ("kind", "label", "duration_hours")}
    try:
        sanctions.do_update_step(membership, step, typed["kind"], typed["label"], typed["duration_hours"])
    except ValidationError as exc:
        return _ladder_error(request, membership, exc, typed, editing=step.pk)
    messages.success(request, _("Step “%(label)s” saved.") % {"label": step.label})
    return redirect("moderation_ladder", slug=slug)


@login_required
@require_POST
def ladder_delete(request, slug, step_id):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    step = get_object_or_404(LadderStep, pk=step_id, workspace=membership.workspace)
    try:
        sanctions.do_delete_step(membership, step)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Step removed; the sanctions given at that step keep their name."))
    return redirect("moderation_ladder", slug=slug)


@login_required
@require_POST
def ladder_move(request, slug, step_id):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    step = get_object_or_404(LadderStep, pk=step_id, workspace=membership.workspace)
    try:
        sanctions.do_move_step(membership, step, _field(request, "direction"))
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("moderation_ladder", slug=slug)


@login_required
@require_POST
def ladder_settings(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    typed = {n: _field(request, n) for n in ("probation_days", "appeal_days")}
    try:
        sanctions.do_update_settings(membership, typed["probation_days"], typed["appeal_days"])
    except ValidationError as exc:
        return _ladder_error(request, membership, exc, typed)
    messages.success(request, _("Probation and time to appeal saved."))
    return redirect("moderation_ladder", slug=slug)


# Sanctions -----------------------------------------------------------------------------------------------------


@login_required
def sanction_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    status = request.GET.get("status", "")
    found = (Sanction.objects.filter(workspace=membership.workspace)
             .select_related("identity", "person", "decided_by").prefetch_related("executions"))
    if status in Sanction.Status.values:
        found = found.filter(status=status)
    return render(request, "moderation/sanctions.html", {
        "sanctions": found[:200], "status": status, "statuses": Sanction.Status.choices,
        "pending_appeals": Appeal.objects.filter(workspace=membership.workspace, status=Appeal.Status.PENDING).count()})


@login_required
def sanction_detail(request, slug, sanction_id):
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    sanction = get_object_or_404(Sanction.objects.select_related("identity", "person", "decided_by", "lifted_by",
                                                                 "case", "charter_version"),
                                 pk=sanction_id, workspace=membership.workspace)
    return render(request, "moderation/sanction_detail.html", {
        "sanction": sanction, "executions": sanction.executions.select_related("identity", "channel"),
        "appeals": sanction.appeals.select_related("reviewer"), "can_moderate": roles.has_perm(membership.role, roles.MODERATE),
        "articles": _cited(sanction)})


def _cited(sanction: Sanction) -> list[str]:
    language = translation.get_language()[:2]
    return sanctions._articles_text(sanction, language) if sanction.charter_version_id else []


def _identity(membership, raw) -> Identity:
    if not str(raw).isdigit() or len(str(raw)) > 18:
        raise Http404
    return get_object_or_404(Identity.objects.select_related("person"), pk=int(raw), workspace=membership.workspace)


@login_required
def member_record(request, slug, identity_id):
    """A member's sanctions record and the sanction panel, reachable without a case (from the people or sanctions)."""
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    identity = _identity(membership, identity_id)
    return render(request, "moderation/sanction_member.html", panel_context(membership, identity, None))


def panel_context(membership, identity, case) -> dict:
    """What ``moderation/_sanction_panel.html`` reads."""
    workspace = membership.workspace
    charter = sanctions.published_charter(workspace.pk)
    language = translation.get_language()[:2]
    return {"case": case, "identity": identity, "person": identity.person if identity else None,
            "membership": membership, "slug": workspace.slug,
            "proposal": sanctions.propose(identity) if identity else None,
            "history": sanctions.history(identity) if identity else [], "steps": sanctions.ladder(workspace),
            "charter_articles": [{"number": a.get("number"), "title": sanctions.article_title(a, language)}
                                 for a in (charter.articles if charter else [])],
            "can_moderate": roles.has_perm(membership.role, roles.MODERATE)}


@login_required
@require_POST
def sanction_add(request, slug):
    membership = get_membership(request, slug, roles.MODERATE)
    identity = _identity(membership, _field(request, "identity"))
    case_id = _field(request, "case")
    case = None
    if case_id:
        if not case_id.isdigit() or len(case_id) > 18:
            raise Http404
        case = get_object_or_404(Case, pk=int(case_id), workspace=membership.workspace)
    step_id = _field(request, "step")
    if not step_id.isdigit() or len(step_id) > 18:
        step = None
    else:
        step = LadderStep.objects.filter(pk=int(step_id), workspace=membership.workspace).first()
    back = _field(request, "next")
    try:
        if step is None:
            raise ValidationError({"step": [_("Choose a step of the ladder.")]})
        sanction = sanctions.do_sanction(membership, identity=identity, step=step,
                                         articles=[a[:10] for a in request.POST.getlist("articles")[:50]],
                                         reason=_field(request, "reason"), case=case)
    except ValidationError as exc:
        _flash(request, exc)
        if back.startswith(f"/w/{slug}/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
            return redirect(back)
        return redirect("moderation_member", slug=slug, identity_id=identity.pk)
    messages.success(request, _("“%(step)s” applied. Message to the member: %(state)s.") % {
        "step": sanction.label, "state": _message_state(sanction.message_state)})
    return redirect("moderation_sanction", slug=slug, sanction_id=sanction.pk)


def _message_state(state: str) -> str:
    return {"sent": _("sent"), "failed": _("failed, send it by hand"), "manual": _("to send by hand")}.get(state, state)


@login_required
@require_POST
def sanction_lift(request, slug, sanction_id):
    membership = get_membership(request, slug, roles.MODERATE)
    sanction = get_object_or_404(Sanction, pk=sanction_id, workspace=membership.workspace)
    try:
        sanctions.do_lift(membership, sanction, _field(request, "reason"))
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Sanction lifted."))
    return redirect("moderation_sanction", slug=slug, sanction_id=sanction.pk)


# Appeals -------------------------------------------------------------------------------------------------------


@login_required
def appeal_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    found = (Appeal.objects.filter(workspace=membership.workspace)
             .select_related("sanction__identity", "sanction__decided_by", "reviewer"))
    steps = sanctions.ladder(membership.workspace)
    return render(request, "moderation/appeals.html", {
        "pending": [a for a in found if a.status == Appeal.Status.PENDING],
        "decided": [a for a in found if a.status != Appeal.Status.PENDING][:100], "steps": steps,
        "can_moderate": roles.has_perm(membership.role, roles.MODERATE), "me": request.user.pk})


@login_required
@require_POST
def appeal_decide(request, slug, appeal_id):
    membership = get_membership(request, slug, roles.MODERATE)
    appeal = get_object_or_404(Appeal.objects.select_related("sanction"), pk=appeal_id, workspace=membership.workspace)
    try:
        appeals.do_decide(membership, appeal, _field(request, "decision"), _field(request, "reason"),
                          step=_field(request, "step")[:18])
    except appeals.SameModerator as exc:
        messages.error(request, str(exc))
        return redirect("moderation_appeals", slug=slug)
    except ValidationError as exc:
        _flash(request, exc)
        return redirect("moderation_appeals", slug=slug)
    messages.success(request, _("Appeal decided: %(decision)s. The member is told.") % {
        "decision": appeal.get_status_display().lower()})
    return redirect("moderation_appeals", slug=slug)


# The member's page: public, no account ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def appeal_page(request, token):
    sanction = appeals.find(token)
    if sanction is None:
        raise Http404
    language = sanctions._message_language(sanction)
    if request.COOKIES.get("django_language") in ("fr", "en"):
        language = request.COOKIES["django_language"]
    errors, status, typed = {}, 200, ""
    with translation.override(language):
        if request.method == "POST":
            typed = request.POST.get("text", "")[:20_000]
            try:
                appeals.do_appeal(sanction, typed)
            except appeals.TooManyAppeals as exc:
                errors, status = {"text": [str(exc)]}, 429
            except ValidationError as exc:
                errors, status = exc.message_dict, 400
            else:
                return redirect(f"{request.path}?sent=1")
        sent = sanction.appeals.first()
        response = render(request, "moderation/appeal_page.html", {
            "sanction": sanction, "workspace": sanction.workspace, "open": appeals.is_open(sanction),
            "closes_at": appeals.closes_at(sanction), "appeal": sent, "typed": typed, "errors": errors,
            "articles": sanctions._articles_text(sanction, language), "page_language": language,
            "max_text": appeals.MAX_TEXT}, status=status)
    response["Cache-Control"] = "no-store"
    # The token is in the address: no other site may see it. Not "no-referrer": browsers then post the form with
    # "Origin: null", which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns = [
    path("w/<slug:slug>/moderation/ladder/", ladder, name="moderation_ladder"),
    path("w/<slug:slug>/moderation/ladder/add/", ladder_add, name="moderation_ladder_add"),
    path("w/<slug:slug>/moderation/ladder/settings/", ladder_settings, name="moderation_ladder_settings"),
    path("w/<slug:slug>/moderation/ladder/<int:step_id>/", ladder_edit, name="moderation_ladder_edit"),
    path("w/<slug:slug>/moderation/ladder/<int:step_id>/delete/", ladder_delete, name="moderation_ladder_delete"),
    path("w/<slug:slug>/moderation/ladder/<int:step_id>/move/", ladder_move, name="moderation_ladder_move"),
    path("w/<slug:slug>/moderation/sanctions/", sanction_list, name="moderation_sanctions"),
    path("w/<slug:slug>/moderation/sanctions/add/", sanction_add, name="moderation_sanction_add"),
    path("w/<slug:slug>/moderation/sanctions/<int:sanction_id>/", sanction_detail, name="moderation_sanction"),
    path("w/<slug:slug>/moderation/sanctions/<int:sanction_id>/lift/", sanction_lift, name="moderation_sanction_lift"),
    path("w/<slug:slug>/moderation/members/<int:identity_id>/", member_record, name="moderation_member"),
    path("w/<slug:slug>/moderation/appeals/", appeal_list, name="moderation_appeals"),
    path("w/<slug:slug>/moderation/appeals/<int:appeal_id>/decide/", appeal_decide, name="moderation_appeal_decide"),
    path("appel/<str:token>/", appeal_page, name="moderation_appeal_page"),
]
