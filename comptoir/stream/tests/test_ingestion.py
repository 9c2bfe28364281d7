from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.members.models import Identity
from comptoir.stream import actions, clock, tasks
from comptoir.stream.models import Item, Source
from comptoir.workspaces.models import AuditEvent

FEEDS = Path(__file__).resolve().parents[2] / "connectors" / "rss" / "tests" / "data"


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True
    settings.COMPTOIR_HOST_MIN_INTERVAL_SECONDS = 0  # every test server is 127.0.0.1


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.fixture
def feed_source(workspace, cm, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data((FEEDS / "french_news.xml").read_bytes(),
                                                             content_type="application/rss+xml")
    return actions.do_add_source(membership_of(cm, workspace), network="rss", label="Le Progrès",
                                 config={"url": httpserver.url_for("/feed.xml")})


def test_polling_a_feed_stores_its_articles_once(feed_source):
    first = tasks.poll_source.call(feed_source.pk)
    assert first["created"] > 0
    items = Item.objects.filter(source=feed_source)
    assert items.count() == first["created"]
    assert all(i.kind == "article" and i.workspace_id == feed_source.workspace_id for i in items)
    again = tasks.poll_source.call(feed_source.pk)
    assert again["created"] == 0
    assert Item.objects.filter(source=feed_source).count() == first["created"]
    feed_source.refresh_from_db()
    assert feed_source.status == Source.Status.OK and feed_source.consecutive_failures == 0
    assert feed_source.next_poll_at > timezone.now()


def test_authors_become_identities_shared_by_their_items(feed_source):
    tasks.poll_source.call(feed_source.pk)
    authored = Item.objects.filter(source=feed_source, author__isnull=False)
    if authored.exists():
        assert Identity.objects.filter(workspace=feed_source.workspace).count() <= authored.count()


def test_a_failing_source_backs_off_and_shows_why(workspace, cm, httpserver):
    httpserver.expect_request("/down.xml").respond_with_data("oops", status=503)
    source = actions.do_add_source(membership_of(cm, workspace), network="rss", label="En panne",
                                   config={"url": httpserver.url_for("/down.xml")})
    tasks.poll_source.call(source.pk)
    source.refresh_from_db()
    first_wait = source.next_poll_at - timezone.now()
    assert source.status == Source.Status.FAILING and source.last_error and source.consecutive_failures == 1
    tasks.poll_source.call(source.pk)
    source.refresh_from_db()
    assert source.consecutive_failures == 2
    assert source.next_poll_at - timezone.now() > first_wait  # exponential: it waits longer each time
    assert source.backoff() <= Source.MAX_BACKOFF


def test_what_was_stored_survives_a_later_failure(feed_source, httpserver):
    created = tasks.poll_source.call(feed_source.pk)["created"]
    httpserver.clear()
    httpserver.expect_request("/feed.xml").respond_with_data("", status=500)
    tasks.poll_source.call(feed_source.pk)
    assert Item.objects.filter(source=feed_source).count() == created
    feed_source.refresh_from_db()
    assert feed_source.status == Source.Status.FAILING


def test_the_clock_claims_due_sources_once(feed_source):
    assert clock.claim_due_sources() == [feed_source.pk]
    assert clock.claim_due_sources() == []
    feed_source.refresh_from_db()
    assert feed_source.next_poll_at > timezone.now() + timedelta(minutes=5)  # leased, comes back if the worker dies


def test_a_paused_source_is_not_claimed(feed_source, workspace, cm):
    actions.do_set_source_paused(membership_of(cm, workspace), feed_source, True)
    assert clock.claim_due_sources() == []
    assert AuditEvent.objects.filter(action="source.status").exists()


def test_a_hostile_feed_stores_nothing_and_says_why(workspace, cm, httpserver):
    httpserver.expect_request("/evil.xml").respond_with_data((FEEDS / "billion_laughs.xml").read_bytes(),
                                                             content_type="application/rss+xml")
    source = actions.do_add_source(membership_of(cm, workspace), network="rss", label="Piège",
                                   config={"url": httpserver.url_for("/evil.xml")})
    tasks.poll_source.call(source.pk)
    source.refresh_from_db()
    assert not Item.objects.filter(source=source).exists()
    assert source.status == Source.Status.FAILING and source.last_error


def test_a_loopback_feed_is_refused_in_production_mode(workspace, cm, httpserver, settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    source = Source.objects.create(workspace=workspace, network="rss", label="Interne",
                                   config={"url": "http://169.254.169.254/latest/meta-data/"})
    tasks.poll_source.call(source.pk)
    source.refresh_from_db()
    assert source.status == Source.Status.FAILING and not source.items.exists()


def test_two_sources_on_one_host_are_spaced_across_workers(workspace, cm, httpserver, settings):
    settings.COMPTOIR_HOST_MIN_INTERVAL_SECONDS = 60
    httpserver.expect_request("/a.xml").respond_with_data((FEEDS / "french_news.xml").read_bytes())
    httpserver.expect_request("/b.xml").respond_with_data((FEEDS / "wordpress.xml").read_bytes())
    member = membership_of(cm, workspace)
    first = actions.do_add_source(member, network="rss", label="A", config={"url": httpserver.url_for("/a.xml")})
    second = actions.do_add_source(member, network="rss", label="B", config={"url": httpserver.url_for("/b.xml")})
    assert tasks.poll_source.call(first.pk)["created"] > 0
    result = tasks.poll_source.call(second.pk)
    assert result["throttled"] > 50
    second.refresh_from_db()
    assert second.status == Source.Status.NEW and second.consecutive_failures == 0
    assert second.next_poll_at > timezone.now() + timedelta(seconds=50)
    assert len(httpserver.log) == 1  # the second site request was never sent


def test_the_host_slot_is_taken_once(db):
    from comptoir.stream.throttle import acquire

    assert acquire("example.org", 30) == timedelta(0)
    assert acquire("example.org", 30) > timedelta(seconds=25)
    assert acquire("other.example", 30) == timedelta(0)
    assert acquire("", 30) == timedelta(0)


def test_a_connected_channel_gets_a_scheduled_source_and_pushed_ones_are_never_polled(workspace, cm):
    from comptoir.workspaces import actions as workspace_actions

    member = membership_of(cm, workspace)
    feed = workspace_actions.do_connect_channel(member, network="rss", handle="https://blog.example/feed",
                                                config={"url": "https://blog.example/feed"}, credentials={})
    hook = workspace_actions.do_connect_channel(member, network="webhook", handle="Formulaire",
                                                config={"name": "Formulaire"}, credentials={"secret": "s" * 40})
    csv = workspace_actions.do_connect_channel(member, network="csv", handle="Export", config={}, credentials={})
    assert feed.source.next_poll_at is not None
    assert hook.source.next_poll_at is None and csv.source.next_poll_at is None
    assert clock.claim_due_sources() == [feed.source.pk]
