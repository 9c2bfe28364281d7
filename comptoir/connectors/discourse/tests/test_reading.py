import datetime as dt

import pytest

from comptoir.connectors.base import ItemKind, get_connector_class
from comptoir.connectors.discourse.client import DiscourseConnector

from . import openapi
from .conftest import AUTH

pytestmark = pytest.mark.peers


def a_post(post_id, topic_id, post_number, **extra):
    """One entry of ``latest_posts`` as Discourse lists it (documented fields only)."""
    return {
        "id": post_id,
        "topic_id": topic_id,
        "post_number": post_number,
        "username": extra.pop("username", "camille_m"),
        "name": "Camille Martin",
        "user_id": 211,
        "avatar_template": "/user_avatar/forum.example.org/camille_m/{size}/1234_2.png",
        "created_at": "2026-03-02T08:41:27.114Z",
        "cooked": f"<p>Message {post_id}</p>",
        "topic_slug": "lappli-plante",
        "topic_title": "L’appli plante à l’ouverture des favoris",
        "category_id": 5,
        "post_type": 1,
        "reads": 4,
        "reply_count": 1,
        "post_url": f"/t/lappli-plante/{topic_id}/{post_number}",
        **extra,
    }


def serve_posts(httpserver, posts, query=None):
    body = openapi.response("/posts.json", "get", latest_posts=posts)
    httpserver.expect_oneshot_request(
        "/posts.json", method="GET", headers=AUTH, query_string=query
    ).respond_with_json(body)


def serve_categories(httpserver):
    body = openapi.response(
        "/categories.json",
        "get",
        category_list={
            "categories": [
                {"id": 5, "name": "Entraide", "slug": "entraide"},
                {"id": 7, "name": "Idées", "slug": "idees"},
            ]
        },
    )
    httpserver.expect_oneshot_request(
        "/categories.json", query_string="include_subcategories=true"
    ).respond_with_json(body)


def test_the_connector_is_registered():
    assert get_connector_class("discourse") is DiscourseConnector


def test_the_first_poll_takes_the_latest_page_oldest_first(httpserver, forum, forum_url):
    serve_categories(httpserver)
    serve_posts(
        httpserver,
        [
            a_post(
                103,
                912,
                3,
                reply_to_post_number="2",
                cooked="<p>Moi aussi <strong>pareil</strong></p><script>alert(1)</script>",
            ),
            a_post(102, 912, 2, username="sophie_cm", name="Sophie"),
            a_post(101, 912, 1),
        ],
    )

    result = forum.fetch(None)

    httpserver.check_assertions()
    assert [i.external_id for i in result.items] == ["101", "102", "103"]
    first, second, third = result.items
    assert first.kind == ItemKind.FORUM_POST
    assert first.title == "L’appli plante à l’ouverture des favoris"
    assert first.thread_external_id == "topic:912"
    assert first.parent_external_id == ""
    assert second.parent_external_id == "101"  # no reply_to: it answers the topic's first post
    assert third.parent_external_id == "102"  # reply_to_post_number 2
    assert third.text == "Moi aussi pareil"
    assert "<script" not in third.html and "<strong>pareil</strong>" in third.html
    assert first.url == f"{forum_url}/t/lappli-plante/912/1"
    assert first.published_at == dt.datetime(2026, 3, 2, 8, 41, 27, 114000, tzinfo=dt.UTC)
    assert first.author.handle == "camille_m"
    assert first.author.external_id == "211"
    assert first.author.url == f"{forum_url}/u/camille_m"
    assert first.author.avatar_url == f"{forum_url}/user_avatar/forum.example.org/camille_m/96/1234_2.png"
    assert first.raw["category"] == {"name": "Entraide", "slug": "entraide"}
    assert first.engagement["reads"] == 4
    assert result.cursor["last_post_id"] == 103
    assert not result.has_more


def test_a_later_poll_returns_only_new_posts(httpserver, forum):
    serve_posts(httpserver, [a_post(105, 912, 5), a_post(104, 912, 4), a_post(103, 912, 3)])
    cursor = {"last_post_id": 103, "categories": {}, "categories_at": dt.datetime.now(dt.UTC).isoformat()}

    result = forum.fetch(cursor)

    assert [i.external_id for i in result.items] == ["104", "105"]
    assert result.cursor["last_post_id"] == 105
    assert not result.has_more


def test_a_full_page_of_new_posts_pages_back_with_before(httpserver, forum):
    fresh = {"categories": {}, "categories_at": dt.datetime.now(dt.UTC).isoformat()}
    serve_posts(httpserver, [a_post(n, 930, n - 100) for n in range(130, 120, -1)])
    result = forum.fetch({**fresh, "last_post_id": 110})

    assert [i.external_id for i in result.items] == [str(n) for n in range(121, 131)]
    assert result.has_more
    assert result.cursor["before"] == 121

    serve_posts(httpserver, [a_post(n, 930, n - 100) for n in range(120, 105, -1)], query="before=121")
    result = forum.fetch(result.cursor)

    httpserver.check_assertions()
    assert [i.external_id for i in result.items] == [str(n) for n in range(111, 121)]
    assert not result.has_more
    assert result.cursor["last_post_id"] == 130
    assert "before" not in result.cursor


def test_parents_seen_in_an_earlier_poll_are_resolved(httpserver, forum):
    fresh = {"categories": {}, "categories_at": dt.datetime.now(dt.UTC).isoformat()}
    serve_posts(httpserver, [a_post(201, 950, 1), a_post(200, 949, 1)])
    cursor = forum.fetch({**fresh, "last_post_id": 199}).cursor
    serve_posts(
        httpserver,
        [a_post(205, 950, 4, reply_to_post_number="1"), a_post(204, 777, 2, reply_to_post_number="1")],
    )

    items = {i.external_id: i for i in forum.fetch(cursor).items}

    assert items["205"].parent_external_id == "201"
    assert items["204"].parent_external_id == ""  # topic 777's first post was never seen
    assert items["204"].raw["reply_to_post_number"] == 1


def test_categories_are_cached_for_a_day(httpserver, forum):
    serve_categories(httpserver)
    serve_posts(httpserver, [a_post(1, 1, 1)])
    cursor = forum.fetch(None).cursor
    serve_posts(httpserver, [a_post(2, 1, 2)])

    [item] = forum.fetch(cursor).items  # no second /categories.json expected

    httpserver.check_assertions()
    assert item.raw["category"]["name"] == "Entraide"


def test_small_actions_deleted_and_malformed_posts_are_skipped(httpserver, forum):
    fresh = {"categories": {}, "categories_at": dt.datetime.now(dt.UTC).isoformat(), "last_post_id": 1}
    serve_posts(
        httpserver,
        [
            a_post(9, 3, 4, post_type=3, cooked="<p>closed the topic</p>"),
            a_post(8, 3, 3, deleted_at="2026-03-02T09:00:00.000Z"),
            a_post(7, 3, 2, created_at="pas une date", cooked="<p>ok</p>", reply_to_post_number=None),
        ],
    )

    [item] = forum.fetch(fresh).items

    assert item.external_id == "7"
    assert item.published_at is None


def test_topics_mode_reads_new_topics_from_latest(httpserver, forum_url):
    forum = DiscourseConnector(
        config={"base_url": forum_url, "mode": "topics"},
        credentials={"api_key": AUTH["Api-Key"], "api_username": "system"},
    )
    body = openapi.response(
        "/latest.json",
        "get",
        users=[
            {"id": 305, "username": "hugo.l", "name": "Hugo Lefebvre", "avatar_template": "/a/{size}.png"}
        ],
        topic_list={
            "topics": [
                {
                    "id": 913,
                    "title": "Proposition : un mode sombre",
                    "slug": "proposition-un-mode-sombre",
                    "created_at": "2026-03-02T10:02:11.530Z",
                    "category_id": 7,
                    "archetype": "regular",
                    "views": 12,
                    "reply_count": 2,
                    "like_count": 3,
                    "posters": [
                        {
                            "extras": "latest",
                            "description": "Original Poster, Most Recent Poster",
                            "user_id": 305,
                        }
                    ],
                },
                {"id": 900, "title": "Ancien sujet", "slug": "ancien", "archetype": "regular"},
            ]
        },
    )
    httpserver.expect_oneshot_request(
        "/latest.json", query_string="order=created", headers=AUTH
    ).respond_with_json(body)
    cursor = {
        "categories": {"7": {"name": "Idées", "slug": "idees"}},
        "categories_at": dt.datetime.now(dt.UTC).isoformat(),
        "last_topic_id": 900,
    }

    result = forum.fetch(cursor)

    [item] = result.items
    assert item.external_id == "topic:913"
    assert item.thread_external_id == "topic:913"
    assert item.title == item.text == "Proposition : un mode sombre"
    assert item.author.handle == "hugo.l"
    assert item.url == f"{forum_url}/t/proposition-un-mode-sombre/913"
    assert item.raw["category"]["name"] == "Idées"
    assert item.engagement == {"replies": 2, "views": 12, "likes": 3}
    assert result.cursor["last_topic_id"] == 913


def test_check_connection_names_the_account_and_its_staff_status(httpserver, forum):
    body = openapi.response(
        "/u/{username}.json", "get", user={"id": -1, "username": "system", "admin": True, "moderator": True}
    )
    httpserver.expect_oneshot_request("/u/system.json", headers=AUTH).respond_with_json(body)

    check = forum.check_connection()

    assert check.ok
    assert check.account == "system"
    assert "staff" in check.message


def test_check_connection_warns_when_the_account_cannot_moderate(httpserver, forum):
    body = openapi.response(
        "/u/{username}.json", "get", user={"id": 12, "username": "system", "admin": False, "moderator": False}
    )
    httpserver.expect_oneshot_request("/u/system.json").respond_with_json(body)

    check = forum.check_connection()

    assert check.ok
    assert "not staff" in check.message


def test_check_connection_reports_a_refused_key(httpserver, forum):
    httpserver.expect_oneshot_request("/u/system.json").respond_with_json(
        {
            "errors": [
                "You are not permitted to view the requested resource. The API username or key is invalid."
            ],
            "error_type": "invalid_access",
        },
        status=403,
    )

    check = forum.check_connection()

    assert not check.ok
    assert "API key" in check.message


def test_integer_reply_numbers_as_live_forums_send_them_are_understood(httpserver, forum):
    # The OpenAPI description types reply_to_post_number as a string; Discourse sends an integer.
    posts = [a_post(302, 960, 2, reply_to_post_number=1), a_post(301, 960, 1)]
    httpserver.expect_oneshot_request("/posts.json").respond_with_json({"latest_posts": posts})

    items = forum.fetch(
        {"categories": {}, "categories_at": dt.datetime.now(dt.UTC).isoformat(), "last_post_id": 300}
    ).items

    assert items[1].parent_external_id == "301"
    assert items[1].raw["reply_to_post_number"] == 1
