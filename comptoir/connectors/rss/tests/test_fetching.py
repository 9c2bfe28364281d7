from pathlib import Path

import pytest
from werkzeug import Response

from comptoir.connectors.base import Action, ConnectorError, get_connector_class
from comptoir.connectors.rss.client import RSSConnector
from comptoir.connectors.rss.forms import ConnectForm

pytestmark = pytest.mark.peers

DATA = Path(__file__).parent / "data"
ETAG = 'W/"5f3a-1740908832"'
LAST_MODIFIED = "Mon, 02 Mar 2026 08:47:12 GMT"


def feed_response(name="french_news.xml", **headers):
    return Response(
        (DATA / name).read_bytes(),
        content_type="application/rss+xml; charset=UTF-8",
        headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED, **headers},
    )


@pytest.fixture
def source(httpserver):
    return RSSConnector(config={"url": httpserver.url_for("/rss/une.xml")})


def test_the_connector_is_registered_and_read_only():
    assert get_connector_class("rss") is RSSConnector
    assert RSSConnector.capabilities.actions == frozenset({Action.READ})


def test_it_fetches_entries_oldest_first_and_keeps_the_validators(httpserver, source):
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_response(feed_response())

    result = source.fetch(None)

    assert [i.title[:10] for i in result.items] == ["Météo : re", "Municipale", "Grève des "]
    assert result.cursor["etag"] == ETAG
    assert result.cursor["last_modified"] == LAST_MODIFIED
    assert not result.has_more


def test_a_304_gives_no_items_and_keeps_the_cursor(httpserver, source):
    httpserver.expect_oneshot_request(
        "/rss/une.xml", headers={"If-None-Match": ETAG, "If-Modified-Since": LAST_MODIFIED}
    ).respond_with_data("", status=304)
    cursor = {"etag": ETAG, "last_modified": LAST_MODIFIED, "seen": ["abc"]}

    result = source.fetch(cursor)

    httpserver.check_assertions()
    assert result.items == []
    assert result.cursor == cursor


def test_a_server_ignoring_validators_does_not_bring_entries_twice(httpserver, source):
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_response(feed_response())
    cursor = source.fetch(None).cursor
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_response(feed_response(ETag='"other"'))

    assert source.fetch(cursor).items == []


def test_only_new_entries_come_back_when_the_feed_changes(httpserver, source):
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_response(feed_response())
    cursor = source.fetch(None).cursor
    newer = (
        (DATA / "french_news.xml")
        .read_bytes()
        .replace(
            b"<item>",
            "<item><title>Dernière minute</title><link>https://www.echoduval.example.fr/dm</link>"
            "<description>Flash.</description></item><item>".encode(),
            1,
        )
    )
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_data(
        newer, content_type="application/rss+xml"
    )

    [item] = source.fetch(cursor).items

    assert item.title == "Dernière minute"
    assert item.external_id == "https://www.echoduval.example.fr/dm"


def test_a_50_megabyte_feed_is_refused_with_a_clear_message(httpserver, source):
    def endless(request):
        def chunks():
            yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
            block = b"<item><title>x</title><description>" + b"y" * 65_000 + b"</description></item>"
            for _ in range(50 * 1024 * 1024 // len(block)):
                yield block
            yield b"</channel></rss>"

        return Response(chunks(), content_type="application/rss+xml")

    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_handler(endless)

    with pytest.raises(ConnectorError) as excinfo:
        source.fetch(None)
    assert "larger than" in excinfo.value.message
    assert not excinfo.value.retryable


def test_a_web_page_address_suggests_the_feed_it_advertises(httpserver, source):
    html = (
        (DATA / "site_home.html")
        .read_text(encoding="utf-8")
        .replace('<base href="https://jardins-belleville.example.org/">', "")
    )
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_data(
        html, content_type="text/html; charset=utf-8"
    )

    with pytest.raises(ConnectorError) as excinfo:
        source.fetch(None)
    assert excinfo.value.message.startswith("This address is a web page, not a feed; try ")
    assert httpserver.url_for("/rss/feed/") in excinfo.value.message


def test_unsafe_xml_from_the_network_returns_nothing(httpserver, source):
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_data(
        (DATA / "billion_laughs.xml").read_bytes(), content_type="application/rss+xml"
    )
    with pytest.raises(ConnectorError, match="entities"):
        source.fetch(None)


def test_a_missing_feed_is_not_retried_and_a_busy_site_is(httpserver, source):
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_data("gone", status=410)
    with pytest.raises(ConnectorError) as excinfo:
        source.fetch(None)
    assert not excinfo.value.retryable

    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_response(
        Response("busy", status=503, headers={"Retry-After": "120"})
    )
    with pytest.raises(ConnectorError) as excinfo:
        source.fetch(None)
    assert excinfo.value.retryable
    assert excinfo.value.retry_after == 120


def test_a_redirect_is_followed_and_reported_in_the_cursor(httpserver, source):
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_response(
        Response(status=301, headers={"Location": httpserver.url_for("/feed/")})
    )
    httpserver.expect_oneshot_request("/feed/").respond_with_response(feed_response("wordpress.xml"))

    result = source.fetch(None)

    assert len(result.items) == 2
    assert result.cursor["final_url"] == httpserver.url_for("/feed/")


def test_check_connection_reports_the_title_and_number_of_entries(httpserver, source):
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_response(feed_response())

    check = source.check_connection()

    assert check.ok
    assert check.message == "Feed “L'Écho du Val – Actualités”: 3 entries."
    assert check.account == "L'Écho du Val – Actualités"


def test_check_connection_explains_a_failure(httpserver, source):
    httpserver.expect_oneshot_request("/rss/une.xml").respond_with_data(
        "<html><body>Oops</body></html>", content_type="text/html"
    )
    check = source.check_connection()
    assert not check.ok
    assert "web page, not a feed" in check.message


@pytest.mark.parametrize("address", ["http://127.0.0.1:9/feed", "http://169.254.169.254/latest/meta-data/"])
def test_private_and_metadata_addresses_are_refused_when_not_allowed(settings, address):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(ConnectorError) as excinfo:
        RSSConnector(config={"url": address}).fetch(None)
    assert not excinfo.value.retryable


def test_the_form_accepts_a_feed_address():
    form = ConnectForm(data={"url": "http://127.0.0.1:8080/feed/"})
    assert form.is_valid(), form.errors
    assert form.get_config() == {"url": "http://127.0.0.1:8080/feed/"}
    assert form.get_credentials() == {}
    assert form.get_handle() == "http://127.0.0.1:8080/feed/"


def test_the_form_refuses_private_and_odd_addresses(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    form = ConnectForm(data={"url": "http://127.0.0.1/feed"})
    assert not form.is_valid()
    assert "private" in str(form.errors["url"])
    assert not ConnectForm(data={"url": "ftp://example.org/feed"}).is_valid()
