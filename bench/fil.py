"""The Fil at scale: page times over HTTP through gunicorn, and SQL queries per page.

    .venv/bin/python bench/fil.py [--items 1000000] [--postgres postgres://user@host:5432/db] [--runs 30]
                                  [--data-dir DIR] [--reuse]

Loads a realistic workspace (8 sources, 20,000 authors, French/English/other texts, every label with
the frequencies of a real community, a year of dates) of ``--items`` messages into a scratch database
(SQLite in a temporary folder; with ``--postgres``, a database ``comptoir_bench`` created afresh on
that server), serves it with gunicorn as ``comptoir run`` does, and times each case with ``--runs``
sequential requests after a warm-up (p50, p95). Queries per page are counted in-process with the same
URL. The baseline, run in the same process, is ``/health/`` through the same stack. Prints one line per
case, then ``fil: items=N p50_max_ms=… p95_max_ms=… queries_max=…``. ``--reuse`` times again what an earlier run
loaded (SQLite: give the same ``--data-dir``), so timings can be repeated on a quiet machine without loading again.

The CSV export case downloads a filter of about 12 % of the messages (120,000 at a million) and reports
its time, rows and the gunicorn worker's peak memory before and after (constant memory: it must not grow
with the export).
"""

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS_FR = ("bonjour merci adhésion cotisation carte atelier réparation vélo piste cyclable parking gare sortie "
            "samedi dimanche balade bénévoles association question tarif étudiant commande livraison retard "
            "remboursement service client produit sérum crème parfum flacon recyclé peau douce rougeurs déçue "
            "super génial nul arnaque attente réponse horaires ouverture fermeture vacances événement inscription "
            "concours gagnant lot newsletter lettre mensuelle réunion mairie métropole quartier ville sécurité "
            "casque enfants famille cargo occasion prix promo code magasin boutique en ligne").split()
WORDS_EN = ("hello thanks membership fee card workshop repair bike lane parking station ride saturday sunday "
            "volunteers question price student order delivery late refund customer service product serum cream "
            "perfume bottle recycled skin soft great awful scam waiting answer opening hours holiday event signup "
            "contest winner newsletter meeting city council safety helmet kids family cargo second hand shop").split()
PHRASE = "atelier de réparation"


def _pick(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _text(rng, lang: str) -> str:
    words = WORDS_FR if lang == "fr" else WORDS_EN
    n = rng.randint(8, 40)
    text = " ".join(rng.choice(words) for _ in range(n))
    if lang == "fr" and rng.random() < 0.03:
        text += f" — l'{PHRASE} du mardi"
    return text.capitalize() + rng.choice([".", " !", " ?", "…"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_database(args) -> dict:
    env = {"COMPTOIR_DEV": "1", "DJANGO_SETTINGS_MODULE": "comptoir.settings", "COMPTOIR_DEMO": "0",
           "COMPTOIR_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
           "COMPTOIR_DATA_DIR": args.data_dir or tempfile.mkdtemp(prefix="comptoir-bench-fil-")}
    if args.postgres and not args.reuse:
        import psycopg

        admin = args.postgres.replace("postgres://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS comptoir_bench WITH (FORCE)")
            conn.execute("CREATE DATABASE comptoir_bench")
    if args.postgres:
        env["DATABASE_URL"] = args.postgres.rsplit("/", 1)[0] + "/comptoir_bench"
    os.environ.update(env)
    return env


def load(n: int, seed: int = 7):
    """A workspace of ``n`` messages, written in bulk as ingestion would leave them (sort keys and index)."""
    from django.db import connection, transaction

    from comptoir.members.models import Identity
    from comptoir.stream import search
    from comptoir.stream.models import Item, Source
    from comptoir.workspaces.actions import do_create_workspace
    from comptoir.workspaces.models import User

    rng = random.Random(seed)
    user = User.objects.create_user("bench@bench.example", "bench-password-1", full_name="Bench", language="fr")
    ws = do_create_workspace(user, {"name": "Bench", "slug": "bench"})
    other = do_create_workspace(user, {"name": "Other", "slug": "other"})
    sources = [Source.objects.create(workspace=ws, network=net, label=label) for net, label in (
        ("mastodon", "Mastodon @velo"), ("bluesky", "Bluesky"), ("discourse", "Forum"), ("email", "Contact"),
        ("rss", "Le Progrès"), ("rss", "Rue89 Lyon"), ("web", "Mairie"), ("webhook", "Formulaire"))]
    Source.objects.create(workspace=other, network="rss", label="Other")
    authors = Identity.objects.bulk_create([Identity(workspace=ws, network="mastodon", handle=f"membre{i}",
                                                     display_name=f"Membre {i}") for i in range(20_000)])
    start = datetime.now(UTC) - timedelta(days=365)
    batch = 5000
    next_id = 1
    index = search.backend()
    t0 = time.perf_counter()
    for offset in range(0, n, batch):
        rows = []
        for _ in range(min(batch, n - offset)):
            lang = _pick(rng, {"fr": 70, "en": 25, "es": 5})
            published = start + timedelta(seconds=rng.randint(0, 365 * 86400))
            intent = _pick(rng, {"other": 63, "question": 12, "praise": 10, "complaint": 8, "membership": 5,
                                 "purchase": 2})
            item = Item(id=next_id, workspace=ws, source=rng.choice(sources), external_id=str(next_id),
                        kind=_pick(rng, {"comment": 50, "post": 25, "reply": 15, "direct_message": 5, "article": 5}),
                        author=rng.choice(authors), text=_text(rng, lang if lang != "es" else "en"), language=lang,
                        published_at=published, fetched_at=published + timedelta(minutes=5),
                        sentiment=_pick(rng, {"neutral": 50, "negative": 25, "positive": 25}),
                        toxicity="toxic" if rng.random() < 0.03 else "clean", spam="spam" if rng.random() < 0.04 else "ham",
                        intent=intent, complaint="complaint" if intent == "complaint" else "other",
                        analysed_at=published, model_version="bench")
            item.sort_key = search.sort_key(item.published_at, item.fetched_at, item.id)
            rows.append(item)
            next_id += 1
        with transaction.atomic():
            Item.objects.bulk_create(rows, batch_size=1000)
            with connection.cursor() as cursor:
                index.write(cursor, [(i.id, i.sort_key, search.document(i)) for i in rows])
        if offset and offset % 100_000 == 0:
            print(f"  loaded {offset:,} items ({offset / (time.perf_counter() - t0):,.0f}/s)", flush=True)
    search.optimize()
    with connection.cursor() as cursor:
        # What autovacuum does on a live server: statistics, and the visibility map index-only scans need.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"  loaded {n:,} items in {time.perf_counter() - t0:.0f} s", flush=True)
    return user, ws, sources


def _loaded(n: int):
    """What an earlier run loaded, if it holds ``n`` messages: (user, workspace, sources), else None."""
    from comptoir.stream.models import Item, Source
    from comptoir.workspaces.models import User, Workspace

    ws = Workspace.objects.filter(slug="bench").first()
    if ws is None or Item.objects.filter(workspace=ws).count() != n:
        return None
    return (User.objects.get(email="bench@bench.example"), ws,
            list(Source.objects.filter(workspace=ws).order_by("pk")))


def session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def cases(ws, sources) -> list[tuple[str, str]]:
    from comptoir.stream.query import ItemQuery

    base = f"/w/{ws.slug}/stream/"
    page50 = ItemQuery(ws, {}).page(size=50 * 49).older
    month_end = datetime.now(UTC).date() - timedelta(days=60)
    return [
        ("unfiltered", base),
        ("sentiment=negative", base + "?sentiment=negative"),
        ("intent=complaint", base + "?intent=complaint"),
        ("intent=purchase", base + "?intent=purchase"),
        ("toxicity=toxic", base + "?toxicity=toxic"),
        ("spam=spam", base + "?spam=spam"),
        ("complaint=complaint", base + "?complaint=complaint"),
        ("kind=direct_message", base + "?kind=direct_message"),
        ("lang=en", base + "?lang=en"),
        ("source", base + f"?source={sources[3].pk}"),
        ("search word", base + "?q=velo"),
        ("search rare word", base + "?q=remboursement+cargo"),
        ("search phrase", base + "?" + urlencode({"q": f'"{PHRASE}"'})),
        ("date range", base + f"?since={month_end - timedelta(days=30)}&until={month_end}"),
        ("page 50", base + f"?before={page50}"),
        ("filter + search", base + "?sentiment=negative&q=livraison"),
        ("3 filters + search", base + "?sentiment=negative&lang=fr&kind=comment&q=atelier"),
        ("selected message", base + f"?item={ItemQuery(ws, {}).page(size=3).items[2].pk}"),
    ]


def count_queries(url: str, user) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if getattr(response, "streaming", False):
            for _ in response.streaming_content:
                pass
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def timed(url: str, cookie: str, runs: int) -> list[float]:
    times = []
    for i in range(runs + 2):
        request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - loopback bench server
        t0 = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback bench server
            response.read()
            assert response.status == 200
        if i >= 2:  # two warm-up requests
            times.append((time.perf_counter() - t0) * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; the scratch database comptoir_bench is created there")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data-dir", help="SQLite: keep the scratch database in this folder (default: a new temporary one)")
    parser.add_argument("--reuse", action="store_true",
                        help="time again what an earlier run with the same --items loaded (in --data-dir, or in "
                             "comptoir_bench with --postgres) instead of loading afresh")
    args = parser.parse_args()
    env = setup_database(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    loaded = _loaded(args.items) if args.reuse else None
    if loaded:
        print(f"database: {connection.vendor}; reusing the {args.items:,} messages loaded earlier", flush=True)
        user, ws, sources = loaded
    else:
        print(f"database: {connection.vendor}; loading {args.items:,} messages…", flush=True)
        user, ws, sources = load(args.items)
    cookie = session_cookie(user)
    all_cases = cases(ws, sources)
    queries = {name: count_queries(url, user) for name, url in all_cases}
    connection.close()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "comptoir.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--threads", "4", "--timeout", "300", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/health/", timeout=2).read()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        health = timed(base + "/health/", cookie, args.runs)
        h50 = statistics.median(health)
        print(f"baseline /health/          p50 {h50:7.1f} ms  p95 {p95(health):7.1f} ms")
        p50s, p95s = [], []
        for name, url in all_cases:
            times = timed(base + url, cookie, args.runs)
            m, q = statistics.median(times), p95(times)
            p50s.append(m)
            p95s.append(q)
            print(f"{name:26} p50 {m:7.1f} ms  p95 {q:7.1f} ms  queries {queries[name]:3d}  ×{m / h50:5.1f} baseline",
                  flush=True)
        pid = worker_pid(server.pid)
        before = peak_rss_mb(pid)
        export = f"{base}/w/{ws.slug}/stream/?intent=question&format=csv"
        t0 = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(export, headers={"Cookie": cookie}), timeout=600) as r:  # noqa: S310
            rows = sum(1 for _ in r) - 1
        took = time.perf_counter() - t0
        print(f"csv export intent=question {rows:,} rows in {took:.1f} s ({rows / took:,.0f} rows/s); worker peak RSS "
              f"{before:.0f} MB before, {peak_rss_mb(pid):.0f} MB after; queries {count_queries(export[len(base):], user)}")
        print(f"fil: items={args.items} p50_max_ms={max(p50s):.0f} p95_max_ms={max(p95s):.0f} "
              f"queries_max={max(queries.values())}")
        if args.items == 100_000:
            print("peer (BrightBean Studio inbox) at 100,000: p50 134 ms, p95 190 ms")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


if __name__ == "__main__":
    main()
