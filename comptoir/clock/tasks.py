"""Housekeeping tasks run by the clock's periodic jobs."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat


@task()
def prune_task_results(days: int = 14) -> int:
    """Delete finished task results older than ``days`` days. Idempotent."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


@task()
def prune_heartbeats(days: int = 2) -> int:
    """Forget workers gone for ``days`` days. Idempotent."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen_at__lt=cutoff).delete()
    return deleted


DEFAULT_JOBS = {
    "prune_task_results": ("comptoir.clock.tasks.prune_task_results", 6 * 3600),
    "prune_heartbeats": ("comptoir.clock.tasks.prune_heartbeats", 24 * 3600),
}
