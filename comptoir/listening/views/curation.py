"""Listening screens: curation, what the team keeps “to share” (URL patterns gathered by ``listening/urls.py``)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import curation as actions
from ..models import Curation
from ._watch import as_id, flash, form_errors

PAGE = 100


class LinkForm(forms.Form):
    url = forms.CharField(label=gettext_lazy("Address of the article"), max_length=2000,
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))
    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=500)
    note = forms.CharField(label=gettext_lazy("Note for the team"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=gettext_lazy("Why it is worth sharing, the angle to take."))


class NoteForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=500)
    note = forms.CharField(label=gettext_lazy("Note for the team"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4}))


def _back(request, slug) -> str:
    back = request.POST.get("next", "")
    if back.startswith(f"/w/{slug}/") and "//" not in back and "\\" not in back:
        return back
    return reverse("listening_curation", args=[slug])


@login_required
def curation_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    status = request.GET.get("status", Curation.Status.TO_SHARE)
    if status not in Curation.Status.values and status != "all":
        status = Curation.Status.TO_SHARE
    saved = Curation.objects.filter(workspace=membership.workspace)
    counts = dict(saved.order_by().values_list("status").annotate(n=Count("pk")))
    shown = saved if status == "all" else saved.filter(status=status)
    tabs = [(s.value, s.label, counts.get(s.value, 0)) for s in Curation.Status]
    tabs.append(("all", _("All"), sum(counts.values())))
    return render(request, "listening/curation.html", {
        "saved": shown.select_related("item__source", "item__author", "saved_by")[:PAGE], "status": status, "tabs": tabs,
        "form": LinkForm(), "can_manage": roles.has_perm(membership.role, roles.MANAGE_LISTENING),
    })


@login_required
@require_POST
def curation_add(request, slug):
    """Save a message (``item``) or an article found elsewhere (``url``) to share."""
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    if "item" in request.POST:
        item_id = as_id(request.POST.get("item"))
        try:
            if item_id is None:
                raise ValidationError(_("The selection holds something that is not a message: select again."))
            added = actions.do_curate(membership, [item_id], request.POST.get("note", "")[:6000])
        except ValidationError as exc:
            flash(request, exc)
        except PermissionDenied:
            messages.error(request, _("Some of these messages are not in this workspace."))
        else:
            messages.success(request, _("Saved to share.") if added else _("Already saved to share."))
        return redirect(_back(request, slug))
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            saved = actions.do_curate_link(membership, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("“%(title)s” saved to share.") % {"title": saved.title})
            return redirect("listening_curation", slug=slug)
    saved = Curation.objects.filter(workspace=membership.workspace, status=Curation.Status.TO_SHARE)
    return render(request, "listening/curation.html", {
        "saved": saved.select_related("item__source", "item__author", "saved_by")[:PAGE], "status": "to_share",
        "tabs": [], "form": form, "can_manage": True, "form_open": True}, status=400)


def _get(membership, curation_id) -> Curation:
    return get_object_or_404(Curation.objects.select_related("item__source"), pk=curation_id, workspace=membership.workspace)


@login_required
@require_http_methods(["GET", "POST"])
def curation_edit(request, slug, curation_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    saved = _get(membership, curation_id)
    form = NoteForm(request.POST or None, initial={"title": saved.title, "note": saved.note})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_edit_curation(membership, saved, form.cleaned_data["note"], form.cleaned_data["title"])
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Note saved."))
            return redirect(f"{reverse('listening_curation', args=[slug])}?status={saved.status}#curation-{saved.pk}")
    return render(request, "listening/curation_edit.html", {"form": form, "saved": saved},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def curation_action(request, slug, curation_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    saved = _get(membership, curation_id)
    action = request.POST.get("action", "")
    try:
        if action == "draft":
            actions.do_make_draft(membership, saved)
            messages.success(request, _("Draft ready to copy. It will go to the editorial calendar once publishing "
                                        "is part of Comptoir."))
            return redirect(f"{reverse('listening_curation', args=[slug])}?status=drafted#curation-{saved.pk}")
        if action in ("shared", "dropped", "to_share"):
            actions.do_set_curation_status(membership, saved, action)
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as exc:
        flash(request, exc)
    return redirect(_back(request, slug))


urlpatterns: list = [
    path("w/<slug:slug>/listening/curation/", curation_list, name="listening_curation"),
    path("w/<slug:slug>/listening/curation/add/", curation_add, name="listening_curation_add"),
    path("w/<slug:slug>/listening/curation/<int:curation_id>/", curation_edit, name="listening_curation_item"),
    path("w/<slug:slug>/listening/curation/<int:curation_id>/act/", curation_action, name="listening_curation_action"),
]
