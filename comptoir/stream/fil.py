"""The Fil: every message of the workspace, as the first screen of the one list (:mod:`comptoir.stream.screen`),
and the actions of its detail pane (review, tags, label corrections) that every screen's pane shares."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from comptoir.inbox import sendto
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from . import actions
from .models import Tag
from .query import cursor_value
from .screen import BulkAction, ListScreen, back, flash, get_item

FIL = ListScreen(
    key="stream", title=gettext_lazy("Stream"), url_name="stream", count_url_name="stream_count",
    bulk_url_name="stream_bulk", view_save_url_name="stream_view_save", view_delete_url_name="stream_view_delete",
    item_url_name="item_detail",
    # Views everyone has, before their own.
    builtin_views=[
        (gettext_lazy("Everything"), ""),
        (gettext_lazy("To review"), "reviewed=no"),
        (gettext_lazy("Complaints"), "complaint=complaint"),
        (gettext_lazy("Questions"), "intent=question"),
        (gettext_lazy("Toxic"), "toxicity=toxic"),
    ],
    # "Send to the inbox": the messages become conversations the team answers (comptoir.inbox.sendto).
    bulk_template="inbox/_sendto_bulk.html", detail_template="inbox/_sendto_detail.html",
    bulk_actions={"send_to_inbox": BulkAction(perm=roles.ANSWER_INBOX, run=sendto.bulk_send)},
)


def _back(request, slug) -> str:
    return back(request, slug, reverse("stream", args=[slug]))


@login_required
@require_POST
def item_correct(request, slug, item_id):
    membership = get_membership(request, slug, roles.MODERATE)
    item = get_item(membership, item_id)
    try:
        actions.do_correct_label(membership, item, request.POST.get("task", "")[:20], request.POST.get("label", "")[:20])
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("Label corrected. Thank you: the next model will learn from it."))
    return redirect(_back(request, slug))


@login_required
@require_POST
def item_review(request, slug, item_id):
    membership = get_membership(request, slug, roles.MODERATE)
    item = get_item(membership, item_id)
    actions.do_set_reviewed(membership, [item.pk], request.POST.get("reviewed") != "no")
    return redirect(_back(request, slug))


@login_required
@require_POST
def item_tag(request, slug, item_id):
    membership = get_membership(request, slug, roles.MODERATE)
    item = get_item(membership, item_id)
    try:
        if request.POST.get("remove"):
            tag = get_object_or_404(Tag, pk=cursor_value(request.POST["remove"]) or 0, workspace=membership.workspace)
            actions.do_untag(membership, [item.pk], tag)
        else:
            actions.do_tag(membership, [item.pk], request.POST.get("tag", "")[:200])
    except ValidationError as exc:
        flash(request, exc)
    return redirect(_back(request, slug))


@login_required
def badge(request, slug):
    """The sidebar's count of messages to review (the shell's context computes it), polled by every page."""
    get_membership(request, slug, roles.VIEW_STREAM)
    return render(request, "stream/_badge.html")
