"""The bell's notifications page: every notification of the member in this workspace, mark one or all read,
open one (marked read, then its page)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .access import get_membership
from .models import Notification

PER_PAGE = 50


def _mine(request, membership):
    return Notification.objects.filter(workspace=membership.workspace, user=request.user)


@login_required
def notifications(request, slug):
    membership = get_membership(request, slug)
    rows = _mine(request, membership)
    unread_only = request.GET.get("show") == "unread"
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "workspaces/notifications.html", {
        "page": page, "notes": page.object_list, "unread_only": unread_only,
        "unread": _mine(request, membership).filter(read_at__isnull=True).count(),
    })


def _back(request, slug):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith("/"):
        return redirect(target)
    return redirect("notifications", slug=slug)


@login_required
@require_POST
def notification_read(request, slug, note_id):
    membership = get_membership(request, slug)
    note = get_object_or_404(_mine(request, membership), pk=note_id)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    if request.htmx:
        return render(request, "workspaces/_notification_row.html", {"note": note})
    return _back(request, slug)


@login_required
@require_POST
def notifications_read_all(request, slug):
    membership = get_membership(request, slug)
    _mine(request, membership).filter(read_at__isnull=True).update(read_at=timezone.now())
    if request.htmx:
        response = render(request, "workspaces/_notification_list.html", {
            "notes": _mine(request, membership)[:PER_PAGE], "unread": 0})
        return response
    return _back(request, slug)


@login_required
def notification_open(request, slug, note_id):
    """Follow a notification: marked read, then its page (only a page of this site)."""
    membership = get_membership(request, slug)
    note = get_object_or_404(_mine(request, membership), pk=note_id)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    if note.url.startswith("/") and not note.url.startswith("//") and url_has_allowed_host_and_scheme(
            note.url, allowed_hosts={request.get_host()}):
        return redirect(note.url)
    return redirect(reverse("notifications", args=[slug]))


urlpatterns = [
    path("w/<slug:slug>/notifications/", notifications, name="notifications"),
    path("w/<slug:slug>/notifications/read-all/", notifications_read_all, name="notifications_read_all"),
    path("w/<slug:slug>/notifications/<int:note_id>/read/", notification_read, name="notification_read"),
    path("w/<slug:slug>/notifications/<int:note_id>/", notification_open, name="notification_open"),
]
