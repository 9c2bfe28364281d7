import hashlib
import json
import time

import pytest
from werkzeug import Response

from comptoir.connectors.base import ConnectorError, NotSupported, OutboundMedia, OutboundPost, OutcomeUnknown

from . import openapi
from .conftest import AUTH

pytestmark = pytest.mark.peers


def created(post_id, topic_id, post_number, **extra):
    return openapi.response(
        "/posts.json",
        "post",
        id=post_id,
        topic_id=topic_id,
        post_number=post_number,
        username="system",
        topic_slug="bienvenue",
        post_url=f"/t/bienvenue/{topic_id}/{post_number}",
        **extra,
    )


def capture(httpserver, path, method, answer, status=200):
    """Serve ``answer`` once and keep the JSON body the connector sent."""
    seen = []

    def handler(request):
        seen.append(request.get_json())
        return Response(json.dumps(answer), status=status, content_type="application/json")

    httpserver.expect_oneshot_request(path, method=method, headers=AUTH).respond_with_handler(handler)
    return seen


def marker(key):
    return f"<!-- comptoir:{hashlib.sha256(key.encode()).hexdigest()[:32]} -->"


def test_it_creates_a_topic_with_title_category_and_idempotency_marks(httpserver, forum, forum_url):
    sent = capture(httpserver, "/posts.json", "POST", created(10, 7, 1))

    ref = forum.publish(
        OutboundPost(text="Premier message du **forum**", title="Bienvenue", options={"category": 12}),
        "delivery-42",
    )

    [body] = sent
    openapi.check_request("/posts.json", "post", body)
    assert body["title"] == "Bienvenue"
    assert body["category"] == 12
    assert body["raw"] == "Premier message du **forum**\n\n" + marker("delivery-42")
    assert body["external_id"] == "comptoir-" + hashlib.sha256(b"delivery-42").hexdigest()[:32]
    assert len(body["external_id"]) <= 50
    assert ref.external_id == "10"
    assert ref.url == f"{forum_url}/t/bienvenue/7/1"
    assert ref.raw == {"topic_id": 7, "post_number": 1}


def test_a_topic_without_category_goes_to_the_default_category(httpserver, forum):
    sent = capture(httpserver, "/posts.json", "POST", created(10, 7, 1))
    forum.publish(OutboundPost(text="Texte", title="Titre", link="https://example.org/a"), "k")
    assert sent[0]["category"] == 4
    assert sent[0]["raw"].startswith("Texte\n\nhttps://example.org/a\n\n<!-- comptoir:")


def test_it_posts_into_an_existing_topic(httpserver, forum):
    sent = capture(httpserver, "/posts.json", "POST", created(11, 7, 2))

    ref = forum.publish(OutboundPost(text="Suite", options={"topic_id": 7}), "k2")

    openapi.check_request("/posts.json", "post", sent[0])
    assert sent[0]["topic_id"] == 7
    assert "title" not in sent[0]
    assert ref.external_id == "11"


def test_a_new_topic_needs_a_title(forum):
    with pytest.raises(ConnectorError, match="needs a title"):
        forum.publish(OutboundPost(text="Sans titre"), "k")


def test_media_are_refused_before_anything_is_sent(forum):
    media = (OutboundMedia(filename="a.png", content_type="image/png", data=b"\x89PNG"),)
    with pytest.raises(NotSupported):
        forum.publish(OutboundPost(text="x", title="t", media=media), "k")


def test_a_text_over_the_forum_limit_is_refused(forum):
    with pytest.raises(ConnectorError, match="31900"):
        forum.publish(OutboundPost(text="x" * 31_901, title="t"), "k")


def test_it_replies_to_a_post_with_its_topic_and_number(httpserver, forum):
    post = openapi.response(
        "/posts/{id}.json",
        "get",
        id=4817,
        topic_id=912,
        post_number=3,
        username="camille_m",
        raw="Question ?",
    )
    httpserver.expect_oneshot_request("/posts/4817.json", method="GET", headers=AUTH).respond_with_json(post)
    sent = capture(httpserver, "/posts.json", "POST", created(4820, 912, 4, reply_to_post_number="3"))

    ref = forum.reply("4817", "Bonjour Camille, on regarde !", "reply-1")

    openapi.check_request("/posts.json", "post", sent[0])
    assert sent[0]["topic_id"] == 912
    assert sent[0]["reply_to_post_number"] == 3
    assert sent[0]["raw"].startswith("Bonjour Camille, on regarde !")
    assert ref.external_id == "4820"


def test_it_replies_to_a_topic_item(httpserver, forum):
    sent = capture(httpserver, "/posts.json", "POST", created(4821, 913, 2))
    forum.reply("topic:913", "Merci pour l’idée", "reply-2")
    assert sent[0]["topic_id"] == 913
    assert "reply_to_post_number" not in sent[0]


def test_a_timeout_while_posting_is_an_unknown_outcome(httpserver, forum, settings):
    settings.COMPTOIR_FETCH_TIMEOUT_SECONDS = 0.3

    def slow(request):
        time.sleep(0.6)
        return Response("{}", content_type="application/json")

    httpserver.expect_oneshot_request("/posts.json", method="POST").respond_with_handler(slow)

    with pytest.raises(OutcomeUnknown):
        forum.publish(OutboundPost(text="x", title="t"), "k")


def test_find_published_finds_a_topic_by_its_external_id(httpserver, forum, forum_url):
    external_id = "comptoir-" + hashlib.sha256(b"delivery-42").hexdigest()[:32]
    httpserver.expect_oneshot_request(f"/t/external_id/{external_id}.json").respond_with_response(
        Response(status=301, headers={"Location": f"{forum_url}/t/913.json"})
    )
    topic = openapi.response(
        "/t/{id}.json",
        "get",
        id=913,
        post_stream={
            "posts": [{"id": 5000, "post_number": 1, "topic_id": 913, "topic_slug": "bienvenue"}],
            "stream": [5000],
        },
    )
    httpserver.expect_oneshot_request("/t/913.json", headers=AUTH).respond_with_json(topic)

    ref = forum.find_published("delivery-42")

    assert ref.external_id == "5000"
    assert ref.url == f"{forum_url}/t/bienvenue/913/1"


def test_find_published_finds_a_reply_by_its_marker(httpserver, forum):
    httpserver.expect_oneshot_request(
        "/t/external_id/" + "comptoir-" + hashlib.sha256(b"reply-1").hexdigest()[:32] + ".json"
    ).respond_with_json(
        {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"},
        status=404,
    )
    posts = openapi.response(
        "/posts.json",
        "get",
        latest_posts=[
            {
                "id": 4821,
                "topic_id": 912,
                "post_number": 5,
                "username": "camille_m",
                "raw": "Copie " + marker("reply-1"),
            },
            {
                "id": 4820,
                "topic_id": 912,
                "post_number": 4,
                "username": "system",
                "raw": "Bonjour\n\n" + marker("reply-1"),
            },
            {
                "id": 4819,
                "topic_id": 912,
                "post_number": 3,
                "username": "system",
                "raw": "Autre\n\n" + marker("reply-0"),
            },
        ],
    )
    httpserver.expect_oneshot_request("/posts.json").respond_with_json(posts)

    ref = forum.find_published("reply-1")

    assert ref.external_id == "4820"  # not the member's copy of the marker


def test_find_published_says_none_when_nothing_was_posted(httpserver, forum):
    httpserver.expect_oneshot_request(
        "/t/external_id/" + "comptoir-" + hashlib.sha256(b"k9").hexdigest()[:32] + ".json"
    ).respond_with_json({"errors": ["not found"]}, status=404)
    httpserver.expect_oneshot_request("/posts.json").respond_with_json(
        openapi.response("/posts.json", "get", latest_posts=[])
    )

    assert forum.find_published("k9") is None
