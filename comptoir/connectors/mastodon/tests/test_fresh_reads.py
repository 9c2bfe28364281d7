"""An owned Mastodon account is read every few seconds, within half of its rate limit (real mastodon_mock peer)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.connectors.mastodon.client import READ_REQUESTS_PER_SECOND, MastodonConnector
from comptoir.connectors.mastodon.tests.conftest import connector_for
from comptoir.stream import tasks
from comptoir.stream.models import Item, Source
from comptoir.workspaces import actions as workspace_actions

pytestmark = pytest.mark.peers


def test_a_plain_read_fits_the_fast_interval_and_hashtags_space_the_reads(masto):
    plain = connector_for(masto, "alice", account_id="1")
    assert plain.fetch(None).cursor.get("min_interval_seconds", 0) <= MastodonConnector.fast_poll_seconds

    tags = ["velo", "cyclisme", "comptoir", "asso", "lyon", "paris"]
    busy = connector_for(masto, "alice", account_id="1", hashtags=tags)
    # home + mentions + conversations + one timeline per hashtag, at most READ_REQUESTS_PER_SECOND.
    assert busy.fetch(None).cursor["min_interval_seconds"] >= (3 + len(tags)) / READ_REQUESTS_PER_SECOND


def test_a_channel_source_made_before_fast_reads_takes_the_fast_interval_at_its_next_poll(masto, workspace, cm):
    channel = workspace_actions.do_connect_channel(
        membership_of(cm, workspace), network="mastodon", handle="@alice@127.0.0.1",
        config={"server": masto.base_url, "handle": "@alice@127.0.0.1"}, credentials={"access_token": "alice_token"})
    Source.objects.filter(pk=channel.source.pk).update(poll_interval_seconds=300)  # as stored before
    masto.client("bob").status_post("@alice Bonjour, vous ouvrez samedi ?")

    before = timezone.now()
    assert tasks.poll_source.call(channel.source.pk)["created"] >= 1

    source = Source.objects.get(pk=channel.source.pk)
    assert source.poll_interval_seconds == MastodonConnector.fast_poll_seconds
    assert source.next_poll_at <= before + timedelta(seconds=MastodonConnector.fast_poll_seconds + 5)
    assert Item.objects.filter(source=source, text__contains="vous ouvrez samedi").exists()
