"""The clock claims due sources and enqueues their polls."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from comptoir.clock import claims

from .models import Source


@claims.register("sources")
def claim_due_sources() -> list[int]:
    now = timezone.now()
    # A source without next_poll_at is never due: pushed or imported, or paused.
    due = Source.objects.current().exclude(status=Source.Status.PAUSED).filter(next_poll_at__lte=now)
    due = due.filter(Q(channel__isnull=True) | Q(channel__status__in=["active", "error"]))
    # The claim moves next_poll_at one lease ahead: if the worker dies, the source comes due again.
    won = claims.claim_due(due, "next_poll_at", lambda s: {"next_poll_at": now + Source.CLAIM_LEASE})
    from .tasks import poll_source

    for pk in won:
        transaction.on_commit(lambda pk=pk: poll_source.enqueue(pk))
    return won
