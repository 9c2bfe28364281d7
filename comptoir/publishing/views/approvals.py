"""Approvals: the stages' settings, the posts awaiting my approval (with what changed since the last decision), and
the send-for-approval and decision forms of the post page's approval panel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership
from comptoir.workspaces.models import Membership

from .. import approvals
from ..models import ApprovalStage, Post


def _next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _get_stage(membership, stage_id) -> ApprovalStage:
    return get_object_or_404(ApprovalStage, pk=stage_id, workspace=membership.workspace)


def _get_post(membership, post_id) -> Post:
    return get_object_or_404(Post.objects.select_related("workspace", "current_stage"), pk=post_id,
                             workspace=membership.workspace)


def _members(workspace):
    readers = [r for r in roles.Role.values if roles.has_perm(r, roles.VIEW_PUBLISHING)]
    return [m.user for m in Membership.objects.filter(workspace=workspace, role__in=readers).select_related("user")
            .order_by("user__full_name", "user__email")]


@login_required
@require_http_methods(["GET", "POST"])
def stages(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    errors, typed = {}, {"name": "", "approvers": []}
    status = 200
    if request.method == "POST":
        typed = {"name": request.POST.get("name", "")[:500], "approvers": request.POST.getlist("approvers")[:200]}
        try:
            stage = approvals.do_create_stage(membership, typed["name"], typed["approvers"])
        except ValidationError as exc:
            errors, status = exc.message_dict, 400
        else:
            messages.success(request, _("Stage “%(name)s” added.") % {"name": stage.name})
            return redirect("publishing_approval_stages", slug=slug)
    return render(request, "publishing/approval_stages.html", {
        "stages": approvals.stages(membership.workspace), "members": _members(membership.workspace),
        "errors": errors, "typed": typed, "typed_ids": {str(a) for a in typed["approvers"]}}, status=status)


@login_required
@require_POST
def stage_edit(request, slug, stage_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    stage = _get_stage(membership, stage_id)
    try:
        approvals.do_update_stage(membership, stage, request.POST.get("name", "")[:500],
                                  request.POST.getlist("approvers")[:200])
    except ValidationError as exc:
        messages.error(request, _("“%(name)s” was not saved: %(error)s") % {
            "name": stage.name, "error": " ".join(exc.messages)})
    else:
        messages.success(request, _("Stage saved."))
    return redirect("publishing_approval_stages", slug=slug)


@login_required
@require_POST
def stage_move(request, slug, stage_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    stage = _get_stage(membership, stage_id)
    try:
        approvals.do_move_stage(membership, stage, request.POST.get("direction", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("publishing_approval_stages", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def stage_delete(request, slug, stage_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    stage = _get_stage(membership, stage_id)
    if request.method == "POST":
        moved = approvals.do_delete_stage(membership, stage)
        messages.success(request, _("Stage “%(name)s” deleted.") % {"name": stage.name} + (
            " " + _("The posts that awaited it moved on.") if moved else ""))
        return redirect("publishing_approval_stages", slug=slug)
    return render(request, "publishing/approval_stage_delete.html", {
        "stage": stage, "counts": approvals.delete_counts(stage), "last": len(approvals.stages(membership.workspace)) == 1})


@login_required
def awaiting(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    posts = approvals.awaiting(membership)
    for post in posts:
        post.diff = approvals.version_diff(post)
        post.url = approvals.post_url(post)
    return render(request, "publishing/approvals_awaiting.html", {
        "posts": posts, "can_manage": roles.has_perm(membership.role, roles.MANAGE_PUBLISHING)})


@login_required
@require_POST
def post_submit(request, slug, post_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    post = _get_post(membership, post_id)
    try:
        approvals.do_submit(membership, post)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Sent for approval: the approvers are told."))
    return redirect(_next(request, approvals.post_url(post)))


@login_required
@require_POST
def post_decide(request, slug, post_id):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    post = _get_post(membership, post_id)
    decision = request.POST.get("decision", "")[:30]
    try:
        approvals.do_decide(membership, post, decision, request.POST.get("comment", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        post.refresh_from_db(fields=["status", "publish_at"])
        if decision == "approved" and post.status == Post.Status.SCHEDULED and post.publish_at:
            # The last approval armed it: say when it goes out, the approver's next question.
            messages.success(request, _("Approved: the post goes out on %(when)s.") % {
                "when": date_format(timezone.localtime(post.publish_at), "DATETIME_FORMAT")})
        else:
            messages.success(request, _("Approved.") if decision == "approved" else _("Changes requested: the author is told."))
    return redirect(_next(request, reverse("publishing_approvals_awaiting", args=[slug])))


urlpatterns = [
    path("w/<slug:slug>/publishing/approvals/", awaiting, name="publishing_approvals_awaiting"),
    path("w/<slug:slug>/publishing/approvals/stages/", stages, name="publishing_approval_stages"),
    path("w/<slug:slug>/publishing/approvals/stages/<int:stage_id>/", stage_edit, name="publishing_approval_stage_edit"),
    path("w/<slug:slug>/publishing/approvals/stages/<int:stage_id>/move/", stage_move,
         name="publishing_approval_stage_move"),
    path("w/<slug:slug>/publishing/approvals/stages/<int:stage_id>/delete/", stage_delete,
         name="publishing_approval_stage_delete"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/decide/", post_decide, name="publishing_post_decide"),
]
