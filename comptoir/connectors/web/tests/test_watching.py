import datetime as dt
from pathlib import Path

import pytest
from werkzeug import Response

from comptoir.connectors.base import Action, ConnectorError, ItemKind, get_connector_class
from comptoir.connectors.web.client import MIN_INTERVAL_SECONDS, WebPageConnector
from comptoir.connectors.web.forms import ConnectForm

pytestmark = pytest.mark.peers

DATA = Path(__file__).parent / "data"
ALLOW_ALL = "User-agent: *\nDisallow:\n"


def mairie_html(extra_news="", footer="Mis à jour le 2 mars 2026 à 09:47"):
    html = (DATA / "mairie_actualites.html").read_text(encoding="utf-8")
    html = html.replace("https://www.mairie-sedb.example.fr", "")  # keep every link on the test server
    html = html.replace('<ul class="news-list">', '<ul class="news-list">' + extra_news)
    return html.replace("Mis à jour le 2 mars 2026 à 09:47", footer)


def serve_robots(httpserver, body=ALLOW_ALL, status=200):
    httpserver.expect_oneshot_request("/robots.txt").respond_with_data(
        body, status=status, content_type="text/plain"
    )


def serve_page(httpserver, html, **headers):
    httpserver.expect_oneshot_request("/actualites/").respond_with_response(
        Response(html, content_type="text/html; charset=utf-8", headers=headers)
    )


def requested_paths(httpserver):
    return [request.path for request, _response in httpserver.log]


@pytest.fixture
def watcher(httpserver):
    return WebPageConnector(config={"url": httpserver.url_for("/actualites/"), "mode": "links"})


def test_the_connector_is_registered_and_read_only():
    assert get_connector_class("web") is WebPageConnector
    assert WebPageConnector.capabilities.actions == frozenset({Action.READ})


def test_each_article_link_becomes_an_item_once(httpserver, watcher):
    serve_robots(httpserver)
    serve_page(httpserver, mairie_html())

    result = watcher.fetch(None)

    base = httpserver.url_for("/")
    assert [i.external_id for i in result.items] == [
        base + "actualites/reunion-publique-place-eglise/",
        base + "actualites/travaux-rue-des-tilleuls/",
        base + "actualites/collecte-des-encombrants/",
        base + "actualites/page/2/",
    ]
    first = result.items[0]
    assert first.kind == ItemKind.ARTICLE
    assert first.title == first.text == "Réunion publique : la place de l’Église"
    assert first.url == first.external_id
    assert first.language == "fr"
    assert first.raw["source_title"] == "Actualités de la commune"

    news = '<li><h2><a href="/actualites/fete-du-printemps/">Fête du printemps</a></h2></li>'
    serve_page(httpserver, mairie_html(extra_news=news))
    result = watcher.fetch(result.cursor)

    assert [i.title for i in result.items] == ["Fête du printemps"]


def test_a_link_prefix_keeps_only_matching_links(httpserver):
    watcher = WebPageConnector(
        config={"url": httpserver.url_for("/actualites/"), "link_prefix": "/actualites/collecte"}
    )
    serve_robots(httpserver)
    serve_page(httpserver, mairie_html())

    [item] = watcher.fetch(None).items

    assert item.title == "Collecte des encombrants"


def test_a_selector_keeps_only_links_in_that_part(httpserver):
    watcher = WebPageConnector(
        config={"url": httpserver.url_for("/actualites/"), "selector": ".news-list h2"}
    )
    serve_robots(httpserver)
    serve_page(httpserver, mairie_html())

    assert len(watcher.fetch(None).items) == 3  # not the "next page" link


def test_change_mode_reports_text_changes_but_not_menu_or_footer_noise(httpserver):
    watcher = WebPageConnector(config={"url": httpserver.url_for("/actualites/"), "mode": "changes"})
    serve_robots(httpserver)
    serve_page(httpserver, mairie_html())
    first = watcher.fetch(None)
    [snapshot] = first.items
    assert snapshot.raw["change"] == "first"
    assert snapshot.title == "Actualités de la commune"
    assert "Circulation alternée" in snapshot.text
    assert snapshot.external_id.startswith(httpserver.url_for("/actualites/") + "#sha256:")

    serve_page(httpserver, mairie_html(footer="Mis à jour le 3 mars 2026 à 07:12"))
    second = watcher.fetch(first.cursor)
    assert second.items == []

    serve_page(httpserver, mairie_html(extra_news="<li>Fermeture exceptionnelle lundi</li>"))
    [change] = watcher.fetch(second.cursor).items
    assert change.raw["change"] == "changed"
    assert change.external_id != snapshot.external_id
    assert "Fermeture exceptionnelle lundi" in change.text


def test_a_page_disallowed_by_robots_txt_is_not_fetched(httpserver, watcher):
    serve_robots(httpserver, "User-agent: *\nDisallow: /actualites/\n")

    with pytest.raises(ConnectorError) as excinfo:
        watcher.fetch(None)

    assert "robots.txt does not allow Comptoir" in excinfo.value.message
    assert not excinfo.value.retryable
    assert requested_paths(httpserver) == ["/robots.txt"]


def test_rules_for_comptoir_win_over_the_wildcard(httpserver, watcher):
    serve_robots(httpserver, "User-agent: Comptoir\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    with pytest.raises(ConnectorError, match="robots.txt"):
        watcher.fetch(None)


def test_robots_txt_is_cached_for_a_day_then_read_again(httpserver, watcher):
    serve_robots(httpserver)
    serve_page(httpserver, mairie_html())
    cursor = watcher.fetch(None).cursor
    serve_page(httpserver, mairie_html())
    cursor = watcher.fetch(cursor).cursor
    assert requested_paths(httpserver) == ["/robots.txt", "/actualites/", "/actualites/"]

    cursor["robots"]["fetched_at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)).isoformat()
    serve_robots(httpserver, "User-agent: *\nDisallow: /\n")
    with pytest.raises(ConnectorError, match="robots.txt"):
        watcher.fetch(cursor)


def test_a_missing_robots_txt_allows_and_a_failing_one_postpones(httpserver, watcher):
    serve_robots(httpserver, "Not found", status=404)
    serve_page(httpserver, mairie_html())
    assert watcher.fetch(None).items

    httpserver.clear_log()
    serve_robots(httpserver, "oops", status=500)
    with pytest.raises(ConnectorError) as excinfo:
        watcher.fetch(None)
    assert excinfo.value.retryable
    assert requested_paths(httpserver) == ["/robots.txt"]


def test_crawl_delay_and_config_raise_the_poll_interval(httpserver):
    serve_robots(httpserver, "User-agent: *\nCrawl-delay: 7200\n")
    serve_page(httpserver, mairie_html())
    watcher = WebPageConnector(config={"url": httpserver.url_for("/actualites/")})
    assert watcher.fetch(None).cursor["min_interval_seconds"] == 7200

    serve_robots(httpserver)
    serve_page(httpserver, mairie_html())
    watcher = WebPageConnector(
        config={"url": httpserver.url_for("/actualites/"), "min_interval_seconds": 3600}
    )
    assert watcher.fetch(None).cursor["min_interval_seconds"] == 3600
    assert WebPageConnector.min_interval_seconds == MIN_INTERVAL_SECONDS


def test_an_unchanged_page_answers_304(httpserver, watcher):
    serve_robots(httpserver)
    serve_page(httpserver, mairie_html(), ETag='"v1"')
    cursor = watcher.fetch(None).cursor
    httpserver.expect_oneshot_request("/actualites/", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304
    )

    result = watcher.fetch(cursor)

    httpserver.check_assertions()
    assert result.items == []
    assert result.cursor["seen"] == cursor["seen"]


def test_a_feed_address_is_sent_to_the_feed_connector(httpserver, watcher):
    serve_robots(httpserver)
    httpserver.expect_oneshot_request("/actualites/").respond_with_data(
        "<rss/>", content_type="application/rss+xml"
    )
    with pytest.raises(ConnectorError, match="feed, not a web page"):
        watcher.fetch(None)


def test_an_oversized_page_is_refused(httpserver, watcher, settings):
    settings.COMPTOIR_FETCH_MAX_BYTES = 1024 * 1024
    serve_robots(httpserver)
    httpserver.expect_oneshot_request("/actualites/").respond_with_data(
        "<p>" + "x" * 2_000_000, content_type="text/html"
    )
    with pytest.raises(ConnectorError, match="larger than"):
        watcher.fetch(None)


def test_check_connection_says_what_is_watched(httpserver, watcher):
    serve_robots(httpserver)
    serve_page(httpserver, mairie_html())
    check = watcher.check_connection()
    assert check.ok
    assert check.message == "Page “Actualités de la commune”: 4 links watched."


def test_check_connection_explains_a_robots_refusal(httpserver, watcher):
    serve_robots(httpserver, "User-agent: *\nDisallow: /\n")
    check = watcher.check_connection()
    assert not check.ok and "robots.txt" in check.message


@pytest.mark.parametrize("address", ["http://127.0.0.1:9/", "http://169.254.169.254/latest/meta-data/"])
def test_private_and_metadata_addresses_are_refused_when_not_allowed(settings, address):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(ConnectorError) as excinfo:
        WebPageConnector(config={"url": address}).fetch(None)
    assert not excinfo.value.retryable


def test_the_form_builds_the_config():
    form = ConnectForm(
        data={
            "url": "https://127.0.0.1/actualites/",
            "mode": "changes",
            "link_prefix": "actualites/",
            "selector": "  main   .news-list ",
            "interval_minutes": "90",
        }
    )
    assert form.is_valid(), form.errors
    assert form.get_config() == {
        "url": "https://127.0.0.1/actualites/",
        "mode": "changes",
        "link_prefix": "/actualites/",
        "selector": "main .news-list",
        "min_interval_seconds": 5400,
    }
    assert form.get_handle() == "https://127.0.0.1/actualites/"


def test_the_form_refuses_unsupported_selectors_and_too_frequent_checks():
    form = ConnectForm(
        data={"url": "https://127.0.0.1/", "mode": "links", "selector": "ul > li", "interval_minutes": "1"}
    )
    assert not form.is_valid()
    assert "not supported" in str(form.errors["selector"])
    assert "interval_minutes" in form.errors


def test_check_connection_in_change_mode_counts_the_watched_text(httpserver):
    serve_robots(httpserver)
    serve_page(httpserver, mairie_html())
    watcher = WebPageConnector(config={"url": httpserver.url_for("/actualites/"), "mode": "changes"})
    check = watcher.check_connection()
    assert check.ok
    assert check.message.startswith("Page “Actualités de la commune”: ")
    assert check.message.endswith(" characters of text watched.")
