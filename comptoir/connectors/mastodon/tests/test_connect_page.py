"""A community manager connects a Mastodon account through the connect page, against the real peer."""

import pytest
from playwright.sync_api import expect

from comptoir.connectors.testing import check_then_connect, open_connect_page
from comptoir.stream import tasks
from comptoir.stream.models import Item
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def test_a_mastodon_account_connects_as_the_form_first_appears_and_every_stream_is_read(page, masto, workspace, cm):
    open_connect_page(page, cm, "mastodon")
    page.get_by_label("Adresse Mastodon").fill("@alice@mastodon.test")
    page.get_by_label("Adresse du serveur").fill(masto.base_url)
    page.get_by_label("Jeton d'accès").fill("alice_token")
    for box in page.locator("input[name=streams]").all():
        expect(box).to_be_checked()  # the three streams, ticked by default

    check_then_connect(page, "@alice@127.0.0.1")

    expect(page.get_by_test_id("channels")).to_contain_text("@alice@mastodon.test")
    channel = Channel.objects.get(network="mastodon")
    assert channel.config["streams"] == ["home", "mentions", "direct"]
    assert channel.credentials == {"access_token": "alice_token"}
    # What the connector then reads: the home timeline, a mention, a private mention.
    masto.client("bob").status_post("Atelier réparation samedi à 10 h.")
    masto.client("carol").status_post("@alice le formulaire d'adhésion ne marche pas.")
    masto.client("carol").status_post("@alice c'est personnel : je déménage.", visibility="direct")
    assert "error" not in tasks.poll_source.call(channel.source.pk)
    kinds = {item.text: item.kind for item in Item.objects.filter(channel=channel)}
    assert kinds["Atelier réparation samedi à 10 h."] == "post"
    assert any("formulaire d'adhésion" in text for text in kinds)
    assert [kind for text, kind in kinds.items() if "déménage" in text] == ["direct_message"]
