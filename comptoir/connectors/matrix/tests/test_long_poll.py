"""An owned room is read with a /sync long-poll: a message posted during the wait comes back at once (real Synapse)."""

import threading
import time

import pytest

pytestmark = pytest.mark.peers


def _say_later(synapse, account, room: str, body: str, after: float) -> threading.Thread:
    def say():
        time.sleep(after)
        synapse.say(account, room, body)

    thread = threading.Thread(target=say)
    thread.start()
    return thread


def test_a_message_posted_during_the_wait_comes_back_at_once(synapse, matrix):
    cursor = matrix.connector.fetch(None).cursor
    matrix.connector.wait_seconds = 8
    posting = _say_later(synapse, matrix.member, matrix.room, "Bonjour, quelqu'un est là ?", after=1.5)

    started = time.monotonic()
    result = matrix.connector.fetch(cursor)
    waited = time.monotonic() - started
    posting.join()

    assert [i.text for i in result.items] == ["Bonjour, quelqu'un est là ?"]
    assert 1.0 <= waited < 5, f"the sync should end when the message arrives, not after the whole wait ({waited:.1f} s)"
    assert result.cursor["since"] != cursor["since"]


def test_the_wait_ends_after_its_bound_when_nothing_is_said(matrix):
    cursor = matrix.connector.fetch(None).cursor
    matrix.connector.wait_seconds = 1.5

    started = time.monotonic()
    result = matrix.connector.fetch(cursor)

    assert result.items == [] and 1.4 <= time.monotonic() - started < 5


def test_the_first_read_and_a_read_not_asked_to_wait_return_at_once(matrix):
    matrix.connector.wait_seconds = 0
    started = time.monotonic()
    cursor = matrix.connector.fetch(None).cursor
    assert matrix.connector.fetch(cursor).items == []
    matrix.connector.wait_seconds = 8
    fresh = type(matrix.connector)(config=matrix.connector.config, credentials=matrix.connector.credentials)
    fresh.wait_seconds = 8
    fresh.fetch(None)  # no token yet: the first read never waits
    assert time.monotonic() - started < 4


def test_a_long_wait_is_not_cut_by_the_request_timeout(synapse, matrix):
    connector = type(matrix.connector)(config={**matrix.connector.config, "timeout": 2},
                                       credentials=matrix.connector.credentials)
    cursor = connector.fetch(None).cursor
    connector.wait_seconds = 4
    posting = _say_later(synapse, matrix.member, matrix.room, "Toujours là", after=3)

    result = connector.fetch(cursor)
    posting.join()

    assert [i.text for i in result.items] == ["Toujours là"]
