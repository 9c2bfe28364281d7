"""Listening's background work. Tasks take ids and run twice harmlessly.

Matching messages against the topics' queries: new messages as understanding reads them, a topic's past when
its queries or sources change.

Every query of every topic that is not archived is compiled into one :class:`~comptoir.listening.matcher.Matcher`
(one pass for all of them), kept per process and compiled again only when the queries change. A match counts
only for a topic of the message's own workspace, and only for the topic's sources when it names some.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max, Sum
from django.tasks import task

from comptoir.stream.models import Item

from . import matcher, querylang
from .models import Mention, Topic, TopicQuery
from .signals import mentions_created

logger = logging.getLogger("comptoir.listening")

MATCH_CHUNK = 500  # messages per match_items task
REMATCH_CHUNK = 1000  # messages read at a time when a topic's past is read again
ITEM_RELATED = ("author", "source", "channel")
LEARN_SAMPLE = 500  # recent messages the compiled matcher learns rare words from


# The audience a network reports for a message's author, where its raw data holds it. ------------------


def _number(value) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and value == value:  # not NaN
        return max(int(value), 0)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def followers(raw: dict) -> int:
    """The author's followers as the network reported them with the message, 0 when it did not.

    Mastodon: ``account.followers_count`` of the status. Bluesky: ``author.followersCount`` when the post came
    with a detailed profile. A webhook sender or an import may say it in ``meta.followers``.
    """
    if not isinstance(raw, dict):
        return 0
    for outer, inner in (("account", "followers_count"), ("author", "followersCount"), ("meta", "followers"),
                         ("meta", "followers_count")):
        holder = raw.get(outer)
        if isinstance(holder, dict) and inner in holder:
            return _number(holder[inner])
    return 0


def interactions(engagement: dict) -> int:
    """Likes, reposts, replies, quotes… of the message, added up."""
    if not isinstance(engagement, dict):
        return 0
    return sum(_number(v) for v in engagement.values())


def reach(item: Item) -> int:
    """What a mention weighs: the author's audience plus the message's interactions."""
    return min(followers(item.raw) + interactions(item.engagement), 2**63 - 1)


# The compiled queries of every topic ------------------------------------------------------------------


@dataclass(frozen=True)
class Compiled:
    version: tuple
    matcher: matcher.Matcher | None
    owners: dict[int, int]  # TopicQuery id → Topic id


_compiled: Compiled | None = None
_lock = threading.Lock()


def _active_queries():
    return TopicQuery.objects.filter(topic__archived_at__isnull=True)


def _version() -> tuple:
    """What changes whenever the set of active queries does: an edit replaces a query by a new row, archiving or
    unarchiving a topic moves its rows in or out (ids only grow, so count, highest and sum of ids tell; the
    newest creation time too, should a database hand an id out again after a rollback)."""
    row = _active_queries().aggregate(n=Count("pk"), top=Max("pk"), total=Sum("pk"), newest=Max("created_at"))
    return row["n"], row["top"], row["total"], row["newest"]


def _parsed(rows: Iterable[tuple[int, str]]) -> dict[int, object]:
    queries = {}
    for pk, text in rows:
        try:
            queries[pk] = querylang.parse(text)
        except querylang.QueryError as exc:
            # Stored before a change of the grammar: the topic's page shows it; matching goes on without it.
            logger.warning("Topic query %s no longer parses (column %s): %s", pk, exc.column, exc.message)
    return queries


def compiled() -> Compiled:
    """Every active query compiled together, shared by the tasks of this process until the queries change."""
    global _compiled
    version = _version()
    current = _compiled
    if current is not None and current.version == version:
        return current
    with _lock:
        if _compiled is not None and _compiled.version == version:
            return _compiled
        rows = list(_active_queries().values_list("pk", "topic_id", "normalised", "text"))
        queries = _parsed((pk, normalised or text) for pk, _topic, normalised, text in rows)
        owners = {pk: topic for pk, topic, _n, _t in rows if pk in queries}
        compiled_ = None
        if queries:
            # Recent messages tell which words are rare: each query is anchored on its rarest, so a message tries
            # only the few queries it may match (the matches are the same either way; the speed is not).
            sample = [matcher.doc_from_item(i) for i in
                      Item.objects.select_related(*ITEM_RELATED).order_by("-pk")[:LEARN_SAMPLE]]
            compiled_ = matcher.Matcher(queries, sample=sample)
        _compiled = Compiled(version, compiled_, owners)
        return _compiled


def _sources_of(topic_ids: Iterable[int]) -> dict[int, set[int]]:
    """The sources each topic is restricted to (a topic absent from the result reads every source)."""
    sources: dict[int, set[int]] = {}
    for topic_id, source_id in Topic.sources.through.objects.filter(topic_id__in=list(topic_ids)).values_list(
            "topic_id", "source_id"):
        sources.setdefault(topic_id, set()).add(source_id)
    return sources


# Storing mentions --------------------------------------------------------------------------------------


def _mention(topic_id: int, item: Item) -> Mention:
    return Mention(workspace_id=item.workspace_id, topic_id=topic_id, item_id=item.pk, sort_key=item.sort_key,
                   published_at=item.published_at or item.fetched_at, sentiment=item.sentiment, reach=reach(item))


def _store(pairs: dict[tuple[int, int], Item], *, rematch: bool) -> list[int]:
    """Create the mentions of ``pairs`` ((topic id, item id) → item) that do not exist yet; return their ids.

    Tells ``mentions_created`` once they are committed, one signal per workspace.
    """
    if not pairs:
        return []
    topic_ids = {t for t, _i in pairs}
    item_ids = {i for _t, i in pairs}
    existing = set(Mention.objects.filter(topic_id__in=topic_ids, item_id__in=item_ids).values_list("topic_id", "item_id"))
    fresh = [key for key in pairs if key not in existing]
    if not fresh:
        return []
    with transaction.atomic():
        Mention.objects.bulk_create([_mention(t, pairs[(t, i)]) for t, i in fresh], ignore_conflicts=True,
                                    batch_size=500)
        wanted = set(fresh)
        created: dict[int, list[int]] = {}
        for pk, topic_id, item_id, workspace_id in Mention.objects.filter(
                topic_id__in=topic_ids, item_id__in=item_ids).values_list("pk", "topic_id", "item_id", "workspace_id"):
            if (topic_id, item_id) in wanted:
                created.setdefault(workspace_id, []).append(pk)
        for workspace_id, ids in created.items():
            transaction.on_commit(lambda w=workspace_id, m=ids: mentions_created.send(
                sender=Mention, workspace_id=w, mention_ids=m, rematch=rematch))
    return [pk for ids in created.values() for pk in ids]


# The tasks ---------------------------------------------------------------------------------------------


@task(queue_name="default")
def match_items(item_ids: list[int]) -> int:
    """Match these messages against every active topic of their workspace. Idempotent; returns mentions created."""
    items = list(Item.objects.filter(pk__in=list(item_ids)).select_related(*ITEM_RELATED))
    if not items:
        return 0
    queries = compiled()
    if queries.matcher is None:
        return 0
    workspaces = {i.workspace_id for i in items}
    # Read now, not from the cache: a topic archived a second ago matches nothing more.
    topics = dict(Topic.objects.filter(workspace_id__in=workspaces, archived_at__isnull=True).values_list("pk", "workspace_id"))
    sources = _sources_of(topics)
    pairs: dict[tuple[int, int], Item] = {}
    for item in items:
        for query_id in queries.matcher.match(matcher.doc_from_item(item)):
            topic_id = queries.owners.get(query_id)
            if topic_id is None or topics.get(topic_id) != item.workspace_id:
                continue  # another workspace's topic: its queries never make mentions here
            allowed = sources.get(topic_id)
            if allowed and item.source_id not in allowed:
                continue
            pairs[(topic_id, item.pk)] = item
    return len(_store(pairs, rematch=False))


def _topic_state(topic_id: int) -> tuple | None:
    """What rematching a topic depends on: None once it is archived or deleted."""
    topic = Topic.objects.filter(pk=topic_id, archived_at__isnull=True).first()
    if topic is None:
        return None
    return (tuple(topic.queries.order_by("pk").values_list("pk", flat=True)),
            tuple(sorted(topic.sources.values_list("pk", flat=True))))


@task(queue_name="default")
def rematch_topic(topic_id: int) -> dict:
    """Read the workspace's messages again for one topic (its queries or sources changed): add the mentions it now
    finds, remove the ones it no longer finds. A page of messages at a time, newest first; it stops when the topic
    changes again (the rematch that change enqueued does the work) or is archived. Idempotent."""
    state = _topic_state(topic_id)
    if state is None:
        return {"skipped": True}
    topic = Topic.objects.get(pk=topic_id)
    queries = _parsed(topic.queries.values_list("pk", "normalised"))
    compiled_ = matcher.Matcher(queries) if queries else None
    allowed = set(state[1])
    added = removed = 0
    before = None
    while True:
        items = Item.objects.filter(workspace_id=topic.workspace_id, sort_key__isnull=False)
        if before is not None:
            items = items.filter(sort_key__lt=before)
        chunk = list(items.select_related(*ITEM_RELATED).order_by("-sort_key")[:REMATCH_CHUNK])
        if not chunk:
            break
        before = chunk[-1].sort_key
        if _topic_state(topic_id) != state:
            return {"stopped": True, "added": added, "removed": removed}
        found = {i.pk: i for i in chunk if compiled_ is not None and (not allowed or i.source_id in allowed)
                 and compiled_.match(matcher.doc_from_item(i))}
        existing = set(Mention.objects.filter(topic_id=topic_id, item_id__in=[i.pk for i in chunk])
                       .values_list("item_id", flat=True))
        gone = existing - found.keys()
        if gone:
            # Only what this topic had matched: the messages stay in the stream, other topics keep theirs.
            removed += Mention.objects.filter(topic_id=topic_id, item_id__in=gone).delete()[0]
        added += len(_store({(topic_id, pk): item for pk, item in found.items()}, rematch=True))
    return {"added": added, "removed": removed}


# Alerts ------------------------------------------------------------------------------------------------


@task()
def evaluate_alert_rule(rule_id: int) -> dict:
    """Evaluate one alert rule now: open, update or end its alert."""
    from .alerts import evaluate_rule

    outcome = evaluate_rule(rule_id)
    return {"alert": outcome.alert.pk if outcome.alert else None, "opened": outcome.opened, "ended": outcome.ended}


@task(queue_name="deliver")
def send_alert_mail(alert_id: int, escalation: bool = False) -> int:
    """E-mail an alert to the members who manage listening, once (and once more if it escalates)."""
    from .alerts import send_alert_mail as send

    return send(alert_id, escalation)
