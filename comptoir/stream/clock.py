"""The clock claims due sources and enqueues their polls."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from comptoir.clock import claims

from .models import Source


def pollable():
    """Sources the clock reads when they are due: not removed, not paused, and their channel (if any) active."""
    sources = Source.objects.current().exclude(status=Source.Status.PAUSED)
    return sources.filter(Q(channel__isnull=True) | Q(channel__status__in=["active", "error"]))


@claims.register("sources")
def claim_due_sources() -> list[int]:
    now = timezone.now()
    # Sources due before the next tick are claimed now and their poll waits for its time (run_after): an owned
    # channel read every few seconds is read on time, not up to one tick late.
    horizon = now + timedelta(seconds=settings.COMPTOIR_CLOCK_INTERVAL_SECONDS)
    # A source without next_poll_at is never due: pushed or imported, or paused.
    due = pollable().filter(next_poll_at__lte=horizon)
    planned: dict[int, object] = {}

    def lease(source: Source) -> dict:
        planned[source.pk] = source.next_poll_at
        # The claim moves next_poll_at one lease ahead: if the worker dies, the source comes due again.
        return {"next_poll_at": now + Source.CLAIM_LEASE}

    won = claims.claim_due(due, "next_poll_at", lease)
    from .tasks import poll_source

    for pk in won:
        at = planned.get(pk)
        task = poll_source.using(run_after=at) if at is not None and at > now else poll_source
        transaction.on_commit(lambda pk=pk, task=task: task.enqueue(pk))
    return won
