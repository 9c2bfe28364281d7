"""The inbox's clock: replies whose task was lost are queued again (and those a dead worker left are marked unknown)."""

from django.db import transaction

from comptoir.clock import claims


@claims.register("inbox_replies")
def claim_lost_replies() -> list[int]:
    from .replies import lost_replies, send_reply

    ids = lost_replies()
    for pk in ids:
        transaction.on_commit(lambda pk=pk: send_reply.enqueue(pk))
    return ids
