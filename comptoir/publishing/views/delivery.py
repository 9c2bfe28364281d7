"""Publishing screens: delivery (URL patterns gathered by ``publishing/urls.py``).

The post's delivery page (each channel's state, the remote link, the error) and the community manager's actions on
one variant: send it again, or settle an unknown outcome. The post page includes the same partial.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import delivery
from ..models import Post, Variant


def _get_post(membership, post_id) -> Post:
    return get_object_or_404(Post.objects.select_related("workspace"), pk=post_id, workspace=membership.workspace)


def _get_variant(membership, variant_id) -> Variant:
    return get_object_or_404(Variant.objects.select_related("post", "post__workspace", "channel"), pk=variant_id,
                             post__workspace=membership.workspace)


def _back(request, slug, post: Post):
    if request.htmx:
        return render(request, "publishing/_delivery.html", {"post": post})
    back = request.POST.get("next", "")
    if back.startswith(f"/w/{slug}/publishing/") and "//" not in back and "\\" not in back:
        return redirect(back)
    return redirect("publishing_delivery", slug=slug, post_id=post.pk)


def _flash(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def delivery_page(request, slug, post_id):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    post = _get_post(membership, post_id)
    if request.htmx:
        return render(request, "publishing/_delivery.html", {"post": post})
    return render(request, "publishing/delivery.html", {"post": post})


@login_required
@require_POST
def delivery_retry(request, slug, variant_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    variant = _get_variant(membership, variant_id)
    try:
        delivery.do_retry(membership, variant)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("It goes out on %(channel)s within a minute.") % {"channel": str(variant.channel)})
    return _back(request, slug, variant.post)


@login_required
@require_POST
def delivery_published(request, slug, variant_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    variant = _get_variant(membership, variant_id)
    try:
        delivery.do_mark_published(membership, variant, request.POST.get("url", ""))
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Noted: the post is on %(channel)s.") % {"channel": str(variant.channel)})
    return _back(request, slug, variant.post)


urlpatterns: list = [
    path("w/<slug:slug>/publishing/posts/<int:post_id>/delivery/", delivery_page, name="publishing_delivery"),
    path("w/<slug:slug>/publishing/variants/<int:variant_id>/retry/", delivery_retry, name="publishing_delivery_retry"),
    path("w/<slug:slug>/publishing/variants/<int:variant_id>/published/", delivery_published,
         name="publishing_delivery_published"),
]
