import datetime as dt
import json

import pytest
from werkzeug import Response

from comptoir.connectors.base import Action, ConnectorError, NotSupported

from . import openapi
from .conftest import AUTH

pytestmark = pytest.mark.peers


def capture(httpserver, path, method, answer=None):
    seen = []

    def handler(request):
        seen.append(request.get_json(silent=True))
        return Response(json.dumps(answer or {}), content_type="application/json")

    httpserver.expect_oneshot_request(path, method=method, headers=AUTH).respond_with_handler(handler)
    return seen


def test_hiding_a_post_flags_it_with_staff_take_action(httpserver, forum):
    answer = openapi.response("/post_actions.json", "post", id=4817, hidden=True)
    sent = capture(httpserver, "/post_actions.json", "POST", answer)

    forum.moderate(Action.HIDE, "4817", reason="spam")

    httpserver.check_assertions()
    [body] = sent
    openapi.check_request("/post_actions.json", "post", body, undocumented=("take_action",))
    assert body == {"id": 4817, "post_action_type_id": 4, "take_action": "true"}


def test_hiding_a_topic_unlists_it(httpserver, forum):
    sent = capture(
        httpserver, "/t/913/status.json", "PUT", openapi.response("/t/{id}/status.json", "put", success="OK")
    )

    forum.moderate(Action.HIDE, "topic:913")

    openapi.check_request("/t/{id}/status.json", "put", sent[0])
    assert sent[0] == {"status": "visible", "enabled": "false"}


def test_deleting_a_post_and_a_topic(httpserver, forum):
    httpserver.expect_oneshot_request("/posts/4817.json", method="DELETE", headers=AUTH).respond_with_data("")
    httpserver.expect_oneshot_request("/t/913.json", method="DELETE", headers=AUTH).respond_with_data("")

    forum.moderate(Action.DELETE, "4817")
    forum.moderate(Action.DELETE, "topic:913")

    httpserver.check_assertions()


def test_muting_silences_the_member_for_the_configured_days(httpserver, forum):
    sent = capture(httpserver, "/admin/users/211/silence.json", "PUT")

    forum.moderate(Action.MUTE, "211", reason="Insultes répétées")

    body = sent[0]
    openapi.check_request("/admin/users/{id}/silence.json", "put", body)
    assert body["reason"] == "Insultes répétées"
    until = dt.datetime.fromisoformat(body["silenced_till"])
    assert abs(until - (dt.datetime.now(dt.UTC) + dt.timedelta(days=7))) < dt.timedelta(minutes=1)


def test_banning_suspends_the_member_for_good_by_default(httpserver, forum):
    sent = capture(httpserver, "/admin/users/211/suspend.json", "PUT")

    forum.moderate(Action.BAN, "211")

    body = sent[0]
    openapi.check_request("/admin/users/{id}/suspend.json", "put", body)
    assert dt.date.fromisoformat(body["suspend_until"]).year >= dt.datetime.now(dt.UTC).year + 999
    assert body["reason"] == "Community guidelines not respected."


def test_a_ban_length_can_be_configured(httpserver, forum):
    forum.config["ban_days"] = 30
    sent = capture(httpserver, "/admin/users/211/suspend.json", "PUT")
    forum.moderate(Action.BAN, "211", reason="x")
    assert (
        dt.date.fromisoformat(sent[0]["suspend_until"])
        == (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date()
    )


def test_sanctions_refuse_targets_that_are_not_member_ids(forum):
    with pytest.raises(ConnectorError, match="not a Discourse member id"):
        forum.moderate(Action.BAN, "camille_m")
    with pytest.raises(ConnectorError, match="not a Discourse post id"):
        forum.moderate(Action.DELETE, "../admin")


def test_blocking_is_not_a_discourse_action(forum):
    with pytest.raises(NotSupported):
        forum.moderate(Action.BLOCK, "211")


def test_a_non_staff_account_gets_a_clear_refusal(httpserver, forum):
    httpserver.expect_oneshot_request("/posts/4817.json", method="DELETE").respond_with_json(
        {"errors": ["You are not permitted to view the requested resource."], "error_type": "invalid_access"},
        status=403,
    )
    with pytest.raises(ConnectorError) as excinfo:
        forum.moderate(Action.DELETE, "4817")
    assert not excinfo.value.retryable
    assert "moderator or admin" in excinfo.value.message
