"""A worker killed in the middle of reading a source loses nothing and duplicates nothing."""

import os
import signal
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from werkzeug import Response

from comptoir.clock import engine
from comptoir.clock.tests.test_clock import _spawn_worker, _wait_for
from comptoir.stream import tasks
from comptoir.stream.models import Item, Source
from comptoir.workspaces.actions import do_create_workspace
from comptoir.workspaces.models import User

FEED = (Path(__file__).resolve().parents[2] / "connectors" / "rss" / "tests" / "data" / "french_news.xml").read_bytes()


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_reading_a_feed_loses_nothing(httpserver, settings):
    settings.COMPTOIR_WORKER_DEAD_AFTER_SECONDS = 2
    requests = []
    release = threading.Event()

    def slow_then_fast(request):
        requests.append(request.path)
        if len(requests) == 1:
            release.wait(30)  # the first worker dies while waiting for this answer
        return Response(FEED, content_type="application/rss+xml")

    httpserver.expect_request("/feed.xml").respond_with_handler(slow_then_fast)
    user = User.objects.create_user("cm@crash.test", "x")
    workspace = do_create_workspace(user, {"name": "Crash"})
    source = Source.objects.create(workspace=workspace, network="rss", label="Lent",
                                   config={"url": httpserver.url_for("/feed.xml")})
    result = tasks.poll_source.enqueue(source.pk)

    env = {**os.environ, "COMPTOIR_DEV": "1", "COMPTOIR_WORKER_HEARTBEAT_SECONDS": "0.5",
           "COMPTOIR_FETCH_ALLOW_PRIVATE": "1", "COMPTOIR_HOST_MIN_INTERVAL_SECONDS": "0", "DJANGO_SETTINGS_MODULE": "comptoir.settings"}
    if connection.vendor == "sqlite":
        env["COMPTOIR_SQLITE_PATH"] = connection.settings_dict["NAME"]
    else:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]

    first = _spawn_worker("reader-doomed", env)
    try:
        _wait_for(lambda: len(requests) == 1, 60, "the worker to start reading the feed", first)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        release.set()
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert not Item.objects.filter(source=source).exists()

    _wait_for(lambda: engine.requeue_abandoned_tasks()["requeued"] == [str(result.id)], 15, "the clock to re-queue the poll")
    second = _spawn_worker("reader-rescuer", env)
    try:
        _wait_for(lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL, 60,
                  "the poll to finish on the second worker", second)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    stored = Item.objects.filter(source=source)
    assert stored.count() == FEED.count(b"<item>") > 0
    assert stored.values("external_id").distinct().count() == stored.count()
    source.refresh_from_db()
    assert source.status == Source.Status.OK and source.consecutive_failures == 0
