"""The inbox's list: conversations matching filters, in keyset pages on their newest message's sort key.

Shares the Fil's machinery (:mod:`comptoir.stream.query`: keyset pages, capped counts, cursors; the search index of
:mod:`comptoir.stream.search`). Every filter column has an index ending with ``sort_key`` (see the model), so a page is
a range scan. A search asks the Fil's index for the newest matching messages that are in conversations and keeps
their conversations (the newest :data:`SEARCH_MESSAGES` matches: a search is for finding, not for counting history).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from comptoir.stream import search
from comptoir.stream.models import Item
from comptoir.stream.query import COUNT_CAP, PAGE_SIZE, SEARCH_WINDOWS, Count, Page, capped_count, keyset_page

from .forms import WAITING
from .models import Conversation, TeamMember

SEARCH_MESSAGES = 5000
# A search first reads this many of the newest matching messages: enough for a page in nearly every search; a page it
# cannot fill (other filters keep few of them) reads up to SEARCH_MESSAGES.
SEARCH_FIRST = 400
RELATED = ("identity", "channel", "assignee", "team", "last_item")


class ConversationQuery:
    """Conversations of ``workspace`` matching ``filters`` (the cleaned data of ``InboxFilterForm``).

    ``user``: the reader ("me" in filters). ``scope``: a restriction (a contributor sees only what is routed to them).
    """

    def __init__(self, workspace, filters: dict, *, user=None, scope: Q | None = None):
        self.workspace, self.filters, self.user, self.scope = workspace, filters, user, scope
        self.query = search.parse(filters.get("q") or "")
        self._count: Count | None = None
        # The search's conversations per number of messages read, asked once (page and count share them).
        self._matching: dict[int, list[int]] = {}
        self._depth = SEARCH_FIRST
        self.truncated = False  # the search stopped at its depth: the count is a lower bound

    def variant(self, **changes) -> ConversationQuery:
        """The same query with other filters (the status tabs' counts), sharing the search already done."""
        other = ConversationQuery(self.workspace, {**self.filters, **changes}, user=self.user, scope=self.scope)
        if other.query == self.query:
            other._matching, other._depth, other.truncated = self._matching, self._depth, self.truncated
        return other

    def queryset(self) -> QuerySet:
        f = self.filters
        rows = Conversation.objects.filter(workspace=self.workspace)
        if self.scope is not None:
            rows = rows.filter(self.scope)
        status = f.get("status")
        if status and status != "all":
            rows = rows.filter(status=status)
        for name, column in (("channel", "channel_id"), ("intent", "intent"), ("sentiment", "sentiment"),
                             ("lang", "language"), ("priority", "priority"), ("person", "person_id"),
                             ("identity", "identity_id"), ("unread", "unread")):
            value = f.get(name)
            if value is not None and value != "":
                rows = rows.filter(**{column: value})
        for name in ("assignee", "team"):
            value = f.get(name)
            if value == "none":
                rows = rows.filter(**{f"{name}__isnull": True})
            elif value == "me" and name == "assignee":
                rows = rows.filter(assignee=self.user)
            elif value == "me":
                rows = rows.filter(team_id__in=teams_of(self.user))
            elif value:
                rows = rows.filter(**{f"{name}_id": value})
        if f.get("waiting"):
            rows = rows.filter(waiting_since__lte=timezone.now() - timedelta(seconds=WAITING[f["waiting"]]))
        if f.get("tag"):
            rows = rows.filter(conversation_tags__tag_id=f["tag"])
        if f.get("breached"):
            rows = rows.filter(breached_at__isnull=False, waiting_since__isnull=False)
        if self.query:
            rows = rows.filter(pk__in=self._matching_conversations())
        return rows

    def _matching_conversations(self) -> list[int]:
        if self._depth not in self._matching:
            found, full = self._search(self._depth)
            self._matching[self._depth] = found
            self.truncated = full
        return self._matching[self._depth]

    def _search(self, depth: int) -> tuple[list[int], bool]:
        """The conversations of the newest ``depth`` matching messages, newest first, and whether there were more.

        SQLite's index answers in order at once. On PostgreSQL, as the Fil does (:meth:`ItemQuery._search_rows`): few
        matches (counted up to ``COUNT_CAP``) are read through the GIN index; many are met soon by walking the newest
        messages first, in time windows that grow (reading every match of a common word through the GIN index and
        sorting them took a second at a million messages: bench/inbox.py)."""
        index = search.backend()
        match = search.Match(workspace_id=self.workspace.pk, query=self.query)
        few = isinstance(index, search.SqliteIndex) or search.count(match, COUNT_CAP + 1) <= COUNT_CAP
        items = Item.objects.filter(workspace=self.workspace, inbox_link__isnull=False)
        now = int(timezone.now().timestamp())
        found: list[int] = []
        for window in [None] if few else [*SEARCH_WINDOWS, None]:
            match.low = None if window is None else search.bound_key(datetime.fromtimestamp(now - window, tz=UTC))
            sql, params = index.condition(match, depth, few=few, walk=not few and window == SEARCH_WINDOWS[0])
            found = list(items.extra(where=[sql], params=params)  # noqa: S610 - the index's SQL, values as parameters
                         .order_by("-sort_key").values_list("inbox_link__conversation_id", flat=True)[:depth])
            if len(found) == depth:
                break
        return list(dict.fromkeys(found)), len(found) == depth

    def _rows(self, *, before: int | None = None, after: int | None = None, limit: int) -> list[Conversation]:
        rows = self._read(before=before, after=after, limit=limit)
        if self.query and len(rows) < limit and self.truncated and self._depth < SEARCH_MESSAGES:
            self._depth, self._count = SEARCH_MESSAGES, None  # the first reading could not fill the page: read deeper
            rows = self._read(before=before, after=after, limit=limit)
        return rows

    def _read(self, *, before: int | None, after: int | None, limit: int) -> list[Conversation]:
        rows = self.queryset().select_related(*RELATED)
        if before is not None:
            rows = rows.filter(sort_key__lt=before)
        elif after is not None:
            rows = rows.filter(sort_key__gt=after)
        if after is not None:
            return list(reversed(rows.order_by("sort_key")[:limit]))
        return list(rows.order_by("-sort_key")[:limit])

    def page(self, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE) -> Page:
        return keyset_page(self._rows, before=before, after=after, size=size)

    def count(self, cap: int = COUNT_CAP) -> Count:
        if self._count is None:
            found = capped_count(self.queryset(), cap)
            # A search that stopped at its depth found at least this many: "more than", refined on demand.
            self._count = Count(found.value, found.exact and not (self.query and self.truncated))
        return self._count

    def exact_count(self) -> int:
        if self.query:
            self._depth = SEARCH_MESSAGES
        return self.queryset().count()


def routed_scope(user) -> Q:
    """What a contributor (internal expert) sees: conversations assigned to them or to one of their teams."""
    return Q(assignee=user) | Q(team_id__in=teams_of(user))


def teams_of(user) -> QuerySet:
    """The ids of ``user``'s teams, as a subquery (a join would repeat a conversation once per team member)."""
    return TeamMember.objects.filter(user=user).values("team_id")
