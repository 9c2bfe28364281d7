"""Background work of the workspaces app: e-mailing notifications."""

import logging

from django.conf import settings
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


@task(queue_name="default")
def send_notification_mails(notification_ids: list[int]) -> int:
    """E-mail each notification once, in its reader's language. Idempotent: a sent one is never sent again."""
    from django.core.mail import EmailMessage, mailers

    from .models import Notification

    sent = 0
    for note in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related(
            "user", "workspace"):
        # Claim the e-mail with compare-and-set: two workers never send it twice.
        if not Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
            continue
        if not note.user.is_active or not note.user.email:
            continue
        with translation.override(note.user.language or settings.LANGUAGE_CODE):
            message = str(note.message)
            subject = f"[{note.workspace.name}] {message}"[:200].replace("\n", " ")
            link = f"{settings.BASE_URL}{note.url}" if note.url.startswith("/") else note.url
            body = "\n\n".join(filter(None, [
                _("Hello %(name)s,") % {"name": note.user.full_name or note.user.email},
                message,
                link,
                _("You receive this e-mail because you are a member of the workspace “%(workspace)s” on Comptoir.")
                % {"workspace": note.workspace.name},
            ]))
        try:
            sent += mailers.default.send_messages([EmailMessage(subject, body, None, [note.user.email])]) or 0
        except Exception:
            logger.exception("Could not e-mail notification %s", note.pk)
            # The bell still shows it; the e-mail can be tried again by a new run of this task.
            Notification.objects.filter(pk=note.pk).update(emailed_at=None)
    return sent
