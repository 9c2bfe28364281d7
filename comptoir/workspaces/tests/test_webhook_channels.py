"""A webhook channel shows where to send and, once, the secret to sign with; the secret can be regenerated."""

import json
import re
import time

import pytest
from django.test import Client

from comptoir.conftest import membership_of
from comptoir.connectors.webhook.client import sign
from comptoir.stream.models import Item
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Channel


def _shown_secret(body: str) -> str | None:
    match = re.search(r'data-testid="webhook-secret-value">([^<]+)<', body)
    return match.group(1) if match else None


def _post_item(url: str, secret: str, item_id: str):
    body = json.dumps({"id": item_id, "text": "Bonjour, ma commande n'est pas arrivée."}).encode()
    ts = str(int(time.time()))
    return Client().post(url, body, content_type="application/json",
                         headers={"X-Comptoir-Timestamp": ts, "X-Comptoir-Signature": sign(secret, body, ts)})


def test_a_generated_secret_is_shown_once_with_the_full_address(workspace, cm, as_user):
    client = as_user(cm)
    response = client.post("/w/velo/channels/connect/webhook/", {"name": "Formulaire contact", "secret": "",
                                                                  "require_timestamp": "on"}, follow=True)
    channel = Channel.objects.get(network="webhook")
    body = response.content.decode()
    address = f"http://testserver/hooks/webhook/{channel.pk}/"

    assert _shown_secret(body) == channel.credentials["secret"]
    assert f'data-testid="webhook-url">{address}<' in body and "X-Comptoir-Signature" in body
    again = client.get("/w/velo/channels/").content.decode()
    assert _shown_secret(again) is None and channel.credentials["secret"] not in again
    assert f'data-testid="webhook-address">{address}<' in again  # the address stays on the card
    assert _post_item(address, channel.credentials["secret"], "t-1").status_code == 202


def test_a_pasted_secret_is_not_shown_back(workspace, cm, as_user):
    response = as_user(cm).post("/w/velo/channels/connect/webhook/", {"name": "Typeform", "secret": "p" * 30}, follow=True)
    assert _shown_secret(response.content.decode()) is None
    assert Channel.objects.get(network="webhook").credentials["secret"] == "p" * 30


def test_the_address_uses_comptoir_base_url_when_it_is_set(workspace, cm, as_user, settings):
    settings.BASE_URL, settings.BASE_URL_IS_SET = "https://comptoir.example.org", True
    response = as_user(cm).post("/w/velo/channels/connect/webhook/", {"name": "Formulaire"}, follow=True)
    channel = Channel.objects.get(network="webhook")
    assert f"https://comptoir.example.org/hooks/webhook/{channel.pk}/" in response.content.decode()


@pytest.fixture
def hook(workspace, cm):
    return actions.do_connect_channel(membership_of(cm, workspace), network="webhook", handle="Formulaire",
                                      config={"name": "Formulaire", "require_timestamp": True},
                                      credentials={"secret": "old-secret-" + "o" * 30})


def test_regenerating_the_secret_shows_the_new_one_once_and_the_old_one_stops_working(hook, cm, as_user):
    client = as_user(cm)
    address = f"http://testserver/hooks/webhook/{hook.pk}/"

    body = client.post(f"/w/velo/channels/{hook.pk}/", {"action": "regenerate_secret"}, follow=True).content.decode()

    new = Channel.objects.get(pk=hook.pk).credentials["secret"]
    assert new != "old-secret-" + "o" * 30 and _shown_secret(body) == new
    assert _shown_secret(client.get("/w/velo/channels/").content.decode()) is None
    assert _post_item(address, "old-secret-" + "o" * 30, "t-1").status_code == 401
    assert _post_item(address, new, "t-2").status_code == 202
    assert Item.objects.filter(channel=hook).count() == 1
    event = AuditEvent.objects.get(action="channel.webhook_secret_regenerate")
    assert event.actor == cm and new not in json.dumps(event.after)


def test_only_channel_managers_regenerate_and_only_webhooks_have_a_secret(hook, workspace, cm, analyst, as_user):
    assert as_user(analyst).post(f"/w/velo/channels/{hook.pk}/", {"action": "regenerate_secret"}).status_code == 403
    mastodon = actions.do_connect_channel(membership_of(cm, workspace), network="mastodon", handle="@velo@piaille.fr",
                                          config={}, credentials={"access_token": "t"})
    response = as_user(cm).post(f"/w/velo/channels/{mastodon.pk}/", {"action": "regenerate_secret"}, follow=True)
    assert "Only a webhook channel" in response.content.decode() or "Seul un canal webhook" in response.content.decode()
    assert Channel.objects.get(pk=mastodon.pk).credentials == {"access_token": "t"}


def _api(user, workspace):
    _token, raw = actions.do_create_api_token(user, workspace, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_shows_the_address_and_regenerates_the_secret_once(hook, workspace, cm, analyst):
    address = f"http://testserver/hooks/webhook/{hook.pk}/"
    channels = _api(analyst, workspace).get("/api/v1/workspaces/velo/channels").json()
    assert [c["webhook_url"] for c in channels] == [address]
    assert "secret" not in json.dumps(channels)

    assert _api(analyst, workspace).post(f"/api/v1/workspaces/velo/channels/{hook.pk}/webhook-secret").status_code == 403
    answer = _api(cm, workspace).post(f"/api/v1/workspaces/velo/channels/{hook.pk}/webhook-secret").json()

    assert answer["webhook_url"] == address and "X-Comptoir-Signature" in answer["signature"]
    assert answer["secret"] == Channel.objects.get(pk=hook.pk).credentials["secret"]
    assert _post_item(address, answer["secret"], "api-1").status_code == 202
    assert AuditEvent.objects.get(action="channel.webhook_secret_regenerate").via == "api"


def test_the_api_refuses_to_regenerate_what_is_not_a_webhook(workspace, cm):
    other = actions.do_connect_channel(membership_of(cm, workspace), network="mastodon", handle="@velo@piaille.fr",
                                       config={}, credentials={"access_token": "t"})
    response = _api(cm, workspace).post(f"/api/v1/workspaces/velo/channels/{other.pk}/webhook-secret")
    assert response.status_code == 400 and response.json()["field"] == "network"
    assert _api(cm, workspace).get(f"/api/v1/workspaces/velo/channels/{other.pk}").json()["webhook_url"] is None
