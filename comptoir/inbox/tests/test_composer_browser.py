"""The reply composer in Chromium: a community manager types an answer, watches the network's counter, inserts a saved
reply with the member's name filled in, sends with Ctrl+Enter, and sees the reply become "sent" on the real Mastodon
peer. Set COMPTOIR_SHOTS to a folder to also keep screenshots of the saved replies, settings and satisfaction pages."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.inbox import replies
from comptoir.inbox.models import Conversation, InboxSettings, Reply, Satisfaction, SavedReply
from comptoir.inbox.tests.test_reply_flow import _poll, _sent_status
from comptoir.publishing.tests.delivery_fixtures import mastodon_channel

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def conversation(workspace, masto):
    channel = mastodon_channel(workspace, masto, user="alice")
    channel.handle = "@alice@127.0.0.1"
    channel.save()
    masto.client("bob").status_post("@alice Bonjour, comment adhérer à votre association ?")
    found = _poll(channel)
    Conversation.objects.filter(pk=found.pk).update(language="fr")
    return found


def test_a_cm_types_inserts_a_saved_reply_sends_and_sees_it_sent(page, cm, workspace, conversation, masto):
    SavedReply.objects.create(workspace=workspace, title="Adhésion", language="fr",
                              text="Bonjour {first_name}, le formulaire est sur notre site. {agent}")
    SavedReply.objects.create(workspace=workspace, title="Membership", language="en", text="Hello {first_name}")
    log_in(page, cm)
    page.goto(f"/w/velo/inbox/c/{conversation.pk}/")
    composer = page.get_by_test_id("composer")
    counter = composer.get_by_test_id("reply-counter")
    expect(counter).to_have_text("0 / 500")

    box = composer.get_by_test_id("reply-text")
    box.fill("x" * 510)
    expect(counter).to_have_text("510 / 500")
    expect(counter).to_have_attribute("data-over", "yes")
    expect(counter).to_have_class(re.compile("cpt-chip-error"))
    box.fill("Merci ! ")
    expect(counter).to_have_text("7 / 500")  # as Mastodon counts: the trailing space is trimmed
    expect(counter).to_have_attribute("data-over", "no")

    composer.get_by_test_id("saved-picker").locator("summary").click()
    search = composer.get_by_test_id("saved-search")
    search.fill("adh")
    results = composer.get_by_test_id("saved-reply")
    expect(results).to_have_count(1)
    search.press("Enter")  # searches; never sends
    expect(results.first).to_contain_text("Adhésion")
    results.first.click()
    expect(box).to_have_value(re.compile(r"^Merci ! Bonjour \w+, le formulaire est sur notre site\. Camille CM$"))
    value = box.input_value()
    expect(counter).to_have_text(f"{len(value)} / 500")
    assert not Reply.objects.exists()

    box.press("Control+Enter")
    line = page.get_by_test_id("timeline").get_by_test_id("reply")
    expect(line).to_have_count(1)
    expect(line).to_have_attribute("data-state", "queued")
    expect(box).to_have_value("")
    reply = Reply.objects.get()
    assert reply.text == value
    assert SavedReply.objects.get(title="Adhésion").use_count == 1
    expect(composer.get_by_test_id("seen-reply-id")).to_have_value(str(reply.pk))

    assert replies.send_reply.call(reply.pk) == "sent"  # the worker's part
    expect(line).to_have_attribute("data-state", "sent", timeout=10_000)
    reply.refresh_from_db()
    expect(line.get_by_test_id("reply-remote")).to_have_attribute("href", reply.remote_url)
    assert "le formulaire est sur notre site" in _sent_status(masto, reply)["content"]
    assert page.console_errors == []


def test_a_refused_answer_keeps_its_text_in_the_browser(page, cm, conversation):
    log_in(page, cm)
    page.goto(f"/w/velo/inbox/c/{conversation.pk}/")
    box = page.get_by_test_id("reply-text")
    box.fill("y" * 600)
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("reply-error")).to_contain_text("500")
    expect(page.get_by_test_id("reply-text")).to_have_value("y" * 600)
    assert not Reply.objects.exists()


SHOTS = os.environ.get("COMPTOIR_SHOTS", "")


@pytest.mark.skipif(not SHOTS, reason="screenshots only when COMPTOIR_SHOTS names a folder")
def test_screenshots_of_the_standalone_pages(page, cm, workspace, conversation):
    from comptoir.conftest import membership_of
    from comptoir.inbox import csat
    from comptoir.inbox.actions import do_set_status

    for title, language, text in [
        ("Adhésion", "fr", "Bonjour {first_name}, le formulaire d'adhésion est sur notre site, rubrique Adhérer. "
                           "N'hésitez pas si vous avez une question ! {agent}, pour {workspace}"),
        ("Carte d'adhérent en retard", "fr", "Bonjour {first_name}, désolés du retard : votre carte part demain."),
        ("Membership", "en", "Hello {first_name}, the membership form is on our website."),
        ("Horaires de l'atelier", "", "L'atelier est ouvert le mardi et le samedi de 14 h à 18 h. <b>Sans</b> rendez-vous."),
    ]:
        SavedReply.objects.create(workspace=workspace, title=title, language=language, text=text, use_count=len(text) % 7)
    InboxSettings.objects.update_or_create(workspace=workspace, defaults={"csat_enabled": True})
    do_set_status(membership_of(cm, workspace), conversation, "closed")
    token = re.search(r"/s/([\w-]+)/", Reply.objects.get(purpose="csat").text).group(1)
    assert Satisfaction.objects.get().token_hash == csat.hash_token(token)
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    log_in(page, cm)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in [("saved-replies", "/w/velo/inbox/saved-replies/"), ("settings", "/w/velo/inbox/settings/"),
                          ("saved-reply-form", "/w/velo/inbox/saved-replies/new/"),
                          ("conversation", f"/w/velo/inbox/c/{conversation.pk}/"), ("csat", f"/s/{token}/")]:
            page.goto(url)
            page.screenshot(path=str(folder / f"replies-{name}-{width}.png"), full_page=True)
    assert page.console_errors == []
