"""A worker process SIGKILLed while its post is on the way to the network: the post goes out once, all the same."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comptoir.clock import engine
from comptoir.clock.tests.test_clock import _spawn_worker, _wait_for
from comptoir.connectors.testing import ResponseDroppingProxy
from comptoir.publishing import clock, delivery
from comptoir.publishing.models import DeliveryAttempt, Post, Variant

from .delivery_fixtures import *  # noqa: F403 - the Mastodon peer's fixtures
from .delivery_fixtures import make_post, mastodon_channel, statuses_of

pytestmark = [pytest.mark.peers, pytest.mark.slow]


def _env() -> dict:
    env = {**os.environ, "COMPTOIR_DEV": "1", "COMPTOIR_WORKER_HEARTBEAT_SECONDS": "0.5",
           "COMPTOIR_FETCH_ALLOW_PRIVATE": "1", "DJANGO_SETTINGS_MODULE": "comptoir.settings"}
    if connection.vendor == "sqlite":
        env["COMPTOIR_SQLITE_PATH"] = connection.settings_dict["NAME"]
    else:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    return env


class HoldingProxy(ResponseDroppingProxy):
    """Forwards one request to the peer, which publishes it, then holds the answer until :attr:`release` is set: the
    sender waits, as it would for a slow network, and can be killed meanwhile."""

    def __init__(self, upstream_port: int):
        self.release = threading.Event()
        self.answered = threading.Event()
        super().__init__(upstream_port)

    def _serve_once(self):
        conn, _addr = self.listener.accept()
        with conn, socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _sep, body = data.partition(b"\r\n\r\n")
            match = re.search(rb"(?i)content-length: *(\d+)", head)
            while len(body) < (int(match.group(1)) if match else 0):
                body += conn.recv(65536)
            upstream.sendall(head + b"\r\n\r\n" + body)
            upstream.recv(65536)
            self.answered.set()
            self.release.wait(60)
        self.listener.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_waiting_for_the_answer_publishes_once(workspace, masto, settings):
    settings.COMPTOIR_WORKER_DEAD_AFTER_SECONDS = 2
    proxy = HoldingProxy(int(masto.base_url.rsplit(":", 1)[1]))
    channel = mastodon_channel(workspace, f"http://127.0.0.1:{proxy.port}")
    post = make_post(workspace, channel, text="Sortie vélo dimanche, départ 9 h",
                     publish_at=timezone.now() + dt.timedelta(seconds=1))
    delivery.schedule(post)
    time.sleep(1.1)
    assert len(clock.claim_due_variants()) == 1  # enqueued at once (no transaction around the claim)
    task = DBTaskResult.objects.get(queue_name="deliver")
    env = _env()

    doomed = _spawn_worker("deliverer-doomed", env)
    try:
        _wait_for(proxy.answered.is_set, 60, "the post to reach the network", doomed)
        os.killpg(doomed.pid, signal.SIGKILL)  # published, but the worker never hears it
        doomed.wait(10)
    finally:
        proxy.release.set()
        if doomed.poll() is None:
            os.killpg(doomed.pid, signal.SIGKILL)
    variant = Variant.objects.get(post=post)
    assert variant.state == Variant.State.CLAIMED
    assert DeliveryAttempt.objects.get().outcome == DeliveryAttempt.Outcome.RUNNING
    assert len(statuses_of(masto)) == 1
    channel.config["server"] = masto.base_url
    channel.save()

    _wait_for(lambda: engine.requeue_abandoned_tasks()["requeued"] == [str(task.id)], 15, "the clock to re-queue it")
    rescuer = _spawn_worker("deliverer-rescuer", env)
    try:
        _wait_for(lambda: DBTaskResult.objects.get(pk=task.id).status == TaskResultStatus.SUCCESSFUL, 60,
                  "the task to finish on the second worker", rescuer)
    finally:
        _stop(rescuer)

    variant.refresh_from_db()
    assert len(statuses_of(masto)) == 1
    assert variant.state == Variant.State.SENT and [s["id"] for s in statuses_of(masto)] == [variant.remote_id]
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == [DeliveryAttempt.Outcome.FOUND]
    assert Post.objects.get(pk=post.pk).status == Post.Status.PUBLISHED
