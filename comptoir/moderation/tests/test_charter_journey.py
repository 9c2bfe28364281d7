"""Browser journey: a manager writes the charter with its live preview and publishes it; a member reads the public
page, switches to English, follows an article's anchor and accepts the charter (a real form post, CSRF included)."""

import os

from comptoir.conftest import log_in
from comptoir.moderation.models import CharterAcceptance, ModerationSettings

from .test_charter import EN, FR

SHOTS = "/work/notes/shots"


def _shot(page, name):
    if os.path.isdir(SHOTS):
        page.screenshot(path=f"{SHOTS}/mcharter-{name}.png", full_page=True)


def test_write_publish_read_and_accept_the_charter(page, workspace, cm, browser, live_server):
    ModerationSettings.of(workspace.pk)
    ModerationSettings.objects.filter(workspace=workspace).update(ask_acceptance=True)
    log_in(page, cm)
    page.goto("/w/velo/moderation/charter/")
    page.get_by_test_id("body-fr").fill(FR)
    # The preview follows the typing (htmx), articles counted.
    page.get_by_test_id("article-check").get_by_text("3 articles").wait_for()
    assert page.locator("[data-testid=preview-fr] h2#article-1").inner_text() == "Article 1 — Respect"
    page.get_by_test_id("tab-en").click()
    page.get_by_test_id("body-en").fill(EN)
    page.get_by_test_id("changes").fill("Première version")
    page.get_by_test_id("save-draft").click()
    _shot(page, "editor-1280")
    page.get_by_test_id("charter-publish").click()
    _shot(page, "publish-1280")
    page.get_by_test_id("confirm-publish").click()
    page.get_by_test_id("charter-version").first.wait_for()
    assert not page.console_errors

    member = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport={"width": 390, "height": 844})
    public = member.new_page()
    public.goto("/charte/velo/")
    assert "Version 1" in public.get_by_test_id("charter-date").inner_text()
    public.get_by_test_id("lang-en").click()
    public.get_by_text("No insults.").wait_for()
    public.goto("/charte/velo/?lang=en#article-3")
    assert public.locator("h2#article-3").inner_text() == "3. Privacy"
    _shot(public, "public-390")
    public.get_by_test_id("accept-name").fill("Zoé Martin")
    public.get_by_test_id("accept-email").fill("zoe@velo.test")
    public.get_by_test_id("accept-send").click()
    public.get_by_test_id("accept-thanks").wait_for()
    _shot(public, "accepted-390")
    assert CharterAcceptance.objects.get().email == "zoe@velo.test"
    member.close()

    wide = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    public = wide.new_page()
    public.goto("/charte/velo/")
    _shot(public, "public-1280")
    wide.close()
    page.goto("/w/velo/moderation/charter/")
    assert "1 acceptation" in page.get_by_test_id("accepted-count").inner_text() or \
        "1 acceptance" in page.get_by_test_id("accepted-count").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "editor-390")
