"""Moderation: the charter — the team's editor (draft, live preview, versions and their differences, publication,
settings, acceptances) and the public pages (/charte/<workspace>/, no account), where members may accept it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership
from comptoir.workspaces.models import Workspace
from comptoir.workspaces.throttle import client_address

from .. import charter
from ..models import CharterVersion, ModerationSettings


def _errors(exc: ValidationError) -> dict:
    """The form's errors by field; those of no field under "all" (a template cannot read "__all__")."""
    return {("all" if field == "__all__" else field): msgs for field, msgs in exc.message_dict.items()}


def _typed(request) -> dict:
    return {name: request.POST.get(name, "") for name in ("body_fr", "body_en", "changes")}


def _article_check(body_fr: str, body_en: str) -> dict:
    """What the preview says about the articles: those found per language and the numbering problems."""
    found = {"fr": charter.headings(body_fr), "en": charter.headings(body_en)}
    problems = {language: charter.article_errors(found[language]) for language in ("fr", "en")}
    mismatch = bool(body_en.strip()) and not problems["fr"] and not problems["en"] and (
        [h.number for h in found["fr"]] != [h.number for h in found["en"]])
    return {"found": found, "problems": problems, "mismatch": mismatch}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def charter_editor(request, slug):
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    workspace = membership.workspace
    can_manage = roles.has_perm(membership.role, roles.MANAGE_MODERATION)
    the_draft = charter.draft(workspace)
    errors, status = {}, 200
    if request.method == "POST":
        membership = get_membership(request, slug, roles.MANAGE_MODERATION)
        typed = _typed(request)
        try:
            the_draft = charter.do_save_draft(membership, typed)
        except ValidationError as exc:
            errors, status = _errors(exc), 400
        else:
            messages.success(request, _("Draft saved (version %(n)s).") % {"n": the_draft.number})
            return redirect("moderation_charter", slug=slug)
    else:
        typed = ({"body_fr": the_draft.body_fr, "body_en": the_draft.body_en, "changes": the_draft.changes}
                 if the_draft is not None else charter.starting_text(workspace))
    versions = list(charter.published(workspace))
    counts = charter.acceptance_counts(workspace)
    for version in versions:
        version.accepted = counts.get(version.pk, 0)
    body_fr, body_en = str(typed.get("body_fr", ""))[:charter.MAX_BODY], str(typed.get("body_en", ""))[:charter.MAX_BODY]
    return render(request, "moderation/charter.html", {
        "draft": the_draft, "typed": typed, "errors": errors, "can_manage": can_manage, "versions": versions,
        "current": versions[0] if versions else None, "settings": ModerationSettings.of(workspace.pk),
        "preview_fr": charter.render_markdown(body_fr), "preview_en": charter.render_markdown(body_en),
        "check": _article_check(body_fr, body_en), "max_body": charter.MAX_BODY, "max_changes": charter.MAX_CHANGES,
        "next_number": the_draft.number if the_draft else (versions[0].number + 1 if versions else 1),
    }, status=status)


@login_required
@require_POST
def charter_preview(request, slug):
    get_membership(request, slug, roles.MANAGE_MODERATION)
    body_fr = str(request.POST.get("body_fr", ""))
    body_en = str(request.POST.get("body_en", ""))
    too_long = [lang for lang, body in (("fr", body_fr), ("en", body_en)) if len(body) > charter.MAX_BODY]
    body_fr, body_en = body_fr[:charter.MAX_BODY], body_en[:charter.MAX_BODY]
    return render(request, "moderation/_charter_preview.html", {
        "preview_fr": charter.render_markdown(body_fr), "preview_en": charter.render_markdown(body_en),
        "check": _article_check(body_fr, body_en), "too_long": too_long, "max_body": charter.MAX_BODY})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def charter_publish(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    the_draft = charter.draft(membership.workspace)
    if the_draft is None:
        messages.info(request, _("There is no draft to publish: edit the charter first."))
        return redirect("moderation_charter", slug=slug)
    errors, status, articles = {}, 200, []
    try:
        articles = charter.check_publish(the_draft)
    except ValidationError as exc:
        errors, status = exc.message_dict, 400
    if request.method == "POST" and not errors:
        try:
            version = charter.do_publish(membership, the_draft)
        except ValidationError as exc:
            errors, status = exc.message_dict, 400
        else:
            messages.success(request, _("Version %(n)s of the charter is published.") % {"n": version.number})
            return redirect("moderation_charter", slug=slug)
    previous = charter.current(membership.workspace)
    return render(request, "moderation/charter_publish.html", {
        "draft": the_draft, "articles": articles, "errors": errors, "previous": previous,
        "diff": charter.diff(previous, the_draft)}, status=status if request.method == "POST" or errors else 200)


@login_required
@require_POST
def charter_settings(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_MODERATION)
    charter.do_update_settings(membership, request.POST)
    messages.success(request, _("Charter settings saved."))
    return redirect("moderation_charter", slug=slug)


@login_required
def charter_version(request, slug, number):
    membership = get_membership(request, slug, roles.VIEW_MODERATION)
    version = get_object_or_404(CharterVersion, workspace=membership.workspace, number=number)
    older = (CharterVersion.objects.filter(workspace=membership.workspace, number__lt=version.number,
                                           published_at__isnull=False).order_by("-number"))
    against = request.GET.get("against", "")
    base = None
    if against.isdigit():
        base = older.filter(number=int(against)).first()
    if base is None:
        base = older.first()
    return render(request, "moderation/charter_version.html", {
        "version": version, "base": base, "older": list(older[:50]), "diff": charter.diff(base, version),
        "html_fr": charter.render(version, "fr"), "html_en": charter.render(version, "en"),
        "accepted": version.acceptances.count(),
        "acceptances": version.acceptances.order_by("-accepted_at")[:50]
        if roles.has_perm(membership.role, roles.MANAGE_MODERATION) else [],
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_MODERATION)})


# The public pages: no account. ---------------------------------------------------------------------------------


def _public_workspace(slug) -> tuple[Workspace, ModerationSettings]:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404
    settings = ModerationSettings.of(workspace.pk)
    if not settings.charter_public:
        raise Http404
    return workspace, settings


def _page_language(request, workspace) -> str:
    asked = request.GET.get("lang", "")
    if asked in charter.LANGUAGES:
        return asked
    return workspace.language if workspace.language in charter.LANGUAGES else "fr"


@require_http_methods(["GET", "HEAD", "POST"])
def charter_public(request, slug, number=None):
    workspace, settings = _public_workspace(slug)
    versions = list(charter.published(workspace).only("number", "published_at", "workspace_id", "changes"))
    if not versions:
        raise Http404
    latest = versions[0]
    if number is None:
        version = charter.current(workspace)
    else:
        version = charter.published(workspace).filter(number=number).first()
        if version is None:
            raise Http404
    language = _page_language(request, workspace)
    body, shown_in = charter.body_of(version, language)
    errors, status, typed = {}, 200, {"name": "", "email": "", "handle": ""}
    asking = settings.ask_acceptance and version.pk == latest.pk
    with translation.override(language):
        if request.method == "POST":
            if not asking:
                raise Http404
            typed = {name: str(request.POST.get(name, ""))[:1000] for name in typed}
            try:
                charter.do_accept(version, typed, address=client_address(request))
            except charter.TooManyAcceptances as exc:
                errors, status = {"all": [str(exc)]}, 429
            except ValidationError as exc:
                errors, status = _errors(exc), 400
            else:
                target = request.path + (f"?lang={language}&accepted=1" if request.GET.get("lang") else "?accepted=1")
                return redirect(target)
        response = render(request, "moderation/charter_public.html", {
            "workspace": workspace, "version": version, "latest": latest, "versions": versions,
            "html": charter.render_markdown(body), "page_language": language, "shown_in": shown_in,
            "asking": asking, "errors": errors, "typed": typed, "accepted": request.GET.get("accepted") == "1",
            "articles": [{"number": a["number"], "title": a.get(f"title_{shown_in}") or a.get("title_fr", "")}
                         for a in version.articles or []],
        }, status=status)
    response["Content-Language"] = language
    # Not "no-referrer": Chromium then posts the form with "Origin: null", which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    if request.method == "POST":
        response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("w/<slug:slug>/moderation/charter/", charter_editor, name="moderation_charter"),
    path("w/<slug:slug>/moderation/charter/preview/", charter_preview, name="moderation_charter_preview"),
    path("w/<slug:slug>/moderation/charter/publish/", charter_publish, name="moderation_charter_publish"),
    path("w/<slug:slug>/moderation/charter/settings/", charter_settings, name="moderation_charter_settings"),
    path("w/<slug:slug>/moderation/charter/v/<int:number>/", charter_version, name="moderation_charter_version"),
    path("charte/<slug:slug>/", charter_public, name="moderation_charter_public"),
    path("charte/<slug:slug>/v/<int:number>/", charter_public, name="moderation_charter_public_version"),
]
