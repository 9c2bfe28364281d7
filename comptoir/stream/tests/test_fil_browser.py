"""The Fil as a community manager uses it all day, in Chromium: split view, keyboard, views, bulk, phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item, SavedView, Source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = ["Bonjour, je voudrais adhérer à l'association, comment faire ?",
         "Toujours pas reçu ma carte d'adhérent alors que j'ai payé il y a un mois.",
         "Merci aux bénévoles de l'atelier, mon vélo roule comme neuf !",
         "L'atelier de réparation du mardi est-il maintenu pendant les vacances ?",
         "Je cherche un vélo cargo d'occasion, vous avez des bons plans ?",
         "Balade familiale dimanche 10 h au parc de la Tête d'Or, ouverte à tous.",
         "Hi! Is the Saturday ride open to non-members?", "Le parking vélo de la gare est encore saturé.",
         "Bravo pour la vélorution de samedi !", "Les pistes cyclables rue Garibaldi arrivent cet été."]


@pytest.fixture
def fil(workspace):
    source = Source.objects.create(workspace=workspace, network="mastodon", label="Mastodon @velo")
    now = timezone.now()
    store_fetched(source, [FetchedItem(external_id=f"m{n}", kind=ItemKind.COMMENT, text=text, url=f"https://masto.example/{n}",
                                       author=Author("mastodon", f"membre{n}"), published_at=now - timedelta(minutes=n))
                           for n, text in enumerate(TEXTS)])
    return source


def log_in_at(page, user, width=1280, height=800):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, user)


def test_the_split_view_opens_a_message_beside_the_list_and_the_keyboard_moves(page, moderator, fil):
    log_in_at(page, moderator)
    page.goto("/w/velo/stream/")
    rows = page.get_by_test_id("stream-items").locator("li")
    expect(rows).to_have_count(10)
    assert sum(1 for i in range(10) if rows.nth(i).bounding_box()["y"] + rows.nth(i).bounding_box()["height"] <= 800) >= 8
    rows.nth(2).locator("a").click()
    expect(page.get_by_test_id("detail")).to_contain_text("Merci aux bénévoles")
    expect(page).to_have_url(re.compile(r"item=\d+"))
    expect(page.get_by_test_id("stream-items")).to_be_visible()  # the list stays
    page.keyboard.press("j")
    expect(page.get_by_test_id("detail")).to_contain_text("L'atelier de réparation")
    expect(rows.nth(3)).to_have_class(re.compile("active"))
    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(page.get_by_test_id("detail")).to_contain_text("Toujours pas reçu")
    page.keyboard.press("r")
    expect(page.get_by_test_id("detail").get_by_test_id("reviewed")).to_have_text(re.compile("Reviewed|Traité|Vu"))
    assert Item.objects.get(external_id="m1").reviewed
    page.keyboard.press("/")
    expect(page.locator("[data-fil-search]")).to_be_focused()
    page.keyboard.type("ateliers")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    page.locator("body").click()
    page.keyboard.press("?")
    expect(page.locator("#fil-help")).to_be_visible()
    assert not page.console_errors, page.console_errors


def test_bulk_actions_on_selected_messages(page, moderator, fil):
    log_in_at(page, moderator)
    page.goto("/w/velo/stream/")
    boxes = page.locator("[data-fil-check]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_test_id("bulk-review").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert set(Item.objects.filter(reviewed=True).values_list("external_id", flat=True)) == {"m0", "m1"}
    page.locator("[data-fil-select-all]").check()
    page.locator(".cpt-bulk input[name=tag]").fill("à relayer")
    page.get_by_test_id("bulk-tag").click()
    expect(page.locator(".alert-success")).to_contain_text("à relayer")
    assert Item.objects.filter(item_tags__tag__name="à relayer").count() == 10
    page.get_by_test_id("more-filters").click()
    page.locator("select[name=tag]").select_option(label="#à relayer")
    expect(page.get_by_test_id("active-filters")).to_contain_text("à relayer")


def test_a_saved_view_comes_back_with_its_filters(page, cm, fil):
    log_in_at(page, cm)
    page.goto("/w/velo/stream/")
    page.fill("[data-fil-search]", "vélo")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stream-items").locator("li")).to_have_count(3)
    page.get_by_test_id("views").get_by_text(re.compile("Save this view|Enregistrer cette vue")).click()
    page.fill("input[name=name]", "Vélo")
    page.get_by_test_id("views").get_by_role("button", name=re.compile("Save|Enregistrer")).click()
    expect(page.get_by_test_id("views").locator(".cpt-view.active")).to_contain_text("Vélo")
    assert SavedView.objects.get(user=cm).query == "q=v%C3%A9lo"
    page.get_by_test_id("clear-filters").click()
    expect(page.get_by_test_id("stream-items").locator("li")).to_have_count(10)
    page.get_by_test_id("views").get_by_role("link", name="Vélo").click()
    expect(page.get_by_test_id("stream-items").locator("li")).to_have_count(3)


def test_on_a_phone_filters_hide_behind_one_button_and_a_message_replaces_the_list(page, cm, fil):
    log_in_at(page, cm, 390, 844)
    page.goto("/w/velo/stream/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.get_by_test_id("stream-filters")).to_be_hidden()
    first = page.get_by_test_id("stream-items").locator("li").first
    expect(first).to_be_in_viewport()
    page.get_by_test_id("filters-toggle").click()
    expect(page.locator("[data-fil-search]")).to_be_visible()
    first.locator("a").click()
    expect(page.get_by_test_id("detail")).to_contain_text("Bonjour, je voudrais adhérer")
    expect(page.get_by_test_id("stream-items")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("[data-fil-back]").click()
    expect(page.get_by_test_id("stream-items")).to_be_visible()
