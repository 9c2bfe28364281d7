"""The inbox: saved replies (the team's ready answers), the inbox settings (experts answering directly, satisfaction
question) and the public page where a member answers the satisfaction question."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import csat, savedreplies
from ..models import InboxSettings, SavedReply

PER_PAGE = 100


def _get_saved(membership, saved_reply_id) -> SavedReply:
    return get_object_or_404(SavedReply, pk=saved_reply_id, workspace=membership.workspace)


@login_required
def saved_replies(request, slug):
    """Every saved reply, searchable by title and text, filtered by language."""
    membership = get_membership(request, slug, roles.ANSWER_INBOX)
    q = request.GET.get("q", "")[:200]
    language = request.GET.get("language", "")
    language = language if language in ("fr", "en", "any") else ""
    found = savedreplies.search(membership.workspace_id, q, language=language or None)
    total = SavedReply.objects.filter(workspace=membership.workspace).count()
    return render(request, "inbox/saved_replies.html", {
        "saved_replies": list(found[:PER_PAGE]), "shown_all": found.count() <= PER_PAGE, "total": total, "q": q,
        "language": language, "can_manage": roles.has_perm(membership.role, roles.MANAGE_INBOX),
        "variables": savedreplies.VARIABLES})


def _form(request, membership, saved: SavedReply | None):
    typed = {"title": saved.title if saved else "", "language": saved.language if saved else "",
             "text": saved.text if saved else ""}
    errors, status = {}, 200
    if request.method == "POST":
        typed = {"title": request.POST.get("title", "")[:200_000], "language": request.POST.get("language", "")[:10],
                 "text": request.POST.get("text", "")[:200_000]}
        try:
            if saved is None:
                saved = savedreplies.do_create_saved_reply(membership, **typed)
                messages.success(request, _("Saved reply “%(title)s” created.") % {"title": saved.title})
            else:
                saved = savedreplies.do_update_saved_reply(membership, saved, **typed)
                messages.success(request, _("Saved reply “%(title)s” saved.") % {"title": saved.title})
        except ValidationError as exc:
            errors, status = exc.message_dict, 400
        else:
            return redirect("inbox_saved_replies", slug=membership.workspace.slug)
    return render(request, "inbox/saved_replies_form.html", {
        "saved": saved, "typed": typed, "errors": errors, "variables": savedreplies.VARIABLES,
        "max_title": savedreplies.MAX_TITLE, "max_text": savedreplies.MAX_TEXT}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def saved_reply_new(request, slug):
    return _form(request, get_membership(request, slug, roles.MANAGE_INBOX), None)


@login_required
@require_http_methods(["GET", "POST"])
def saved_reply_edit(request, slug, saved_reply_id):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    return _form(request, membership, _get_saved(membership, saved_reply_id))


@login_required
@require_http_methods(["GET", "POST"])
def saved_reply_delete(request, slug, saved_reply_id):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    saved = _get_saved(membership, saved_reply_id)
    if request.method == "POST":
        savedreplies.do_delete_saved_reply(membership, saved)
        messages.success(request, _("Saved reply “%(title)s” deleted.") % {"title": saved.title})
        return redirect("inbox_saved_replies", slug=slug)
    return render(request, "inbox/saved_replies_delete.html", {"saved": saved})


@login_required
@require_http_methods(["GET", "POST"])
def inbox_settings(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    inbox = InboxSettings.of(membership.workspace_id)
    typed = {name: getattr(inbox, name) for name in csat.SETTINGS_FIELDS}
    errors, status = {}, 200
    if request.method == "POST":
        typed = {name: request.POST.get(name, "")[:10_000] for name in csat.SETTINGS_FIELDS}
        try:
            csat.do_update_inbox_settings(membership, typed)
        except ValidationError as exc:
            errors, status = exc.message_dict, 400
            typed = {**typed, **{n: typed[n] in ("1", "on") for n in ("experts_reply_directly", "csat_enabled")}}
        else:
            messages.success(request, _("Inbox settings saved."))
            return redirect("inbox_settings", slug=slug)
    return render(request, "inbox/csat_settings.html", {
        "typed": typed, "errors": errors, "default_fr": csat.default_question("fr"),
        "default_en": csat.default_question("en"), "max_question": csat.MAX_QUESTION}, status=status)


# The member's satisfaction page: public, no account. ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
def satisfaction(request, token):
    found = csat.find(token)
    if found is None:
        raise Http404
    language = csat.language_of(found.conversation)
    if request.COOKIES.get("django_language") in ("fr", "en"):  # the member chose the page's language
        language = request.COOKIES["django_language"]
    errors, status, typed = {}, 200, {"score": found.score, "comment": found.comment}
    saved = request.GET.get("saved") == "1"
    with translation.override(language):
        if request.method == "POST":
            typed = {"score": request.POST.get("score", "")[:10], "comment": request.POST.get("comment", "")[:20_000]}
            try:
                csat.do_answer(found, typed["score"], typed["comment"])
            except csat.TooManyAnswers as exc:
                errors, status = {"score": [str(exc)]}, 429
            except ValidationError as exc:
                errors, status = exc.message_dict, 400
            else:
                return redirect(f"{request.path}?saved=1")
            if str(typed["score"]).isdigit():
                typed["score"] = int(typed["score"])
        response = render(request, "inbox/csat_page.html", {
            "satisfaction": found, "workspace": found.workspace, "open": csat.is_open(found), "typed": typed,
            "errors": errors, "saved": saved and found.score is not None, "scores": range(1, 6),
            "days": csat.ANSWER_DAYS, "page_language": language}, status=status)
    response["Cache-Control"] = "no-store"
    # The token is in the address: no other site may see it. Not "no-referrer": browsers then post the form with
    # "Origin: null", which the CSRF check refuses (the journey test met it in Chromium).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns = [
    path("w/<slug:slug>/inbox/saved-replies/", saved_replies, name="inbox_saved_replies"),
    path("w/<slug:slug>/inbox/saved-replies/new/", saved_reply_new, name="inbox_saved_reply_new"),
    path("w/<slug:slug>/inbox/saved-replies/<int:saved_reply_id>/", saved_reply_edit, name="inbox_saved_reply_edit"),
    path("w/<slug:slug>/inbox/saved-replies/<int:saved_reply_id>/delete/", saved_reply_delete,
         name="inbox_saved_reply_delete"),
    path("w/<slug:slug>/inbox/settings/", inbox_settings, name="inbox_settings"),
    path("s/<str:token>/", satisfaction, name="inbox_csat"),
]
