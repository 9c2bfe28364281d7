"""The inbox's screens (foundation: the list and the conversation page are built on this)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from ..models import Conversation


@login_required
def inbox(request, slug):
    membership = get_membership(request, slug, roles.VIEW_INBOX)
    rows = Conversation.objects.filter(workspace=membership.workspace).order_by("-sort_key")[:50]
    return render(request, "inbox/inbox.html", {"conversations": rows})


@login_required
def conversation(request, slug, conversation_id):
    membership = get_membership(request, slug, roles.VIEW_INBOX)
    found = get_object_or_404(Conversation, pk=conversation_id, workspace=membership.workspace)
    # Placeholder until the real pane (H-list): the replies and the composer, as the pane will include them.
    from .replies import composer_context

    context = composer_context(membership, found)
    return render(request, "inbox/inbox.html", {"conversations": [found], **context,
                                                "replies": found.replies.select_related("author", "approved_by", "rule")})


from django.urls import path  # noqa: E402

urlpatterns = [
    path("w/<slug:slug>/inbox/", inbox, name="inbox"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/", conversation, name="inbox_conversation"),
]
