"""Streams of mentions for the dashboard, alert and incident tests: messages stored as ingestion stores them,
mentions made as the matching makes them."""

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.listening.models import Mention, Topic
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item, Source

HOUR = timedelta(hours=1)


def source(workspace, label: str = "Veille presse", network: str = "rss") -> Source:
    return Source.objects.create(workspace=workspace, network=network, label=label)


def topic(workspace, name: str, kind: str = Topic.Kind.BRAND, color: str = "#2f6fdf") -> Topic:
    return Topic.objects.create(workspace=workspace, name=name, kind=kind, color=color)


@dataclass
class Msg:
    at: datetime
    text: str = "Un message"
    sentiment: str = "neutral"
    author: str = ""
    url: str = ""
    reach: int = 0
    network: str = "rss"


_counter = iter(range(1, 10**9))


def store(src: Source, messages: list[Msg]) -> list[Item]:
    """Store ``messages`` through ingestion (one batch), then give them their sentiment as understanding would."""
    fetched = [FetchedItem(external_id=f"m{next(_counter)}", kind=ItemKind.POST, text=m.text, url=m.url, published_at=m.at,
                           author=Author(m.network, m.author, m.author) if m.author else None) for m in messages]
    result = store_fetched(src, fetched)
    by_external = {i.external_id: i for i in Item.objects.filter(pk__in=result.item_ids)}
    items = [by_external[f.external_id] for f in fetched]
    for sentiment in {m.sentiment for m in messages}:
        Item.objects.filter(pk__in=[i.pk for i, m in zip(items, messages, strict=True) if m.sentiment == sentiment]).update(
            sentiment=sentiment)
    for item, m in zip(items, messages, strict=True):
        item.sentiment, item.reach = m.sentiment, m.reach
    return items


def mention(topic_: Topic, items: Iterable[Item]) -> list[Mention]:
    """The mentions the matching would make: the message's time, sentiment and reach copied."""
    return Mention.objects.bulk_create([
        Mention(workspace_id=topic_.workspace_id, topic=topic_, item=i, sort_key=i.sort_key, published_at=i.published_at,
                sentiment=i.sentiment, reach=getattr(i, "reach", 0)) for i in items])


def hourly(start: datetime, hours: int, per_hour, seed: int = 7, negative_share=0.1) -> list[Msg]:
    """Messages hour by hour from ``start``: ``per_hour(hour_index, rng)`` of them, spread over the hour."""
    rng = random.Random(seed)
    messages = []
    for h in range(hours):
        n = per_hour(h, rng)
        share = negative_share(h) if callable(negative_share) else negative_share
        for k in range(n):
            at = start + h * HOUR + timedelta(seconds=rng.randrange(3600))
            sentiment = "negative" if rng.random() < share else rng.choice(["positive", "neutral", "neutral"])
            messages.append(Msg(at=at, sentiment=sentiment, text=f"Message {h}-{k}"))
    return messages


def poisson(lam: float):
    """A per-hour count drawn from Poisson(lam) (Knuth's method: small lambdas only)."""
    import math

    def draw(_h, rng):
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1

    return draw

