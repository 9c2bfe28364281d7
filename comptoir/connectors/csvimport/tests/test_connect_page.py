"""A community manager connects a CSV channel through the connect page, imports an export and reads it in the Fil."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from comptoir.connectors.testing import check_then_connect, open_connect_page
from comptoir.stream.models import Item
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EXPORT = Path(__file__).parent / "data" / "facebook_comments.csv"


def test_a_csv_channel_is_connected_then_an_export_is_imported_into_the_stream(page, workspace, cm):
    open_connect_page(page, cm, "csv")
    page.get_by_label("Compte ou page").fill("Page Facebook du Vélo")
    page.get_by_label("Réseau", exact=True).select_option("facebook")

    check_then_connect(page, "Rien à connecter")

    channels = page.get_by_test_id("channels")
    expect(channels).to_contain_text("Page Facebook du Vélo")
    channel = Channel.objects.get(network="csv")
    assert channel.config == {"name": "Page Facebook du Vélo", "preset": "facebook", "network": "facebook"}

    channels.get_by_role("link", name="Importer").click()
    expect(page.get_by_label("Exporté depuis")).to_have_value("facebook")  # the channel's network
    page.get_by_label("Fichier CSV").set_input_files(EXPORT)
    page.locator("main form").get_by_role("button", name="Importer").click()

    summary = page.get_by_test_id("import-summary")
    expect(summary).to_contain_text("Import terminé")
    imported = Item.objects.filter(channel=channel)
    assert imported.exists()
    summary.get_by_role("link", name="Les voir dans le fil").click()
    expect(page.locator("main")).to_contain_text("Merci Marie ! Rendez-vous jeudi.")
