"""The review queue in a browser: a moderator goes through the flagged messages with the keyboard (j, then a, h)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.inbox.tests.conftest import bring, message
from comptoir.moderation import queue
from comptoir.moderation.models import Case, CharterVersion, Rule
from comptoir.stream.models import Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("COMPTOIR_SHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        for width, suffix in ((1280, ""), (390, "-390")):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(600)
            page.screenshot(path=f"{SHOTS}/mqueue-{name}{suffix}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_a_moderator_decides_the_queue_with_the_keyboard(page, workspace, moderator, channel):
    moderator.language = "en"
    moderator.save()
    from django.utils import timezone

    CharterVersion.objects.create(workspace=workspace, number=1, published_at=timezone.now(), articles=[
        {"number": 1, "title_fr": "Bienveillance", "title_en": "Kindness"},
        {"number": 3, "title_fr": "Respect", "title_en": "Respect"}])
    words = Rule.objects.create(workspace=workspace, name="Insultes", kind="words", actions=["hold"])
    spam = Rule.objects.create(workspace=workspace, name="Spam (modèle)", kind="model", actions=["flag"])
    ids = bring(channel, message("1", "Espèce d'abruti, tu n'y connais rien", who="troll@masto.example", minutes=1),
                message("2", "Gagnez un vélo gratuit sur http://promo.example", who="bot@masto.example", minutes=2),
                message("3", "Super atelier samedi, merci !", who="lea@masto.example", minutes=3))
    items = {i.external_id: i for i in Item.objects.filter(pk__in=ids)}
    queue.open_case(items["1"], rule=words, reason={"detail": "matched “abruti”", "scores": {"toxicity": 0.88}})
    queue.open_case(items["2"], rule=spam, reason={"detail": "spam 0.97", "scores": {"spam": 0.97}})
    log_in(page, moderator)
    page.goto("/w/velo/moderation/queue/")
    rows = page.locator(".cpt-row[data-item]")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("median")).to_be_visible()
    page.keyboard.press("j")
    expect(page.get_by_test_id("decide-form")).to_be_visible()
    expect(page.get_by_test_id("case-reason-list")).to_contain_text("spam 0.97")
    _shot(page, "queue")
    page.keyboard.press("h")  # hide the spam: Mastodon cannot, so it is to do by hand
    expect(page.locator(".alert")).to_contain_text("by hand")
    expect(rows).to_have_count(1)
    # After a decision the queue moves on by itself to the next message: wait for the insult's pane (pressing "j"
    # as well would load it a second time, over the one being ticked).
    expect(page.get_by_test_id("case-reason-list")).to_contain_text("abruti")
    page.wait_for_load_state("networkidle")
    page.get_by_test_id("article-3").check()
    expect(page.get_by_test_id("article-3")).to_be_checked()
    page.keyboard.press("a")
    expect(page.locator(".alert")).to_contain_text("Approved")
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    assert dict(Case.objects.values_list("item__external_id", "decision")) == {"1": "approved", "2": "hidden"}
    assert Case.objects.get(item=items["1"]).articles == [3]
    page.goto("/w/velo/moderation/queue/?status=decided")
    expect(rows).to_have_count(2)
    page.keyboard.press("j")
    expect(page.get_by_test_id("case-decision")).to_be_visible()
    _shot(page, "decided")
    assert not page.console_errors, page.console_errors


def test_a_moderator_teaches_comptoir_with_one_key(page, workspace, moderator, channel):
    moderator.language = "en"
    moderator.save()
    ids = bring(channel, message("1", "T'es lourd avec tes vélos", minutes=1), message("2", "Promo http://x.example", minutes=2))
    Item.objects.filter(pk=ids[0]).update(scores={"toxicity": 0.5, "spam": 0.02}, toxicity="toxic", spam="ham")
    Item.objects.filter(pk=ids[1]).update(scores={"toxicity": 0.05, "spam": 0.55}, toxicity="clean", spam="spam")
    log_in(page, moderator)
    page.goto("/w/velo/moderation/teach/")
    expect(page.get_by_test_id("teach-text")).to_contain_text("lourd")
    _shot(page, "teach")
    page.keyboard.press("c")
    expect(page.get_by_test_id("teach-text")).to_contain_text("Promo")
    page.keyboard.press(" ")
    expect(page.get_by_test_id("teach-empty")).to_be_visible()
    from comptoir.stream.models import LabelCorrection

    assert list(LabelCorrection.objects.values_list("task", "new_label")) == [("toxicity", "clean")]
    assert not page.console_errors, page.console_errors
