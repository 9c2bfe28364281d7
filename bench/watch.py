"""The e-reputation dashboard and the alert evaluation at scale: time and SQL queries.

    .venv/bin/python bench/watch.py [--mentions 100000] [--runs 5]

Loads a workspace with a brand, two competitors and a theme, and ``--mentions`` mentions over 90 days
(a message found by two topics now and then, authors with their reach, sites, every sentiment) into a
scratch SQLite database, then times in-process (Django's test client, warm) the dashboard for each
period, for all topics and for one, and one evaluation of each kind of volume rule. Prints one line per
case: median and worst time over ``--runs``, and the SQL queries of one request.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(scratch: str) -> None:
    os.environ.update(COMPTOIR_DEV="1", COMPTOIR_DATA_DIR=scratch, DJANGO_SETTINGS_MODULE="comptoir.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(n_mentions: int, seed: int = 5):
    from django.utils import timezone

    from comptoir.listening.models import Mention, Topic
    from comptoir.members.models import Identity
    from comptoir.stream.models import Item, Source
    from comptoir.workspaces.models import Membership, User, Workspace

    rng = random.Random(seed)
    user = User.objects.create_user("cm@bench.test", "x" * 12, time_zone="Europe/Paris")
    workspace = Workspace.objects.create(name="Bench", slug="bench")
    Membership.objects.create(workspace=workspace, user=user, role="manager")
    topics = [Topic.objects.create(workspace=workspace, name=name, kind=kind) for name, kind in (
        ("Marque", "brand"), ("Rival A", "competitor"), ("Rival B", "competitor"), ("Thème", "theme"))]
    sources = [Source.objects.create(workspace=workspace, network=net, label=f"Source {net}")
               for net in ("rss", "mastodon", "bluesky", "web")]
    authors = Identity.objects.bulk_create([Identity(workspace=workspace, network="mastodon", handle=f"auteur{i}")
                                            for i in range(5000)])
    hosts = ["https://www.leprogres.fr/", "https://mastodon.social/@x/", "https://bsky.app/p/", "https://blog.example/", ""]
    now = timezone.now()
    n_items = int(n_mentions / 1.2)
    items = []
    for i in range(n_items):
        host = rng.choice(hosts)
        items.append(Item(workspace=workspace, source=rng.choice(sources), external_id=str(i), kind="post",
                          author=rng.choice(authors), text="bench", url=f"{host}{i}" if host else "",
                          published_at=now - timedelta(seconds=rng.randrange(90 * 86400)),
                          sentiment=rng.choices(["positive", "neutral", "negative", ""], [5, 3, 2, 1])[0]))
    Item.objects.bulk_create(items, batch_size=2000)
    mentions = []
    for item in Item.objects.filter(workspace=workspace).only("pk", "published_at", "sentiment").iterator():
        chosen = rng.choices(topics, [6, 2, 1, 1])[0]
        reach = rng.choice([10, 100, 1000, 20000])
        mentions.append(Mention(workspace=workspace, topic=chosen, item=item, published_at=item.published_at,
                                sentiment=item.sentiment, reach=reach))
        if rng.random() < 0.2:  # found by a second topic
            other = rng.choice([t for t in topics if t != chosen])
            mentions.append(Mention(workspace=workspace, topic=other, item=item, published_at=item.published_at,
                                    sentiment=item.sentiment, reach=reach))
    Mention.objects.bulk_create(mentions, batch_size=5000)
    return user, workspace, topics, len(mentions)


def timed(fn, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        fn()
    return statistics.median(times), max(times), len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        setup(scratch)
        from django.test import Client

        from comptoir.listening import alerts
        from comptoir.listening.models import AlertRule

        started = time.perf_counter()
        user, workspace, topics, made = load(args.mentions)
        print(f"loaded {made} mentions in {time.perf_counter() - started:.1f} s")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        client.get("/w/bench/")
        cases = [(f"dashboard {p}{' topic' if t else ''}", f"/w/bench/listening/dashboard/?period={p}"
                  + (f"&topic={topics[0].pk}" if t else "")) for p in ("7d", "30d", "90d") for t in (False, True)]
        for name, url in cases:
            def get(url=url):
                assert client.get(url).status_code == 200
            p50, worst, queries = timed(get, args.runs)
            print(f"{name:24} p50 {p50:7.1f} ms  max {worst:7.1f} ms  queries {queries}")
        for kind in ("spike", "negative"):
            for topic in (topics[0], None):
                rule = AlertRule.objects.create(workspace=workspace, name=f"{kind} {topic}", kind=kind, topic=topic)
                p50, worst, queries = timed(lambda rule=rule: alerts.evaluate_rule(rule.pk, notify=False), args.runs)
                scope = "topic" if topic else "workspace"
                print(f"evaluate {kind:8} {scope:9} p50 {p50:7.1f} ms  max {worst:7.1f} ms  queries {queries}")


if __name__ == "__main__":
    main()
