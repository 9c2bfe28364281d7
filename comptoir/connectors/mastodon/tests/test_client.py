"""The Mastodon connector against a real local peer (mastodon_mock)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from mastodon.errors import MastodonNotFoundError

from comptoir.connectors.base import (
    Action,
    AuthenticationFailed,
    ConnectorError,
    ItemKind,
    NotSupported,
    OutboundMedia,
    OutboundPost,
    OutcomeUnknown,
    get_connector_class,
)
from comptoir.connectors.mastodon.client import MastodonConnector, status_length
from comptoir.connectors.mastodon.tests.conftest import connector_for
from comptoir.connectors.testing import ResponseDroppingProxy

pytestmark = pytest.mark.peers

# A 1×1 transparent GIF.
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def test_it_is_registered_under_its_network_name():
    assert get_connector_class("mastodon") is MastodonConnector


def test_it_checks_the_connection_and_learns_the_server_limit(alice):
    check = alice.check_connection()

    assert check.ok, check.message
    assert check.account == "@alice@127.0.0.1"
    assert "@alice@127.0.0.1" in check.message
    assert alice.config["max_characters"] == 500
    assert alice.config["account_id"]
    assert alice.capabilities.max_text_length == 500


def test_a_configured_server_limit_replaces_the_default(masto):
    connector = connector_for(masto, "alice", max_characters=5000)

    assert connector.capabilities.max_text_length == 5000
    assert MastodonConnector.capabilities.max_text_length == 500


def test_a_bad_token_is_refused_with_a_reason(masto):
    connector = MastodonConnector(config={"server": masto.base_url}, credentials={"access_token": "nope-nope"})

    check = connector.check_connection()

    assert not check.ok
    assert "token" in check.message
    with pytest.raises(AuthenticationFailed):
        connector.fetch(None)


def test_an_unreachable_server_gives_a_reason_not_an_exception(masto):
    connector = MastodonConnector(config={"server": "http://127.0.0.1:9"}, credentials={"access_token": "alice_token"})

    check = connector.check_connection()

    assert not check.ok
    assert "127.0.0.1" in check.message


def test_a_loopback_server_is_refused_unless_private_targets_are_allowed(masto, settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    connector = connector_for(masto, "alice")

    check = connector.check_connection()

    assert not check.ok
    assert "private" in check.message
    with pytest.raises(ConnectorError) as caught:
        connector.publish(OutboundPost(text="Bonjour"), "key-loopback")
    assert not caught.value.retryable
    assert masto.client("alice").account_statuses(masto.client("alice").me()) == []


@pytest.mark.parametrize("server", ["javascript:alert(1)", "ftp://example.org", "https://", "", None, 42])
def test_an_invalid_server_address_is_refused_with_a_reason(server):
    connector = MastodonConnector(config={"server": server}, credentials={"access_token": "x"})

    check = connector.check_connection()

    assert not check.ok
    assert "server address" in check.message


def test_it_publishes_reads_back_replies_and_deletes(alice, bob, masto):
    post = alice.publish(OutboundPost(text="Bonjour @bob, la nouvelle carte est là ! #cafe"), "post-1")

    assert post.external_id
    assert post.url
    first = alice.fetch(None)
    mine = {i.external_id: i for i in first.items}[post.external_id]
    assert mine.kind == ItemKind.POST
    assert mine.text == "Bonjour @bob, la nouvelle carte est là ! #cafe"
    assert "<script" not in mine.html and mine.html
    assert mine.author.handle == "@alice@127.0.0.1"
    assert mine.author.external_id == str(masto.client("alice").me()["id"])
    assert mine.published_at.tzinfo is not None and mine.published_at.utcoffset() == dt.timedelta(0)
    json.dumps(mine.raw)  # stored as is
    json.dumps(first.cursor)

    # bob sees the mention and answers through his own connector
    bob_items = bob.fetch(None).items
    mention = next(i for i in bob_items if i.external_id == post.external_id)
    answer = bob.reply(mention.external_id, "Merci, j'arrive !", "reply-1")

    again = alice.fetch(first.cursor)
    reply = {i.external_id: i for i in again.items}[answer.external_id]
    assert reply.kind == ItemKind.COMMENT  # an answer to one of alice's posts
    assert reply.parent_external_id == post.external_id
    assert reply.text.startswith("@alice")
    assert reply.author.handle == "@bob@127.0.0.1"
    assert post.external_id not in {i.external_id for i in again.items}
    assert reply.engagement == {"replies": 0, "reposts": 0, "likes": 0}

    alice.moderate(Action.DELETE, post.external_id)

    with pytest.raises(MastodonNotFoundError):
        masto.client("alice").status(post.external_id)


def test_a_second_read_returns_only_what_is_new(alice, masto):
    first = alice.fetch(None)
    assert alice.fetch(first.cursor).items == []

    masto.client("bob").status_post("Nouvel arrivage de grains")
    later = alice.fetch(first.cursor)

    assert [i.text for i in later.items] == ["Nouvel arrivage de grains"]
    assert later.has_more is False


def test_it_reads_hashtags_and_direct_messages(masto):
    alice = connector_for(masto, "alice", streams=["direct"], hashtags=["cafe"])
    first = alice.fetch(None)
    masto.client("carol").status_post("Le meilleur #cafe du quartier")
    dm = masto.client("bob").status_post("@alice psst, une question privée", visibility="direct")

    items = {i.external_id: i for i in alice.fetch(first.cursor).items}

    assert items[str(dm["id"])].kind == ItemKind.DIRECT_MESSAGE
    assert [i.text for i in items.values() if i.kind == ItemKind.POST] == ["Le meilleur #cafe du quartier"]


def test_a_reply_to_a_direct_message_stays_direct(alice, masto):
    dm = masto.client("bob").status_post("@alice c'est ouvert dimanche ?", visibility="direct")

    answer = alice.reply(str(dm["id"]), "Oui, de 9 h à 13 h.", "dm-reply")

    assert answer.raw["visibility"] == "direct"
    assert answer.raw["content"].count("@") >= 1
    assert "bob" in answer.raw["content"]


def test_it_publishes_media_with_a_description_and_a_content_warning(alice):
    ref = alice.publish(
        OutboundPost(
            text="La terrasse",
            content_warning="photo",
            visibility="unlisted",
            media=(OutboundMedia("terrasse.gif", "image/gif", GIF, alt_text="Une terrasse au soleil"),),
        ),
        "media-1",
    )

    assert ref.raw["spoiler_text"] == "photo"
    assert ref.raw["visibility"] == "unlisted"
    assert ref.raw["media_attachments"][0]["description"] == "Une terrasse au soleil"


def test_the_same_key_publishes_once_and_can_be_found(alice, masto):
    first = alice.publish(OutboundPost(text="Une seule fois"), "once")
    second = alice.publish(OutboundPost(text="Une seule fois"), "once")

    assert first.external_id == second.external_id
    assert alice.find_published("once").external_id == first.external_id
    assert alice.find_published("never-sent") is None
    client = masto.client("alice")
    assert len(client.account_statuses(client.me())) == 1



def test_a_lost_answer_is_an_unknown_outcome_that_find_published_resolves(masto):
    proxy = ResponseDroppingProxy(int(masto.base_url.rsplit(":", 1)[1]))
    through_proxy = MastodonConnector(
        config={"server": f"http://127.0.0.1:{proxy.port}"}, credentials={"access_token": "alice_token"}
    )

    with pytest.raises(OutcomeUnknown):
        through_proxy.publish(OutboundPost(text="Réponse perdue"), "lost-1")
    proxy.thread.join(5)

    found = connector_for(masto, "alice").find_published("lost-1")
    assert found is not None
    assert "Réponse perdue" in found.raw["content"]


def test_a_timeout_after_sending_is_an_unknown_outcome(masto):
    alice = connector_for(masto, "alice", timeout=0.5)

    with masto.fault(path="/api/v1/statuses", methods=["POST"], type="latency", delay_ms=1500, count=1):
        with pytest.raises(OutcomeUnknown) as caught:
            alice.publish(OutboundPost(text="Lent à venir"), "slow-1")

    assert caught.value.retryable


def test_a_timeout_while_reading_is_retryable_not_unknown(masto):
    alice = connector_for(masto, "alice", timeout=0.5)

    with masto.fault(path="/api/v1/timelines/home", type="latency", delay_ms=1500, count=1):
        with pytest.raises(ConnectorError) as caught:
            alice.fetch(None)

    assert caught.value.retryable
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_server_error_is_retryable(alice, masto):
    with masto.fault(path="/api/v1/statuses", methods=["POST"], status=503, count=1):
        with pytest.raises(ConnectorError) as caught:
            alice.publish(OutboundPost(text="Bonjour"), "k-503")

    assert caught.value.retryable
    assert caught.value.status == 503
    assert not isinstance(caught.value, OutcomeUnknown)


def test_a_rate_limit_is_retryable_after_the_given_delay(alice, masto):
    with masto.fault(path="/api/v1/timelines/home", type="ratelimit", headers={"Retry-After": "120"}, count=1):
        with pytest.raises(ConnectorError) as caught:
            alice.fetch(None)

    assert caught.value.retryable
    assert caught.value.retry_after == 120


def test_text_over_the_limit_is_refused_before_sending(alice, masto):
    with pytest.raises(ConnectorError) as caught:
        alice.publish(OutboundPost(text="a" * 501), "too-long")

    assert "501" in caught.value.message and "500" in caught.value.message
    assert not caught.value.retryable
    client = masto.client("alice")
    assert client.account_statuses(client.me()) == []


def test_links_count_as_23_characters_like_on_mastodon():
    assert status_length("https://example.org/" + "x" * 300) == 23
    assert status_length("@dave@remote.example salut") == len("@dave salut")


def test_it_blocks_mutes_and_reports(alice, masto):
    bob_id = str(masto.client("bob").me()["id"])
    spam = masto.client("bob").status_post("@alice achetez mes followers !!!")

    alice.moderate(Action.MUTE, "@bob@127.0.0.1")
    alice.moderate(Action.REPORT, str(spam["id"]), reason="spam")
    alice.moderate(Action.BLOCK, bob_id)

    client = masto.client("alice")
    assert [str(a["id"]) for a in client.blocks()] == [bob_id]
    assert [str(a["id"]) for a in client.mutes()] == [bob_id]


def test_it_undoes_a_mute_and_a_block(alice, masto):
    bob_id = str(masto.client("bob").me()["id"])
    alice.moderate(Action.MUTE, bob_id)
    alice.moderate(Action.BLOCK, "@bob@127.0.0.1")

    alice.unmoderate(Action.MUTE, "@bob@127.0.0.1")
    alice.unmoderate(Action.BLOCK, bob_id)

    client = masto.client("alice")
    assert client.mutes() == [] and client.blocks() == []
    with pytest.raises(NotSupported):
        alice.unmoderate(Action.DELETE, "1")


def test_an_action_it_cannot_do_is_not_supported(alice):
    with pytest.raises(NotSupported):
        alice.moderate(Action.BAN, "1")


def test_a_token_of_another_account_is_refused(masto):
    connector = MastodonConnector(
        config={"server": masto.base_url, "handle": "@alice@127.0.0.1"}, credentials={"access_token": "bob_token"}
    )

    check = connector.check_connection()

    assert not check.ok
    assert "@bob@127.0.0.1" in check.message and "@alice@127.0.0.1" in check.message
