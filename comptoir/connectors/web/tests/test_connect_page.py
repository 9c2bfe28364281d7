"""A community manager adds a web page as a listening source through its form, against a local web server."""

import pytest
from playwright.sync_api import expect

from comptoir.connectors.testing import check_then_connect, open_source_page
from comptoir.stream import tasks
from comptoir.stream.models import Item, Source

from .test_watching import ALLOW_ALL, mairie_html

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def test_a_web_page_is_added_through_the_form_and_its_new_links_are_read(page, httpserver, workspace, cm, settings):
    settings.COMPTOIR_HOST_MIN_INTERVAL_SECONDS = 0  # the check and the poll both ask 127.0.0.1
    httpserver.expect_request("/robots.txt").respond_with_data(ALLOW_ALL, content_type="text/plain")
    httpserver.expect_request("/actualites/").respond_with_data(mairie_html(), content_type="text/html; charset=utf-8")
    url = httpserver.url_for("/actualites/")
    open_source_page(page, cm, "web")
    page.get_by_label("Adresse de la page").fill(url)
    expect(page.get_by_label("Éléments à surveiller")).to_have_value("links")
    page.get_by_label("Uniquement les liens commençant par").fill("/actualites/")

    check_then_connect(page, "liens surveillés", submit="Ajouter", listed_in="sources")

    expect(page.get_by_test_id("sources")).to_contain_text(url)
    source = Source.objects.get(network="web")
    assert source.config == {"url": url, "mode": "links", "link_prefix": "/actualites/", "selector": "",
                             "min_interval_seconds": 3600}
    # What the connector then reads: each article linked from the page.
    assert "error" not in tasks.poll_source.call(source.pk)
    base = httpserver.url_for("/")
    assert set(Item.objects.filter(source=source).values_list("url", flat=True)) >= {
        base + "actualites/reunion-publique-place-eglise/", base + "actualites/travaux-rue-des-tilleuls/"}
