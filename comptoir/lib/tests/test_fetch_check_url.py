"""check_url: which addresses Comptoir may fetch. Nothing here opens a connection."""

import pytest

from comptoir.lib.fetch import BlockedTarget, FetchError, NetworkError, check_url

pytestmark = pytest.mark.usefixtures("fake_dns")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.org/", "gopher://example.org/", "javascript:alert(1)",
     "data:text/html,hi", "example.org/feed"],
)
def test_it_refuses_schemes_other_than_http_and_https(url):
    with pytest.raises(BlockedTarget) as caught:
        check_url(url)
    assert "http://" in caught.value.message
    assert caught.value.retryable is False


def test_it_refuses_an_address_without_host():
    with pytest.raises(BlockedTarget, match="no host name"):
        check_url("http:///feed.xml")


def test_it_refuses_credentials_in_the_address_without_repeating_them():
    with pytest.raises(BlockedTarget) as caught:
        check_url("https://cm:hunter2@example.org/feed")
    assert "user name or password" in caught.value.message
    assert "hunter2" not in caught.value.message
    assert "hunter2" not in (caught.value.url or "")


def test_it_refuses_an_address_that_is_not_a_url():
    with pytest.raises(BlockedTarget, match="not valid"):
        check_url("http://[::1")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/", "http://127.8.9.10:8000/", "http://10.0.0.1/", "http://172.16.5.4/",
        "http://192.168.1.1/", "http://100.64.0.1/", "http://100.127.255.254/", "http://169.254.1.1/",
        "http://192.0.2.10/", "http://198.18.0.1/", "http://240.0.0.1/", "http://[::1]/",
        "http://[fd12:3456::1]/", "http://[fe80::1]/", "http://[fe80::1%25eth0]/", "http://[fec0::1]/",
        "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.1.2.3]/", "http://[::ffff:7f00:1]/",
        "http://[2002:c0a8:101::1]/", "http://[64:ff9b::a00:1]/", "http://[2001:0:4136:e378::1]/",
        "http://127.0.0.1./",
    ],
)
def test_it_refuses_private_loopback_link_local_and_reserved_addresses(url):
    with pytest.raises(BlockedTarget, match="private or local network"):
        check_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://169.254.170.2/", "http://100.100.100.200/",
     "http://[fd00:ec2::254]/", "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/",
     "http://[ff02::1]/", "http://255.255.255.255/", "http://[::ffff:169.254.169.254]/"],
)
def test_it_never_allows_metadata_multicast_or_unspecified_addresses_even_when_private_is_allowed(url):
    with pytest.raises(BlockedTarget, match="never fetches"):
        check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    ["http://2130706433/", "http://0x7f000001/", "http://0x7f.1/", "http://127.1/", "http://0/",
     "http://017700000001/", "http://0x7f.0.0.1/", "http://1.2.3.4.5/", "http://10.1/"],
)
def test_it_refuses_unusual_numeric_spellings_of_ip_addresses(url, fake_dns):
    with pytest.raises(BlockedTarget, match="unusual numeric form"):
        check_url(url, allow_private=True)
    assert fake_dns.lookups == []  # decided from the address itself, not from DNS


def test_it_refuses_leading_zero_octal_addresses():
    with pytest.raises(BlockedTarget):
        check_url("http://0177.0.0.1/", allow_private=True)


@pytest.mark.parametrize(
    "url",
    ["http://93.184.215.14/", "https://[2606:4700:4700::1111]/", "http://[64:ff9b::808:808]/",
     "http://[2002:808:808::1]/", "http://8.8.8.8:8080/path?q=1"],
)
def test_it_accepts_public_addresses(url):
    check_url(url, allow_private=False)


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "localhost.", "app.localhost"])
def test_it_refuses_localhost_names_without_asking_dns(host, fake_dns):
    with pytest.raises(BlockedTarget, match="private or local network"):
        check_url(f"http://{host}:8000/", allow_private=False)
    assert fake_dns.lookups == []


def test_it_accepts_a_host_that_resolves_only_to_public_addresses(fake_dns):
    fake_dns.records["news.example"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    check_url("https://news.example/feed.xml", allow_private=False)
    assert fake_dns.lookups == ["news.example"]


def test_it_refuses_a_host_when_any_of_its_addresses_is_private(fake_dns):
    fake_dns.records["mixed.example"] = ["93.184.215.14", "10.0.0.7"]
    with pytest.raises(BlockedTarget) as caught:
        check_url("https://mixed.example/", allow_private=False)
    assert "mixed.example" in caught.value.message
    assert "10.0.0.7" in caught.value.message


def test_it_refuses_a_host_name_pointing_at_the_metadata_service(fake_dns):
    fake_dns.records["metadata.google.internal"] = ["169.254.169.254"]
    with pytest.raises(BlockedTarget, match="never fetches"):
        check_url("http://metadata.google.internal/computeMetadata/v1/", allow_private=True)


def test_it_resolves_international_domain_names_in_their_ascii_form(fake_dns):
    fake_dns.records["xn--caf-dma.example"] = ["10.0.0.8"]
    with pytest.raises(BlockedTarget):
        check_url("https://café.example/", allow_private=False)
    assert fake_dns.lookups == ["xn--caf-dma.example"]


def test_it_reports_an_unknown_host_as_a_retryable_network_error():
    with pytest.raises(NetworkError) as caught:
        check_url("https://no-such-host.example/feed")
    assert caught.value.retryable is True
    assert isinstance(caught.value, FetchError)
    assert "could not be found" in caught.value.message


def test_it_allows_private_addresses_when_asked():
    check_url("http://127.0.0.1:8000/", allow_private=True)
    check_url("http://[fd12::1]/", allow_private=True)


def test_it_follows_the_setting_when_allow_private_is_not_given(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True
    check_url("http://192.168.1.20/")
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(BlockedTarget):
        check_url("http://192.168.1.20/")


def test_it_ignores_spaces_around_a_pasted_address():
    check_url("  https://93.184.215.14/feed \n")
