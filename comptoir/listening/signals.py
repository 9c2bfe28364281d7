"""Listening's signal, and how listening follows the stream (the stream never imports listening: it sends signals).

:data:`mentions_created` — sent once new mentions are committed, by ``tasks.match_items`` (messages that just
came in) and ``tasks.rematch_topic`` (a topic's queries or sources changed, so its past was read again), with:

* ``workspace_id``: the workspace of the mentions (one signal per workspace);
* ``mention_ids``: the ``Mention`` rows created, never the ones that existed already;
* ``rematch``: True when they come from reading the past again (a new or edited topic). Those mentions are
  old news: an alert that counts what is arriving now should not count them.

Receivers run after the commit, outside any transaction; one that starts work enqueues a task (taking ids).
"""

from django.db import transaction
from django.dispatch import Signal

mentions_created = Signal()


def items_analysed(sender, item_ids: list[int], **kwargs) -> None:
    """New messages have their labels (language included): match them against the topics once they are committed."""
    from .tasks import MATCH_CHUNK, match_items

    ids = list(item_ids)

    def enqueue() -> None:
        for start in range(0, len(ids), MATCH_CHUNK):
            match_items.enqueue(ids[start:start + MATCH_CHUNK])

    transaction.on_commit(enqueue)


def labels_corrected(sender, item_ids: list[int], task: str, label: str, **kwargs) -> None:
    """A person corrected a message's sentiment: its mentions say the same, in the same transaction."""
    if task != "sentiment":
        return
    from .models import Mention

    Mention.objects.filter(item_id__in=list(item_ids)).update(sentiment=label)
