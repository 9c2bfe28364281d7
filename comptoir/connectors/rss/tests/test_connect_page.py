"""A community manager adds a feed as a listening source through its form, against a local feed server."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from comptoir.connectors.testing import check_then_connect, open_source_page
from comptoir.stream import tasks
from comptoir.stream.models import Item, Source

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]
FEED = Path(__file__).parent / "data" / "french_news.xml"


def test_a_feed_is_added_through_the_form_and_its_articles_are_read(page, httpserver, workspace, cm, settings):
    settings.COMPTOIR_HOST_MIN_INTERVAL_SECONDS = 0  # the check and the poll both ask 127.0.0.1
    httpserver.expect_request("/feed.xml").respond_with_data(FEED.read_bytes(), content_type="application/rss+xml")
    url = httpserver.url_for("/feed.xml")
    open_source_page(page, cm, "rss")
    page.get_by_label("Adresse du flux").fill(url)

    check_then_connect(page, "L'Écho du Val", submit="Ajouter", listed_in="sources")

    expect(page.get_by_test_id("sources")).to_contain_text(url)
    source = Source.objects.get(network="rss")
    assert source.config == {"url": url} and source.channel is None
    # What the connector then reads: the feed's articles.
    assert "error" not in tasks.poll_source.call(source.pk)
    assert Item.objects.filter(source=source, kind="article").count() == 3
