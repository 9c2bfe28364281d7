"""“Send to the inbox”: a person picks messages in the Fil or among listening's mentions (a complaint seen on a
network we only listen to, a question in a forum) and makes them conversations the team answers and routes.

Threading does the rest (``threading.thread_items(..., force=True)``): a message already in a conversation stays
where it is, so sending twice changes nothing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.stream.forms import MAX_ID
from comptoir.stream.models import Item
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from . import threading
from .actions import MAX_BULK
from .models import ConversationItem


def check_items(membership: Membership, item_ids) -> list[int]:
    """The ids among ``item_ids`` that are messages of the member's workspace (others are not theirs to send)."""
    ids = []
    for value in list(item_ids)[: MAX_BULK + 1]:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number <= MAX_ID:
            ids.append(number)
    if len(ids) > MAX_BULK:
        raise ValidationError({"items": _("Send at most %(max)s messages at once.") % {"max": MAX_BULK}})
    found = list(Item.objects.filter(workspace=membership.workspace, pk__in=ids).values_list("pk", flat=True))
    if not found:
        raise ValidationError({"items": _("Select the messages to send to the inbox.")})
    return found


def do_send_to_inbox(membership: Membership, item_ids) -> tuple[int, int]:
    """Put the messages in conversations of the inbox. Returns (messages newly in the inbox, conversations started)."""
    check_perm(membership, roles.ANSWER_INBOX)
    ids = check_items(membership, item_ids)
    with transaction.atomic():
        already = set(ConversationItem.objects.filter(item_id__in=ids).values_list("item_id", flat=True))
        started, _touched = threading.thread_items([i for i in ids if i not in already], force=True)
        added = ConversationItem.objects.filter(item_id__in=ids).exclude(item_id__in=already).count()
        if added:
            audit.record(membership.workspace, membership.user, "conversation.send_to_inbox", None,
                         after={"messages": added, "started": len(started)})
    return added, len(started)


def bulk_send(membership: Membership, item_ids) -> str:
    """The Fil's and the mentions' bulk action: the sentence the list shows afterwards."""
    added, started = do_send_to_inbox(membership, item_ids)
    if not added:
        return _("These messages already are in the inbox.")
    return ngettext("%(count)s message sent to the inbox", "%(count)s messages sent to the inbox", added) % {
        "count": added} + " " + ngettext("(%(n)s new conversation).", "(%(n)s new conversations).", started) % {"n": started}


audit.sentences({
    "conversation.send_to_inbox": lambda e, n: ngettext(
        "%(actor)s sent %(count)s message to the inbox.", "%(actor)s sent %(count)s messages to the inbox.",
        e.after["messages"]) % {**n, "count": e.after["messages"]},
})
