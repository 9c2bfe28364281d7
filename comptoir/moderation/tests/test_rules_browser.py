"""The rules screens in Chromium, on a desktop and on a phone: the default rules on first visit, a watched-words
rule previewed on last week before it is saved, an insult held by a rule, undone in one click. Screenshots go to
$COMPTOIR_SHOTS (when set) for review."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.inbox.tests.conftest import bring, message
from comptoir.moderation.models import AutoAction, Case, Rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("COMPTOIR_SHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(600)  # the sidebar's slide out when the window narrows
            page.screenshot(path=f"{SHOTS}/mrules-{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_a_cm_previews_a_rule_and_a_moderator_undoes_what_a_rule_held(page, workspace, cm, moderator, channel):
    for user in (cm, moderator):
        user.language = "en"
        user.save()
    bring(channel, message("1", "Encore une arnaque ce concours, bande d'abrutis", minutes=1),
          message("2", "Merci pour l'atelier !", who="zoe@masto.example", minutes=2),
          message("3", "C'est une arnaque ?", who="max@masto.example", minutes=3))
    log_in(page, cm)
    page.goto("/w/velo/moderation/rules/")
    expect(page.get_by_test_id("moderation-rules")).to_contain_text("Insults from the word lists")
    _shot(page, "list")

    page.goto("/w/velo/moderation/rules/add/?kind=words")
    page.fill("#id_name", "Arnaques")
    page.fill("#id_query", "arnaque*")
    page.get_by_label("Hold (hidden where the network allows)").check()
    _shot(page, "form")
    page.get_by_test_id("preview-rule").click()
    expect(page.get_by_test_id("preview-summary")).to_contain_text("2 of 3 messages")
    _shot(page, "preview")
    assert not Rule.objects.filter(name="Arnaques").exists()  # previewed, not saved

    page.goto("/w/velo/moderation/rules/add/?kind=model")
    page.fill("#id_name", "Toxic")
    page.fill("#id_threshold", "0.9")
    page.get_by_label("Hide", exact=True).check()
    page.get_by_role("button", name="Create the rule").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("never hides nor deletes")
    _shot(page, "refused")

    bring(channel, message("4", "Ferme ta gueule, connard", who="troll@masto.example", minutes=30))
    case = Case.objects.get(item__external_id="4")
    assert case.held
    page.context.clear_cookies()
    log_in(page, moderator)
    page.goto("/w/velo/moderation/rules/log/")
    row = page.get_by_test_id("auto-action").filter(has_text="Ferme ta gueule").filter(has_text="Hold").first
    expect(row).to_contain_text("To do by hand")
    _shot(page, "log")
    row.get_by_test_id("undo").click()
    expect(page.locator(".alert-success, .toast, [role=status]").first).to_contain_text("Undone")
    assert AutoAction.objects.filter(item=case.item, action="hold", result="undone").exists()
