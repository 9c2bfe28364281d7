"""Delivery under fire: 10,000 posts due in the same minute, worker and clock killed with SIGKILL during the run.

    .venv/bin/python bench/delivery.py [--posts 10000] [--workers 2] [--threads 4] [--task-size 25]
                                [--kill-at 0.2,0.45,0.7] [--data-dir DIR]

Creates a scratch database (SQLite in a temporary folder; ``DATABASE_URL`` is honoured, then it must point at an
empty scratch database), a workspace with one Mastodon channel on a **local peer** that this script runs (a small
Mastodon-shaped HTTP server on 127.0.0.1: ``POST /api/v1/statuses`` with Mastodon's ``Idempotency-Key`` semantics —
the same key answers the status it already created, an empty request with an unknown key is refused with 422 —,
``GET /api/v1/accounts/verify_credentials``, ``GET /api/v2/instance``; it counts every status it creates, per
variant), and ``--posts`` posts of one variant each, all due at the same second. Then it starts ``--workers``
``comptoir worker`` processes and one ``comptoir clock`` as separate processes, SIGKILLs all of them several times
(when 20 %, 45 % and 70 % of the posts are sent, ``--kill-at``) and restarts them at once, and waits until every variant is
settled (sent, failed, late or unknown).

Loopback is allowed for this run only (``COMPTOIR_FETCH_ALLOW_PRIVATE=1`` in the children's environment); the
production rule stays. The lease, the heartbeat and the clock's interval are shortened so that a killed worker's
claims come back within seconds (the production defaults are minutes). Prints what it did, then
``delivery: posts=N delivered=D duplicates=X lost=L failed=F elapsed_after_last_restart_s=… total_s=…``:
*duplicates* are statuses the peer created beyond the first for one variant, *lost* the variants neither sent nor
reported (failed, late or unknown: each such one notifies the community managers).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"  # noqa: S105 - the local peer's own test token
MARKER = re.compile(r"\[p(\d+)\]")


class Peer:
    """A Mastodon-shaped server on 127.0.0.1 that remembers idempotency keys and counts statuses per variant."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_key: dict[str, dict] = {}
        self.created: Counter[int] = Counter()
        self.requests = 0
        self.next_id = 100000
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._answer(401, {"error": "The access token is invalid"})
                    return False
                return True

            def do_GET(self):  # noqa: N802 - http.server's name
                if not self._authorised():
                    return
                if self.path.startswith("/api/v1/accounts/verify_credentials"):
                    self._answer(200, {"id": "1", "username": "bench", "acct": "bench", "display_name": "Bench"})
                elif self.path.startswith("/api/v2/instance"):
                    self._answer(200, {"domain": "127.0.0.1", "configuration": {"statuses": {"max_characters": 500}}})
                else:
                    self._answer(404, {"error": "Record not found"})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not self._authorised():
                    return
                if self.path != "/api/v1/statuses":
                    self._answer(404, {"error": "Record not found"})
                    return
                key = self.headers.get("Idempotency-Key") or ""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with peer.lock:
                    peer.requests += 1
                    if key and key in peer.by_key:  # as Mastodon: a known key answers its status, before validating
                        status = peer.by_key[key]
                    elif not str(body.get("status") or "").strip():
                        status = None
                    else:
                        peer.next_id += 1
                        text = str(body["status"])
                        status = {"id": str(peer.next_id), "content": f"<p>{text}</p>", "visibility": "public",
                                  "url": f"http://127.0.0.1/@bench/{peer.next_id}", "created_at": "2026-12-05T10:00:00Z"}
                        if key:
                            peer.by_key[key] = status
                        found = MARKER.search(text)
                        if found:
                            peer.created[int(found.group(1))] += 1
                if status is None:
                    self._answer(422, {"error": "Validation failed: Text can't be blank"})
                else:
                    self._answer(200, status)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed worker hangs up: expected here
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def setup(args) -> dict:
    env = {"COMPTOIR_DEV": "1", "DJANGO_SETTINGS_MODULE": "comptoir.settings", "COMPTOIR_DEMO": "0",
           "COMPTOIR_DATA_DIR": args.data_dir or tempfile.mkdtemp(prefix="comptoir-bench-delivery-"),
           "COMPTOIR_FETCH_ALLOW_PRIVATE": "1", "COMPTOIR_LOG_LEVEL": "WARNING",
           "COMPTOIR_CLOCK_INTERVAL_SECONDS": "1", "COMPTOIR_WORKER_HEARTBEAT_SECONDS": "1",
           "COMPTOIR_WORKER_DEAD_AFTER_SECONDS": "4", "COMPTOIR_TASK_MAX_ATTEMPTS": "20",
           "COMPTOIR_DELIVERY_LEASE_SECONDS": str(args.lease), "COMPTOIR_DELIVERY_CLAIM_BATCH": str(args.claim_batch),
           "COMPTOIR_DELIVERY_TASK_SIZE": str(args.task_size), "COMPTOIR_DELIVERY_THREADS": str(args.threads)}
    os.environ.update(env)
    return env


def create(n: int, server: str, due_in: float):
    """A workspace, its channel on the peer, and ``n`` posts of one variant, armed as ``delivery.schedule`` arms them."""
    from django.db import transaction
    from django.utils import timezone

    from comptoir.publishing.models import Post, Variant
    from comptoir.workspaces.actions import do_create_workspace
    from comptoir.workspaces.models import Channel, User

    user = User.objects.create_user("cm@bench.test", "bench-password-123", full_name="Camille Bench")
    workspace = do_create_workspace(user, {"name": "Banc d'essai", "slug": "banc"})
    channel = Channel(workspace=workspace, network="mastodon", handle="@bench@127.0.0.1",
                      config={"server": server, "timeout": 10})
    channel.credentials = {"access_token": TOKEN}
    channel.save()
    due = timezone.now().replace(microsecond=0) + timedelta(seconds=due_in)
    with transaction.atomic():
        posts = Post.objects.bulk_create(
            [Post(workspace=workspace, title=f"Annonce {i}", master_text=f"Annonce numéro {i} du banc d'essai",
                  publish_at=due, status=Post.Status.SCHEDULED) for i in range(n)], batch_size=1000)
        # The peer knows the post (one variant each) from the marker its text carries.
        Variant.objects.bulk_create(
            [Variant(post=post, channel=channel, network="mastodon", state=Variant.State.SCHEDULED, due_at=due,
                     text=f"Annonce {i} du banc d'essai [p{post.pk}]",
                     not_after=due + timedelta(minutes=post.late_after_minutes)) for i, post in enumerate(posts)],
            batch_size=1000)
    return workspace, due


class Processes:
    """``comptoir worker`` ×N and ``comptoir clock``, started, killed with SIGKILL and restarted by their own pids."""

    def __init__(self, env: dict, workers: int, logdir: Path):
        self.env, self.workers, self.logdir = {**os.environ, **env}, workers, logdir
        self.procs: list[subprocess.Popen] = []
        self.generation = 0

    def start(self) -> None:
        self.generation += 1
        commands = [["worker", "--queues", "deliver", "--interval", "0.1"] for _ in range(self.workers)]
        commands.append(["clock", "--interval", "1"])
        for i, command in enumerate(commands):
            log = open(self.logdir / f"{command[0]}-{i}-{self.generation}.log", "wb")  # noqa: SIM115 - kept with the child
            self.procs.append(subprocess.Popen([sys.executable, "-m", "comptoir.cli", *command], cwd=ROOT, env=self.env,
                                               stdout=log, stderr=subprocess.STDOUT))

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)  # this child only
            proc.wait()
        self.procs = []

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = []


def counts(workspace) -> Counter:
    from django.db.models import Count

    from comptoir.publishing.models import Variant

    return Counter(dict(Variant.objects.filter(post__workspace=workspace).values("state").annotate(n=Count("pk"))
                        .values_list("state", "n")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="delivery threads per task")
    parser.add_argument("--task-size", type=int, default=25, help="variants per delivery task")
    parser.add_argument("--claim-batch", type=int, default=1000, help="variants the clock keeps claimed ahead")
    parser.add_argument("--lease", type=float, default=15, help="seconds a claim holds a variant")
    parser.add_argument("--kill-at", default="0.2,0.45,0.7",
                        help="kill when these shares of the posts are sent (so that each kill hits a run in full flow)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--data-dir", help="SQLite: the scratch folder (default: a new temporary one)")
    args = parser.parse_args()
    kill_at = sorted(float(x) for x in args.kill_at.split(",") if x.strip())
    env = setup(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from comptoir.publishing.models import DeliveryAttempt, Variant

    call_command("migrate", verbosity=0)
    peer = Peer()
    t0 = time.perf_counter()
    workspace, due = create(args.posts, peer.url, due_in=8)
    print(f"database: {connection.vendor}; {args.posts:,} posts created in {time.perf_counter() - t0:.1f} s, all due "
          f"at {due:%H:%M:%S} UTC; peer {peer.url}; {args.workers} workers × {args.threads} threads, tasks of "
          f"{args.task_size}, lease {args.lease:g} s", flush=True)
    connection.close()

    logdir = Path(env["COMPTOIR_DATA_DIR"]) / "logs"
    logdir.mkdir(exist_ok=True)
    processes = Processes(env, args.workers, logdir)
    processes.start()
    settled_states = {Variant.State.SENT, Variant.State.FAILED, Variant.State.LATE, Variant.State.UNKNOWN}
    start = time.time()
    wait = due.timestamp() - start
    if wait > 0:
        time.sleep(wait)
    due_clock = time.perf_counter()
    last_restart = due_clock
    kills_done = 0
    first_after_restart = None
    try:
        while True:
            now = time.perf_counter()
            state = counts(workspace)
            if kills_done < len(kill_at) and state.get("sent", 0) >= kill_at[kills_done] * args.posts:
                processes.kill()
                kills_done += 1
                processes.start()
                last_restart, restarted_at = time.perf_counter(), timezone.now()
                first_after_restart = None
                print(f"  {now - due_clock:5.1f} s: SIGKILL #{kills_done} of {args.workers} workers and the clock "
                      f"(sent so far {state.get('sent', 0):,}, claimed {state.get('claimed', 0):,}); restarted",
                      flush=True)
                state = counts(workspace)
            if first_after_restart is None and kills_done and DBTaskResult.objects.filter(
                    queue_name="deliver", status="SUCCESSFUL", started_at__gte=restarted_at).exists():
                first_after_restart = time.perf_counter() - last_restart
            settled = sum(state.get(s, 0) for s in settled_states)
            if settled >= args.posts:
                break
            if now - due_clock > args.timeout:
                print(f"  timeout after {args.timeout:g} s", flush=True)
                break
            time.sleep(0.25)
        done = time.perf_counter()
    finally:
        processes.stop()

    state = counts(workspace)
    delivered = state.get(Variant.State.SENT, 0)
    reported = sum(state.get(s, 0) for s in (Variant.State.FAILED, Variant.State.LATE, Variant.State.UNKNOWN))
    lost = args.posts - delivered - reported
    duplicates = sum(c - 1 for c in peer.created.values() if c > 1)
    sent_posts = set(Variant.objects.filter(post__workspace=workspace, state=Variant.State.SENT)
                     .values_list("post_id", flat=True))
    unrecorded = sum(1 for post_id in peer.created if post_id not in sent_posts)
    outcomes = Counter(DeliveryAttempt.objects.filter(variant__post__workspace=workspace)
                       .values_list("outcome", flat=True))
    print(f"states: {dict(state)}; attempts: {dict(outcomes)}; peer requests {peer.requests:,}, statuses created "
          f"{sum(peer.created.values()):,}, published but not recorded as sent {unrecorded}; after the last restart "
          f"the first task of the new processes finished {first_after_restart or 0:.1f} s after it (start-up)")
    print(f"delivery: posts={args.posts} delivered={delivered} duplicates={duplicates} lost={lost} failed={reported} "
          f"elapsed_after_last_restart_s={done - last_restart:.1f} total_s={done - due_clock:.1f}")


if __name__ == "__main__":
    main()
