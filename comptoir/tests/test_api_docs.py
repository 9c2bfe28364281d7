"""The API docs page works offline, under our own Content-Security-Policy."""

import re

import pytest
from playwright.sync_api import expect


def test_the_docs_page_loads_nothing_from_outside(db, client):
    response = client.get("/api/v1/docs")
    body = response.content.decode()
    assert response.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in body
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", body), body
    assert "cdn" not in body.lower()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_docs_page_shows_the_routes_in_chromium_without_csp_errors(page, live_server):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/v1/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/workspaces/{slug}/members" in p.replace("\u200b", "") for p in paths), paths
    page.locator(".opblock-summary-path").first.click()
    expect(page.locator(".responses-table").first).to_contain_text("401")
    assert not page.console_errors, page.console_errors
    outside = [url for url in requested if not url.startswith(live_server.url) and not url.startswith("data:")]
    assert not outside, outside
