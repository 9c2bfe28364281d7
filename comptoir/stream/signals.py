"""The stream's signals, and how it follows the channels (workspaces cannot import stream, so the stream listens).

Job apps read what comes in without the stream importing them: they connect to these signals.

* :data:`items_analysed` — sent by ``tasks.analyse_items`` once understanding has labelled new messages,
  inside the transaction that stores the labels, with ``item_ids`` (the messages just analysed). A receiver
  that starts work enqueues it with ``transaction.on_commit``.
* :data:`labels_corrected` — sent by ``actions.do_correct_label`` when a person corrects a label, inside the
  transaction, with ``item_ids``, ``task`` (sentiment, intent…) and ``label`` (the new value).
"""

from django.dispatch import Signal
from django.utils import timezone

from comptoir.connectors.base import registered_networks

items_analysed = Signal()
labels_corrected = Signal()


def channel_saved(sender, instance, created: bool, **kwargs) -> None:
    """A new channel gets its source; a removed channel connected again gets its source back, history included."""
    if instance.config.get("demo") or instance.removed_at is not None:
        return
    from .actions import source_for_channel
    from .models import Source

    if created:
        source_for_channel(instance)
        return
    source = Source.objects.filter(channel=instance, removed_at__isnull=False).first()
    if source is not None:
        source.removed_at = None
        source.status = Source.Status.NEW
        source.consecutive_failures = 0
        cls = registered_networks().get(instance.network)
        source.next_poll_at = timezone.now() if cls is not None and cls.polled else None
        source.save(update_fields=["removed_at", "status", "consecutive_failures", "next_poll_at"])


def channel_removed(sender, channel, **kwargs) -> None:
    """The source of a removed channel stops being read; what it brought stays."""
    from .models import Source

    Source.objects.filter(channel=channel).update(removed_at=channel.removed_at, status=Source.Status.PAUSED,
                                                  next_poll_at=None)


def workspace_deleting(sender, instance, **kwargs) -> None:
    """A deleted workspace takes its messages along; the search index forgets them too (SQLite keeps its own table)."""
    from . import search
    from .models import Item

    search.forget(Item.objects.filter(workspace=instance).values_list("sort_key", flat=True).iterator())
