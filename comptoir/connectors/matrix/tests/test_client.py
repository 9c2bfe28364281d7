"""The Matrix connector against a real local Synapse."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import httpx
import pytest
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
from comptoir.connectors.matrix.client import MARKER, PROBE_SECONDS, MatrixConnector, marker
from comptoir.connectors.matrix.forms import ConnectForm
from comptoir.connectors.testing import ResponseDroppingProxy

pytestmark = pytest.mark.peers


def connector(synapse, account, rooms, **config):
    return MatrixConnector(
        config={"homeserver": synapse.url, "user_id": account.user_id, "rooms": rooms, **config},
        credentials={"access_token": account.access_token},
    )


def test_it_is_registered_under_its_network_name():
    assert get_connector_class("matrix") is MatrixConnector


def test_it_checks_the_token_and_the_rooms(matrix, synapse):
    check = matrix.connector.check_connection()

    assert check.ok, check.message
    assert check.account == matrix.cm.user_id
    assert matrix.cm.user_id in check.message


def test_it_joins_a_room_it_was_invited_to_and_explains_one_it_cannot_join(matrix, synapse):
    invited = synapse.create_room(matrix.member)
    synapse.api(matrix.member, "POST", f"/rooms/{invited}/invite", json={"user_id": matrix.cm.user_id})
    closed = synapse.create_room(matrix.member)

    assert connector(synapse, matrix.cm, [invited]).check_connection().ok
    assert synapse.membership(matrix.member, invited, matrix.cm.user_id) == "join"
    check = connector(synapse, matrix.cm, [matrix.room, closed]).check_connection()
    assert not check.ok
    assert closed in check.message and "Invite" in check.message


def test_a_bad_token_is_refused_with_a_reason(matrix, synapse):
    bad = MatrixConnector(
        config={"homeserver": synapse.url, "user_id": matrix.cm.user_id, "rooms": [matrix.room]},
        credentials={"access_token": "syt_not_a_token"},
    )

    check = bad.check_connection()

    assert not check.ok
    assert "token" in check.message
    with pytest.raises(AuthenticationFailed):
        bad.fetch(None)


def test_a_loopback_homeserver_is_refused_unless_private_targets_are_allowed(matrix, settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False

    check = matrix.connector.check_connection()

    assert not check.ok
    assert "private" in check.message
    with pytest.raises(ConnectorError) as caught:
        matrix.connector.publish(OutboundPost(text="Bonjour"), "k-private")
    assert not caught.value.retryable


@pytest.mark.parametrize("homeserver", ["javascript:alert(1)", "matrix.org", "https://", "", None, ["x"]])
def test_an_invalid_homeserver_address_is_refused_with_a_reason(homeserver):
    check = MatrixConnector(config={"homeserver": homeserver, "rooms": ["!a:b"]}, credentials={"access_token": "x"}).check_connection()

    assert not check.ok
    assert "homeserver" in check.message


def test_a_homeserver_typed_without_its_scheme_gets_an_answer_within_seconds(matrix, synapse):
    # The form adds https:// to what was typed; this homeserver speaks plain http on that port, so the
    # TLS handshake never ends (it used to wait out the whole 15 s, then say "try again later").
    form = ConnectForm(data={"homeserver": synapse.url.removeprefix("http://"), "user_id": matrix.cm.user_id,
                             "access_token": matrix.cm.access_token, "rooms": matrix.room, "reply_style": "thread"})
    assert form.is_valid(), form.errors
    started = time.monotonic()

    check = MatrixConnector(config=form.get_config(), credentials=form.get_credentials()).check_connection()

    assert time.monotonic() - started < PROBE_SECONDS + 3
    assert not check.ok
    assert "answers over plain http" in check.message and f"e.g. {synapse.url}" in check.message
    assert connector(synapse, matrix.cm, [matrix.room]).check_connection().ok  # written with http://, it works


def test_it_publishes_reads_back_replies_in_the_thread_and_moderates(matrix, synapse):
    cm = matrix.connector
    first = cm.fetch(None)
    json.dumps(first.cursor)

    post = cm.publish(OutboundPost(text="Bienvenue !\nLa charte : https://example.org/charte <b>lisez-la</b>"), "post-1")
    assert post.external_id.startswith(f"{matrix.room}/$")
    assert post.url.startswith("https://matrix.to/#/")

    batch = cm.fetch(first.cursor)
    mine = {i.external_id: i for i in batch.items}[post.external_id]
    assert mine.kind == ItemKind.POST
    assert mine.text == "Bienvenue !\nLa charte : https://example.org/charte <b>lisez-la</b>"
    assert '<a href="https://example.org/charte"' in mine.html
    assert "<b>" not in mine.html  # the text was escaped, not interpreted
    assert mine.author.handle == matrix.cm.user_id
    assert mine.published_at.utcoffset() == dt.timedelta(0)
    json.dumps(mine.raw)

    # the member answers in a thread, from their own client
    root_event = post.external_id.split("/", 1)[1]
    answer_event = synapse.say(
        matrix.member, matrix.room, "Merci ! Une question sur la charte",
        **{"m.relates_to": {"rel_type": "m.thread", "event_id": root_event, "is_falling_back": True,
                            "m.in_reply_to": {"event_id": root_event}}},
    )
    later = cm.fetch(batch.cursor)
    assert [i.external_id for i in later.items] == [f"{matrix.room}/{answer_event}"]
    answer = later.items[0]
    assert answer.kind == ItemKind.REPLY
    assert answer.thread_external_id == post.external_id
    assert answer.parent_external_id == post.external_id
    assert answer.author.handle == matrix.member.user_id

    # the CM answers in the same thread
    reply = cm.reply(answer.external_id, "Bien sûr, je vous écoute.", "reply-1")
    event = synapse.api(matrix.member, "GET", f"/rooms/{matrix.room}/event/{reply.external_id.split('/', 1)[1]}")
    relation = event["content"]["m.relates_to"]
    assert relation["rel_type"] == "m.thread"
    assert relation["event_id"] == root_event
    assert relation["m.in_reply_to"] == {"event_id": answer_event}
    assert relation["is_falling_back"] is False
    assert event["content"]["m.mentions"] == {"user_ids": [matrix.member.user_id]}

    # moderation: remove a message, then ban its author
    spam = synapse.say(matrix.member, matrix.room, "achetez mes cryptos !!!")
    cm.moderate(Action.DELETE, f"{matrix.room}/{spam}", reason="spam")
    assert synapse.api(matrix.cm, "GET", f"/rooms/{matrix.room}/event/{spam}")["content"] == {}

    cm.moderate(Action.BAN, f"{matrix.room}/{matrix.member.user_id}", reason="spam répété")
    assert synapse.membership(matrix.cm, matrix.room, matrix.member.user_id) == "ban"
    with pytest.raises(httpx.HTTPStatusError):
        synapse.api(matrix.member, "POST", f"/join/{matrix.room}", json={})


def test_a_reply_can_quote_instead_of_opening_a_thread(matrix, synapse):
    question = synapse.say(matrix.member, matrix.room, "Horaires ?")
    quoting = connector(synapse, matrix.cm, [matrix.room], reply_style="reply")

    reply = quoting.reply(f"{matrix.room}/{question}", "9 h – 18 h", "r-quote")

    event = synapse.api(matrix.cm, "GET", f"/rooms/{matrix.room}/event/{reply.external_id.split('/', 1)[1]}")
    assert event["content"]["m.relates_to"] == {"m.in_reply_to": {"event_id": question}}
    item = quoting.fetch(None).items[-1]
    assert item.kind == ItemKind.REPLY
    assert item.parent_external_id == f"{matrix.room}/{question}"


def test_kick_removes_without_banning(matrix, synapse):
    matrix.connector.kick(matrix.member.user_id, reason="calmez-vous")

    assert synapse.membership(matrix.cm, matrix.room, matrix.member.user_id) == "leave"


def test_a_second_read_returns_only_what_is_new_even_after_a_busy_hour(matrix, synapse):
    first = matrix.connector.fetch(None)
    assert matrix.connector.fetch(first.cursor).items == []

    sent = [synapse.say(matrix.member, matrix.room, f"message {n}") for n in range(60)]
    later = matrix.connector.fetch(first.cursor)

    assert [i.text for i in later.items] == [f"message {n}" for n in range(60)]
    assert [i.external_id for i in later.items] == [f"{matrix.room}/{e}" for e in sent]


def test_rooms_can_be_named_by_alias(matrix, synapse):
    alias_room = synapse.create_room(matrix.cm, alias=f"accueil-{matrix.cm.user_id[3:11]}")
    alias = f"#accueil-{matrix.cm.user_id[3:11]}:localhost"
    by_alias = connector(synapse, matrix.cm, [alias])

    ref = by_alias.publish(OutboundPost(text="Salut"), "alias-1")

    assert ref.external_id.startswith(f"{alias_room}/$")
    assert [i.text for i in by_alias.fetch(None).items] == ["Salut"]


def test_the_same_key_sends_once_and_can_be_found(matrix):
    first = matrix.connector.publish(OutboundPost(text="Une seule fois"), "once")
    second = matrix.connector.publish(OutboundPost(text="Une seule fois"), "once")

    assert second.external_id == first.external_id
    assert matrix.connector.find_published("once").external_id == first.external_id
    assert matrix.connector.find_published("never-sent") is None
    assert [i.text for i in matrix.connector.fetch(None).items] == ["Une seule fois"]
    assert first.raw["content"][MARKER] == marker("once")


def test_a_lost_answer_is_an_unknown_outcome_and_a_retry_with_the_key_sends_nothing_new(matrix, synapse):
    proxy = ResponseDroppingProxy(int(synapse.url.rsplit(":", 1)[1]))
    through_proxy = connector(synapse, matrix.cm, [matrix.room], homeserver=f"http://127.0.0.1:{proxy.port}")

    with pytest.raises(OutcomeUnknown):
        through_proxy.publish(OutboundPost(text="Réponse perdue"), "lost-1")
    proxy.thread.join(5)

    found = matrix.connector.find_published("lost-1")
    assert found is not None
    assert matrix.connector.publish(OutboundPost(text="Réponse perdue"), "lost-1").external_id == found.external_id
    assert [i.text for i in matrix.connector.fetch(None).items] == ["Réponse perdue"]


def test_a_server_error_is_retryable(httpserver):
    httpserver.expect_request("/_matrix/client/v3/sync").respond_with_response(
        Response("<html>Bad gateway</html>", status=503, headers={"Retry-After": "30"})
    )
    broken = MatrixConnector(
        config={"homeserver": httpserver.url_for("/").rstrip("/"), "user_id": "@cm:localhost", "rooms": ["!r:localhost"]},
        credentials={"access_token": "t"},
    )

    with pytest.raises(ConnectorError) as caught:
        broken.fetch(None)

    assert caught.value.retryable
    assert caught.value.status == 503
    assert caught.value.retry_after == 30


def test_a_rate_limit_is_retryable_after_the_given_delay(httpserver):
    httpserver.expect_request("/_matrix/client/v3/sync").respond_with_json(
        {"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 2500}, status=429
    )
    limited = MatrixConnector(
        config={"homeserver": httpserver.url_for("/").rstrip("/"), "user_id": "@cm:localhost", "rooms": ["!r:localhost"]},
        credentials={"access_token": "t"},
    )

    with pytest.raises(ConnectorError) as caught:
        limited.fetch(None)

    assert caught.value.retryable
    assert caught.value.retry_after == 2.5


def test_a_redirecting_homeserver_is_not_followed(httpserver):
    httpserver.expect_request("/_matrix/client/v3/account/whoami").respond_with_response(
        Response("", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    redirected = MatrixConnector(
        config={"homeserver": httpserver.url_for("/").rstrip("/"), "rooms": ["!r:localhost"]},
        credentials={"access_token": "t"},
    )

    check = redirected.check_connection()

    assert not check.ok
    assert "redirected" in check.message


def test_text_over_the_limit_is_refused_before_sending(matrix):
    with pytest.raises(ConnectorError) as caught:
        matrix.connector.publish(OutboundPost(text="a" * 16_001), "too-long")

    assert "16001" in caught.value.message.replace("\u202f", "").replace(",", "")
    assert not caught.value.retryable
    assert matrix.connector.fetch(None).items == []


def test_what_matrix_cannot_carry_is_refused_before_sending(matrix):
    with pytest.raises(NotSupported):
        matrix.connector.publish(OutboundPost(text="Attention", content_warning="spoiler"), "cw")
    with pytest.raises(NotSupported):
        matrix.connector.publish(OutboundPost(text="Photo", media=(OutboundMedia("a.png", "image/png", b"x"),)), "m")
    with pytest.raises(NotSupported):
        matrix.connector.moderate(Action.BLOCK, matrix.member.user_id)
    assert matrix.connector.fetch(None).items == []


def slow(seconds):
    def handler(request):
        time.sleep(seconds)
        return Response("{}", status=200, content_type="application/json")

    return handler


def test_a_timeout_after_sending_is_an_unknown_outcome(httpserver):
    httpserver.expect_request(re.compile(r"/_matrix/client/v3/rooms/.*/send/.*"), method="PUT").respond_with_handler(slow(1.5))
    hanging = MatrixConnector(
        config={"homeserver": httpserver.url_for("/").rstrip("/"), "rooms": ["!r:localhost"], "timeout": 0.5},
        credentials={"access_token": "t"},
    )

    with pytest.raises(OutcomeUnknown):
        hanging.publish(OutboundPost(text="Bonjour"), "k-slow")


def test_a_timeout_while_reading_is_retryable_not_unknown(httpserver):
    httpserver.expect_request("/_matrix/client/v3/sync").respond_with_handler(slow(1.5))
    hanging = MatrixConnector(
        config={"homeserver": httpserver.url_for("/").rstrip("/"), "rooms": ["!r:localhost"], "timeout": 0.5},
        credentials={"access_token": "t"},
    )

    with pytest.raises(ConnectorError) as caught:
        hanging.fetch(None)

    assert caught.value.retryable
    assert not isinstance(caught.value, OutcomeUnknown)
