import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client, override_settings
from django.utils import translation

from comptoir.conftest import membership_of
from comptoir.connectors.base import BaseConnector, Capabilities, ConnectionCheck, ConnectorError, register
from comptoir.connectors.http import status_error
from comptoir.lib import crypto
from comptoir.lib.i18n import gettext
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Channel, User


class EchoForm(forms.Form):
    token = forms.CharField(max_length=100)

    def get_config(self):
        return {}

    def get_credentials(self):
        return {"token": self.cleaned_data["token"]}

    def get_handle(self):
        return "@velo"


@register
class EchoConnector(BaseConnector):
    """A connector that only checks its token: enough to exercise channel management."""

    network = "echo-test"
    label = "Echo"
    capabilities = Capabilities(actions=frozenset())

    @classmethod
    def connect_form_class(cls):
        return EchoForm

    def check_connection(self):
        ok = self.credentials.get("token") == "good"
        return ConnectionCheck(ok=ok, message="ok" if ok else "Token refused by the server: paste a new one.")


def _connect(workspace, user, **extra):
    return actions.do_connect_channel(membership_of(user, workspace), network="echo-test", handle="@velo",
                                      config={"server": "https://social.example"}, credentials={"token": "s3cr3t-t0ken"}, **extra)


def test_channel_credentials_are_encrypted_at_rest(workspace, cm):
    channel = _connect(workspace, cm)
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM workspaces_channel WHERE id = %s", [channel.pk])
        stored = cursor.fetchone()[0]
    assert "s3cr3t" not in stored
    assert Channel.objects.get(pk=channel.pk).credentials == {"token": "s3cr3t-t0ken"}


def test_credentials_never_reach_the_activity_log(workspace, cm):
    _connect(workspace, cm)
    event = AuditEvent.objects.get(action="channel.connect")
    assert "s3cr3t" not in str(event.after)
    assert event.after["credentials"] == ["token"]


def test_a_rotated_key_still_reads_old_credentials(workspace, cm, settings):
    channel = _connect(workspace, cm)
    old = settings.ENCRYPTION_KEY
    new = crypto.generate_key()
    with override_settings(ENCRYPTION_KEY=f"{new},{old}"):
        assert Channel.objects.get(pk=channel.pk).credentials["token"] == "s3cr3t-t0ken"
    with override_settings(ENCRYPTION_KEY=new), pytest.raises(crypto.DecryptionFailed, match="COMPTOIR_ENCRYPTION_KEY"):
        Channel.objects.get(pk=channel.pk).credentials  # noqa: B018


def test_the_same_account_cannot_be_connected_twice(workspace, cm):
    _connect(workspace, cm)
    with pytest.raises(ValidationError) as exc:
        _connect(workspace, cm)
    assert "handle" in exc.value.error_dict


def test_an_unknown_network_is_refused(workspace, cm):
    with pytest.raises(ValidationError) as exc:
        actions.do_connect_channel(membership_of(cm, workspace), network="myspace", handle="x", config={}, credentials={})
    assert "network" in exc.value.error_dict


def test_moderators_cannot_connect_channels(workspace, moderator):
    with pytest.raises(PermissionDenied):
        _connect(workspace, moderator)


def test_channel_health_follows_the_last_network_call(workspace, cm):
    channel = _connect(workspace, cm)
    actions.record_channel_result(channel.pk, ok=False, error="HTTP 401: token expired")
    channel.refresh_from_db()
    assert channel.status == Channel.Status.ERROR and channel.last_error_at and "401" in channel.last_error
    actions.record_channel_result(channel.pk, ok=True)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.ACTIVE and channel.last_success_at


def test_a_channel_error_is_read_in_each_reader_s_language(workspace, cm, analyst, as_user):
    User.objects.filter(pk=analyst.pk).update(language="en")
    analyst.refresh_from_db()
    channel = _connect(workspace, cm)
    with translation.override("en"):  # the worker's language
        error = status_error(503, server=gettext("Mastodon (%(host)s)") % {"host": "piaille.fr"}, refused=ConnectorError("x"))
        actions.record_channel_result(channel.pk, ok=False, error=error.message)
    french = "Mastodon (piaille.fr) est indisponible (erreur 503). Comptoir réessaiera plus tard."
    english = "Mastodon (piaille.fr) is unavailable (error 503). Comptoir will try again later."

    assert french in as_user(cm).get("/w/velo/channels/").content.decode()
    assert english in as_user(analyst).get("/w/velo/channels/").content.decode()
    assert f'title="{french}"' in as_user(cm).get("/w/velo/").content.decode()  # the status chip of the home page
    token, raw = actions.do_create_api_token(analyst, workspace, "tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(f"/api/v1/workspaces/velo/channels/{channel.pk}").json()
    assert api["last_error"] == english
    assert api["last_error_code"] == "%(server)s is unavailable (error %(status)d). Comptoir will try again later."
    assert api["last_error_params"] == {"server": {"_message": "Mastodon (%(host)s)", "params": {"host": "piaille.fr"}},
                                        "status": 503}


def test_pausing_and_removing_a_channel_is_logged(workspace, cm):
    channel = _connect(workspace, cm)
    member = membership_of(cm, workspace)
    actions.do_set_channel_status(member, channel, Channel.Status.PAUSED)
    actions.do_remove_channel(member, channel)
    assert list(AuditEvent.objects.filter(action__startswith="channel.").order_by("id").values_list("action", flat=True)) == [
        "channel.connect", "channel.status", "channel.remove"]
    channel.refresh_from_db()
    assert channel.removed_at and channel.status == Channel.Status.DISCONNECTED and channel.credentials == {}
    assert not Channel.objects.connected().exists()


def test_the_connect_page_tests_a_connection_and_reports_why_it_failed(workspace, cm, as_user):
    client = as_user(cm)
    response = client.post("/w/velo/channels/connect/echo-test/", {"token": "bad", "test": "1"})
    assert response.status_code == 200
    assert "Token refused by the server" in response.content.decode()
    assert not Channel.objects.exists()
    response = client.post("/w/velo/channels/connect/echo-test/", {"token": "good"})
    assert response.status_code == 302
    assert Channel.objects.get().credentials == {"token": "good"}


def test_network_cards_promise_only_what_comptoirs_screens_do(workspace, cm, as_user):
    cm.language = "en"
    cm.save()
    body = as_user(cm).get("/w/velo/channels/").content.decode()
    cards = body.split('data-testid="networks"')[1]
    mastodon = cards.split("Mastodon")[1][:400]
    assert "Read" in mastodon
    for promise in ("Publish", "Reply", "Ban", "Delete", "characters per post"):
        assert promise not in cards, promise
