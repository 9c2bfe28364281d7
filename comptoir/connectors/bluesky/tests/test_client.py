"""The Bluesky connector against a real local AT Protocol network (PDS + AppView)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from atproto import models
from werkzeug import Response

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
from comptoir.connectors.bluesky.client import MARKER, BlueskyConnector, grapheme_length, marker
from comptoir.connectors.bluesky.tests.conftest import connector_for
from comptoir.connectors.testing import ResponseDroppingProxy

pytestmark = pytest.mark.peers

# A 1×1 red PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201"
    "e2c1d9a90000000049454e44ae426082"
)


def test_it_is_registered_under_its_network_name():
    assert get_connector_class("bluesky") is BlueskyConnector


def test_it_checks_the_connection_and_keeps_its_session(bsky, atproto_network):
    check = bsky.connector.check_connection()

    assert check.ok, check.message
    assert check.account == f"@{bsky.cm.handle}"
    session = bsky.connector.credentials["session"]
    assert session
    # the next connector reuses the session: no password login (Bluesky allows few of them)
    reused = BlueskyConnector(config={"service": atproto_network.pds, "handle": bsky.cm.handle},
                              credentials={"session": session})
    assert reused.fetch(None).items == []


def test_an_expired_or_broken_session_falls_back_to_the_app_password(bsky, atproto_network):
    connector = connector_for(atproto_network, bsky.cm)
    connector.credentials["session"] = "x:::did:plc:nope:::not-a-jwt:::not-a-jwt:::" + atproto_network.pds

    assert connector.fetch(None).items == []
    assert connector.credentials["session"].startswith(bsky.cm.handle)


def test_a_bad_app_password_is_refused_with_a_reason(bsky, atproto_network):
    bad = BlueskyConnector(
        config={"service": atproto_network.pds, "handle": bsky.cm.handle}, credentials={"app_password": "aaaa-bbbb-cccc-dddd"}
    )

    check = bad.check_connection()

    assert not check.ok
    assert "app password" in check.message
    with pytest.raises(AuthenticationFailed):
        bad.fetch(None)


def test_a_loopback_server_is_refused_unless_private_targets_are_allowed(bsky, settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False

    check = bsky.connector.check_connection()

    assert not check.ok
    assert "private" in check.message
    with pytest.raises(ConnectorError) as caught:
        bsky.connector.publish(OutboundPost(text="Bonjour"), "k-private")
    assert not caught.value.retryable


@pytest.mark.parametrize("service", ["javascript:alert(1)", "ftp://bsky.social", "https://", "bsky.social", 42])
def test_an_invalid_server_address_is_refused_with_a_reason(service):
    check = BlueskyConnector(config={"service": service, "handle": "a.test"}, credentials={"app_password": "x"}).check_connection()

    assert not check.ok
    assert "server address" in check.message


def test_it_publishes_reads_back_replies_and_moderates(bsky, atproto_network):
    cm = bsky.connector
    first = cm.fetch(None)
    text = f"Bienvenue @{bsky.fan.handle} ! Le programme : https://example.org/prog #comptoir"

    post = cm.publish(OutboundPost(text=text, options={"language": "fr"}), "post-1")

    assert post.external_id.startswith(f"at://{bsky.cm.did}/app.bsky.feed.post/")
    features = {type(f.features[0]).__name__ for f in models.AppBskyFeedPost.Record(**_record(post)).facets}
    assert features == {"Mention", "Link", "Tag"}
    atproto_network.flush()
    batch = cm.fetch(first.cursor)
    mine = {i.external_id: i for i in batch.items}[post.external_id]
    assert mine.kind == ItemKind.POST
    assert mine.text == text
    assert mine.language == "fr"
    assert '<a href="https://example.org/prog"' in mine.html and "/hashtag/comptoir" in mine.html
    assert mine.author.handle == f"@{bsky.cm.handle}"
    assert mine.author.external_id == bsky.cm.did
    assert mine.published_at.utcoffset() == dt.timedelta(0)
    json.dumps(mine.raw)
    json.dumps(batch.cursor)

    # the fan answers from their own client
    fan = atproto_network.client_for(bsky.fan.handle, bsky.fan.password)
    ref = models.ComAtprotoRepoStrongRef.Main(uri=post.external_id, cid=post.raw["cid"])
    answer = fan.send_post("Merci, j'y serai !", reply_to=models.AppBskyFeedPost.ReplyRef(parent=ref, root=ref),
                           profile_identify=bsky.fan.did)
    atproto_network.flush()
    later = cm.fetch(batch.cursor)
    comment = {i.external_id: i for i in later.items}[answer.uri]
    assert comment.kind == ItemKind.COMMENT
    assert comment.parent_external_id == post.external_id
    assert comment.thread_external_id == post.external_id
    assert comment.author.handle == f"@{bsky.fan.handle}"
    assert post.external_id not in {i.external_id for i in later.items}

    # the CM answers the fan, in the same thread
    reply = cm.reply(comment.external_id, "Avec plaisir !", "reply-1")
    record = _record(reply)
    assert record["reply"]["parent"]["uri"] == answer.uri
    assert record["reply"]["root"]["uri"] == post.external_id
    atproto_network.flush()
    assert fan.get_post_thread(post.external_id).thread.replies[0].replies[0].post.uri == reply.external_id

    # moderation: delete our post, mute and block the fan
    cm.moderate(Action.DELETE, post.external_id)
    cm.moderate(Action.MUTE, f"@{bsky.fan.handle}")
    cm.moderate(Action.BLOCK, answer.uri)
    atproto_network.flush()
    assert fan.get_posts([post.external_id]).posts == []
    cm_client = atproto_network.client_for(bsky.cm.handle, bsky.cm.password)
    assert [a.did for a in cm_client.app.bsky.graph.get_mutes().mutes] == [bsky.fan.did]
    assert [a.did for a in cm_client.app.bsky.graph.get_blocks().blocks] == [bsky.fan.did]


def test_a_second_read_returns_only_what_is_new(bsky, atproto_network):
    first = bsky.connector.fetch(None)
    assert bsky.connector.fetch(first.cursor).items == []

    fan = atproto_network.client_for(bsky.fan.handle, bsky.fan.password)
    fan.send_post(f"Coucou @{bsky.cm.handle}", facets=fan.detect_facets(f"Coucou @{bsky.cm.handle}"),
                  profile_identify=bsky.fan.did)
    atproto_network.flush()
    later = bsky.connector.fetch(first.cursor)

    assert [(i.kind, i.text) for i in later.items] == [(ItemKind.POST, f"Coucou @{bsky.cm.handle}")]
    assert bsky.connector.fetch(later.cursor).items == []


# atproto's upload_blob still passes raw bytes as data=, which httpx deprecates: not ours to fix.
@pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")
def test_a_declared_language_stands_only_when_detection_agrees_or_is_unsure(bsky, atproto_network):
    # People leave their app's default language: this French post says it is English.
    client = atproto_network.client_for(bsky.cm.handle, bsky.cm.password)
    texts = {
        "Toujours pas reçu ma commande, le service client ne répond pas depuis une semaine.": ("en", "fr"),
        "Thanks a lot to everyone who came to the repair workshop yesterday evening!": ("en", "en"),
        "ok 👍": ("ja", "ja"),
    }
    for text, (declared, _expected) in texts.items():
        client.send_post(text, langs=[declared], profile_identify=bsky.cm.did)
    atproto_network.flush()

    items = connector_for(atproto_network, bsky.cm, streams=["posts"]).fetch(None).items

    assert {i.text: i.language for i in items} == {text: expected for text, (_declared, expected) in texts.items()}


def test_it_publishes_images_with_their_description(bsky, atproto_network):
    ref = bsky.connector.publish(
        OutboundPost(text="La terrasse", media=(OutboundMedia("terrasse.png", "image/png", PNG, alt_text="Une terrasse"),)),
        "media-1",
    )

    atproto_network.flush()
    item = {i.external_id: i for i in bsky.connector.fetch(None).items}[ref.external_id]
    assert item.media[0]["description"] == "Une terrasse"
    assert item.media[0]["url"]


def test_a_link_without_images_becomes_a_card(bsky):
    ref = bsky.connector.publish(OutboundPost(text="Notre programme", link="https://example.org/", title="Programme"), "card")

    external = _record(ref)["embed"]["external"]
    assert (external["uri"], external["title"]) == ("https://example.org/", "Programme")


def test_a_post_can_be_found_by_its_key(bsky):
    ref = bsky.connector.publish(OutboundPost(text="Une seule fois"), "once")

    assert bsky.connector.find_published("once").external_id == ref.external_id
    assert bsky.connector.find_published("never-sent") is None
    assert _record(ref)[MARKER] == marker("once")


def test_a_lost_answer_is_an_unknown_outcome_that_find_published_resolves(bsky, atproto_network):
    bsky.connector.check_connection()
    proxy = ResponseDroppingProxy(int(atproto_network.pds.rsplit(":", 1)[1]))
    # the session names the account's PDS: point it at the proxy
    session = bsky.connector.credentials["session"].rsplit(":::", 1)[0] + f":::http://127.0.0.1:{proxy.port}"
    through_proxy = BlueskyConnector(config={"service": atproto_network.pds, "handle": bsky.cm.handle},
                                     credentials={"session": session})

    with pytest.raises(OutcomeUnknown):
        through_proxy.publish(OutboundPost(text="Réponse perdue"), "lost-1")
    proxy.thread.join(5)

    found = bsky.connector.find_published("lost-1")
    assert found is not None
    assert found.raw["record"]["text"] == "Réponse perdue"


def test_text_over_300_characters_is_refused_before_sending(bsky):
    with pytest.raises(ConnectorError) as caught:
        bsky.connector.publish(OutboundPost(text="é" * 301), "too-long")

    assert "301" in caught.value.message and "300" in caught.value.message
    assert not caught.value.retryable
    assert bsky.connector.find_published("too-long") is None


def test_characters_are_counted_as_people_see_them():
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # one emoji made of five code points
    assert grapheme_length(family * 150) == 150
    assert grapheme_length("e\u0301" * 10) == 10
    assert grapheme_length("\U0001f1eb\U0001f1f7\U0001f1e7\U0001f1ea") == 2  # 🇫🇷🇧🇪


def test_emoji_count_once_so_a_long_looking_post_fits(bsky):
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"

    ref = bsky.connector.publish(OutboundPost(text=family * 150), "emoji")

    assert ref.external_id


def test_what_bluesky_cannot_carry_is_refused_before_sending(bsky):
    with pytest.raises(NotSupported):
        bsky.connector.publish(OutboundPost(text="Attention", content_warning="spoiler"), "cw")
    with pytest.raises(NotSupported):
        bsky.connector.publish(OutboundPost(text="Pour les abonnés", visibility="private"), "vis")
    with pytest.raises(ConnectorError):
        bsky.connector.publish(OutboundPost(text="Vidéo", media=(OutboundMedia("a.mp4", "video/mp4", b"x"),)), "vid")
    with pytest.raises(NotSupported):
        bsky.connector.moderate(Action.BAN, bsky.fan.did)
    assert bsky.connector.find_published("cw") is None


def test_a_server_error_is_retryable(httpserver):
    httpserver.expect_request("/xrpc/com.atproto.server.createSession").respond_with_response(
        Response("<html>Service Unavailable</html>", status=503, headers={"Retry-After": "60"})
    )
    broken = BlueskyConnector(config={"service": httpserver.url_for("/").rstrip("/"), "handle": "cm.test"},
                              credentials={"app_password": "aaaa-bbbb-cccc-dddd"})

    with pytest.raises(ConnectorError) as caught:
        broken.fetch(None)

    assert caught.value.retryable
    assert caught.value.status == 503
    assert caught.value.retry_after == 60


def test_a_rate_limit_is_retryable_after_the_given_delay(httpserver):
    httpserver.expect_request("/xrpc/com.atproto.server.createSession").respond_with_json(
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, status=429, headers={"Retry-After": "300"}
    )
    limited = BlueskyConnector(config={"service": httpserver.url_for("/").rstrip("/"), "handle": "cm.test"},
                               credentials={"app_password": "aaaa-bbbb-cccc-dddd"})

    with pytest.raises(ConnectorError) as caught:
        limited.fetch(None)

    assert caught.value.retryable
    assert caught.value.retry_after == 300


def _record(ref) -> dict:
    return ref.raw["record"]


def test_it_follows_searches(bsky, atproto_network):
    searching = connector_for(atproto_network, bsky.cm, streams=[], searches=["barista"])
    first = searching.fetch(None)
    fan = atproto_network.client_for(bsky.fan.handle, bsky.fan.password)
    fan.send_post("Cherche un bon barista à Lyon", profile_identify=bsky.fan.did)
    fan.send_post("Rien à voir", profile_identify=bsky.fan.did)
    atproto_network.flush()

    later = searching.fetch(first.cursor)

    assert [i.text for i in later.items] == ["Cherche un bon barista à Lyon"]
    assert searching.fetch(later.cursor).items == []
