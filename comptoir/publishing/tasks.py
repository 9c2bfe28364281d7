"""Publishing's background work. Tasks take ids and run twice harmlessly.

``deliver_variants`` delivers a batch of variants the clock claimed: each ``[variant id, attempt id]`` pair is one
claim (see :mod:`comptoir.publishing.delivery`). The batch is started and recorded with a few queries for all, and its
network calls overlap in ``COMPTOIR_DELIVERY_THREADS`` threads.
"""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from . import delivery


@task(queue_name="deliver")
def deliver_variants(claims: list) -> dict[str, int]:
    """Deliver each claimed variant of ``claims`` (``[[variant_id, attempt_id], …]``). Returns a count per outcome."""
    outcomes = delivery.deliver_batch(list(claims or []), threads=max(int(settings.COMPTOIR_DELIVERY_THREADS), 1))
    return {name: count for name, count in outcomes.items() if count}
