"""Publishing screens: the media library (URL patterns gathered by ``publishing/urls.py``).

Files are served by :func:`media_file` to the workspace's members only, never from a public media URL.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import media as actions
from ..models import MediaAsset

PAGE = 60


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"), required=False, allow_empty_file=True)
    alt_text = forms.CharField(label=gettext_lazy("Alt text"), required=False, max_length=actions.ALT_TEXT_MAX,
                               widget=forms.Textarea(attrs={"rows": 2}),
                               help_text=gettext_lazy("What the image shows, for people who cannot see it. "
                                                      "Networks read it aloud."))
    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=actions.TITLE_MAX,
                            help_text=gettext_lazy("For the team, to find it again."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(
            f".{ext}" for ext in [*actions.IMAGE_TYPES, *actions.VIDEO_TYPES])


def _get_asset(membership, asset_id) -> MediaAsset:
    return get_object_or_404(MediaAsset, pk=asset_id, workspace=membership.workspace)


def _filters(request) -> dict:
    kind = request.GET.get("kind", "")
    return {
        "q": request.GET.get("q", "")[:200],
        "kind": kind if kind in MediaAsset.Kind.values else "",
        "missing_alt": request.GET.get("missing_alt") == "1",
        "archived": request.GET.get("archived") == "1",
    }


def _back(request, slug) -> str:
    back = request.POST.get("next", "")
    if back.startswith(f"/w/{slug}/publishing/media/") and "//" not in back and "\\" not in back:
        return back
    return reverse("publishing_media", args=[slug])


def _library_page(request, membership, form, status=200):
    filters = _filters(request)
    assets = actions.library(membership.workspace, **filters).select_related("uploaded_by")
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    shown = list(assets[(page - 1) * PAGE: page * PAGE + 1])
    more = len(shown) > PAGE
    query = {k: ("1" if v is True else v) for k, v in filters.items() if v}
    return render(request, "publishing/media.html", {
        "assets": shown[:PAGE], "filters": filters, "form": form, "kinds": MediaAsset.Kind.choices,
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_PUBLISHING),
        "next_page": urlencode({**query, "page": page + 1}) if more else "",
        "missing_alt_count": MediaAsset.objects.filter(workspace=membership.workspace, archived_at__isnull=True,
                                                       alt_text="").count(),
        "accepted": actions.accepted_extensions(),
        "max_image": actions.max_image_bytes(), "max_video": actions.max_video_bytes(),
    }, status=status)


@login_required
@require_GET
def media_library(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    return _library_page(request, membership, UploadForm())


@login_required
@require_POST
def media_upload(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            asset, created = actions.do_upload(membership, form.cleaned_data["file"],
                                               alt_text=form.cleaned_data["alt_text"], title=form.cleaned_data["title"])
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            if created:
                messages.success(request, _("“%(name)s” is in the library.") % {"name": asset})
                if asset.kind == MediaAsset.Kind.IMAGE and not asset.alt_text:
                    messages.warning(request, _("Add its alt text: networks read it to people who cannot see the image."))
            else:
                messages.info(request, _("This file was already in the library as “%(name)s”: use that one.") % {
                    "name": asset})
            return redirect(f"{reverse('publishing_media', args=[slug])}#media-{asset.pk}")
    return _library_page(request, membership, form, status=400)


@login_required
@require_GET
def media_file(request, slug, asset_id):
    """The file itself, for members only (the grid, the editor's previews)."""
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    asset = _get_asset(membership, asset_id)
    try:
        handle = asset.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("This file is missing from the storage.")) from exc
    response = FileResponse(handle, content_type=asset.content_type, as_attachment=request.GET.get("download") == "1",
                            filename=asset.filename)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
    return response


@login_required
@require_POST
def media_edit(request, slug, asset_id):
    """Alt text and title, inline: htmx gets the card back, a plain form post goes back to the grid."""
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    asset = _get_asset(membership, asset_id)
    error = ""
    try:
        actions.do_edit(membership, asset, alt_text=request.POST.get("alt_text", ""),
                        title=request.POST.get("title") if "title" in request.POST else None)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        asset.refresh_from_db()
    if request.htmx:
        return render(request, "publishing/_media_card.html", {
            "asset": asset, "can_manage": True, "edit_error": error, "saved": not error,
            "submitted_alt": request.POST.get("alt_text", "")[:5000] if error else None,
        }, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Alt text saved."))
    return redirect(f"{_back(request, slug)}#media-{asset.pk}")


@login_required
@require_POST
def media_archive(request, slug, asset_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    asset = _get_asset(membership, asset_id)
    archive = request.POST.get("archive", "1") != "0"
    actions.do_archive(membership, asset, archive)
    if archive:
        messages.success(request, _("“%(name)s” is archived: posts that use it keep it.") % {"name": asset})
    else:
        messages.success(request, _("“%(name)s” is back in the library.") % {"name": asset})
    return redirect(_back(request, slug))


@login_required
@require_http_methods(["GET", "POST"])
def media_delete(request, slug, asset_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    asset = _get_asset(membership, asset_id)
    problem = ""
    try:
        actions.check_delete(asset)
    except ValidationError as exc:
        problem = " ".join(exc.messages)
    if request.method == "POST" and not problem:
        name = str(asset)
        actions.do_delete(membership, asset)
        messages.success(request, _("“%(name)s” is deleted.") % {"name": name})
        return redirect("publishing_media", slug=slug)
    return render(request, "publishing/media_delete.html", {"asset": asset, "problem": problem},
                  status=400 if request.method == "POST" else 200)


urlpatterns: list = [
    path("w/<slug:slug>/publishing/media/", media_library, name="publishing_media"),
    path("w/<slug:slug>/publishing/media/upload/", media_upload, name="publishing_media_upload"),
    path("w/<slug:slug>/publishing/media/<int:asset_id>/file/", media_file, name="publishing_media_file"),
    path("w/<slug:slug>/publishing/media/<int:asset_id>/edit/", media_edit, name="publishing_media_edit"),
    path("w/<slug:slug>/publishing/media/<int:asset_id>/archive/", media_archive, name="publishing_media_archive"),
    path("w/<slug:slug>/publishing/media/<int:asset_id>/delete/", media_delete, name="publishing_media_delete"),
]
