"""Polling a Bluesky channel keeps its session (Bluesky allows about 300 password logins a day)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import time_machine
from atproto_client.client.session import Session
from django.db import connection

from comptoir.conftest import membership_of
from comptoir.connectors.testing import RecordingProxy
from comptoir.stream import tasks
from comptoir.workspaces import actions
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.peers, pytest.mark.django_db]
LOGIN = "com.atproto.server.createSession"
REFRESH = "com.atproto.server.refreshSession"


@pytest.fixture
def proxy(atproto_network):
    # The login goes to the configured server: through here, where it is counted.
    counting = RecordingProxy(atproto_network.pds)
    yield counting
    counting.close()


@pytest.fixture(autouse=True)
def _no_politeness_wait(settings):
    settings.COMPTOIR_HOST_MIN_INTERVAL_SECONDS = 0  # every peer is 127.0.0.1


def _poll(channel: Channel) -> dict:
    result = tasks.poll_source.call(channel.source.pk)
    assert "error" not in result, result
    return result


def _session(channel: Channel) -> str:
    return Channel.objects.get(pk=channel.pk).credentials["session"]


def test_polls_reuse_the_session_refresh_it_and_log_in_again_only_when_its_refresh_is_refused(
    bsky, atproto_network, proxy, workspace, cm
):
    channel = actions.do_connect_channel(
        membership_of(cm, workspace), network="bluesky", handle=f"@{bsky.cm.handle}",
        config={"service": proxy.url, "handle": bsky.cm.handle, "streams": ["posts"]},
        credentials={"app_password": bsky.cm.app_password},
    )

    for _ in range(4):
        _poll(channel)

    assert proxy.count(LOGIN) == 1
    first = _session(channel)
    assert Channel.objects.get(pk=channel.pk).credentials["app_password"] == bsky.cm.app_password
    with connection.cursor() as cursor:  # stored encrypted, like every credential
        cursor.execute("SELECT credentials_encrypted FROM workspaces_channel WHERE id = %s", [channel.pk])
        assert Session.decode(first).refresh_jwt not in cursor.fetchone()[0]

    # Hours later the access token has expired: the poll refreshes the session instead of logging in.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)):
        _poll(channel)
    refreshed = _session(channel)
    # The access token alone can come back identical (no unique id, issued in the same second); the refresh
    # call and the rotated refresh token cannot.
    assert proxy.count(REFRESH) == 1
    assert Session.decode(refreshed).refresh_jwt != Session.decode(first).refresh_jwt
    assert proxy.count(LOGIN) == 1

    # The refresh token is revoked (signed out elsewhere): only now the app password logs in again.
    revoked = httpx.post(f"{atproto_network.pds}/xrpc/com.atproto.server.deleteSession",
                         headers={"Authorization": f"Bearer {Session.decode(refreshed).refresh_jwt}"})
    assert revoked.status_code == 200
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)):
        _poll(channel)
        _poll(channel)
    assert proxy.count(LOGIN) == 2
    assert Session.decode(_session(channel)).refresh_jwt != Session.decode(refreshed).refresh_jwt
