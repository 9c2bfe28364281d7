"""A community manager connects a Bluesky account through the connect page, against the real AT Protocol network."""

import pytest
from atproto import client_utils
from playwright.sync_api import expect

from comptoir.connectors.testing import check_then_connect, open_connect_page
from comptoir.stream import tasks
from comptoir.stream.models import Item
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def test_a_bluesky_account_connects_as_the_form_first_appears_and_both_streams_are_read(
    page, bsky, atproto_network, workspace, cm
):
    open_connect_page(page, cm, "bluesky")
    page.get_by_label("Identifiant Bluesky").fill(f"@{bsky.cm.handle}")
    page.get_by_label("Mot de passe d'application").fill(bsky.cm.app_password)
    page.get_by_label("Serveur (PDS)").fill(atproto_network.pds)
    for box in page.locator("input[name=streams]").all():
        expect(box).to_be_checked()  # the account's posts and its notifications, ticked by default

    check_then_connect(page, f"@{bsky.cm.handle}")

    expect(page.get_by_test_id("channels")).to_contain_text(f"@{bsky.cm.handle}")
    channel = Channel.objects.get(network="bluesky")
    assert channel.config["streams"] == ["posts", "notifications"]
    assert channel.config["service"] == atproto_network.pds and channel.config["handle"] == bsky.cm.handle
    # What the connector then reads: the account's own post, and a fan's mention of it.
    atproto_network.client_for(bsky.cm.handle, bsky.cm.password).send_post(
        "Atelier réparation samedi à 10 h, venez nombreux !", profile_identify=bsky.cm.did)
    mention = client_utils.TextBuilder().text("Merci ").mention(f"@{bsky.cm.handle}", bsky.cm.did).text(" pour l'atelier !")
    atproto_network.client_for(bsky.fan.handle, bsky.fan.password).send_post(mention, profile_identify=bsky.fan.did)
    atproto_network.flush()
    assert "error" not in tasks.poll_source.call(channel.source.pk)
    authors = {item.text: item.author.handle for item in Item.objects.filter(channel=channel).select_related("author")}
    assert authors["Atelier réparation samedi à 10 h, venez nombreux !"] == f"@{bsky.cm.handle}"
    assert authors[f"Merci @{bsky.cm.handle} pour l'atelier !"] == f"@{bsky.fan.handle}"
