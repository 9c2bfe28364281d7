"""The inbox as a community manager uses it, in Chromium: keyboard moves, a note, closing with e, a message arriving
live, a colleague seen in the same conversation, and the phone layout. Screenshots go to COMPTOIR_SHOTS (if set)."""

import os
import re

import pytest
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.connectors.base import ItemKind
from comptoir.inbox.models import Conversation, Note, Team

from .conftest import bring, message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("COMPTOIR_SHOTS", "")
TEXTS = ["Bonjour, je voudrais adhérer à l'association, comment faire ?",
         "Toujours pas reçu ma carte d'adhérent alors que j'ai payé il y a un mois.",
         "L'atelier de réparation du mardi est-il maintenu pendant les vacances ?",
         "Je cherche un vélo cargo d'occasion, vous avez des bons plans ?",
         "Hi! Is the Saturday ride open to non-members?"]


@pytest.fixture
def inbox(channel, workspace, moderator):
    bring(channel, *[message(f"m{n}", text, kind=ItemKind.POST, who=f"membre{n}@masto.example", minutes=n * 5)
                     for n, text in enumerate(TEXTS)])
    team = Team.objects.create(workspace=workspace, name="Adhésions")
    first = Conversation.objects.get(subject__startswith="Bonjour")
    Conversation.objects.filter(pk=first.pk).update(team=team, assignee=moderator, priority=2)
    return channel


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"inbox-{name}.png"), full_page=False)


def test_a_cm_moves_with_the_keyboard_notes_closes_and_sees_messages_arrive(page, browser, live_server, cm, moderator, inbox):
    page.set_viewport_size({"width": 1280, "height": 860})
    log_in(page, cm)
    page.goto("/w/velo/inbox/")
    rows = page.get_by_test_id("inbox-rows").locator("li")
    expect(rows).to_have_count(5)
    pane = page.get_by_test_id("conversation")
    page.keyboard.press("j")
    expect(pane).to_contain_text("Saturday ride")
    expect(rows.nth(0)).to_have_class(re.compile("active"))
    page.keyboard.press("j")
    expect(pane).to_contain_text("vélo cargo")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(pane).to_contain_text("Toujours pas reçu")
    page.keyboard.press("k")
    expect(pane).to_contain_text("L'atelier de réparation")
    expect(page).to_have_url(re.compile(r"c=\d+"))
    expect(page.locator(f"#inbox-rows #conv-{Conversation.objects.get(subject__startswith="L'atelier").pk}")
           .get_by_test_id("unread")).to_have_count(0)  # opened: read

    # A colleague opens the same conversation: the collision guard shows them.
    other = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 860})
    colleague = other.new_page()
    log_in(colleague, moderator)
    current = Conversation.objects.get(subject__startswith="L'atelier")
    colleague.goto(f"/w/velo/inbox/c/{current.pk}/")
    colleague.locator("[data-composer] textarea[name=text]").fill("Je regarde")
    colleague.locator("[data-composer] textarea[name=text]").dispatch_event("input")
    expect(page.get_by_test_id("presence")).to_contain_text("Mehdi", timeout=15_000)

    page.keyboard.press("n")
    expect(page.locator("[data-inbox-note]")).to_be_focused()
    page.keyboard.type("Vérifier les horaires d'été avec l'atelier.")
    page.get_by_test_id("add-note").click()
    expect(pane.get_by_test_id("tl-note")).to_contain_text("horaires d'été")
    assert Note.objects.get().author == cm
    shot(page, "desktop-fr")

    page.evaluate("document.activeElement?.blur(); window.samePage = true")
    page.keyboard.press("e")
    expect(pane.get_by_test_id("reopen")).to_be_visible()
    row = page.locator(f"#inbox-rows #conv-{current.pk}")
    expect(row.get_by_test_id("status")).to_have_text(re.compile("Closed|Ferm"))
    expect(rows).to_have_count(5)  # closed in place: the row stays where it was until the list is loaded again
    assert page.evaluate("window.samePage === true"), "closing loaded the whole page again"
    assert Conversation.objects.get(pk=current.pk).status == "closed"

    # A member writes: the row arrives without reloading, and in the open conversation, the message too.
    bring(inbox, message("new1", "Est-ce que la bourse aux vélos a lieu samedi ?", kind=ItemKind.POST,
                         who="nouvelle@masto.example", minutes=59))
    expect(rows.first).to_contain_text("bourse aux vélos", timeout=12_000)
    expect(rows).to_have_count(6)
    bring(inbox, message("new2", "Merci, et pour les horaires d'été ?", who="membre2@masto.example", parent="m2",
                         minutes=59))
    expect(pane.get_by_test_id("timeline")).to_contain_text("horaires d'été ?", timeout=12_000)
    expect(pane.get_by_test_id("close")).to_be_visible()  # the member wrote again: open again, the header says so
    expect(rows).to_have_count(6)  # the conversation moved up: one row, not two
    expect(rows.first).to_contain_text("pour les horaires")

    page.keyboard.press("?")
    expect(page.locator("#inbox-help")).to_be_visible()
    shot(page, "help-fr")
    page.keyboard.press("Escape")
    other.close()
    assert not page.console_errors, page.console_errors


def test_a_key_pressed_the_moment_the_pane_is_swapped_in_acts_through_htmx(page, cm, inbox):
    """A fast keyboard: "e" pressed as soon as the pane is back from adding a note, before htmx has settled it. The
    close goes through htmx like any other (no page load: the list keeps the closed row, the pane says Closed)."""
    page.set_viewport_size({"width": 1280, "height": 860})
    log_in(page, cm)
    page.goto("/w/velo/inbox/")
    current = Conversation.objects.get(subject__startswith="L'atelier")
    page.locator(f"#conv-{current.pk} [data-inbox-open]").click()
    pane = page.get_by_test_id("conversation")
    expect(pane).to_contain_text("L'atelier de réparation")
    expect(pane.get_by_test_id("close")).to_be_visible()
    page.evaluate("""() => {
      window.samePage = true;
      document.addEventListener("htmx:afterSwap", (event) => {
        if (event.target.id !== "conversation-pane") { return; }
        document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "e", bubbles: true, cancelable: true }));
      }, { once: true });
    }""")
    page.keyboard.press("n")
    expect(page.locator("[data-inbox-note]")).to_be_focused()
    page.keyboard.type("Rappeler demain.")
    page.get_by_test_id("add-note").click()
    expect(pane.get_by_test_id("reopen")).to_be_visible()
    expect(page.locator(f"#inbox-rows #conv-{current.pk}").get_by_test_id("status")).to_have_text(re.compile("Closed|Ferm"))
    expect(page.get_by_test_id("inbox-rows").locator("li")).to_have_count(5)
    assert page.evaluate("window.samePage === true"), "the key posted the form itself: the whole page loaded again"
    assert Conversation.objects.get(pk=current.pk).status == "closed"
    assert Note.objects.get().text == "Rappeler demain."
    assert not page.console_errors, page.console_errors


def test_the_inbox_on_a_phone_opens_a_conversation_on_its_own(page, cm, inbox):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, cm)
    page.goto("/w/velo/inbox/")
    rows = page.get_by_test_id("inbox-rows").locator("li")
    expect(rows).to_have_count(5)
    shot(page, "phone-list-fr")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    rows.nth(4).locator("a").click()
    expect(page.get_by_test_id("conversation")).to_contain_text("adhérer")
    expect(page.get_by_test_id("inbox-rows")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "phone-conversation-fr")
    page.keyboard.press("Enter")  # nothing selected on the phone: nothing happens, no error
    assert not page.console_errors, page.console_errors


def test_enter_opens_the_conversation_page_and_its_keys_work(page, cm, inbox):
    page.set_viewport_size({"width": 1280, "height": 860})
    log_in(page, cm)
    page.goto("/w/velo/inbox/")
    page.keyboard.press("j")
    expect(page.get_by_test_id("conversation")).to_contain_text("Saturday ride")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/inbox/c/\d+/$"))
    page.keyboard.press("a")
    expect(page.get_by_test_id("assign")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    expect(page.locator("[data-composer] textarea[name=text]")).to_be_focused()
    shot(page, "page-fr")
    assert not page.console_errors, page.console_errors
