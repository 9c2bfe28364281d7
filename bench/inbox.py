"""The inbox at scale: the conversation list's page + count, and the list page, with 100,000 conversations.

    .venv/bin/python bench/inbox.py [--conversations 100000] [--messages 1000000] [--runs 30] [--data-dir DIR]
                                    [--postgres URL | DATABASE_URL=…] [--only sqlite|postgres] [--keep]

Builds, on SQLite (a scratch data folder) and, when ``DATABASE_URL`` (or ``--postgres``) names a PostgreSQL server,
on that server in a database of its own, ``comptoir_bench_inbox`` (created afresh and dropped at the end unless
``--keep``; never the test database): one workspace with six owned channels, 30,000 members, a community manager,
eight moderators, four contributors (experts), five teams, fifteen tags, ``--conversations`` conversations holding
``--messages`` messages in all (``stream.Item`` rows with realistic labels, the member's and the channel's own,
linked by ``ConversationItem``), spread over a year and denser lately; recent conversations are mostly open or pending,
old ones closed; about half assigned, half routed to a team, a fifth tagged. Everything is written in bulk (executemany
on SQLite, COPY on PostgreSQL), the search index too (the bench searches), then ANALYZE (VACUUM ANALYZE on PostgreSQL,
what autovacuum does on a live server).

Then it times, ``--runs`` times after two warm-ups, each case as the page asks it: the filters through
``InboxFilterForm``, then ``ConversationQuery.page()`` + ``.count()`` (``query``), and the list page itself (``view``:
a Django test client GET of ``/w/bench/inbox/?…`` as the logged-in reader, HTML rendered; with the foundation's
placeholder page the filters are not applied yet, so the view figures are the page's floor until the real list lands).
The baseline, in the same process, is ``/health/`` through the same client. One line per case and database:

    inbox: db=sqlite case=open p50_ms=… p95_ms=… view_p50_ms=… view_p95_ms=… rows=50 count=…

and last ``inbox: conversations=N p95_max_ms=…``: the worst p95 (query or view) on either database. Target: < 200 ms.
A run at the full size takes a few minutes per database (most of it loading); ``--conversations 10000 --messages
100000`` is a quick check.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "comptoir_bench_inbox"
CHUNK = 2000  # conversations per write
CHANNELS = [("mastodon", "@velo@masto.example", 30), ("bluesky", "velo.bsky.social", 15),
            ("email", "contact@velo.example", 25), ("discourse", "forum.velo.example", 10),
            ("matrix", "#velo:matrix.example", 10), ("webhook", "Formulaire de contact", 10)]
KIND_OF = {"email": ("email", "email"), "discourse": ("forum", "forum_post")}
TAGS = ["adhésion", "remboursement", "bug appli", "atelier", "presse", "partenariat", "urgent", "bénévolat", "don",
        "événement", "livraison", "facture", "RGPD", "réclamation", "idée"]
SEARCH = "remboursement"  # in about one French message in five: many matches
RARE = "remboursement cargo concours"  # all three: a few hundred messages


def _pick(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# Children: one database each ----------------------------------------------------------------------------------


def setup_child(args) -> None:
    env = {"COMPTOIR_DEV": "1", "DJANGO_SETTINGS_MODULE": "comptoir.settings", "COMPTOIR_DEMO": "0",
           "COMPTOIR_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
           "COMPTOIR_DATA_DIR": args.data_dir or tempfile.mkdtemp(prefix="comptoir-bench-inbox-")}
    os.environ.update(env)
    if args.db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = args.postgres


class Writer:
    """Rows into a table, fast: executemany on SQLite, COPY on PostgreSQL. Columns not given take the model field's
    default (computed once)."""

    def __init__(self, model, given: list[str], *, extra: str | None = None):
        from django.db import connection

        self.vendor = connection.vendor
        self.table = model._meta.db_table
        fields = {f.column: f for f in model._meta.concrete_fields}
        self.given = given
        self.rest = [c for c, f in fields.items() if c not in given and c != "id"]
        now = datetime.now(UTC)
        defaults = []
        for column in self.rest:
            field = fields[column]
            value = field.get_default()
            if callable(getattr(field, "default", None)) and value is not None and isinstance(value, datetime):
                value = now
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            defaults.append(self.adapt(value))
        self.defaults = tuple(defaults)
        self.columns = given + self.rest
        self.extra = extra  # PostgreSQL: one more text column, turned into the search vector (items only)

    def adapt(self, value):
        if self.vendor == "sqlite" and isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return value

    def write(self, cursor, rows: list[tuple], docs: list[str] | None = None) -> None:
        if self.vendor == "sqlite":
            marks = ", ".join(["?"] * len(self.columns))
            sql = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})"  # noqa: S608 - our names
            adapt = self.adapt
            cursor.connection.executemany(sql, [tuple(adapt(v) for v in row) + self.defaults for row in rows])
            return
        raw = cursor.connection  # psycopg
        with raw.cursor() as pg:
            if self.extra:
                pg.execute(f"CREATE TEMP TABLE IF NOT EXISTS bench_stage (LIKE {self.table}); "
                           f"ALTER TABLE bench_stage ADD COLUMN IF NOT EXISTS doc text; TRUNCATE bench_stage")
                target, columns = "bench_stage", [*self.columns, "doc"]
            else:
                target, columns = self.table, self.columns
            with pg.copy(f"COPY {target} ({', '.join(columns)}) FROM STDIN") as copy:
                for n, row in enumerate(rows):
                    copy.write_row(row + self.defaults + ((docs[n],) if self.extra else ()))
            if self.extra:
                names = ", ".join(self.columns)
                pg.execute(f"INSERT INTO {self.table} ({names}, search_vector) SELECT {names}, "  # noqa: S608
                           f"to_tsvector('comptoir_search', doc) FROM bench_stage")


def build(n_conv: int, n_msg: int, seed: int = 15):
    """The workspace, its people, teams, channels, and the conversations with their messages, written in bulk."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from comptoir.inbox.models import Conversation, ConversationItem, ConversationTag, Team, TeamMember
    from comptoir.members.models import Identity
    from comptoir.stream import search
    from comptoir.stream.actions import source_for_channel
    from comptoir.stream.models import Item, Tag
    from comptoir.workspaces.actions import do_create_workspace
    from comptoir.workspaces.models import Channel, Membership, User
    from comptoir.workspaces.roles import Role

    sys.path.insert(0, str(ROOT / "bench"))
    from fil import WORDS_EN, WORDS_FR  # the Fil bench's vocabulary: the same searches mean the same here

    rng = random.Random(seed)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    if connection.vendor == "sqlite":  # a scratch database: no fsync, a large page cache while loading
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -1000000")
    # People log in with force_login: no password (hashing one costs a second each).
    owner = User.objects.create_user("owner@bench.example", None, full_name="Olivia", language="fr")
    ws = do_create_workspace(owner, {"name": "Bench", "slug": "bench"})
    do_create_workspace(owner, {"name": "Other", "slug": "other"})

    def member(email, name, role):
        user = User.objects.create_user(email, None, full_name=name, language="fr")
        Membership.objects.create(workspace=ws, user=user, role=role)
        return user

    cm = member("cm@bench.example", "Camille", Role.MANAGER)
    agents = [cm] + [member(f"agent{i}@bench.example", f"Agent {i}", Role.MODERATOR) for i in range(8)]
    experts = [member(f"expert{i}@bench.example", f"Expert {i}", Role.CONTRIBUTOR) for i in range(4)]
    teams = [Team.objects.create(workspace=ws, name=name) for name in
             ("Adhésions", "Service client", "Technique", "Presse", "Partenariats")]
    for n, team in enumerate(teams):
        for user in {agents[n + 1], agents[(n + 3) % 8 + 1], experts[n % 4]}:
            TeamMember.objects.create(team=team, user=user)
    TeamMember.objects.create(team=teams[0], user=cm)
    channels = [Channel.objects.create(workspace=ws, network=net, handle=handle, label=handle) for net, handle, _w in CHANNELS]
    sources = [source_for_channel(c) for c in channels]  # made when a channel is connected
    weights = [w for _n, _h, w in CHANNELS]
    first = (Identity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    people = [Identity(pk=first + i, workspace=ws, network="mastodon", handle=f"membre{i}", display_name=f"Membre {i}")
              for i in range(30_000)]
    people += [Identity(pk=first + 30_000 + n, workspace=ws, network=c.network, handle=f"self-{c.pk}",
                        display_name=c.label) for n, c in enumerate(channels)]
    with transaction.atomic(), connection.cursor() as cursor:
        Writer(Identity, ["id", "workspace_id", "network", "handle", "display_name"]).write(
            cursor, [(i.pk, ws.pk, i.network, i.handle, i.display_name) for i in people])
    members, own = people[:30_000], people[30_000:]
    tags = [Tag.objects.create(workspace=ws, name=name, key=Tag.key_of(name)) for name in TAGS]

    # A pool of texts, tokenised once (a million distinct texts would cost minutes of tokenising, not realism).
    pool = []
    for _ in range(20_000):
        lang = _pick(rng, {"fr": 70, "en": 25, "es": 5})
        words = WORDS_FR if lang == "fr" else WORDS_EN
        text = " ".join(rng.choice(words) for _ in range(rng.randint(8, 40))).capitalize() + rng.choice([".", " !", " ?"])
        pool.append((lang, text, " ".join(search.tokens(text))))
    author_words = {i.pk: " ".join(search.tokens(f"{i.handle} {i.display_name}")) for i in [*members, *own]}
    label_codes = [(attr, code) for attr, code in search.LABELS.values()]
    ws_token = search.workspace_token(ws.pk)

    def document(values: dict, text_tokens: str) -> str:
        labels = [ws_token] + [search.label_token(code, v) for attr, code in label_codes
                               if (v := values.get(attr)) is not None and v != ""]
        return " ".join(filter(None, [text_tokens, author_words[values["author_id"]], *labels]))

    # How many messages each conversation holds: mostly short threads, a few long ones, exactly n_msg in all.
    counts = [1 + min(int(rng.expovariate(1 / max(n_msg / n_conv - 1, 0.01))), 200) for _ in range(n_conv)]
    diff = n_msg - sum(counts)
    while diff:
        i = rng.randrange(n_conv)
        if diff > 0:
            counts[i] += 1
            diff -= 1
        elif counts[i] > 1:
            counts[i] -= 1
            diff += 1

    item_cols = ["id", "workspace_id", "source_id", "channel_id", "external_id", "kind", "author_id", "text", "language",
                 "published_at", "fetched_at", "sentiment", "toxicity", "spam", "complaint", "intent", "analysed_at",
                 "model_version", "sort_key", "reviewed"]
    conv_cols = ["id", "workspace_id", "source_id", "channel_id", "key", "kind", "subject", "identity_id", "status",
                 "unread", "assignee_id", "team_id", "priority", "intent", "sentiment", "language", "last_item_id",
                 "last_message_at", "sort_key", "message_count", "waiting_since", "reply_due_at", "breached_at",
                 "first_replied_at", "last_replied_at", "closed_at", "closed_by_id", "routed_at", "created_at"]
    items_w = Writer(Item, item_cols, extra="doc" if connection.vendor == "postgresql" else None)
    convs_w = Writer(Conversation, conv_cols)
    links_w = Writer(ConversationItem, ["conversation_id", "item_id", "inbound", "added_at"])
    tags_w = Writer(ConversationTag, ["conversation_id", "tag_id", "tagged_by_id", "tagged_at"])
    index = search.backend()
    # Secondary indexes are built once at the end (sorting once beats a million random insertions into each).
    later = [(model, idx) for model in (Item, Conversation, ConversationItem) for idx in model._meta.indexes]
    with connection.schema_editor() as editor:
        for model, idx in later:
            editor.remove_index(model, idx)
        if connection.vendor == "postgresql":
            editor.execute("DROP INDEX IF EXISTS stream_item_search_gin")
    item_id = 1
    year = 365 * 86400
    for start in range(0, n_conv, CHUNK):
        items, docs, convs, links, conv_tags = [], [], [], [], []
        for cid in range(start + 1, min(start + CHUNK, n_conv) + 1):
            ch = rng.choices(range(len(channels)), weights=weights)[0]
            channel, source = channels[ch], sources[ch]
            kind, item_kind = KIND_OF.get(channel.network, (_pick(rng, {"thread": 70, "direct": 30}), None))
            who = rng.choice(members)
            last_at = now - timedelta(seconds=int(year * rng.random() ** 2.5) + 60)  # denser lately
            n = counts[cid - 1]
            times = [last_at]
            for _ in range(n - 1):
                times.append(times[-1] - timedelta(seconds=rng.randint(60, 6 * 3600)))
            times.reverse()
            inbound = [True] + [rng.random() < 0.65 for _ in range(n - 2)] + ([rng.random() < 0.75] if n > 1 else [])
            first_id, latest_in = item_id, None
            for at, mine in zip(times, inbound, strict=True):
                lang, text, text_tokens = rng.choice(pool)
                intent = _pick(rng, {"question": 35, "other": 25, "complaint": 15, "membership": 10, "praise": 10,
                                     "purchase": 5}) if mine else "other"
                values = {"source_id": source.pk, "kind": item_kind or ("direct_message" if kind == "direct" else
                                                                       "post" if at == times[0] else "reply"),
                          "language": lang, "sentiment": _pick(rng, {"neutral": 50, "negative": 30, "positive": 20}),
                          "intent": intent, "toxicity": "clean", "spam": "ham",
                          "complaint": "complaint" if intent == "complaint" else "other", "reviewed": False,
                          "author_id": who.pk if mine else own[ch].pk}
                key = search.sort_key(at, at, item_id)
                items.append((item_id, ws.pk, source.pk, channel.pk, f"m{item_id}", values["kind"], values["author_id"],
                              text, lang, at, at, values["sentiment"], "clean", "ham", values["complaint"], intent, at,
                              "bench", key, False))
                docs.append(document(values, text_tokens))
                links.append((cid, item_id, mine, at))
                if mine:
                    latest_in = values
                item_id += 1
            last_key = key
            recent = (now - last_at).days < 14
            status = _pick(rng, {"open": 50, "pending": 20, "closed": 30} if recent else
                         {"open": 3, "pending": 2, "closed": 95})
            waiting = times[-1] if status == "open" and inbound[-1] else None
            assignee = rng.choice(agents + experts[:2]) if rng.random() < 0.55 else None
            team = rng.choice(teams) if rng.random() < 0.5 else None
            replied = next((t for t, m in zip(times, inbound, strict=True) if not m), None)
            latest_in = latest_in or values
            convs.append((cid, ws.pk, source.pk, channel.pk, f"k{cid}", kind, text[:80], who.pk, status,
                          status != "closed" and rng.random() < 0.4, assignee.pk if assignee else None,
                          team.pk if team else None, _pick(rng, {0: 10, 1: 70, 2: 15, 3: 5}), latest_in["intent"],
                          latest_in["sentiment"], latest_in["language"], item_id - 1, last_at, last_key, n, waiting,
                          waiting + timedelta(hours=8) if waiting else None,
                          waiting + timedelta(hours=8) if waiting and (now - waiting).total_seconds() > 8 * 3600 else None,
                          replied, max((t for t, m in zip(times, inbound, strict=True) if not m), default=None),
                          last_at if status == "closed" else None, assignee.pk if status == "closed" and assignee else None,
                          times[0], times[0]))
            if rng.random() < 0.2:
                for tag in rng.sample(tags, rng.choice([1, 1, 2])):
                    conv_tags.append((cid, tag.pk, cm.pk, last_at))
            assert first_id == item_id - n
        with transaction.atomic(), connection.cursor() as cursor:
            items_w.write(cursor, items, docs)
            if connection.vendor == "sqlite":
                cursor.connection.executemany(f"INSERT INTO {index.TABLE}(rowid, body) VALUES (?, ?)",  # noqa: S608
                                              [(row[18], doc) for row, doc in zip(items, docs, strict=True)])
            convs_w.write(cursor, convs)
            links_w.write(cursor, links)
            tags_w.write(cursor, conv_tags)
        done = min(start + CHUNK, n_conv)
        if done % 20_000 == 0 or done == n_conv:
            print(f"  {done:,} conversations, {item_id - 1:,} messages ({time.perf_counter() - t0:.0f} s)", flush=True)
    t1 = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Item, Conversation, Identity]):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '512MB'")
    with connection.schema_editor() as editor:
        for model, idx in later:
            editor.add_index(model, idx)
        if connection.vendor == "postgresql":
            editor.execute("CREATE INDEX IF NOT EXISTS stream_item_search_gin ON stream_item USING gin (search_vector)")
    print(f"  indexes built in {time.perf_counter() - t1:.0f} s", flush=True)
    search.optimize()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"  built {n_conv:,} conversations, {item_id - 1:,} messages in {time.perf_counter() - t0:.0f} s", flush=True)
    return ws, cm, experts[0], teams[0]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def timed(fn, runs: int) -> list[float]:
    times = []
    for i in range(runs + 2):
        t0 = time.perf_counter()
        fn()
        if i >= 2:  # two warm-ups
            times.append((time.perf_counter() - t0) * 1000)
    return times


def measure(args, ws, cm, expert, team) -> None:
    from urllib.parse import urlencode

    from django.db import connection
    from django.test import Client

    from comptoir.inbox.forms import InboxFilterForm
    from comptoir.inbox.query import ConversationQuery, routed_scope

    deep = ConversationQuery(ws, {}).page(size=50 * 40).older  # the first row of page 41
    cases = [("none", {}, cm, False), ("open", {"status": "open"}, cm, False), ("assignee=me", {"assignee": "me"}, cm, False),
             ("team", {"team": str(team.pk)}, cm, False), ("intent=membership", {"intent": "membership"}, cm, False),
             ("unread", {"unread": "yes"}, cm, False), ("waiting=4h", {"waiting": "4h"}, cm, False),
             ("open+team+waiting", {"status": "open", "team": str(team.pk), "waiting": "4h"}, cm, False),
             ("search", {"q": SEARCH}, cm, False), ("search rare", {"q": RARE}, cm, False), ("search+open", {"q": SEARCH, "status": "open"}, cm, False),
             ("deep page", {"before": str(deep)}, cm, False), ("contributor", {}, expert, True)]
    health_client = Client()
    health = timed(lambda: health_client.get("/health/"), args.runs)
    h50 = statistics.median(health)
    print(f"baseline /health/ p50 {h50:.1f} ms p95 {p95(health):.1f} ms", flush=True)
    worst = 0.0
    for name, data, user, scoped in cases:
        result = {}

        def run(data=data, user=user, scoped=scoped, result=result):
            form = InboxFilterForm(data, workspace=ws)
            assert form.is_valid(), form.errors
            query = ConversationQuery(ws, form.cleaned_data, user=user, scope=routed_scope(user) if scoped else None)
            before = int(data["before"]) if "before" in data else None
            page = query.page(before=before)
            result["rows"], result["count"] = len(page.items), query.count()

        times = timed(run, args.runs)
        client = Client()
        client.force_login(user)
        url = f"/w/{ws.slug}/inbox/" + (f"?{urlencode(data)}" if data else "")
        status = client.get(url).status_code
        view = timed(lambda client=client, url=url: client.get(url), args.runs) if status == 200 else None
        q50, q95 = statistics.median(times), p95(times)
        worst = max(worst, q95, p95(view) if view else 0)
        shown = (f"view_p50_ms={statistics.median(view):.1f} view_p95_ms={p95(view):.1f} "
                 f"view_x_baseline={statistics.median(view) / h50:.1f}") if view else f"view=n/a(status {status})"
        count = result["count"]
        print(f"inbox: db={connection.vendor.replace('postgresql', 'postgres')} case={name.replace(' ', '_')} "
              f"p50_ms={q50:.1f} p95_ms={q95:.1f} {shown} rows={result['rows']} "
              f"count={count.value}{'' if count.exact else '+'}", flush=True)
    print(f"inbox: db={connection.vendor.replace('postgresql', 'postgres')} worst_p95_ms={worst:.1f}", flush=True)


def child(args) -> None:
    scratch = args.data_dir is None
    setup_child(args)
    try:
        _child(args)
    finally:
        if scratch:  # the temporary folder and its database (1.5 GB at full size)
            import shutil

            shutil.rmtree(os.environ["COMPTOIR_DATA_DIR"], ignore_errors=True)


def _child(args) -> None:
    import logging

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    logging.getLogger("django.request").setLevel(logging.ERROR)  # a contributor's 403 on the CM's page is expected
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; building {args.conversations:,} conversations, {args.messages:,} messages…",
          flush=True)
    ws, cm, expert, team = build(args.conversations, args.messages)
    measure(args, ws, cm, expert, team)


# The parent: each database in a child process (Django's settings are read once a process) ----------------------


def postgres_url(args) -> str | None:
    url = args.postgres or os.environ.get("DATABASE_URL")
    if not url or not url.startswith(("postgres://", "postgresql://")):
        return None
    return url.rsplit("/", 1)[0] + "/" + BENCH_DB


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


def run_child(args, db: str, url: str | None) -> list[float]:
    command = [sys.executable, __file__, "--db", db, "--conversations", str(args.conversations), "--messages",
               str(args.messages), "--runs", str(args.runs)]
    if url:
        command += ["--postgres", url]
    if args.data_dir and db == "sqlite":
        command += ["--data-dir", args.data_dir]
    worst = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
            if found := re.search(r"worst_p95_ms=([\d.]+)", line):
                worst.append(float(found.group(1)))
    if proc.returncode:
        raise SystemExit(f"the {db} run failed ({proc.returncode})")
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=None, help="all conversations' messages (default: 10 each)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data-dir", help="SQLite: build in this folder (default: a new temporary one)")
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: DATABASE_URL); the bench uses its own "
                                           f"database {BENCH_DB} on that server")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    parser.add_argument("--keep", action="store_true", help=f"PostgreSQL: keep {BENCH_DB} after the run")
    parser.add_argument("--db", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)  # a child's own database
    args = parser.parse_args()
    args.messages = args.messages or args.conversations * 10
    if args.db:
        return child(args)
    worst = []
    if args.only != "postgres":
        worst += run_child(args, "sqlite", None)
    url = postgres_url(args)
    if url and args.only != "sqlite":
        admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin(url, f"CREATE DATABASE {BENCH_DB}")
        try:
            worst += run_child(args, "postgres", url)
        finally:
            if not args.keep:
                admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    elif args.only == "postgres":
        raise SystemExit("--only postgres needs DATABASE_URL or --postgres")
    print(f"inbox: conversations={args.conversations} p95_max_ms={max(worst):.0f}")
    return None


if __name__ == "__main__":
    main()
