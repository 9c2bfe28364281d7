"""A community manager opens a webhook channel through the connect page; a sender then posts to the address shown."""

import json
import time

import httpx
import pytest
from playwright.sync_api import expect

from comptoir.connectors.testing import check_then_connect, open_connect_page
from comptoir.connectors.webhook.client import sign
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_webhook_is_opened_and_a_signed_post_to_the_shown_address_lands_in_the_stream(page, workspace, cm):
    open_connect_page(page, cm, "webhook")
    page.get_by_label("Nom de l'expéditeur").fill("Formulaire de contact")
    expect(page.get_by_label("Exiger un horodatage")).to_be_checked()

    check_then_connect(page)

    shown = page.get_by_test_id("webhook-secret")
    expect(shown).to_be_visible()
    url = page.get_by_test_id("webhook-url").inner_text().strip()
    secret = page.get_by_test_id("webhook-secret-value").inner_text().strip()
    channel = Channel.objects.get(network="webhook")
    assert url.endswith(f"/hooks/webhook/{channel.pk}/") and url.startswith(page.url.split("/w/")[0])
    assert secret == channel.credentials["secret"]
    assert channel.config == {"name": "Formulaire de contact", "require_timestamp": True}

    body = json.dumps({"id": "contact-42", "text": "Bonjour, comment adhérer à l'association ?"}).encode()
    ts = str(int(time.time()))
    answer = httpx.post(url, content=body, headers={"Content-Type": "application/json", "X-Comptoir-Timestamp": ts,
                                                     "X-Comptoir-Signature": sign(secret, body, ts)})
    assert answer.status_code == 202, answer.text

    page.goto("/w/velo/stream/")
    expect(page.locator("main")).to_contain_text("Bonjour, comment adhérer à l'association ?")
    page.goto("/w/velo/channels/")
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)  # shown once
    expect(page.get_by_test_id("webhook-address")).to_have_text(url)
