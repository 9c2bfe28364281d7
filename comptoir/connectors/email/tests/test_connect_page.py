"""A community manager connects a mailbox through the connect page, against real IMAP (dovecot) and SMTP peers."""

import pytest
from playwright.sync_api import expect

from comptoir.connectors.email.tests.messages import simple
from comptoir.connectors.testing import check_then_connect, open_connect_page
from comptoir.stream import tasks
from comptoir.stream.models import Item
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def test_a_mailbox_connects_through_the_form_and_its_inbox_is_read(page, account, workspace, cm):
    open_connect_page(page, cm, "email")
    page.get_by_label("Serveur IMAP").fill(account.imap.host)
    page.get_by_label("Sécurité IMAP").select_option("none")
    page.get_by_label("Port IMAP").fill(str(account.imap.port))
    page.get_by_label("Serveur SMTP").fill(account.smtp.host)
    page.get_by_label("Sécurité SMTP").select_option("none")
    page.get_by_label("Port SMTP").fill(str(account.smtp.port))
    page.get_by_label("Nom d'utilisateur").fill(account.user)
    page.get_by_label("Mot de passe").fill(account.password)
    page.get_by_label("Adresse de l'expéditeur").fill(account.user)
    expect(page.get_by_label("Dossier à lire")).to_have_value("INBOX")

    check_then_connect(page, account.user)

    expect(page.get_by_test_id("channels")).to_contain_text(account.user)
    channel = Channel.objects.get(network="email")
    assert channel.config["imap_port"] == account.imap.port and channel.config["smtp_port"] == account.smtp.port
    assert channel.config["folder"] == "INBOX" and channel.credentials == {"password": account.password}
    # What the connector then reads: the mail that arrives in the folder.
    account.append(simple("<adhesion-1@example.test>"))
    assert "error" not in tasks.poll_source.call(channel.source.pk)
    assert Item.objects.filter(channel=channel, external_id="<adhesion-1@example.test>").exists()
