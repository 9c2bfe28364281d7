"""Content requests: a member's own requests, the request form, a request's page with its discussion, its files,
and the community manager's triage board (move, decline with a reason, assign, set the priority, write the post)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.utils import ErrorDict
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import requests as actions
from ..models import ContentRequest, RequestAttachment, Variant

Status = ContentRequest.Status
COLUMN_SIZE = 30
FINISHED_DAYS = 60
CHIPS = {Status.NEW: "cpt-chip-info", Status.ACCEPTED: "cpt-chip-info", Status.IN_PROGRESS: "cpt-chip-warn",
         Status.SCHEDULED: "cpt-chip-ok", Status.PUBLISHED: "cpt-chip-ok", Status.DECLINED: "cpt-chip-idle"}
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RequestForm(forms.Form):
    """The request's fields as typed; the action checks them (one code path with the API)."""

    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=actions.TITLE_MAX * 2,
                            widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Open day on 12 April")}))
    goal = forms.ChoiceField(label=gettext_lazy("Goal"), choices=ContentRequest.Goal.choices, required=False)
    audience = forms.ChoiceField(label=gettext_lazy("Audience"), choices=ContentRequest.Audience.choices,
                                 required=False, initial=ContentRequest.Audience.COMMUNITY)
    audience_detail = forms.CharField(label=gettext_lazy("Who exactly"), required=False,
                                      max_length=actions.AUDIENCE_DETAIL_MAX * 2,
                                      help_text=gettext_lazy("e.g. parents of pupils, cyclists of the Lyon area"))
    key_message = forms.CharField(label=gettext_lazy("Key message"), required=False, max_length=actions.TEXT_MAX * 2,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=gettext_lazy("What people must remember, in a few sentences."))
    desired_at = forms.CharField(label=gettext_lazy("Desired publication date"), required=False, widget=DATETIME)
    deadline = forms.CharField(label=gettext_lazy("Deadline"), required=False, widget=DATETIME,
                               help_text=gettext_lazy("At the latest; in your time zone."))
    channels = forms.MultipleChoiceField(label=gettext_lazy("Channels wished"), required=False,
                                         widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    links = forms.CharField(label=gettext_lazy("Links"), required=False, max_length=actions.LINK_MAX * 25,
                            widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://…"}),
                            help_text=gettext_lazy("One per line: the page to promote, documents, photos to use."))

    def __init__(self, data=None, *, workspace):
        super().__init__(data)
        self.fields["channels"].choices = [(str(c.pk), str(c)) for c in actions.active_channels(workspace.pk)]
        self.fields["channels"].error_messages["invalid_choice"] = _("Choose among the workspace's connected channels.")

    def take_errors(self, exc: ValidationError) -> None:
        """Show the action's errors (and only them) under their fields."""
        self._errors = ErrorDict()
        self.cleaned_data = {}
        for field, errors in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)


def _get_request(membership, request_id) -> ContentRequest:
    """A request of the member's workspace that they may see (their own only, for a contributor): else 404."""
    rows = actions.visible_requests(membership).select_related("requester", "assignee", "workspace")
    return get_object_or_404(rows, pk=request_id)


def _next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def post_url(post) -> str:
    from ..approvals import post_url as url

    return url(post)


@login_required
def my_requests(request, slug):
    membership = get_membership(request, slug, roles.SUBMIT_REQUESTS)
    rows = list(ContentRequest.objects.filter(workspace=membership.workspace, requester=request.user)
                .order_by("-created_at")[:200])
    for r in rows:
        r.chip = CHIPS.get(r.status, "cpt-chip-idle")
    return render(request, "publishing/requests.html", {
        "rows": rows, "can_see_board": roles.has_perm(membership.role, roles.VIEW_PUBLISHING)})


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request, slug):
    membership = get_membership(request, slug, roles.SUBMIT_REQUESTS)
    workspace = membership.workspace
    form = RequestForm(request.POST if request.method == "POST" else None, workspace=workspace)
    status = 200
    if request.method == "POST":
        data = {name: request.POST.get(name, "") for name in ("title", "goal", "audience", "audience_detail",
                                                              "key_message", "desired_at", "deadline", "links")}
        data["channels"] = request.POST.getlist("channels")
        try:
            content_request = actions.do_submit_request(membership, data, request.FILES.getlist("attachments"))
        except ValidationError as exc:
            form.take_errors(exc)
            status = 400
        else:
            messages.success(request, _("Request sent. The team is told, and you will be notified of each step."))
            return redirect("publishing_request", slug=slug, request_id=content_request.pk)
    return render(request, "publishing/request_form.html", {
        "form": form, "max_files": actions.MAX_ATTACHMENTS,
        "max_mb": actions.ATTACHMENT_MAX_BYTES // (1024 * 1024)}, status=status)


def _detail_context(membership, content_request) -> dict:
    workspace = membership.workspace
    manage = actions.can_manage(membership)
    context = {
        "r": content_request, "chip": CHIPS.get(content_request.status, "cpt-chip-idle"),
        "can_manage": manage,
        "can_comment": manage or content_request.requester_id == membership.user_id,
        "is_requester": content_request.requester_id == membership.user_id,
        "comments": list(content_request.comments.select_related("author")),
        "attachments": list(content_request.attachments.all()),
        "channels": list(content_request.channels.all()),
        "links": content_request.links.split(),
        # Where its posts went out: what the requester wants to see (and share) once it is published.
        "published": list(Variant.objects.filter(
            post__request=content_request, post__workspace=workspace, state=Variant.State.SENT).exclude(
            remote_url="").select_related("channel").order_by("sent_at", "pk")[:50]),
        "statuses": [(s, Status(s).label) for s in actions.BOARD if s != Status.DECLINED],
        "max_files": actions.MAX_ATTACHMENTS, "max_mb": actions.ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }
    if roles.has_perm(membership.role, roles.VIEW_PUBLISHING):
        actions.with_priorities(workspace, [content_request])
        context["posts"] = [(p, post_url(p)) for p in content_request.posts.all()]
        context["assignable"] = actions.assignable(workspace.pk)
        context["show_priority"] = True
    return context


@login_required
def request_detail(request, slug, request_id):
    membership = get_membership(request, slug, roles.SUBMIT_REQUESTS)
    content_request = _get_request(membership, request_id)
    return render(request, "publishing/request.html", _detail_context(membership, content_request))


def _redo_detail(request, membership, content_request, exc: ValidationError, field_errors: str):
    context = _detail_context(membership, content_request)
    context[field_errors] = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return render(request, "publishing/request.html", context, status=400)


@login_required
@require_POST
def request_comment(request, slug, request_id):
    membership = get_membership(request, slug, roles.SUBMIT_REQUESTS)
    content_request = _get_request(membership, request_id)
    try:
        actions.do_comment(membership, content_request, request.POST.get("body", ""))
    except ValidationError as exc:
        context = _detail_context(membership, content_request)
        context["comment_errors"] = exc.messages
        context["comment_body"] = request.POST.get("body", "")[: actions.TEXT_MAX * 2]
        return render(request, "publishing/request.html", context, status=400)
    return redirect(f"{reverse('publishing_request', args=[slug, content_request.pk])}#discussion")


@login_required
@require_POST
def request_attach(request, slug, request_id):
    membership = get_membership(request, slug, roles.SUBMIT_REQUESTS)
    content_request = _get_request(membership, request_id)
    try:
        stored = actions.do_add_attachments(membership, content_request, request.FILES.getlist("attachments"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if stored:
            messages.success(request, _("Files attached."))
    return redirect("publishing_request", slug=slug, request_id=content_request.pk)


@login_required
def request_file(request, slug, request_id, file_id):
    """An attachment, only to those who may see its request; always downloaded, with the type its bytes showed."""
    membership = get_membership(request, slug, roles.SUBMIT_REQUESTS)
    content_request = _get_request(membership, request_id)
    attachment = get_object_or_404(RequestAttachment, pk=file_id, request=content_request)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("This file is no longer stored.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# The board. ---------------------------------------------------------------------------------------------

@login_required
def board(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    workspace = membership.workspace
    goal = request.GET.get("goal", "")[:30]
    assignee = request.GET.get("assignee", "")[:20]
    # Finished requests stay on the board for a while, then only on their own pages.
    since = timezone.now() - timedelta(days=FINISHED_DAYS)
    rows = ContentRequest.objects.filter(workspace=workspace).exclude(
        status__in=[Status.PUBLISHED, Status.DECLINED], status_changed_at__lt=since)
    rows = actions.filtered(rows, goal=goal, assignee=assignee)
    rows = actions.with_priorities(workspace, rows.select_related("requester", "assignee").prefetch_related("channels"))
    columns = []
    for status in actions.BOARD:
        cards = sorted((r for r in rows if r.status == status), key=lambda r: (-r.score, r.created_at))
        for card in cards:
            card.chip = CHIPS.get(card.status, "cpt-chip-idle")
        columns.append({"status": status, "label": Status(status).label, "cards": cards[:COLUMN_SIZE],
                        "more": max(0, len(cards) - COLUMN_SIZE), "count": len(cards)})
    return render(request, "publishing/board.html", {
        "columns": columns, "can_manage": actions.can_manage(membership), "goal": goal, "assignee": assignee,
        "goals": ContentRequest.Goal.choices, "assignable": actions.assignable(workspace.pk),
        "statuses": [(s, Status(s).label) for s in actions.BOARD if s != Status.DECLINED],
        "total": len(rows),
    })


def _manage(request, slug, request_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    return membership, _get_request(membership, request_id)


@login_required
@require_POST
def request_move(request, slug, request_id):
    membership, content_request = _manage(request, slug, request_id)
    status = request.POST.get("status", "")[:30]
    try:
        actions.do_move(membership, content_request, status, request.POST.get("decline_reason", ""))
    except ValidationError as exc:
        messages.error(request, _("“%(title)s” was not moved: %(error)s") % {
            "title": content_request.title, "error": " ".join(exc.messages)})
    else:
        messages.success(request, _("“%(title)s” moved to “%(status)s”.") % {
            "title": content_request.title, "status": Status(status).label})
    return redirect(_next(request, reverse("publishing_board", args=[slug])))


@login_required
@require_POST
def request_assign(request, slug, request_id):
    membership, content_request = _manage(request, slug, request_id)
    try:
        actions.do_assign(membership, content_request, request.POST.get("assignee", "")[:20])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_next(request, reverse("publishing_request", args=[slug, content_request.pk])))


@login_required
@require_POST
def request_priority(request, slug, request_id):
    membership, content_request = _manage(request, slug, request_id)
    value = "" if "reset" in request.POST else request.POST.get("priority_override", "")[:10]
    try:
        actions.do_override_priority(membership, content_request, value,
                                     request.POST.get("priority_override_reason", ""))
    except ValidationError as exc:
        return _redo_detail(request, membership, content_request, exc, "priority_errors")
    messages.success(request, _("Priority saved."))
    return redirect(_next(request, reverse("publishing_request", args=[slug, content_request.pk])))


@login_required
@require_POST
def request_post(request, slug, request_id):
    membership, content_request = _manage(request, slug, request_id)
    try:
        post = actions.do_create_post(membership, content_request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("publishing_request", slug=slug, request_id=content_request.pk)
    except PermissionDenied:
        raise
    messages.success(request, _("Draft post created from the request; the request is now in progress."))
    try:
        return redirect(reverse("publishing_post", args=[slug, post.pk]))
    except NoReverseMatch:
        return redirect("publishing_request", slug=slug, request_id=content_request.pk)


urlpatterns = [
    path("w/<slug:slug>/publishing/requests/", my_requests, name="publishing_requests"),
    path("w/<slug:slug>/publishing/requests/new/", request_new, name="publishing_request_new"),
    path("w/<slug:slug>/publishing/requests/board/", board, name="publishing_board"),
    path("w/<slug:slug>/publishing/requests/<int:request_id>/", request_detail, name="publishing_request"),
    path("w/<slug:slug>/publishing/requests/<int:request_id>/comment/", request_comment, name="publishing_request_comment"),
    path("w/<slug:slug>/publishing/requests/<int:request_id>/attach/", request_attach, name="publishing_request_attach"),
    path("w/<slug:slug>/publishing/requests/<int:request_id>/files/<int:file_id>/", request_file,
         name="publishing_request_file"),
    path("w/<slug:slug>/publishing/requests/<int:request_id>/move/", request_move, name="publishing_request_move"),
    path("w/<slug:slug>/publishing/requests/<int:request_id>/assign/", request_assign, name="publishing_request_assign"),
    path("w/<slug:slug>/publishing/requests/<int:request_id>/priority/", request_priority,
         name="publishing_request_priority"),
    path("w/<slug:slug>/publishing/requests/<int:request_id>/post/", request_post, name="publishing_request_post"),
]
