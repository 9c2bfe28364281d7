"""The collision guard: who else has a conversation open right now, and who is writing an answer.

The conversation pane sends a heartbeat every few seconds (and says whether its composer holds text); colleagues
seen in the last :data:`FRESH` are shown as "viewing" or "typing a reply". Presence is a hint, not a lock: the real
guard against two answers is ``replies.ReplyCollision``, checked when a reply is sent.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import Conversation, Presence

FRESH = timedelta(seconds=30)  # seen this recently: still there
FORGET = timedelta(minutes=5)  # rows older than this are deleted at the next heartbeat


def do_heartbeat(user, conversation: Conversation, *, typing: bool = False) -> None:
    """``user`` has ``conversation`` open (``typing``: their composer holds text). Not audited: it is a hint."""
    now = timezone.now()
    Presence.objects.update_or_create(conversation=conversation, user=user, defaults={"seen_at": now, "typing": typing})
    # Closed tabs leave rows behind: each heartbeat sweeps the stale ones (a few rows, seen_at unindexed but tiny table).
    Presence.objects.filter(seen_at__lt=now - FORGET).delete()


def others_here(user, conversation: Conversation) -> list[Presence]:
    """Colleagues who had the conversation open in the last :data:`FRESH`, those typing first."""
    return list(Presence.objects.filter(conversation=conversation, seen_at__gte=timezone.now() - FRESH)
                .exclude(user=user).select_related("user").order_by("-typing", "user__full_name")[:10])


def do_leave(user, conversation: Conversation) -> None:
    """The pane was closed: stop showing ``user`` there."""
    Presence.objects.filter(conversation=conversation, user=user).delete()
