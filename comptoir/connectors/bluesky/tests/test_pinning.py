"""Bluesky requests are checked and connected to the address checked (no DNS rebinding)."""

from urllib.parse import urlsplit

import pytest

from comptoir.connectors.bluesky.client import BlueskyConnector
from comptoir.connectors.testing import CountingListener, RecordingProxy

PUBLIC = "93.184.215.14"


@pytest.mark.peers
def test_each_request_is_resolved_once_by_its_check_and_sent_where_it_was_checked(bsky, atproto_network, fake_dns):
    proxy = RecordingProxy(atproto_network.pds)
    fake_dns.records["pds.test"] = ["127.0.0.1"]
    connector = BlueskyConnector(config={"service": f"http://pds.test:{urlsplit(proxy.url).port}", "handle": bsky.cm.handle},
                                 credentials={"app_password": bsky.cm.app_password})

    check = connector.check_connection()

    assert check.ok, check.message
    # One lookup per request, the check's: the connection never asks DNS again.
    assert fake_dns.lookups.count("pds.test") == len(proxy.requests) > 0
    proxy.close()


def test_a_name_that_turns_to_loopback_after_the_check_never_reaches_loopback(settings, fake_dns, loopback_only):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    pds = CountingListener()
    answers = iter([[PUBLIC], [PUBLIC]])  # public when checked, loopback when asked again
    fake_dns.records["pds.test"] = lambda: next(answers, ["127.0.0.1"])
    connector = BlueskyConnector(config={"service": f"http://pds.test:{pds.port}", "handle": "cm.test", "timeout": 2},
                                 credentials={"app_password": "abcd-efgh-ijkl-mnop"})

    check = connector.check_connection()

    assert not check.ok
    assert pds.accepted == 0
    assert (PUBLIC, pds.port) in loopback_only.refused
    pds.close()
