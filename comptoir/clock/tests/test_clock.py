import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import close_old_connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comptoir.clock import claims, engine
from comptoir.clock.models import PeriodicJob, WorkerHeartbeat
from comptoir.clock.tests.tasks import write_marker


@pytest.fixture
def job(db):
    return PeriodicJob.objects.create(name="job", task_path="comptoir.clock.tasks.prune_heartbeats", interval_seconds=60,
                                      next_run_at=timezone.now() - timedelta(seconds=1))


def test_a_due_row_is_claimed_once_and_moves_forward(job):
    now = timezone.now()
    due = PeriodicJob.objects.filter(next_run_at__lte=now)
    won = claims.claim_due(due, "next_run_at", lambda j: {"next_run_at": now + timedelta(seconds=60)})
    assert won == [job.pk]
    assert claims.claim_due(PeriodicJob.objects.filter(next_run_at__lte=now), "next_run_at",
                            lambda j: {"next_run_at": now + timedelta(seconds=60)}) == []


def test_a_row_another_clock_claimed_after_our_read_is_not_ours(job):
    # Another clock claims the row between our read and our UPDATE (here: while we compute the new
    # values): the UPDATE's guard repeats the value we read, finds it changed, and we win nothing.
    now = timezone.now()
    other_clock_moved_it_to = now + timedelta(seconds=60)

    def updates_after_a_race(row):
        PeriodicJob.objects.filter(pk=row.pk).update(next_run_at=other_clock_moved_it_to)
        return {"next_run_at": now + timedelta(seconds=120)}

    assert claims.claim_due(PeriodicJob.objects.filter(next_run_at__lte=now), "next_run_at", updates_after_a_race) == []
    job.refresh_from_db()
    assert job.next_run_at == other_clock_moved_it_to


@pytest.mark.django_db(transaction=True)
def test_concurrent_clocks_enqueue_a_periodic_job_once():
    PeriodicJob.objects.create(name="job", task_path="comptoir.clock.tasks.prune_heartbeats", interval_seconds=60,
                               next_run_at=timezone.now() - timedelta(seconds=1))
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run():
        try:
            results.append(engine.run_periodic_jobs())
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(len(r) for r in results) == 1
    assert DBTaskResult.objects.filter(task_path="comptoir.clock.tasks.prune_heartbeats").count() == 1


def test_periodic_jobs_run_again_after_their_interval(job):
    assert engine.run_periodic_jobs() == ["job"]
    assert engine.run_periodic_jobs() == []
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert engine.run_periodic_jobs() == ["job"]


def _running_task(worker_id: str, started_minutes_ago: float = 0) -> DBTaskResult:
    result = write_marker.enqueue("/dev/null")
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=[worker_id], started_at=timezone.now() - timedelta(minutes=started_minutes_ago))
    return DBTaskResult.objects.get(pk=result.id)


def test_a_task_of_a_worker_that_stopped_beating_is_requeued(db):
    WorkerHeartbeat.objects.create(worker_id="w1", hostname="h", pid=1, last_seen_at=timezone.now() - timedelta(minutes=5))
    task = _running_task("w1")
    assert engine.requeue_abandoned_tasks()["requeued"] == [str(task.pk)]
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY and task.started_at is None


def test_a_task_of_a_living_worker_is_left_alone(db):
    WorkerHeartbeat.objects.create(worker_id="w1", hostname="h", pid=1, last_seen_at=timezone.now())
    task = _running_task("w1", started_minutes_ago=30)
    assert engine.requeue_abandoned_tasks() == {"requeued": [], "failed": []}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_a_task_without_heartbeat_is_judged_by_its_start_time(db):
    fresh = _running_task("no-heartbeat")
    old = _running_task("no-heartbeat-either", started_minutes_ago=10)
    assert engine.requeue_abandoned_tasks()["requeued"] == [str(old.pk)]
    fresh.refresh_from_db()
    assert fresh.status == TaskResultStatus.RUNNING


def test_a_task_that_killed_too_many_workers_is_marked_failed(db, settings):
    task = _running_task("w5", started_minutes_ago=10)
    DBTaskResult.objects.filter(pk=task.pk).update(worker_ids=[f"w{i}" for i in range(settings.COMPTOIR_TASK_MAX_ATTEMPTS)])
    assert engine.requeue_abandoned_tasks()["failed"] == [str(task.pk)]
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and "stopped" in task.traceback


def _spawn_worker(worker_id: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "comptoir.cli", "worker", "--worker-id", worker_id, "--interval", "0.2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        close_old_connections()
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"worker exited early while waiting for {what}:\n{proc.stdout.read().decode(errors='replace')[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_loses_nothing(tmp_path, settings):
    from django.db import connection

    settings.COMPTOIR_WORKER_DEAD_AFTER_SECONDS = 2
    env = {**os.environ, "COMPTOIR_DEV": "1", "COMPTOIR_WORKER_HEARTBEAT_SECONDS": "0.5",
           "DJANGO_SETTINGS_MODULE": "comptoir.settings"}
    # The worker process must use the test database, not the development one.
    db_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        env["COMPTOIR_SQLITE_PATH"] = db_name
    else:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + db_name
    marker = tmp_path / "marker.txt"
    result = write_marker.enqueue(str(marker), 30)

    first = _spawn_worker("doomed-worker", env)
    try:
        _wait_for(lambda: marker.exists() and "start" in marker.read_text(), 60, "the task to start", first)
        assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING
        os.killpg(first.pid, signal.SIGKILL)  # no goodbye: the heartbeat just stops
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert "done" not in marker.read_text()

    # The clock notices the silence and puts the task back in the queue.
    _wait_for(lambda: engine.requeue_abandoned_tasks()["requeued"] == [str(result.id)], 15, "the clock to re-queue the task")
    DBTaskResult.objects.filter(pk=result.id).update(args_kwargs={"args": [str(marker), 0], "kwargs": {}})

    second = _spawn_worker("rescuer", env)
    try:
        _wait_for(lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL, 60,
                  "the task to finish on the second worker", second)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
    final = DBTaskResult.objects.get(pk=result.id)
    assert final.worker_ids == ["doomed-worker", "rescuer"]
    assert marker.read_text().splitlines() == ["start", "start", "done"]
    assert WorkerHeartbeat.objects.get(worker_id="rescuer").stopped_at is not None
