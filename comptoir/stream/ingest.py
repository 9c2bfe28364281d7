"""Storing what connectors fetched: idempotent, in batches, with authors as identities."""

from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone

from comptoir.connectors.base import FetchedItem
from comptoir.lib.sanitize import clean_data, clean_text
from comptoir.members.models import Identity

from .models import Item, Source
from .search import index_items

MAX_TEXT = 100_000
MAX_TITLE = 500


@dataclass
class StoreResult:
    created: int
    duplicates: int
    item_ids: list[int]


def _cleaned(f: FetchedItem) -> FetchedItem:
    """The item with every string cleaned (NUL, control characters, lone surrogates): the ingestion boundary.

    Whatever a connector or a webhook sender hands us, nothing reaching the database can make it fail.
    """
    fields = {name: clean_data(getattr(f, name)) for name in _STRING_FIELDS}
    author = f.author and replace(f.author, **{n: clean_data(getattr(f.author, n)) for n in _AUTHOR_FIELDS})
    return replace(f, **fields, author=author)


_STRING_FIELDS = ("external_id", "title", "text", "url", "html", "language", "parent_external_id",
                  "thread_external_id", "engagement", "raw")
_AUTHOR_FIELDS = ("network", "handle", "display_name", "url", "avatar_url", "external_id")


def _identities(source: Source, fetched: list[FetchedItem]) -> dict[tuple[str, str], Identity]:
    wanted = {}
    for f in fetched:
        if f.author and f.author.handle:
            wanted[(f.author.network or source.network, f.author.handle[:300])] = f.author
    if not wanted:
        return {}
    now = timezone.now()
    Identity.objects.bulk_create(
        [Identity(workspace_id=source.workspace_id, network=net, handle=handle, display_name=a.display_name[:300],
                  url=a.url[:1000] if a.url.startswith(("http://", "https://")) else "", external_id=a.external_id[:300],
                  first_seen_at=now, last_seen_at=now)
         for (net, handle), a in wanted.items()],
        ignore_conflicts=True,
    )
    found = Identity.objects.filter(workspace_id=source.workspace_id, handle__in=[h for _n, h in wanted])
    return {(i.network, i.handle): i for i in found if (i.network, i.handle) in wanted}


def _item(source: Source, f: FetchedItem, authors: dict) -> Item:
    author = authors.get(((f.author.network or source.network), f.author.handle[:300])) if f.author and f.author.handle else None
    url = f.url if f.url.startswith(("http://", "https://")) else ""
    return Item(
        workspace_id=source.workspace_id, source=source, channel_id=source.channel_id, external_id=f.external_id[:500],
        kind=f.kind.value if hasattr(f.kind, "value") else str(f.kind), author=author,
        title=clean_text(f.title, max_length=MAX_TITLE), text=clean_text(f.text, max_length=MAX_TEXT), url=url[:2000],
        language=(f.language or "")[:8], published_at=f.published_at, parent_external_id=f.parent_external_id[:500],
        thread_external_id=f.thread_external_id[:500], engagement=dict(f.engagement or {}), raw=f.raw or {},
    )


def store_fetched(source: Source, fetched: Iterable[FetchedItem], *, cursor: dict | None = None) -> StoreResult:
    """Store a batch for ``source`` and, in the same transaction, its new cursor.

    Re-storing the same items creates nothing (unique source + external id); the cursor only moves
    when the items it covers are committed, so a worker killed mid-batch loses nothing.
    """
    batch = [f for f in map(_cleaned, fetched) if f.external_id]
    with transaction.atomic():
        ids_in_batch = list(dict.fromkeys(f.external_id[:500] for f in batch))
        existing = set(Item.objects.filter(source=source, external_id__in=ids_in_batch).values_list("external_id", flat=True))
        fresh: dict[str, FetchedItem] = {}
        for f in batch:
            key = f.external_id[:500]
            if key not in existing and key not in fresh:
                fresh[key] = f
        authors = _identities(source, list(fresh.values()))
        Item.objects.bulk_create([_item(source, f, authors) for f in fresh.values()], ignore_conflicts=True, batch_size=500)
        created_ids = list(Item.objects.filter(source=source, external_id__in=list(fresh), sort_key__isnull=True)
                           .values_list("id", flat=True))
        index_items(created_ids)
        if cursor is not None:
            Source.objects.filter(pk=source.pk).update(cursor=cursor)
            source.cursor = cursor
        if created_ids:
            from . import tasks

            transaction.on_commit(lambda: tasks.hand_to_understanding(created_ids))
    return StoreResult(created=len(created_ids), duplicates=len(batch) - len(created_ids), item_ids=created_ids)
