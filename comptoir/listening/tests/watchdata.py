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


DEMO_TOPICS = {
    "velo-lyon": (("Les Amis du Vélo", "Vélo'v Club"),
                  ["sophie.velotaf", "lyon_velo_news", "marie.l", "thomas_b", "rue89lyon", "claire.m", "jeanmarc69"]),
    "maison-lumiere": (("Maison Lumière", "Belle Nature"),
                       ["lea.beaute", "mel_skincare", "karine_t", "beauty_addict", "nadia.k", "emma.w", "elle_fr"]),
}
HOSTS = ["https://www.leprogres.fr/", "https://mastodon.social/@", "https://bsky.app/profile/", "https://forum.example.org/t/",
         "https://www.lyoncapitale.fr/", ""]


def fake_demo_topics(days: int = 30, seed: int = 11) -> None:
    """What the topics' demo brings, for the watch's tests and screenshots: a brand and a competitor in each demo
    workspace, a month of mentions with a spike four days ago and a negative surge two days ago."""
    from django.utils import timezone

    from comptoir.workspaces.models import Workspace

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=days)
    for slug, ((brand_name, rival_name), authors) in DEMO_TOPICS.items():
        workspace = Workspace.objects.get(slug=slug)
        brand = topic(workspace, brand_name, Topic.Kind.BRAND, "#2f6fdf")
        rival = topic(workspace, rival_name, Topic.Kind.COMPETITOR, "#d9480f")
        rng = random.Random(seed)
        spike = {days * 24 - 4 * 24 + h: n for h, n in ((0, 26), (1, 44), (2, 31), (3, 12))}
        surge = {days * 24 - 2 * 24 + h: n for h, n in ((0, 18), (1, 22), (2, 9))}

        def per_hour(h, rng_, spike=spike, surge=surge):
            local = (h + start.hour + 1) % 24
            base = poisson(2.2 if 8 <= local <= 22 else 0.3)(h, rng_)
            return spike.get(h, 0) + surge.get(h, 0) + base

        messages = hourly(start, days * 24, per_hour, seed=seed,
                          negative_share=lambda h, surge=surge: 0.75 if h in surge else 0.12)
        for n, m in enumerate(messages):
            m.author = rng.choice(authors)
            host = rng.choice(HOSTS)
            m.url = f"{host}{m.author}/{n}" if host else ""
            m.reach = rng.choice([40, 120, 300, 800, 2500, 12000])
            if m.sentiment == "neutral" and rng.random() < 0.5:
                m.sentiment = "positive"
        items = store(source(workspace, "Veille web"), messages)
        mention(brand, [i for n, i in enumerate(items) if n % 5])
        mention(rival, [i for n, i in enumerate(items) if n % 3 == 0])
