"""A community manager connects a Matrix account through the connect page, against a real Synapse."""

import pytest
from playwright.sync_api import expect

from comptoir.connectors.testing import check_then_connect, open_connect_page
from comptoir.stream import tasks
from comptoir.stream.models import Item
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def test_a_matrix_account_connects_through_the_form_and_its_room_is_read(page, matrix, synapse, workspace, cm):
    open_connect_page(page, cm, "matrix")
    page.get_by_label("Serveur d'accueil").fill(synapse.url)
    page.get_by_label("Identifiant Matrix").fill(matrix.cm.user_id)
    page.get_by_label("Jeton d'accès").fill(matrix.cm.access_token)
    page.get_by_label("Salons à suivre").fill(matrix.room)
    expect(page.get_by_label("Réponses")).to_have_value("thread")

    check_then_connect(page, matrix.cm.user_id)

    expect(page.get_by_test_id("channels")).to_contain_text(matrix.cm.user_id)
    channel = Channel.objects.get(network="matrix")
    assert channel.config == {"homeserver": synapse.url, "user_id": matrix.cm.user_id, "rooms": [matrix.room],
                              "reply_style": "thread"}
    # What the connector then reads: what members say in the room.
    synapse.say(matrix.member, matrix.room, "Bonjour, la sortie de dimanche est maintenue ?")
    assert "error" not in tasks.poll_source.call(channel.source.pk)
    assert Item.objects.filter(channel=channel, text="Bonjour, la sortie de dimanche est maintenue ?").exists()
