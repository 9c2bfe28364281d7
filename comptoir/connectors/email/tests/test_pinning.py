"""The mail servers' addresses are checked once and connected to as checked (no DNS rebinding)."""

import pytest

from comptoir.connectors.email.client import EmailConnector
from comptoir.connectors.testing import CountingListener

PUBLIC = "93.184.215.14"


@pytest.mark.peers
def test_imap_and_smtp_connect_to_the_address_checked_without_resolving_again(account, fake_dns):
    for name in ("imap.test", "smtp.test"):
        answers = iter([["127.0.0.1"]])  # a second lookup would find nothing, and the connection would fail
        fake_dns.records[name] = lambda answers=answers: next(answers, [])

    check = account.connector(imap_host="imap.test", smtp_host="smtp.test").check_connection()

    assert check.ok, check.message
    assert sorted(fake_dns.lookups) == ["imap.test", "smtp.test"]


def test_a_name_that_turns_to_loopback_after_the_check_never_reaches_loopback(settings, fake_dns, loopback_only):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    imap, smtp = CountingListener(), CountingListener()
    for name in ("imap.test", "smtp.test"):
        answers = iter([[PUBLIC]])  # public when checked, loopback when asked again
        fake_dns.records[name] = lambda answers=answers: next(answers, ["127.0.0.1"])
    connector = EmailConnector(
        {"imap_host": "imap.test", "imap_port": imap.port, "imap_security": "none", "smtp_host": "smtp.test",
         "smtp_port": smtp.port, "smtp_security": "none", "username": "cm", "from_address": "cm@example.org",
         "timeout": 2},
        {"password": "secret"},
    )

    check = connector.check_connection()

    assert not check.ok
    assert imap.accepted == smtp.accepted == 0
    assert (PUBLIC, imap.port) in loopback_only.refused and (PUBLIC, smtp.port) in loopback_only.refused
    imap.close()
    smtp.close()
