"""A community manager connects a Discourse forum through the connect page, against a server shaped on its OpenAPI."""

import pytest
from playwright.sync_api import expect

from comptoir.connectors.testing import check_then_connect, open_connect_page
from comptoir.stream import tasks
from comptoir.stream.models import Item
from comptoir.workspaces.models import Channel

from . import openapi
from .conftest import API_KEY, AUTH
from .test_reading import a_post

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def forum(httpserver):
    user = openapi.response("/u/{username}.json", "get",
                            user={"id": -1, "username": "system", "admin": True, "moderator": True})
    httpserver.expect_request("/u/system.json", headers=AUTH).respond_with_json(user)
    categories = openapi.response("/categories.json", "get",
                                  category_list={"categories": [{"id": 5, "name": "Entraide", "slug": "entraide"}]})
    httpserver.expect_request("/categories.json", headers=AUTH).respond_with_json(categories)
    posts = openapi.response("/posts.json", "get", latest_posts=[a_post(302, 960, 2), a_post(301, 960, 1)])
    httpserver.expect_request("/posts.json", headers=AUTH).respond_with_json(posts)
    return httpserver.url_for("/").rstrip("/")


def test_a_discourse_forum_connects_through_the_form_and_its_posts_are_read(page, forum, workspace, cm):
    open_connect_page(page, cm, "discourse")
    page.get_by_label("Adresse du forum").fill(forum)
    expect(page.get_by_label("Nom d'utilisateur de l'API")).to_have_value("system")
    page.get_by_label("Clé d'API").fill(API_KEY)
    expect(page.get_by_label("Contenus à suivre")).to_have_value("posts")

    check_then_connect(page, "system")

    expect(page.get_by_test_id("channels")).to_contain_text("system@127.0.0.1")
    channel = Channel.objects.get(network="discourse")
    assert channel.config["base_url"] == forum and channel.config["mode"] == "posts"
    assert channel.credentials == {"api_key": API_KEY, "api_username": "system"}
    # What the connector then reads: every post of the forum's latest posts.
    assert "error" not in tasks.poll_source.call(channel.source.pk)
    assert set(Item.objects.filter(channel=channel).values_list("external_id", flat=True)) == {"301", "302"}
