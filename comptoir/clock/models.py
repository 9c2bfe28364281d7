from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """A running worker process says it is alive every few seconds.

    The clock treats a task RUNNING on a worker whose heartbeat stopped as abandoned.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.IntegerField()
    queues = models.CharField(max_length=255, default="*")
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.worker_id}@{self.hostname}:{self.pid}"


class PeriodicJob(models.Model):
    """A task to run every ``interval_seconds``. The schedule is this row, never only memory."""

    name = models.CharField(max_length=80, unique=True)
    task_path = models.CharField(max_length=200)
    interval_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name
