"""One post, two networks: Mastodon (mastodon_mock) and Matrix (a real Synapse), each reached once."""

from __future__ import annotations

import sys

import httpx
import pytest
import time_machine
from django.utils import translation
from signedjson.key import generate_signing_key, write_signing_keys

from comptoir.connectors.matrix.client import MatrixConnector
from comptoir.connectors.matrix.tests.conftest import HOMESERVER_YAML, LOG_YAML, SHARED_SECRET, Synapse
from comptoir.connectors.testing import Peer, ResponseDroppingProxy, free_port
from comptoir.publishing import delivery
from comptoir.publishing.models import Post, Variant
from comptoir.workspaces.models import Channel

from .delivery_fixtures import *  # noqa: F403 - the Mastodon peer's fixtures
from .delivery_fixtures import T0, make_post, mastodon_channel, run_due, statuses_of

pytestmark = [pytest.mark.peers, pytest.mark.slow]


@pytest.fixture(scope="session")
def synapse_peer(tmp_path_factory):
    d = tmp_path_factory.mktemp("synapse-delivery")
    port = free_port()
    (d / "homeserver.yaml").write_text(HOMESERVER_YAML.format(d=d, port=port, secret=SHARED_SECRET))
    (d / "log.yaml").write_text(LOG_YAML)
    with open(d / "signing.key", "w") as f:
        write_signing_keys(f, [generate_signing_key("a_test")])
    url = f"http://127.0.0.1:{port}"
    peer = Peer("synapse", [sys.executable, "-m", "synapse.app.homeserver", "-c", "homeserver.yaml"], d)
    peer.wait_ready(lambda: httpx.get(f"{url}/health", timeout=1).text == "OK", timeout=60)
    yield Synapse(url)
    peer.stop()


@pytest.fixture
def room(synapse_peer):
    cm = synapse_peer.register("cm")
    member = synapse_peer.register("member")
    return cm, synapse_peer.create_room(cm, member)


def matrix_channel(workspace, homeserver: str, cm, room_id: str) -> Channel:
    channel = Channel(workspace=workspace, network="matrix", handle=cm.user_id,
                      config={"homeserver": homeserver, "user_id": cm.user_id, "rooms": [room_id]})
    channel.credentials = {"access_token": cm.access_token}
    channel.save()
    return channel


def room_texts(synapse_peer, cm, room_id) -> list[str]:
    connector = MatrixConnector(config={"homeserver": synapse_peer.url, "user_id": cm.user_id, "rooms": [room_id]},
                                credentials={"access_token": cm.access_token})
    return [item.text for item in connector.fetch(None).items]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_post_goes_out_once_on_mastodon_and_on_matrix(workspace, masto, synapse_peer, room,
                                                        django_capture_on_commit_callbacks):
    cm, room_id = room
    post = make_post(workspace, mastodon_channel(workspace, masto), matrix_channel(workspace, synapse_peer.url, cm, room_id),
                     text="Assemblée générale jeudi 19 h, salle des fêtes")
    with time_machine.travel(T0, tick=True) as clock:
        delivery.schedule(post)
        clock.move_to(post.publish_at)
        assert run_due(django_capture_on_commit_callbacks) == [{"sent": 2}]
        assert run_due(django_capture_on_commit_callbacks) == []

    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    mastodon, matrix = post.variants.order_by("pk")
    assert [s["id"] for s in statuses_of(masto)] == [mastodon.remote_id]
    assert room_texts(synapse_peer, cm, room_id) == ["Assemblée générale jeudi 19 h, salle des fêtes"]
    assert matrix.state == Variant.State.SENT and matrix.remote_url.startswith("https://matrix.to/#/")


def test_a_lost_answer_from_matrix_is_found_not_sent_again(workspace, masto, synapse_peer, room,
                                                           django_capture_on_commit_callbacks):
    cm, room_id = room
    proxy = ResponseDroppingProxy(int(synapse_peer.url.rsplit(":", 1)[1]))
    channel = matrix_channel(workspace, f"http://127.0.0.1:{proxy.port}", cm, room_id)
    post = make_post(workspace, channel, text="Réponse perdue en route")
    with time_machine.travel(T0, tick=True) as clock:
        delivery.schedule(post)
        clock.move_to(post.publish_at)
        first = run_due(django_capture_on_commit_callbacks)
        proxy.thread.join(5)
        channel.config["homeserver"] = synapse_peer.url
        channel.save()
        clock.shift(delivery.backoff(1))
        second = run_due(django_capture_on_commit_callbacks)

    assert (first, second) == ([{"retry": 1}], [{"found": 1}])
    assert room_texts(synapse_peer, cm, room_id) == ["Réponse perdue en route"]
    assert post.variants.get().state == Variant.State.SENT
