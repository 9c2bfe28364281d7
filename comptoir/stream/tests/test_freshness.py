"""Owned channels are read fast where their network allows it; listening sources keep their polite intervals."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comptoir.conftest import membership_of
from comptoir.connectors.testing import free_port
from comptoir.stream import actions, clock, tasks
from comptoir.stream.models import Source
from comptoir.workspaces import actions as workspace_actions


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True


def _connect(cm, workspace, network: str, handle: str, config: dict, credentials: dict):
    return workspace_actions.do_connect_channel(membership_of(cm, workspace), network=network, handle=handle,
                                                config=config, credentials=credentials)


def test_owned_channels_are_read_fast_where_the_network_allows_it_and_listening_sources_keep_their_interval(
        workspace, cm):
    mastodon = _connect(cm, workspace, "mastodon", "@asso@mastodon.example",
                        {"server": "https://mastodon.example"}, {"access_token": "t"})
    matrix = _connect(cm, workspace, "matrix", "@asso:matrix.example",
                      {"homeserver": "https://matrix.example", "user_id": "@asso:matrix.example",
                       "rooms": ["!r:matrix.example"]}, {"access_token": "t"})
    blog = _connect(cm, workspace, "rss", "https://blog.example/feed", {"url": "https://blog.example/feed"}, {})
    listening = actions.do_add_source(membership_of(cm, workspace), network="rss", label="Le Progrès",
                                      config={"url": "https://presse.example/feed.xml"})

    assert mastodon.source.poll_interval_seconds == 10
    assert matrix.source.poll_interval_seconds == 5  # the read itself long-polls in between
    assert blog.source.poll_interval_seconds == 300
    assert listening.poll_interval_seconds == 300


def test_the_clock_claims_a_source_due_before_its_next_tick_and_runs_it_on_time(
        workspace, cm, settings, django_capture_on_commit_callbacks):
    settings.COMPTOIR_CLOCK_INTERVAL_SECONDS = 5
    member = membership_of(cm, workspace)
    soon = actions.do_add_source(member, network="rss", label="Bientôt", config={"url": "https://a.example/f"})
    later = actions.do_add_source(member, network="rss", label="Plus tard", config={"url": "https://b.example/f"})
    at = timezone.now() + timedelta(seconds=3)
    Source.objects.filter(pk=soon.pk).update(next_poll_at=at)
    Source.objects.filter(pk=later.pk).update(next_poll_at=timezone.now() + timedelta(seconds=60))

    with django_capture_on_commit_callbacks(execute=True):
        assert clock.claim_due_sources() == [soon.pk]

    queued = DBTaskResult.objects.get(args_kwargs__args=[soon.pk])
    assert queued.run_after == at  # waits for its time, instead of being read one tick late


def test_a_failing_fast_channel_waits_before_trying_again(workspace, cm):
    channel = _connect(cm, workspace, "mastodon", "@asso@127.0.0.1",
                       {"server": f"http://127.0.0.1:{free_port()}", "account_id": "1", "timeout": 2},
                       {"access_token": "t"})

    assert "error" in tasks.poll_source.call(channel.source.pk)

    channel.source.refresh_from_db()
    assert channel.source.next_poll_at >= timezone.now() + tasks.MIN_FAILURE_WAIT - timedelta(seconds=1)
