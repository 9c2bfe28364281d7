"""Fixtures of the delivery tests: a real local Mastodon peer (mastodon_mock), a workspace's channel on it, posts with
one version per channel, and the clock + worker run in-process (the real claim, the real enqueue, the real task)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from mastodon_mock.config import DatabaseConfig, MastodonMockConfig
from mastodon_mock.testing.seed import DEFAULT_TEST_SEED
from mastodon_mock.testing.server import MockServer

from comptoir.publishing import clock
from comptoir.publishing.models import Post, Variant
from comptoir.publishing.tasks import deliver_variants
from comptoir.workspaces.models import Channel

__all__ = ["mastodon_peer", "masto"]  # the fixtures; helpers are imported by name

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def mastodon_peer(tmp_path_factory):
    config = MastodonMockConfig(database=DatabaseConfig(path=":memory:"), seed=DEFAULT_TEST_SEED,
                                media_storage_path=str(tmp_path_factory.mktemp("mastodon-media")))
    try:
        server = MockServer(config=config).start()
    except (RuntimeError, TimeoutError) as exc:
        pytest.fail(f"mastodon_mock did not start: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def masto(mastodon_peer, settings):
    """The peer back to its seed (alice, bob, carol), loopback allowed (for this peer only: production refuses it)."""
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True
    mastodon_peer.reset()
    return mastodon_peer


def statuses_of(server, user: str = "alice") -> list[dict]:
    client = server.client(user)
    return client.account_statuses(client.me())


def mastodon_channel(workspace, server, *, user: str = "alice", token: str | None = None, network: str = "mastodon",
                     **config) -> Channel:
    channel = Channel(workspace=workspace, network=network, handle=f"@{user}@127.0.0.1-{network}",
                      config={"server": server if isinstance(server, str) else server.base_url, **config})
    channel.credentials = {"access_token": token or f"{user}_token"}
    channel.save()
    return channel


def make_post(workspace, *channels, text: str = "Atelier réparation samedi à 10 h", publish_at=None,
              late_after_minutes: int = 60) -> Post:
    post = Post.objects.create(workspace=workspace, title=text[:40], master_text=text,
                               publish_at=publish_at or T0 + dt.timedelta(hours=1),
                               late_after_minutes=late_after_minutes)
    for channel in channels:
        Variant.objects.create(post=post, channel=channel, network=channel.network)
    return post


def tick(django_capture_on_commit_callbacks) -> list[int]:
    """One pass of the delivery claimer, its tasks enqueued for real (on commit, in the database queue)."""
    with django_capture_on_commit_callbacks(execute=True):
        return clock.claim_due_variants()


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.ready().filter(queue_name="deliver").order_by("enqueued_at"))


def work(results: list[DBTaskResult] | None = None) -> list[dict]:
    """A worker runs the queued delivery tasks (or ``results``), as ``comptoir worker`` would."""
    done = []
    for result in results if results is not None else queued():
        args = result.args_kwargs["args"]
        done.append(deliver_variants.call(*args))
        DBTaskResult.objects.filter(pk=result.pk).update(status="SUCCESSFUL", finished_at=timezone.now())
    return done


def run_due(django_capture_on_commit_callbacks) -> list[dict]:
    tick(django_capture_on_commit_callbacks)
    return work()
