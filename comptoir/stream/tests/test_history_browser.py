"""Removing a channel and erasing its messages, as a community manager and an owner do it in Chromium."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.conftest import log_in, membership_of
from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item, Source
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_removed_channel_keeps_its_messages_until_an_owner_erases_them(page, browser, live_server, workspace, cm,
                                                                        owner):
    hook = actions.do_connect_channel(membership_of(cm, workspace), network="webhook", handle="Formulaire contact",
                                      config={"name": "Formulaire"}, credentials={"secret": "s" * 40})
    store_fetched(Source.objects.get(channel=hook), [
        FetchedItem(external_id=f"t-{n}", kind=ItemKind.COMMENT, text=f"Demande d'adhésion {n}",
                    author=Author("webhook", f"m{n}"), published_at=timezone.now()) for n in range(5)])

    log_in(page, cm.email)
    page.goto("/w/velo/channels/")
    page.get_by_test_id(f"remove-{hook.pk}").click()
    expect(page.get_by_test_id("kept")).to_contain_text("5")
    page.get_by_role("button", name=re.compile("Supprimer le canal|Remove the channel")).click()
    expect(page.get_by_test_id("removed-channels")).to_contain_text("Formulaire contact")
    assert Item.objects.filter(channel=hook).count() == 5
    assert Channel.objects.get(pk=hook.pk).credentials == {}
    page.goto("/w/velo/stream/")
    expect(page.get_by_test_id("removed-origin").first).to_be_visible()
    expect(page.get_by_test_id("stream-items").locator("li")).to_have_count(5)

    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    owner_page = context.new_page()
    log_in(owner_page, owner.email)
    owner_page.goto("/w/velo/channels/")
    owner_page.get_by_test_id("removed-channels").get_by_role("link", name=re.compile("Effacer|Erase")).click()
    expect(owner_page.get_by_test_id("erase-counts")).to_contain_text("5")
    owner_page.fill("#id_confirmation", "formulaire contact")
    owner_page.get_by_role("button", name=re.compile("Effacer définitivement|Erase for good")).click()
    expect(owner_page.locator(".invalid-feedback")).to_be_visible()
    assert Item.objects.filter(channel=hook).count() == 5
    owner_page.fill("#id_confirmation", Source.objects.get(channel=hook).label)
    owner_page.get_by_role("button", name=re.compile("Effacer définitivement|Erase for good")).click()
    expect(owner_page).to_have_url(re.compile(r"/w/velo/channels/$"))
    assert not Item.objects.exists() and not Channel.objects.filter(pk=hook.pk).exists()
    assert AuditEvent.objects.get(action="stream.erase").before["messages"] == 5
    context.close()
