"""A real local Matrix peer: Synapse (SQLite) in a subprocess, started once per session."""

from __future__ import annotations

import hashlib
import hmac
import sys
import uuid
from dataclasses import dataclass

import httpx
import pytest
from signedjson.key import generate_signing_key, write_signing_keys

from comptoir.connectors.matrix.client import MatrixConnector
from comptoir.connectors.testing import Peer, free_port

SHARED_SECRET = "test-shared-secret"
HOMESERVER_YAML = """\
server_name: localhost
pid_file: {d}/homeserver.pid
listeners:
  - {{port: {port}, bind_addresses: ['127.0.0.1'], type: http, tls: false,
     resources: [{{names: [client], compress: false}}]}}
database: {{name: sqlite3, args: {{database: {d}/homeserver.db}}}}
media_store_path: {d}/media
signing_key_path: {d}/signing.key
log_config: {d}/log.yaml
registration_shared_secret: {secret}
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
bcrypt_rounds: 4
rc_message: {{per_second: 1000, burst_count: 1000}}
rc_registration: {{per_second: 1000, burst_count: 1000}}
rc_login: {{address: {{per_second: 1000, burst_count: 1000}}, account: {{per_second: 1000, burst_count: 1000}},
           failed_attempts: {{per_second: 1000, burst_count: 1000}}}}
rc_joins: {{local: {{per_second: 1000, burst_count: 1000}}}}
rc_invites: {{per_room: {{per_second: 1000, burst_count: 1000}}, per_user: {{per_second: 1000, burst_count: 1000}}}}
rc_admin_redaction: {{per_second: 1000, burst_count: 1000}}
rc_room_creation: {{per_second: 1000, burst_count: 1000}}
"""
# Synapse logs to stderr (captured in synapse.log); WARNING keeps it short.
LOG_YAML = """\
version: 1
formatters: {precise: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}}
handlers: {console: {class: logging.StreamHandler, formatter: precise}}
root: {level: WARNING, handlers: [console]}
disable_existing_loggers: false
"""


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
    user_id: str
    access_token: str
    device_id: str


class Synapse:
    def __init__(self, url: str):
        self.url = url

    def register(self, prefix: str, admin: bool = False) -> Account:
        """A new user (unique name) and its access token, through the shared-secret admin API."""
        user = f"{prefix}-{uuid.uuid4().hex[:8]}"
        password = uuid.uuid4().hex
        nonce = httpx.get(f"{self.url}/_synapse/admin/v1/register").json()["nonce"]
        mac = hmac.new(
            SHARED_SECRET.encode(),
            b"\0".join([nonce.encode(), user.encode(), password.encode(), b"admin" if admin else b"notadmin"]),
            hashlib.sha1,
        ).hexdigest()
        r = httpx.post(
            f"{self.url}/_synapse/admin/v1/register",
            json={"nonce": nonce, "username": user, "password": password, "admin": admin, "mac": mac},
        )
        r.raise_for_status()
        body = r.json()
        return Account(body["user_id"], body["access_token"], body["device_id"])

    def api(self, account: Account, method: str, path: str, **kwargs) -> dict:
        r = httpx.request(
            method, f"{self.url}/_matrix/client/v3{path}",
            headers={"Authorization": f"Bearer {account.access_token}"}, **kwargs,
        )
        r.raise_for_status()
        return r.json()

    def create_room(self, owner: Account, *members: Account, alias: str | None = None) -> str:
        body = {"name": "Comptoir", "preset": "private_chat", "invite": [m.user_id for m in members]}
        if alias:
            body["room_alias_name"] = alias
        room = self.api(owner, "POST", "/createRoom", json=body)["room_id"]
        for member in members:
            self.api(member, "POST", f"/join/{room}", json={})
        return room

    def say(self, account: Account, room: str, body: str, **content) -> str:
        txn = uuid.uuid4().hex
        return self.api(
            account, "PUT", f"/rooms/{room}/send/m.room.message/{txn}",
            json={"msgtype": "m.text", "body": body, **content},
        )["event_id"]

    def membership(self, account: Account, room: str, user_id: str) -> str:
        state = self.api(account, "GET", f"/rooms/{room}/state/m.room.member/{user_id}")
        return state["membership"]


@pytest.fixture(scope="session")
def synapse(tmp_path_factory):
    d = tmp_path_factory.mktemp("synapse")
    port = free_port()
    (d / "homeserver.yaml").write_text(HOMESERVER_YAML.format(d=d, port=port, secret=SHARED_SECRET))
    (d / "log.yaml").write_text(LOG_YAML)
    with open(d / "signing.key", "w") as f:
        write_signing_keys(f, [generate_signing_key("a_test")])
    url = f"http://127.0.0.1:{port}"
    peer = Peer("synapse", [sys.executable, "-m", "synapse.app.homeserver", "-c", "homeserver.yaml"], d)
    peer.wait_ready(lambda: httpx.get(f"{url}/health", timeout=1).text == "OK", timeout=60)
    yield Synapse(url)
    peer.stop()


@dataclass
class RoomSetup:
    cm: Account
    member: Account
    room: str
    connector: MatrixConnector


@pytest.fixture
def matrix(synapse) -> RoomSetup:
    """A community manager (room admin) and a member in a fresh room, and the CM's connector."""
    cm = synapse.register("cm")
    member = synapse.register("member")
    room = synapse.create_room(cm, member)
    connector = MatrixConnector(
        config={"homeserver": synapse.url, "user_id": cm.user_id, "rooms": [room]},
        credentials={"access_token": cm.access_token},
    )
    return RoomSetup(cm, member, room, connector)



@pytest.fixture(autouse=True)
def _messages_in_english():
    # Assertions read the English messages; the French catalogue is checked by comptoir/tests/test_i18n.py.
    from django.utils import translation

    with translation.override("en"):
        yield
