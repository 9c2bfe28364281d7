"""Fresh enough to answer: how long a message on an owned channel takes to reach the inbox, per network.

    .venv/bin/python bench/freshness.py [--rounds 6] [--networks matrix,mastodon,email,bluesky] [--data-dir DIR]

Starts the real local peers the connector tests use (Synapse, mastodon_mock, dovecot + aiosmtpd, and the Bluesky
dev-env: PLC + PDS + AppView on a private PostgreSQL and Redis), a scratch SQLite database with one workspace and
one owned channel per network, then one ``comptoir worker`` and one ``comptoir clock`` as separate processes with
the production intervals (clock tick ``COMPTOIR_CLOCK_INTERVAL_SECONDS``, 5 s; worker idle poll 1 s): the path a
message takes in production, clock claim → ``poll_source`` → ``fetch`` (long-poll, IDLE or plain read) → store →
``analyse_items``. Each round, at a random moment, someone writes to every channel at once (a Matrix message in the
room, a Mastodon mention, an e-mail delivered to the mailbox by IMAP APPEND as a mail server would, a Bluesky mention),
and the script measures, per message, the time until its Item exists (``fetched_at``) and until it is analysed
(``analysed_at``). All channels share the one worker, as on a single-machine install.

Loopback is allowed for this run only (``COMPTOIR_FETCH_ALLOW_PRIVATE=1``). Prints a line per message, then per network
``freshness: network=matrix delay_s=<median> p95_s=… max_s=… analysed_p95_s=… n=…`` and finally
``freshness: p95_max_s=…`` (the worst network's 95th percentile, until analysed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NETWORKS = ("matrix", "mastodon", "email", "bluesky")


class TmpFactory:
    """Stands in for pytest's tmp_path_factory: the peers' fixtures only ask it for fresh folders."""

    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"comptoir-bench-{name}-"))


def peer(fixture, *args):
    """A test peer fixture (a generator) used as a context manager: the bench runs the very peers the tests run."""
    return contextlib.contextmanager(fixture._get_wrapped_function())(*args)


def setup(args) -> dict:
    env = {"COMPTOIR_DEV": "1", "DJANGO_SETTINGS_MODULE": "comptoir.settings", "COMPTOIR_DEMO": "0",
           "COMPTOIR_DATA_DIR": args.data_dir or tempfile.mkdtemp(prefix="comptoir-bench-freshness-"),
           "COMPTOIR_FETCH_ALLOW_PRIVATE": "1", "COMPTOIR_LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    return env


class Channels:
    """One owned channel per network on the local peers, and a way for someone to write to each."""

    def __init__(self, stack: contextlib.ExitStack, networks: list[str]):
        from comptoir.workspaces.actions import do_connect_channel, do_create_workspace
        from comptoir.workspaces.models import Membership, User

        user = User.objects.create_user("cm@bench.test", "bench-password-123", full_name="Camille Bench")
        workspace = do_create_workspace(user, {"name": "Banc d'essai", "slug": "banc"})
        member = Membership.objects.get(workspace=workspace, user=user)
        self.workspace, self.channels, self.say = workspace, {}, {}

        def connect(network, handle, config, credentials):
            self.channels[network] = do_connect_channel(member, network=network, handle=handle, config=config,
                                                        credentials=credentials)

        if "matrix" in networks:
            from comptoir.connectors.matrix.tests import conftest as mx

            synapse = stack.enter_context(peer(mx.synapse, TmpFactory()))
            mx_cm, mx_fan = synapse.register("cm"), synapse.register("fan")
            room = synapse.create_room(mx_cm, mx_fan)
            connect("matrix", mx_cm.user_id, {"homeserver": synapse.url, "user_id": mx_cm.user_id, "rooms": [room]},
                    {"access_token": mx_cm.access_token})
            self.say["matrix"] = lambda text: synapse.say(mx_fan, room, text)
        if "mastodon" in networks:
            from mastodon_mock.config import DatabaseConfig, MastodonMockConfig
            from mastodon_mock.testing.seed import DEFAULT_TEST_SEED
            from mastodon_mock.testing.server import MockServer

            server = stack.enter_context(MockServer(config=MastodonMockConfig(
                database=DatabaseConfig(path=":memory:"), seed=DEFAULT_TEST_SEED,
                media_storage_path=str(TmpFactory().mktemp("mastodon-media")))))
            connect("mastodon", "@alice@127.0.0.1", {"server": server.base_url, "handle": "@alice@127.0.0.1"},
                    {"access_token": "alice_token"})
            bob = server.client("bob")
            self.say["mastodon"] = lambda text: bob.status_post(f"@alice {text}")
        if "email" in networks:
            from comptoir.connectors.email.tests import conftest as em
            from comptoir.connectors.email.tests.messages import simple

            imap, smtp = stack.enter_context(peer(em.imap_server)), stack.enter_context(peer(em.smtp_server))
            user, password = imap.new_user()
            account = em.Account(imap, smtp, user, password)
            connect("email", user, account.config, {"password": password})
            self.say["email"] = lambda text: account.append(simple(f"<{uuid.uuid4().hex}@bench.test>", body=text))
        if "bluesky" in networks:
            from atproto import client_utils

            from comptoir.connectors.bluesky.tests import conftest as bs

            network = stack.enter_context(peer(bs.atproto_network))
            bs_cm, bs_fan = network.create_account("cm"), network.create_account("fan")
            connect("bluesky", bs_cm.handle, {"service": network.pds, "handle": bs_cm.handle},
                    {"app_password": bs_cm.app_password})
            fan_client = network.client_for(bs_fan.handle, bs_fan.password)

            def post(text):
                words = client_utils.TextBuilder().mention(f"@{bs_cm.handle}", bs_cm.did).text(f" {text}")
                fan_client.send_post(words, profile_identify=bs_fan.did)

            self.say["bluesky"] = post


class Processes:
    """One ``comptoir worker`` and one ``comptoir clock`` with their production intervals, stopped by their pids."""

    def __init__(self, env: dict, logdir: Path):
        self.procs = []
        for command in (["worker"], ["clock"]):
            log = open(logdir / f"{command[0]}.log", "wb")  # noqa: SIM115 - kept with the child
            self.procs.append(subprocess.Popen([sys.executable, "-m", "comptoir.cli", *command], cwd=ROOT,
                                               env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise SystemExit(f"freshness: {what} not seen after {timeout:g} s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6, help="messages per network")
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--timeout", type=float, default=90, help="seconds to wait for one message")
    parser.add_argument("--data-dir", help="SQLite: the scratch folder (default: a new temporary one)")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    networks = [n for n in args.networks.split(",") if n in NETWORKS]
    env = setup(args)
    rng = random.Random(args.seed)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import close_old_connections

    from comptoir.stream.models import Item, Source

    call_command("migrate", verbosity=0)
    delays: dict[str, list[tuple[float, float]]] = {n: [] for n in networks}
    with contextlib.ExitStack() as stack:
        t0 = time.perf_counter()
        channels = Channels(stack, networks)
        print(f"peers and channels ready in {time.perf_counter() - t0:.1f} s; clock every "
              f"{settings.COMPTOIR_CLOCK_INTERVAL_SECONDS:g} s, one worker", flush=True)
        logdir = Path(env["COMPTOIR_DATA_DIR"]) / "logs"
        logdir.mkdir(exist_ok=True)
        processes = Processes(env, logdir)
        stack.callback(processes.stop)
        sources = {n: Source.objects.get(channel=channels.channels[n]) for n in networks}
        # Every channel read once (the first read takes the cursor), so that what follows is the steady state.
        wait_for(lambda: all(Source.objects.filter(pk=s.pk, last_success_at__isnull=False).exists()
                             for s in sources.values()), 120, "a first read of every channel")
        for n, s in sources.items():
            s.refresh_from_db()
            print(f"  {n}: read every {s.poll_interval_seconds} s", flush=True)
        for round_ in range(args.rounds):
            time.sleep(rng.uniform(2, 12))  # a random moment in the channels' cycles
            markers = {}
            for n in networks:
                markers[n] = f"fraicheur-{n}-{round_}-{uuid.uuid4().hex[:8]}"
                channels.say[n](f"Bonjour, une question pour vous ({markers[n]}) ?")
                markers[n] = (markers[n], datetime.now(UTC))
            for n in networks:
                marker, said = markers[n]
                close_old_connections()
                item = wait_for(lambda source=sources[n], marker=marker: Item.objects.filter(
                    source=source, text__contains=marker, analysed_at__isnull=False).first(),
                    args.timeout, f"{n} message {marker}")
                stored = (item.fetched_at - said).total_seconds()
                analysed = (item.analysed_at - said).total_seconds()
                delays[n].append((stored, analysed))
                print(f"  round {round_ + 1} {n}: stored after {stored:.1f} s, analysed after {analysed:.1f} s",
                      flush=True)
    worst = 0.0
    for n in networks:
        stored = [d[0] for d in delays[n]]
        analysed = [d[1] for d in delays[n]]
        worst = max(worst, percentile(analysed, 0.95))
        print(f"freshness: network={n} delay_s={statistics.median(stored):.1f} p95_s={percentile(stored, 0.95):.1f} "
              f"max_s={max(stored):.1f} analysed_p95_s={percentile(analysed, 0.95):.1f} n={len(stored)}")
    print(f"freshness: p95_max_s={worst:.1f}")


if __name__ == "__main__":
    main()
