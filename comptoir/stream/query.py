"""The one list of messages behind the Fil and every screen made of it (:mod:`comptoir.stream.screen`).

:class:`ItemQuery` turns the filters of a page into keyset pages, counts and exports. Without a
search it reads ``stream_item`` through the index that matches the filter (every filter column has
one ending with ``sort_key``); with a search, the search index answers alone, already in order
(:mod:`comptoir.stream.search`). Pages are keyset pages on ``sort_key``: page 50 costs what page 1
costs. Counts stop at :data:`COUNT_CAP` and say so; the exact figure is computed on demand.

A job app's ``scope`` (listening: the messages its topics matched) is not in the search index: with a
scope, a search takes every match of the index and the database applies the scope to them, for pages
and counts alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from comptoir.lib.timeutil import local_day_bounds

from . import search
from .models import Item

PAGE_SIZE = 50
SEARCH_WINDOWS = (7 * 86400, 30 * 86400, 365 * 86400)  # seconds: how far back a PostgreSQL search looks first
RELATED = ("author", "source", "channel", "reviewed_by")  # what a row and the detail pane show
COUNT_CAP = 10_000
EXPORT_CHUNK = 1000
_INT64 = 2**63
_CURSOR = re.compile(r"-?\d{1,19}")
# Filter name (as the Fil's form names it) → column of Item.
COLUMNS = {"kind": "kind", "lang": "language", "sentiment": "sentiment", "intent": "intent",
           "toxicity": "toxicity", "spam": "spam", "complaint": "complaint", "source": "source_id",
           "reviewed": "reviewed", "author": "author_id"}


def cursor_value(value: str | None) -> int | None:
    """A keyset cursor from a URL: a signed 64-bit integer, or None for anything else."""
    if value and _CURSOR.fullmatch(value):
        number = int(value)
        if -_INT64 <= number < _INT64:
            return number
    return None


@dataclass(frozen=True)
class Page:
    items: list[Item]
    newer: int | None  # cursor for the page before this one (``after=``), None on the first page
    older: int | None  # cursor for the page after this one (``before=``), None on the last page


@dataclass(frozen=True)
class Count:
    value: int
    exact: bool  # False: "more than value", refined on demand


def keyset_page(rows, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE) -> Page:
    """A keyset page on ``sort_key`` from ``rows(before=, after=, limit=)`` (newest first, one query): page 50 costs
    what page 1 costs. Shared by every list ordered by a sort key (the Fil's messages, the inbox's conversations)."""
    if after is not None and before is None:
        items = rows(after=after, limit=size + 1)
        has_newer = len(items) > size
        items = items[-size:] if has_newer else items
        older = items[-1].sort_key if items else None
        return Page(items, items[0].sort_key if items and has_newer else None, older)
    items = rows(before=before, limit=size + 1)
    more, items = len(items) > size, items[:size]
    older = items[-1].sort_key if more and items else None
    newer = items[0].sort_key if before is not None and items else None
    return Page(items, newer, older)


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> Count:
    """How many rows: exact up to ``cap``, else ``cap`` and ``exact=False`` (the sort keys alone: an index answers)."""
    n = queryset.values("sort_key")[: cap + 1].count()
    return Count(min(n, cap), n <= cap)


class ItemQuery:
    """Messages of ``workspace`` that match ``filters`` (the cleaned data of ``StreamFilterForm``)."""

    def __init__(self, workspace, filters: dict, *, tz: str = "UTC", scope: Q | None = None):
        self.workspace = workspace
        # A job app's own restriction (listening: the mentions of a topic), applied like any other filter.
        self.scope = scope
        self.filters = filters
        self.query = search.parse(filters.get("q") or "")
        self.low, self.high = self._bounds(filters.get("since"), filters.get("until"), tz)
        self._counts: dict[int, Count] = {}

    @staticmethod
    def _bounds(since: date | None, until: date | None, tz: str) -> tuple[int | None, int | None]:
        low = search.bound_key(local_day_bounds(since, tz)[0]) if since else None
        high = search.bound_key(local_day_bounds(until, tz)[1]) if until else None
        return low, high

    @property
    def searching(self) -> bool:
        return bool(self.query)

    def labels(self) -> dict[str, object]:
        return {name: value for name in COLUMNS if (value := self.filters.get(name)) is not None and value != ""}

    def queryset(self) -> QuerySet:
        """The messages as a queryset, every filter but the search applied in SQL."""
        items = Item.objects.filter(workspace=self.workspace)
        if self.scope is not None:
            items = items.filter(self.scope)
        items = items.filter(**{COLUMNS[name]: value for name, value in self.labels().items()})
        if self.filters.get("tag"):
            items = items.filter(item_tags__tag_id=self.filters["tag"])
        if self.low is not None:
            items = items.filter(sort_key__gte=self.low)
        if self.high is not None:
            items = items.filter(sort_key__lt=self.high)
        return items

    def _match(self, before: int | None = None) -> search.Match:
        tags = (self.filters["tag"],) if self.filters.get("tag") else ()
        return search.Match(workspace_id=self.workspace.pk, query=self.query, labels=self.labels(), tags=tags,
                            low=self.low, high=self.high, before=before)

    def _rows(self, *, before: int | None = None, after: int | None = None, limit: int) -> list[Item]:
        """Up to ``limit`` messages just older than ``before`` (or just newer than ``after``), newest first: one query."""
        items = self.queryset().select_related(*RELATED)
        if self.searching:
            return self._search_rows(items, before=before, after=after, limit=limit)
        if before is not None:
            items = items.filter(sort_key__lt=before)
        elif after is not None:
            items = items.filter(sort_key__gt=after)
        if after is not None:
            return list(reversed(items.order_by("sort_key")[:limit]))
        return list(items.order_by("-sort_key")[:limit])

    def _search_rows(self, items, *, before: int | None, after: int | None, limit: int) -> list[Item]:
        """A page of a search. SQLite's index answers in order at once. On PostgreSQL the plan depends on how many
        messages match: few (the count is exact) are read through the GIN index; many are met soon by walking the
        newest messages first, in time windows that grow (a week, a month, a year, everything)."""
        index = search.backend()
        few = isinstance(index, search.SqliteIndex) or self.count().exact
        # The index keeps its first ``limit`` matches in order; under a scope it keeps them all, the database filters.
        inner = limit if self.scope is None else _INT64 - 1
        ascending = after is not None
        windows = [None] if few or ascending else [*SEARCH_WINDOWS, None]
        top = (before >> 31) if before is not None else int(timezone.now().timestamp())
        rows: list[Item] = []
        for window in windows:
            match = self._match(before)
            match.after = after
            if window is not None:
                start = search.bound_key(datetime.fromtimestamp(top - window, tz=UTC))
                if self.low is not None and self.low >= start:
                    window, start = None, self.low  # the filter's own range is narrower: this is the last pass
                match.low = start
            # The first window is short: walking it newest first beats asking the index for every match.
            sql, params = index.condition(match, inner, ascending=ascending, few=few, walk=window == SEARCH_WINDOWS[0])
            found = items.extra(where=[sql], params=params)  # noqa: S610 - the index's SQL, values as parameters
            rows = list(reversed(found.order_by("sort_key")[:limit])) if ascending else list(found.order_by("-sort_key")[:limit])
            if len(rows) == limit or window is None:
                break
        return rows

    def page(self, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE) -> Page:
        return keyset_page(self._rows, before=before, after=after, size=size)

    def _scoped_search(self) -> QuerySet:
        """Every match of the search, with the scope and the filters applied by the database."""
        sql, params = search.backend().condition(self._match(), _INT64 - 1, few=True)
        return self.queryset().extra(where=[sql], params=params)  # noqa: S610 - the index's SQL, values as parameters

    def count(self, cap: int = COUNT_CAP) -> Count:
        """How many messages match: exact up to ``cap``, else ``cap`` and ``exact=False``. Counted once a query."""
        if cap not in self._counts:
            if self.searching and self.scope is None:
                n = search.count(self._match(), cap + 1)
            elif self.searching:
                n = self._scoped_search().values("sort_key")[: cap + 1].count()
            else:  # the sort keys alone: the filter's index answers without reading the rows
                n = self.queryset().values("sort_key")[: cap + 1].count()
            self._counts[cap] = Count(min(n, cap), n <= cap)
        return self._counts[cap]

    def exact_count(self) -> int:
        if self.searching and self.scope is None:
            return search.count(self._match(), _INT64 - 1)
        if self.searching:
            return self._scoped_search().count()
        return self.queryset().count()

    def export(self, chunk: int = EXPORT_CHUNK) -> Iterator[Item]:
        """Every matching message, newest first, a chunk at a time: constant memory whatever the size."""
        before = None
        while rows := self._rows(before=before, limit=chunk):
            yield from rows
            before = rows[-1].sort_key
