"""Ingestion throughput: RSS parsing + dedupe + storage on SQLite, end to end.

    .venv/bin/python bench/ingest.py [--items 100000] [--per-feed 500]

Prints items per second per core for the full path (parse → store_fetched, which dedupes and writes
items and author identities) and, as a baseline measured in the same process, a plain bulk_create of
the same rows; then re-ingests everything to measure the duplicate path. Understanding runs in its
own worker queue and is measured by bench/understanding.py.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("COMPTOIR_DEV", "1")
os.environ["COMPTOIR_DATA_DIR"] = tempfile.mkdtemp(prefix="comptoir-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

FEED_HEAD = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench {n}</title>
<link>https://bench.example/</link><description>bench</description><language>fr</language>"""
ENTRY = """<item><title>Vélorution du samedi {i} : le parcours</title><link>https://bench.example/a/{i}</link>
<guid>https://bench.example/a/{i}</guid><pubDate>Mon, 23 Nov 2026 10:{m:02d}:00 +0100</pubDate>
<author>redaction{a}@bench.example (Rédaction {a})</author>
<description><![CDATA[<p>Le collectif appelle à <b>rouler ensemble</b> ce samedi {i}. Rendez-vous place Bellecour à 14 h,
avec casques et bonne humeur ; l'association rappelle que les enfants sont bienvenus.</p>]]></description></item>"""


def feeds(total: int, per_feed: int) -> list[bytes]:
    out, i = [], 0
    for n in range(total // per_feed):
        body = [FEED_HEAD.format(n=n)]
        for _ in range(per_feed):
            body.append(ENTRY.format(i=i, m=i % 60, a=i % 97))
            i += 1
        body.append("</channel></rss>")
        out.append("".join(body).encode())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--per-feed", type=int, default=500)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)

    from comptoir.connectors.rss.client import parse_feed
    from comptoir.stream.ingest import store_fetched
    from comptoir.stream.models import Item, Source
    from comptoir.workspaces.actions import do_create_workspace
    from comptoir.workspaces.models import User

    user = User.objects.create_user("bench@bench.example", "x")
    ws = do_create_workspace(user, {"name": "Bench"})
    source = Source.objects.create(workspace=ws, network="rss", label="bench")
    data = feeds(args.items, args.per_feed)
    print(f"{len(data)} feeds of {args.per_feed} items, {sum(map(len, data)) / 1e6:.1f} MB of XML")

    t0 = time.perf_counter()
    parsed = [parse_feed(d, url="https://bench.example/feed").items for d in data]
    t_parse = time.perf_counter() - t0

    t0 = time.perf_counter()
    created = sum(store_fetched(source, items).created for items in parsed)
    t_store = time.perf_counter() - t0
    assert created == args.items, created

    t0 = time.perf_counter()
    again = sum(store_fetched(source, items).duplicates for items in parsed)
    t_dupes = time.perf_counter() - t0

    baseline_source = Source.objects.create(workspace=ws, network="rss", label="baseline")
    t0 = time.perf_counter()
    for items in parsed:
        Item.objects.bulk_create([Item(workspace=ws, source=baseline_source, external_id=f.external_id, kind="article",
                                       title=f.title, text=f.text, url=f.url, published_at=f.published_at,
                                       fetched_at=timezone.now()) for f in items], batch_size=500)
    t_base = time.perf_counter() - t0

    end_to_end = args.items / (t_parse + t_store)
    print(f"parse            {args.items / t_parse:10,.0f} items/s")
    print(f"dedupe + store   {args.items / t_store:10,.0f} items/s")
    print(f"end to end       {end_to_end:10,.0f} items/s/core  (target ≥ 2,000)")
    print(f"re-ingest (all duplicates) {again / t_dupes:10,.0f} items/s")
    print(f"baseline bulk_create        {args.items / t_base:10,.0f} items/s  → store path costs "
          f"{t_store / t_base:.2f}× the bare insert")


if __name__ == "__main__":
    main()
