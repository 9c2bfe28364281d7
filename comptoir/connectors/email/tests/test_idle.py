"""A message delivered while the connector waits reaches it at once (IMAP IDLE), against a real dovecot.

A server that does not offer IDLE is read by plain polling: the read returns at once and asks for a pause."""

import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from comptoir.connectors.email.client import PLAIN_POLL_SECONDS
from comptoir.connectors.email.tests.conftest import DOVECOT, DOVECOT_CONF, Account, ImapPeer, _tcp_ready
from comptoir.connectors.email.tests.messages import simple
from comptoir.connectors.testing import Peer, free_port

pytestmark = pytest.mark.peers


def _deliver_later(account, message_id: str, after: float) -> threading.Thread:
    def deliver():
        time.sleep(after)
        account.append(simple(message_id))

    thread = threading.Thread(target=deliver)
    thread.start()
    return thread


def test_a_message_delivered_during_the_wait_is_read_at_once(account):
    connector = account.connector(timeout=10)
    first = connector.fetch(None)
    assert first.items == []
    connector.wait_seconds = 8
    delivery = _deliver_later(account, "<pendant-l-attente@example.test>", after=1.5)

    started = time.monotonic()
    result = connector.fetch(first.cursor)
    waited = time.monotonic() - started
    delivery.join()

    assert [i.external_id for i in result.items] == ["<pendant-l-attente@example.test>"]
    assert 1.0 <= waited < 5, f"the read should end when the message arrives, not after the whole wait ({waited:.1f} s)"
    assert "min_interval_seconds" not in result.cursor


def test_the_wait_ends_after_its_bound_when_nothing_comes(account):
    connector = account.connector(timeout=10)
    cursor = connector.fetch(None).cursor
    connector.wait_seconds = 1.5

    started = time.monotonic()
    result = connector.fetch(cursor)

    assert result.items == [] and 1.4 <= time.monotonic() - started < 4
    assert result.cursor == cursor


def test_a_read_that_was_not_asked_to_wait_returns_at_once(account):
    connector = account.connector(timeout=10)
    cursor = connector.fetch(None).cursor

    started = time.monotonic()
    assert connector.fetch(cursor).items == []
    assert time.monotonic() - started < 1


@pytest.fixture(scope="module")
def imap_without_idle():
    """A second dovecot that announces no IDLE after login (as some hosted servers do)."""
    d = Path(tempfile.mkdtemp(prefix="comptoir-dovecot-noidle-"))
    d.chmod(0o755)
    (d / "mail").mkdir()
    shutil.chown(d / "mail", "dovecot", "dovecot")
    password = uuid.uuid4().hex
    port = free_port()
    conf = DOVECOT_CONF.format(d=d, port=port, password=password)
    (d / "dovecot.conf").write_text(conf + "imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS\n")
    peer = Peer("dovecot-noidle", [DOVECOT, "-F", "-c", str(d / "dovecot.conf")], d)
    try:
        peer.wait_ready(lambda: _tcp_ready(port), timeout=10)
        yield ImapPeer("127.0.0.1", port, password)
    finally:
        peer.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_a_server_without_idle_is_polled_politely(imap_without_idle, smtp):
    user, password = imap_without_idle.new_user()
    account = Account(imap_without_idle, smtp, user, password)
    with account.client() as client:
        assert not client.has_capability("IDLE")  # the peer really lacks it
    connector = account.connector(timeout=10)
    cursor = connector.fetch(None).cursor
    connector.wait_seconds = 8

    started = time.monotonic()
    result = connector.fetch(cursor)

    assert result.items == [] and time.monotonic() - started < 2
    assert result.cursor["min_interval_seconds"] == PLAIN_POLL_SECONDS
    account.append(simple("<plus-tard@example.test>"))
    assert [i.external_id for i in connector.fetch(result.cursor).items] == ["<plus-tard@example.test>"]
