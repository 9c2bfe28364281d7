from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from werkzeug import Response

from comptoir.conftest import membership_of
from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.members.models import Identity
from comptoir.stream import actions, clock, tasks
from comptoir.stream.ingest import store_fetched
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


def test_a_feeds_author_becomes_an_identity_of_the_workspace(feed_source):
    tasks.poll_source.call(feed_source.pk)
    authored = Item.objects.filter(source=feed_source, author__isnull=False).select_related("author")
    assert [(i.author.network, i.author.display_name) for i in authored] == [("rss", "Claire Dumas")]
    assert Identity.objects.filter(workspace=feed_source.workspace).count() == 1


def test_authors_become_identities_shared_by_their_items_in_their_workspace_only(workspace, other_workspace):
    source = Source.objects.create(workspace=workspace, network="rss", label="Forum")
    jean_d = Author("rss", "jean", "Jean D.", url="https://forum.example/u/jean")
    store_fetched(source, [
        FetchedItem("1", ItemKind.COMMENT, "Premier", jean_d),
        FetchedItem("2", ItemKind.COMMENT, "Second", jean_d),
        FetchedItem("3", ItemKind.REPLY, "Réponse", Author("mastodon", "lea@piaille.fr", "Léa")),
        FetchedItem("4", ItemKind.COMMENT, "Sans auteur"),
    ])
    identities = Identity.objects.filter(workspace=workspace)
    assert sorted(identities.values_list("network", "handle", "display_name")) == [
        ("mastodon", "lea@piaille.fr", "Léa"), ("rss", "jean", "Jean D.")]
    items = {i.external_id: i for i in Item.objects.filter(source=source)}
    jean = identities.get(handle="jean")
    assert items["1"].author == items["2"].author == jean and jean.url == "https://forum.example/u/jean"
    assert items["3"].author.handle == "lea@piaille.fr" and items["4"].author is None

    store_fetched(source, [FetchedItem("5", ItemKind.COMMENT, "Encore moi", Author("rss", "jean"))])
    assert identities.count() == 2 and Item.objects.get(source=source, external_id="5").author == jean
    elsewhere = Source.objects.create(workspace=other_workspace, network="rss", label="Ailleurs")
    store_fetched(elsewhere, [FetchedItem("1", ItemKind.COMMENT, "Homonyme", Author("rss", "jean"))])
    assert Item.objects.get(source=elsewhere).author.workspace == other_workspace
    assert identities.count() == 2


def _queued_analyses() -> list[list[int]]:
    rows = DBTaskResult.objects.filter(task_path="comptoir.stream.tasks.analyse_items").order_by("enqueued_at")
    return [r.args_kwargs["args"][0] for r in rows]


def test_new_items_go_to_understanding_once_committed_in_batches(workspace, django_capture_on_commit_callbacks):
    source = Source.objects.create(workspace=workspace, network="rss", label="Forum")
    fetched = [FetchedItem(f"m{n}", ItemKind.COMMENT, f"Message {n}") for n in range(450)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = store_fetched(source, fetched)
    assert _queued_analyses() == []  # nothing before the items are committed
    for callback in callbacks:
        callback()
    batches = _queued_analyses()
    assert [len(b) for b in batches] == [200, 200, 50]
    assert sorted(pk for b in batches for pk in b) == sorted(result.item_ids)

    with django_capture_on_commit_callbacks(execute=True):
        again = store_fetched(source, fetched)
    assert again.created == 0 and len(_queued_analyses()) == 3  # duplicates are not analysed again


def _poll_and_wait(source: Source) -> tuple[timedelta, timedelta]:
    """Poll ``source``; return the bounds of how long it now waits before its next poll."""
    before = timezone.now()
    tasks.poll_source.call(source.pk)
    after = timezone.now()
    source.refresh_from_db()
    return source.next_poll_at - after, source.next_poll_at - before


def test_a_failing_source_backs_off_and_shows_why(workspace, cm, httpserver):
    httpserver.expect_request("/down.xml").respond_with_data("oops", status=503)
    source = actions.do_add_source(membership_of(cm, workspace), network="rss", label="En panne",
                                   config={"url": httpserver.url_for("/down.xml")})
    interval = timedelta(seconds=source.poll_interval_seconds)
    low, high = _poll_and_wait(source)
    assert source.status == Source.Status.FAILING and "503" in source.last_error and source.consecutive_failures == 1
    assert low <= 2 * interval <= high  # exponential: twice the interval, then four times…
    low, high = _poll_and_wait(source)
    assert source.consecutive_failures == 2 and low <= 4 * interval <= high
    Source.objects.filter(pk=source.pk).update(consecutive_failures=30)
    low, high = _poll_and_wait(source)
    assert low <= Source.MAX_BACKOFF <= high  # …up to the cap


@pytest.mark.parametrize("failures, waits", [(1, 600), (2, 1200), (3, 2400), (6, 19200), (7, 21600), (500, 21600)])
def test_the_backoff_doubles_with_each_failure_up_to_six_hours(failures, waits):
    assert Source(poll_interval_seconds=300, consecutive_failures=failures).backoff() == timedelta(seconds=waits)


def test_the_cursor_of_each_poll_is_saved_and_sent_with_the_next_one(feed_source, httpserver):
    feed = (FEEDS / "french_news.xml").read_bytes()
    asked = []

    def conditional(request):
        asked.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(feed, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    httpserver.clear()
    httpserver.expect_request("/feed.xml").respond_with_handler(conditional)
    assert tasks.poll_source.call(feed_source.pk)["created"] == 3
    feed_source.refresh_from_db()
    assert feed_source.cursor["etag"] == '"v1"' and len(feed_source.cursor["seen"]) == 3
    assert tasks.poll_source.call(feed_source.pk) == {"created": 0, "duplicates": 0}
    assert asked == [None, '"v1"']


def test_a_sites_crawl_delay_spaces_its_next_poll(workspace, cm, httpserver):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 7200\n", content_type="text/plain")
    httpserver.expect_request("/actualites/").respond_with_data(
        '<html><body><main><a href="/actualites/fete-du-velo/">Fête du vélo</a></main></body></html>',
        content_type="text/html; charset=utf-8")
    source = actions.do_add_source(membership_of(cm, workspace), network="web", label="Mairie",
                                   config={"url": httpserver.url_for("/actualites/"), "mode": "links"})
    low, high = _poll_and_wait(source)
    assert source.status == Source.Status.OK and source.cursor["min_interval_seconds"] == 7200
    assert low <= timedelta(seconds=7200) <= high


def test_what_was_stored_survives_a_later_failure(feed_source, httpserver):
    created = tasks.poll_source.call(feed_source.pk)["created"]
    httpserver.clear()
    httpserver.expect_request("/feed.xml").respond_with_data("", status=500)
    tasks.poll_source.call(feed_source.pk)
    assert Item.objects.filter(source=feed_source).count() == created
    feed_source.refresh_from_db()
    assert feed_source.status == Source.Status.FAILING


def test_a_source_that_answers_again_is_healthy_again(feed_source, httpserver):
    httpserver.clear()
    httpserver.expect_oneshot_request("/feed.xml").respond_with_data("", status=503)
    httpserver.expect_request("/feed.xml").respond_with_data((FEEDS / "french_news.xml").read_bytes(),
                                                             content_type="application/rss+xml")
    tasks.poll_source.call(feed_source.pk)
    feed_source.refresh_from_db()
    assert feed_source.status == Source.Status.FAILING and feed_source.consecutive_failures == 1
    low, high = _poll_and_wait(feed_source)
    assert feed_source.status == Source.Status.OK and feed_source.consecutive_failures == 0
    assert feed_source.last_success_at and low <= timedelta(seconds=feed_source.poll_interval_seconds) <= high


def test_a_source_paused_after_its_claim_is_not_read(feed_source, workspace, cm, httpserver):
    actions.do_set_source_paused(membership_of(cm, workspace), feed_source, True)
    assert tasks.poll_source.call(feed_source.pk) == {"skipped": True}
    assert httpserver.log == [] and not Item.objects.filter(source=feed_source).exists()


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
