"""A content request in Chromium: a contributor submits it, the community manager finds it on the board and accepts
it, the contributor sees the new status and is told."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.publishing.models import ContentRequest
from comptoir.workspaces.models import Notification

from .requestdata import channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_contributor_submits_a_request_and_the_cm_accepts_it_on_the_board(page, workspace, contributor, cm):
    masto = channel(workspace, label="Mastodon des Amis")
    log_in(page, contributor)
    page.goto("/w/velo/publishing/requests/")
    page.get_by_test_id("new-request").click()
    page.fill("#id_title", "Atelier réparation du samedi")
    page.select_option("#id_goal", "engagement")
    page.fill("#id_key_message", "Apprenez à réparer votre vélo, gratuit, samedi 10 h.")
    page.fill("#id_deadline", "2001-01-01T10:00")  # in the past: refused, what was typed stays
    page.get_by_text("Mastodon des Amis").click()
    page.get_by_test_id("submit-request").click()
    expect(page.locator(".invalid-feedback")).to_be_visible()
    assert not ContentRequest.objects.exists()
    expect(page.locator("#id_title")).to_have_value("Atelier réparation du samedi")
    deadline = timezone.localtime(timezone.now() + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#id_deadline", deadline)
    page.set_input_files("#id_attachments", files=[{"name": "affiche.pdf", "mimeType": "application/pdf",
                                                    "buffer": b"%PDF-1.4\n%%EOF\n"}])
    page.get_by_test_id("submit-request").click()
    expect(page).to_have_url(re.compile(r"/w/velo/publishing/requests/\d+/$"))
    expect(page.get_by_test_id("request-status")).to_have_attribute("class", re.compile("cpt-chip-info"))
    expect(page.get_by_test_id("attachments")).to_contain_text("affiche.pdf")
    r = ContentRequest.objects.get()
    assert list(r.channels.all()) == [masto]

    page.context.clear_cookies()
    log_in(page, cm)
    page.goto("/w/velo/publishing/requests/board/")
    card = page.get_by_test_id("column-new").get_by_test_id("card").filter(has_text="Atelier réparation du samedi")
    expect(card).to_be_visible()
    expect(card.get_by_test_id("priority-score")).to_have_text(re.compile(r"^\d+$"))
    card.get_by_test_id("card-status").select_option("accepted")
    card.get_by_test_id("card-move").click()
    moved = page.get_by_test_id("column-accepted").get_by_test_id("card").filter(has_text="Atelier réparation du samedi")
    expect(moved).to_be_visible()
    expect(page.get_by_test_id("column-new").get_by_test_id("card")).to_have_count(0)
    r.refresh_from_db()
    assert r.status == "accepted"
    assert Notification.objects.filter(user=contributor, kind="request.status").exists()

    page.context.clear_cookies()
    log_in(page, contributor)
    page.goto(f"/w/velo/publishing/requests/{r.pk}/")
    expect(page.get_by_test_id("discussion").get_by_test_id("event")).to_have_count(1)
    assert page.console_errors == [] or all("400" in e for e in page.console_errors)


def test_the_cm_drags_a_card_to_another_column(page, workspace, contributor, cm):
    from comptoir.conftest import membership_of
    from comptoir.publishing import requests

    r = requests.do_submit_request(membership_of(contributor, workspace), {
        "title": "Vide-grenier", "goal": "awareness", "audience": "niche", "key_message": "Dimanche au local."})
    log_in(page, cm)
    page.goto("/w/velo/publishing/requests/board/")
    card = page.get_by_test_id("column-new").get_by_test_id("card")
    card.drag_to(page.get_by_test_id("column-in_progress"))
    expect(page.get_by_test_id("column-in_progress").get_by_test_id("card")).to_have_count(1)
    r.refresh_from_db()
    assert r.status == "in_progress"
    assert page.console_errors == []


def test_the_board_and_a_request_fit_a_phone(page, workspace, contributor, cm):
    from comptoir.conftest import membership_of
    from comptoir.publishing import requests

    r = requests.do_submit_request(membership_of(contributor, workspace), {
        "title": "Vide-grenier", "goal": "awareness", "audience": "niche", "key_message": "Dimanche au local."})
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, cm)
    for path in ("/w/velo/publishing/requests/board/", f"/w/velo/publishing/requests/{r.pk}/"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
