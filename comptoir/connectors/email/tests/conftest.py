"""Real local peers for the e-mail connector: an aiosmtpd sink and a private dovecot (see PEERS.md)."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.utils import translation

from comptoir.connectors.testing import Peer, free_port

DOVECOT = "/usr/sbin/dovecot"  # Debian package dovecot-imapd (pulls dovecot-core)
# Mailbox users, for the SMTP sink's AUTH.
ACCOUNTS: dict[bytes, bytes] = {}


def pytest_configure(config):
    # Proposed for pyproject's markers; registered here so --strict-markers accepts it meanwhile.
    config.addinivalue_line("markers", "peers: starts real local network peers")


@pytest.fixture(autouse=True)
def _allow_loopback_targets(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English; the French catalogue is checked on its own.
    with translation.override("en"):
        yield


# --- SMTP: aiosmtpd in this process ------------------------------------------------------------


class EphemeralController(Controller):
    def _trigger_server(self):
        # Controller(port=0) self-tests against port 0: read the real port back first.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Sink:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope)
        return "250 OK"

    def clear(self):
        with self.lock:
            self.messages.clear()


def _auth(server, session, envelope, mechanism, data):
    # handled=False: a refused login answers 535 instead of leaving the client hanging.
    return AuthResult(success=ACCOUNTS.get(data.login) == data.password, handled=False)


@dataclass
class SmtpPeer:
    host: str
    port: int
    sink: Sink


@pytest.fixture(scope="session")
def smtp_server():
    sink = Sink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctl = EphemeralController(
            sink, hostname="127.0.0.1", port=0, authenticator=_auth, auth_require_tls=False
        )
        ctl.start()
    yield SmtpPeer("127.0.0.1", ctl.port, sink)
    ctl.stop()


@pytest.fixture
def smtp(smtp_server):
    smtp_server.sink.clear()
    return smtp_server


# --- IMAP: a private dovecot ------------------------------------------------------------------

DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = test-dovecot-{port}
log_path = /dev/stderr
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 100
mail_location = maildir:{d}/mail/%u
# Every user has the session's password: a passwd-file is re-read at most once a second, so a
# mailbox added during a test could not log in yet. Each test still gets its own user (mailbox).
passdb {{
  driver = static
  args = password={password}
}}
# Failed logins are part of the tests: no 2-15 s penalty for them.
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class ImapPeer:
    host: str
    port: int
    password: str

    def new_user(self) -> tuple[str, str]:
        """A fresh mailbox per test: isolation by data, not by restarts."""
        user = f"u{uuid.uuid4().hex[:10]}@example.test"
        ACCOUNTS[user.encode()] = self.password.encode()
        return user, self.password


def _tcp_ready(port):
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        return s.recv(64).startswith(b"* OK")


@pytest.fixture(scope="session")
def imap_server():
    if not Path(DOVECOT).exists():
        pytest.fail(
            f"{DOVECOT} is missing: install the Debian package dovecot-imapd (apt-get install -y dovecot-imapd)",
            pytrace=False,
        )
    # pytest's 0700 tmp dirs are unreachable for the dovecot users: own world-readable dir.
    d = Path(tempfile.mkdtemp(prefix="comptoir-dovecot-"))
    d.chmod(0o755)
    (d / "mail").mkdir()
    shutil.chown(d / "mail", "dovecot", "dovecot")
    password = uuid.uuid4().hex
    peer = None
    try:
        for attempt in range(2):  # tiny race between free_port() and dovecot's bind: retry once
            port = free_port()
            (d / "dovecot.conf").write_text(DOVECOT_CONF.format(d=d, port=port, password=password))
            peer = Peer(f"dovecot-{attempt}", [DOVECOT, "-F", "-c", str(d / "dovecot.conf")], d)
            try:
                peer.wait_ready(lambda port=port: _tcp_ready(port), timeout=10)
                break
            except pytest.fail.Exception:
                if attempt or "in use" not in peer.tail():
                    raise
                peer.stop()
        yield ImapPeer("127.0.0.1", port, password)
    finally:
        if peer is not None:
            peer.stop()
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def mailbox(imap_server):
    user, password = imap_server.new_user()
    return imap_server, user, password


@dataclass
class Account:
    """A fresh mailbox with both peers, and the connector settings a CM would have entered."""

    imap: ImapPeer
    smtp: SmtpPeer
    user: str
    password: str

    @property
    def config(self) -> dict:
        return {
            "imap_host": self.imap.host,
            "imap_port": self.imap.port,
            "imap_security": "none",
            "smtp_host": self.smtp.host,
            "smtp_port": self.smtp.port,
            "smtp_security": "none",
            "username": self.user,
            "from_address": self.user,
            "from_name": "Équipe Comptoir",
            "folder": "INBOX",
            "sent_folder": "Sent",
            "timeout": 5,
        }

    def connector(self, password: str | None = None, **config):
        from comptoir.connectors.email.client import EmailConnector

        return EmailConnector({**self.config, **config}, {"password": password or self.password})

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient(self.imap.host, port=self.imap.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            for raw in messages:
                client.append(folder, raw)

    @property
    def sent(self):
        return self.smtp.sink.messages


@pytest.fixture
def account(mailbox, smtp):
    imap, user, password = mailbox
    return Account(imap, smtp, user, password)
