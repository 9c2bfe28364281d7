"""The clock: every few seconds, claim due rows and enqueue their tasks; rescue abandoned tasks."""

import logging
import signal
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from . import claims
from .models import PeriodicJob, WorkerHeartbeat
from .tasks import DEFAULT_JOBS

logger = logging.getLogger("comptoir.clock")


def ensure_periodic_jobs() -> None:
    for name, (task_path, interval) in DEFAULT_JOBS.items():
        PeriodicJob.objects.get_or_create(name=name, defaults={"task_path": task_path, "interval_seconds": interval})


def run_periodic_jobs() -> list[str]:
    now = timezone.now()
    due = PeriodicJob.objects.filter(enabled=True, next_run_at__lte=now)
    jobs = {job.pk: job for job in due}
    won = claims.claim_due(
        due, "next_run_at",
        lambda job: {"next_run_at": now + timedelta(seconds=job.interval_seconds), "last_run_at": now},
    )
    started = []
    for pk in won:
        job = jobs.get(pk) or PeriodicJob.objects.get(pk=pk)
        import_string(job.task_path).enqueue()
        started.append(job.name)
    return started


def requeue_abandoned_tasks() -> dict[str, list[str]]:
    """Tasks RUNNING on a worker that stopped beating go back to READY (or FAILED after too many tries).

    A worker that never beat (e.g. Django's own ``db_worker``) is judged by the task's start time.
    """
    now = timezone.now()
    dead_after = timedelta(seconds=settings.COMPTOIR_WORKER_DEAD_AFTER_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen_at__gte=now - dead_after, stopped_at__isnull=True).values_list("worker_id", flat=True)
    )
    known = set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
    requeued: list[str] = []
    failed: list[str] = []
    for result in DBTaskResult.objects.running().only("id", "worker_ids", "started_at", "status"):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if worker in alive:
            continue
        if worker not in known and result.started_at and result.started_at > now - dead_after:
            continue
        with transaction.atomic():
            guard = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at)
            if len(result.worker_ids) >= settings.COMPTOIR_TASK_MAX_ATTEMPTS:
                changed = guard.update(
                    status=TaskResultStatus.FAILED, finished_at=now,
                    exception_class_path="comptoir.clock.WorkerLost",
                    traceback=f"The worker running this task stopped {len(result.worker_ids)} times; not retried again.",
                )
                if changed:
                    failed.append(str(result.pk))
            elif guard.update(status=TaskResultStatus.READY, started_at=None):
                requeued.append(str(result.pk))
    for pk in requeued:
        logger.warning("Task %s was abandoned by a dead worker: re-queued", pk)
    for pk in failed:
        logger.error("Task %s was abandoned too many times: marked failed", pk)
    return {"requeued": requeued, "failed": failed}


def tick() -> dict[str, object]:
    """One pass of the clock. Safe to run from several processes at once."""
    report: dict[str, object] = {"abandoned": requeue_abandoned_tasks(), "periodic": run_periodic_jobs()}
    for claimer in claims.claimers():
        try:
            report[claimer.name] = list(claimer.run())
        except Exception:
            logger.exception("Clock claimer %s failed", claimer.name)
    return report


class Clock:
    def __init__(self, interval: float):
        self.interval = interval
        self.running = True

    def stop(self, signum, frame) -> None:
        self.running = False

    def run(self, *, once: bool = False) -> None:
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        ensure_periodic_jobs()
        logger.info("Clock started (every %.1f s)", self.interval)
        while self.running:
            close_old_connections()
            try:
                tick()
            except Exception:
                logger.exception("Clock tick failed")
            close_old_connections()
            if once:
                break
            deadline = time.monotonic() + self.interval
            while self.running and time.monotonic() < deadline:
                time.sleep(min(0.2, self.interval))
        logger.info("Clock stopped")
