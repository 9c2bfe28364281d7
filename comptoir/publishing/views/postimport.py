"""Publishing screens: bulk import of posts from CSV (URL patterns gathered by ``publishing/urls.py``).

Upload → preview with each line's problems → confirm (the file travels back in the form, checked
again in full) → drafts, listed on the result page.
"""

import base64
import binascii

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import postimport
from ..models import Post


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))


def _zone(request, membership) -> str:
    return getattr(request.user, "time_zone", "") or membership.workspace.time_zone


def _page(request, form, status=200, **extra):
    return render(request, "publishing/import.html", {
        "form": form, "columns": [(name, postimport.COLUMN_HELP[name]) for name in postimport.COLUMNS],
        "max_rows": postimport.MAX_ROWS, "max_bytes": postimport.MAX_FILE_BYTES, **extra}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_posts(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    if request.method == "GET":
        return _page(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > postimport.MAX_FILE_BYTES:
        form.add_error("file", _("The file is too large for an import of posts: split it (%(max)d posts per file at "
                                 "most).") % {"max": postimport.MAX_ROWS})
        return _page(request, form, status=400)
    data = upload.read(postimport.MAX_FILE_BYTES + 1)
    checked = postimport.preview(membership.workspace, data, _zone(request, membership))
    return _page(request, ImportForm(), status=200 if checked.ok else 400, preview=checked,
                 payload=base64.b64encode(data).decode("ascii") if checked.ok else "", filename=upload.name[:200])


@login_required
@require_POST
def import_confirm(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    try:
        data = base64.b64decode(request.POST.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    try:
        created = postimport.do_import(membership, data, _zone(request, membership))
    except ValidationError as exc:
        checked = postimport.preview(membership.workspace, data, _zone(request, membership))
        for message in exc.messages:
            messages.error(request, message)
        return _page(request, ImportForm(), status=400, preview=checked)
    messages.success(request, ngettext(
        "%(count)d draft created. Nothing is scheduled: open it to send it for approval or schedule it.",
        "%(count)d drafts created. Nothing is scheduled: open each one to send it for approval or schedule it.",
        len(created)) % {"count": len(created)})
    return redirect(f"{reverse('publishing_import_done', args=[slug])}?posts={','.join(str(p.pk) for p in created)}")


@login_required
@require_GET
def import_done(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    ids = [int(v) for v in request.GET.get("posts", "").split(",")[:postimport.MAX_ROWS] if v.isdigit() and len(v) < 19]
    posts = (Post.objects.filter(workspace=membership.workspace, pk__in=ids)
             .prefetch_related("variants__channel").select_related("campaign").order_by("publish_at", "pk"))
    return render(request, "publishing/import_done.html", {"posts": posts})


@login_required
@require_GET
def import_template(request, slug):
    get_membership(request, slug, roles.MANAGE_PUBLISHING)
    response = HttpResponse("\ufeff" + postimport.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="comptoir-posts-template.csv"'
    return response


urlpatterns: list = [
    path("w/<slug:slug>/publishing/import/", import_posts, name="publishing_import"),
    path("w/<slug:slug>/publishing/import/confirm/", import_confirm, name="publishing_import_confirm"),
    path("w/<slug:slug>/publishing/import/done/", import_done, name="publishing_import_done"),
    path("w/<slug:slug>/publishing/import/template.csv", import_template, name="publishing_import_template"),
]
