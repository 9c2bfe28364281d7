"""Publishing's background work. Tasks take ids and run twice harmlessly.

``deliver_variants`` delivers a batch of variants the clock claimed: each ``[variant id, attempt id]`` pair is one
claim (see :mod:`comptoir.publishing.delivery`). A batch is spread over a few threads, so that the waits on the
networks overlap; each thread has its own database connection and closes it.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection
from django.tasks import task

from . import delivery

logger = logging.getLogger("comptoir.publishing.delivery")


def _one(claim) -> str:
    try:
        variant_id, attempt_id = int(claim[0]), str(claim[1])
    except (TypeError, ValueError, IndexError):
        logger.error("Malformed delivery claim %r", claim)
        return "skipped"
    return delivery.deliver(variant_id, attempt_id)


def _in_thread(claim) -> str:
    try:
        return _one(claim)
    finally:
        connection.close()


@task(queue_name="deliver")
def deliver_variants(claims: list) -> dict[str, int]:
    """Deliver each claimed variant of ``claims`` (``[[variant_id, attempt_id], …]``). Returns a count per outcome."""
    claims = list(claims or [])
    threads = min(max(int(settings.COMPTOIR_DELIVERY_THREADS), 1), len(claims) or 1)
    if threads == 1:
        outcomes = [_one(claim) for claim in claims]
    else:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="deliver") as pool:
            outcomes = list(pool.map(_in_thread, claims))
    return dict(Counter(outcomes))
