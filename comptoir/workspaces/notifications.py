"""Notifications to members: a row per person (the bell), and an e-mail sent by a task after commit."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .models import Notification, User


def notify(workspace_id: int, users: Iterable[User | int], kind: str, message, *, url: str = "", key: str = "",
           is_alarm: bool = False, email: bool = True) -> list[int]:
    """Tell ``users`` ``message`` (a lazy/i18n message: stored as id + values). Returns the notification ids.

    ``key`` names what it is about (``post:12``): an unread notification with the same key and kind for the
    same person is replaced rather than piled up. ``email`` sends it by e-mail too (after commit, by a task).
    """
    user_ids = sorted({u if isinstance(u, int) else u.pk for u in users})
    ids: list[int] = []
    now = timezone.now()
    for user_id in user_ids:
        if key:
            Notification.objects.filter(workspace_id=workspace_id, user_id=user_id, kind=kind, key=key,
                                        read_at__isnull=True).update(read_at=now)
        note = Notification(workspace_id=workspace_id, user_id=user_id, kind=kind, url=url[:500], key=key[:120],
                            is_alarm=is_alarm)
        note.message = message
        note.save()
        ids.append(note.pk)
    if email and ids:
        from .tasks import send_notification_mails

        transaction.on_commit(lambda: send_notification_mails.enqueue(ids))
    return ids
