"""The media library in Chromium: upload a photo, see it in the grid, fill its missing alt text inline (htmx),
and the same on a phone-sized screen; no console error (strict CSP)."""

import pytest
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.publishing.models import MediaAsset

from .test_media import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_cm_uploads_a_photo_and_writes_its_alt_text_inline(page, workspace, cm, tmp_path):
    photo = tmp_path / "affiche.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(320, 200)))
    log_in(page, cm)
    page.goto("/w/velo/publishing/media/")
    page.locator("details:has([data-testid=media-upload]) > summary").click()
    page.set_input_files("#id_file", str(photo))
    page.locator("[data-testid=media-upload] button").click()
    card = page.get_by_test_id("media-card")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("missing-alt")).to_be_visible()
    # The image is served to the member and decodes in the browser.
    width = card.locator("img").evaluate("img => img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))")
    assert width == 320
    card.locator("textarea").fill("Affiche de la Fête du vélo, place Bellecour")
    card.locator("[data-testid=alt-form] button").click()
    expect(page.get_by_test_id("media-card").get_by_role("status")).to_be_visible()
    expect(page.get_by_test_id("missing-alt")).to_have_count(0)
    assert MediaAsset.objects.get().alt_text == "Affiche de la Fête du vélo, place Bellecour"
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/w/velo/publishing/media/?missing_alt=1")
    expect(page.get_by_test_id("media-empty")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []
