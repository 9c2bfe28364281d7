"""The stream's poll of an owned Matrix room long-polls while the worker has nothing else to do (real Synapse)."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.clock.tasks import prune_heartbeats
from comptoir.conftest import membership_of
from comptoir.stream import actions, tasks
from comptoir.stream.models import Item, Source
from comptoir.workspaces import actions as workspace_actions

pytestmark = pytest.mark.peers


@pytest.fixture
def room_channel(matrix, workspace, cm):
    channel = workspace_actions.do_connect_channel(
        membership_of(cm, workspace), network="matrix", handle=matrix.cm.user_id,
        config=matrix.connector.config, credentials=matrix.connector.credentials)
    tasks.poll_source.call(channel.source.pk)  # the first read takes the token
    return channel


def _say_later(synapse, matrix, body: str, after: float) -> threading.Thread:
    def say():
        time.sleep(after)
        synapse.say(matrix.member, matrix.room, body)

    thread = threading.Thread(target=say)
    thread.start()
    return thread


def test_a_message_posted_while_the_poll_waits_is_stored_by_that_poll(synapse, matrix, room_channel, settings):
    settings.COMPTOIR_LONG_POLL_SECONDS = 8
    posting = _say_later(synapse, matrix, "Le local est ouvert ce soir ?", after=1.5)

    started = time.monotonic()
    result = tasks.poll_source.call(room_channel.source.pk)
    elapsed = time.monotonic() - started
    posting.join()

    assert result["created"] == 1 and 1.0 <= elapsed < 6
    assert Item.objects.filter(channel=room_channel, text="Le local est ouvert ce soir ?").exists()


def test_the_poll_does_not_hold_the_worker_when_other_tasks_wait(matrix, room_channel, settings):
    settings.COMPTOIR_LONG_POLL_SECONDS = 8
    prune_heartbeats.enqueue()  # another task is waiting for a worker

    started = time.monotonic()
    assert tasks.poll_source.call(room_channel.source.pk)["created"] == 0
    assert time.monotonic() - started < 3


def test_the_wait_ends_when_another_read_is_due(matrix, room_channel, workspace, cm, settings):
    settings.COMPTOIR_LONG_POLL_SECONDS = 8
    feed = actions.do_add_source(membership_of(cm, workspace), network="rss", label="Le Progrès",
                                 config={"url": "https://presse.example/feed.xml"})
    Source.objects.filter(pk=feed.pk).update(next_poll_at=timezone.now() + timedelta(seconds=2))

    started = time.monotonic()
    assert tasks.poll_source.call(room_channel.source.pk)["created"] == 0
    assert 1.5 <= time.monotonic() - started < 4  # the worker is free again when the feed is due
