"""A real local AT Protocol network: PLC + PDS + AppView + Ozone (@atproto/dev-env), once per session.

The AppView needs PostgreSQL and Redis: both are started privately (loopback, temporary
directory, stopped afterwards). Install the node side once with ``tests/peer/install.sh``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from atproto import Client, models

from comptoir.connectors.bluesky.client import BlueskyConnector
from comptoir.connectors.testing import Peer, free_port

PEER_DIR = Path(__file__).parent / "peer"
PG_BIN = Path("/usr/lib/postgresql/15/bin")  # Debian package postgresql-15
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"  # Debian package redis-server


def pytest_configure(config):
    # Proposed for pyproject's markers; registered here so --strict-markers accepts it meanwhile.
    config.addinivalue_line("markers", "peers: starts real local network peers")


@pytest.fixture(autouse=True)
def _allow_loopback_targets(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@dataclass
class Account:
    handle: str
    did: str
    password: str
    app_password: str


class Network:
    def __init__(self, pds: str, appview: str, node: Peer):
        self.pds = pds
        self.appview = appview
        self.node = node

    def create_account(self, prefix: str) -> Account:
        """A new account (unique handle) with an app password, as a CM would create for Comptoir."""
        handle = f"{prefix}{uuid.uuid4().hex[:6]}.test"
        password = uuid.uuid4().hex
        session = Client(base_url=self.pds).com.atproto.server.create_account(
            models.ComAtprotoServerCreateAccount.Data(handle=handle, email=f"{handle}@example.test", password=password)
        )
        client = self.client_for(handle, password)
        app_password = client.com.atproto.server.create_app_password(
            models.ComAtprotoServerCreateAppPassword.Data(name="Comptoir")
        ).password
        return Account(handle, session.did, password, app_password)

    def client_for(self, handle: str, password: str) -> Client:
        client = Client(base_url=self.pds)
        client.login(handle, password, fetch_bsky_profile=False)
        return client

    def flush(self, timeout: float = 30) -> None:
        """Wait until the AppView has indexed everything written so far (dev-env processAll)."""
        before = self.node.log.read_text(errors="replace").count('{"processed":true}')
        self.node.proc.stdin.write(b"\n")
        self.node.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.node.log.read_text(errors="replace").count('{"processed":true}') > before:
                return
            if self.node.proc.poll() is not None:
                pytest.fail(f"AT Protocol network exited:\n{self.node.tail()}", pytrace=False)
            time.sleep(0.05)
        pytest.fail(f"AT Protocol network did not finish indexing in {timeout}s:\n{self.node.tail()}", pytrace=False)


def _ok(url: str) -> bool:
    return httpx.get(url, timeout=1).status_code == 200


@pytest.fixture(scope="session")
def atproto_network():
    if not (PEER_DIR / "node_modules" / "@atproto" / "dev-env").is_dir():
        pytest.fail(
            f"The Bluesky test network is not installed: run {PEER_DIR / 'install.sh'} (npm ci, ~2 min).",
            pytrace=False,
        )
    for binary in (PG_BIN / "initdb", PG_BIN / "postgres", Path(REDIS)):
        if not binary.exists():
            pytest.fail(f"{binary} is missing: apt-get install -y postgresql redis-server", pytrace=False)
    # PostgreSQL refuses to run as root and must traverse its directory: not pytest's 0700 tmp_path.
    d = Path(tempfile.mkdtemp(prefix="comptoir-bsky-"))
    d.chmod(0o755)
    pg = d / "pg"
    pg.mkdir()
    shutil.chown(pg, "postgres", "postgres")
    peers: list[Peer] = []
    try:
        initdb = subprocess.run(
            [PG_BIN / "initdb", "-D", pg / "data", "-A", "trust", "-U", "pg", "--no-sync", "-E", "UTF8"],
            cwd=pg, user="postgres", capture_output=True, text=True, check=False,
        )
        if initdb.returncode:
            pytest.fail(f"initdb failed:\n{initdb.stdout[-2000:]}{initdb.stderr[-2000:]}", pytrace=False)
        pg_port, redis_port = free_port(), free_port()
        postgres = Peer(
            "postgres",
            [PG_BIN / "postgres", "-D", pg / "data", "-h", "127.0.0.1", "-p", str(pg_port), "-k", pg,
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            pg, user="postgres",
        )
        peers.append(postgres)
        redis = Peer(
            "redis",
            [REDIS, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "", "--appendonly", "no", "--dir", d],
            d,
        )
        peers.append(redis)
        postgres.wait_ready(
            lambda: subprocess.run([PG_BIN / "pg_isready", "-h", "127.0.0.1", "-p", str(pg_port)],
                                   capture_output=True, check=False).returncode == 0,
            timeout=30,
        )
        ports = {name: free_port() for name in ("PLC_PORT", "PDS_PORT", "BSKY_PORT", "OZONE_PORT")}
        node = Peer(
            "atproto",
            ["node", "--dns-result-order=ipv4first", "-r", "./loopback.js", "network.js"],
            PEER_DIR,
            env={
                **{k: str(v) for k, v in ports.items()},
                "TMPDIR": str(d),  # the PDS keeps its SQLite files and blobs in os.tmpdir()
                "DB_POSTGRES_URL": f"postgresql://pg@127.0.0.1:{pg_port}/postgres",
                "REDIS_HOST": f"127.0.0.1:{redis_port}",
                "LOG_ENABLED": "false",
            },
            stdin=subprocess.PIPE,
            logdir=d,
        )
        peers.append(node)
        pds, appview = f"http://127.0.0.1:{ports['PDS_PORT']}", f"http://127.0.0.1:{ports['BSKY_PORT']}"
        node.wait_ready(lambda: _ok(f"{pds}/xrpc/_health") and _ok(f"{appview}/xrpc/_health")
                        and '"ready":true' in node.log.read_text(errors="replace"), timeout=120)
        yield Network(pds, appview, node)
    finally:
        for peer in reversed(peers):
            # PostgreSQL: SIGINT is the fast shutdown (SIGTERM waits for clients to leave).
            peer.stop(sig=signal.SIGINT if peer.name == "postgres" else signal.SIGTERM)
        if os.environ.get("COMPTOIR_KEEP_PEER_LOGS"):
            print(f"Bluesky peer logs kept in {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)


@dataclass
class Accounts:
    cm: Account
    fan: Account
    connector: BlueskyConnector


def connector_for(network: Network, account: Account, **config) -> BlueskyConnector:
    return BlueskyConnector(
        config={"service": network.pds, "handle": account.handle, **config},
        credentials={"app_password": account.app_password},
    )


@pytest.fixture
def bsky(atproto_network) -> Accounts:
    """A community manager's account with its connector, and a fan who talks to it."""
    cm = atproto_network.create_account("cm")
    fan = atproto_network.create_account("fan")
    return Accounts(cm, fan, connector_for(atproto_network, cm))



@pytest.fixture(autouse=True)
def _messages_in_english():
    # Assertions read the English messages; the French catalogue is checked by comptoir/tests/test_i18n.py.
    from django.utils import translation

    with translation.override("en"):
        yield
