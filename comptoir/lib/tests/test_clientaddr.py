import pytest

from comptoir.lib.clientaddr import client_address, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


def test_without_a_proxy_the_forwarded_header_is_ignored():
    meta = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert client_address(meta, behind_proxy=False) == "203.0.113.9"


def test_behind_one_proxy_the_right_most_hop_is_the_client():
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.9"}
    assert client_address(meta, behind_proxy=True) == "203.0.113.9"


def test_a_client_cannot_choose_its_address_by_pre_filling_the_header():
    # The client sent "X-Forwarded-For: 1.2.3.4"; our proxy appended the real address.
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}
    assert client_address(meta, behind_proxy=True, trusted_proxies=PROXIES) == "203.0.113.9"


def test_trusted_proxies_in_the_chain_are_skipped():
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9, 10.1.2.3, 2001:db8:ffff::5"}
    assert client_address(meta, behind_proxy=True, trusted_proxies=PROXIES) == "203.0.113.9"


@pytest.mark.parametrize("header", ["", "   ", "garbage", "1.2.3.4, not-an-address", "10.1.1.1"])
def test_a_missing_or_unusable_header_falls_back_to_the_connection(header):
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": header}
    assert client_address(meta, behind_proxy=True, trusted_proxies=PROXIES) == "10.0.0.2"


@pytest.mark.parametrize("hop, expected", [("203.0.113.9:4431", "203.0.113.9"), ("[2001:db8::7]:443", "2001:db8::7"),
                                           ("2001:db8::7", "2001:db8::7"), ('"203.0.113.9"', "203.0.113.9")])
def test_ports_brackets_and_quotes_are_understood(hop, expected):
    assert client_address({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": hop}, behind_proxy=True) == expected


def test_a_bad_trusted_proxy_entry_is_named():
    with pytest.raises(ValueError, match="nope"):
        parse_networks(["10.0.0.0/8", "nope"])
