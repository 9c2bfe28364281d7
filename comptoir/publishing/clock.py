"""The clock claims the variants whose delivery is due and enqueues their delivery.

Due: scheduled variants whose date (or next try) has come, and claimed ones whose lease ran out because the worker
holding them died. Each claim is a compare-and-set on ``due_at`` that gives the variant a fresh attempt id and a lease;
the task looks up any attempt that may have published before sending anything.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comptoir.clock import claims

from .models import Variant

QUEUE = "deliver"


def _queued_claims() -> int:
    """Claims already waiting in the queue: the clock does not claim far ahead of what the workers can take."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return 0
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
        return 0
    return DBTaskResult.objects.ready().filter(queue_name=QUEUE).count() * settings.COMPTOIR_DELIVERY_TASK_SIZE


@claims.register("publishing_deliveries")
def claim_due_variants() -> list[int]:
    from . import delivery
    from .tasks import deliver_variants

    now = timezone.now()
    orphans = list(Variant.objects.filter(state=Variant.State.SCHEDULED, channel__isnull=True, due_at__lte=now)
                   .values_list("pk", flat=True)[:100])
    if orphans:
        delivery.fail_without_channel(orphans)
    room = settings.COMPTOIR_DELIVERY_CLAIM_BATCH - _queued_claims()
    if room <= 0:
        return []
    due = Variant.objects.filter(state__in=[Variant.State.SCHEDULED, Variant.State.CLAIMED], due_at__lte=now,
                                 channel__isnull=False)
    attempt_ids: dict[int, str] = {}

    def claim(variant: Variant) -> dict:
        attempt_ids[variant.pk] = delivery.new_attempt_id()
        return {"state": Variant.State.CLAIMED, "attempt_id": attempt_ids[variant.pk], "claimed_at": now,
                "due_at": now + delivery.lease()}

    won = claims.claim_due(due, "due_at", claim, limit=room)
    size = max(settings.COMPTOIR_DELIVERY_TASK_SIZE, 1)
    pairs = [[pk, attempt_ids[pk]] for pk in won]
    for start in range(0, len(pairs), size):
        batch = pairs[start:start + size]
        transaction.on_commit(lambda batch=batch: deliver_variants.enqueue(batch))
    return won
