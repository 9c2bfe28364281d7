import email.utils
import time

import pytest
from werkzeug import Response

from comptoir.connectors.base import Action, AuthenticationFailed, ConnectorError, OutboundPost
from comptoir.connectors.discourse.client import DiscourseConnector

from .conftest import API_KEY

pytestmark = pytest.mark.peers


def test_429_with_retry_after_is_retryable_with_the_delay(httpserver, forum):
    httpserver.expect_oneshot_request("/posts/10.json", method="DELETE").respond_with_response(
        Response(
            '{"errors":["too many"]}',
            status=429,
            headers={"Retry-After": "5"},
            content_type="application/json",
        )
    )
    with pytest.raises(ConnectorError) as excinfo:
        forum.moderate(Action.DELETE, "10")
    assert excinfo.value.retryable
    assert excinfo.value.status == 429
    assert excinfo.value.retry_after == 5


def test_429_with_an_http_date_retry_after(httpserver, forum):
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    httpserver.expect_oneshot_request("/posts.json").respond_with_response(
        Response("{}", status=429, headers={"Retry-After": when}, content_type="application/json")
    )
    with pytest.raises(ConnectorError) as excinfo:
        forum.fetch({"categories": {}, "categories_at": "2999-01-01T00:00:00+00:00"})
    assert 100 < excinfo.value.retry_after <= 120


def test_429_without_header_uses_discourse_wait_seconds(httpserver, forum):
    httpserver.expect_oneshot_request("/posts.json").respond_with_json(
        {
            "errors": ["You’ve performed this action too many times."],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": 17, "time_left": "17 seconds"},
        },
        status=429,
    )
    with pytest.raises(ConnectorError) as excinfo:
        forum.fetch({"categories": {}, "categories_at": "2999-01-01T00:00:00+00:00"})
    assert excinfo.value.retry_after == 17


def test_server_errors_are_retryable_and_validation_errors_are_not(httpserver, forum):
    httpserver.expect_oneshot_request("/posts.json", method="GET").respond_with_data("oops", status=502)
    with pytest.raises(ConnectorError) as excinfo:
        forum.fetch({"categories": {}, "categories_at": "2999-01-01T00:00:00+00:00"})
    assert excinfo.value.retryable

    httpserver.expect_oneshot_request("/posts.json", method="POST").respond_with_json(
        {"action": "create_post", "errors": ["Title seems unclear, is it a complete sentence?"]}, status=422
    )
    with pytest.raises(ConnectorError) as excinfo:
        forum.publish(OutboundPost(text="x", title="aaaa"), "k")
    assert not excinfo.value.retryable
    assert "Title seems unclear" in excinfo.value.message


def test_a_401_asks_to_reconnect(httpserver, forum):
    httpserver.expect_oneshot_request("/posts.json").respond_with_data("", status=401)
    with pytest.raises(AuthenticationFailed):
        forum.fetch({"categories": {}, "categories_at": "2999-01-01T00:00:00+00:00"})


def test_an_html_page_instead_of_the_api_is_a_clear_error(httpserver, forum):
    httpserver.expect_oneshot_request("/posts.json").respond_with_data(
        "<!DOCTYPE html><html><body>Connexion requise</body></html>", content_type="text/html"
    )
    with pytest.raises(ConnectorError, match="did not answer like a Discourse API"):
        forum.fetch({"categories": {}, "categories_at": "2999-01-01T00:00:00+00:00"})


def test_an_oversized_answer_is_refused(httpserver, forum):
    httpserver.expect_oneshot_request("/posts.json").respond_with_data(
        b'{"latest_posts": [' + b" " * (6 * 1024 * 1024) + b"]}", content_type="application/json"
    )
    with pytest.raises(ConnectorError, match="larger than"):
        forum.fetch({"categories": {}, "categories_at": "2999-01-01T00:00:00+00:00"})


def test_hostile_field_types_do_not_break_a_poll(httpserver, forum):
    httpserver.expect_oneshot_request("/posts.json").respond_with_json(
        {
            "latest_posts": [
                {"id": "abc", "topic_id": 1},
                {
                    "id": 5,
                    "topic_id": 1,
                    "post_number": "x",
                    "cooked": 42,
                    "username": ["a"],
                    "reply_to_post_number": True,
                    "created_at": 12,
                    "actions_summary": "nope",
                    "avatar_template": None,
                },
                "not an object",
                {"id": True, "topic_id": 1},
            ]
        }
    )
    result = forum.fetch({"categories": {}, "categories_at": "2999-01-01T00:00:00+00:00", "last_post_id": 1})
    [item] = result.items
    assert item.external_id == "5"
    assert item.text == "" and item.author is None


@pytest.mark.parametrize("address", ["http://127.0.0.1:9", "http://169.254.169.254"])
def test_private_and_metadata_addresses_are_refused_by_default(settings, address):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    forum = DiscourseConnector(
        config={"base_url": address}, credentials={"api_key": API_KEY, "api_username": "system"}
    )
    with pytest.raises(ConnectorError) as excinfo:
        forum.fetch(None)
    assert not excinfo.value.retryable
    check = forum.check_connection()
    assert not check.ok


def test_the_metadata_address_is_refused_even_when_private_addresses_are_allowed():
    forum = DiscourseConnector(
        config={"base_url": "http://169.254.169.254"}, credentials={"api_key": API_KEY, "api_username": "s"}
    )
    with pytest.raises(ConnectorError, match="never"):
        forum.fetch(None)
