from django.core.management.base import BaseCommand

from comptoir.clock.worker import run_worker


class Command(BaseCommand):
    help = "Run a background worker (django.tasks, database backend) with a heartbeat."

    def add_arguments(self, parser):
        parser.add_argument("--queues", default="*", help="Comma-separated queues, '*' for all (default).")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument("--worker-id", default=None)
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None)

    def handle(self, *args, queues, interval, worker_id, batch, max_tasks, **options):
        run_worker(queues=queues, interval=interval, worker_id=worker_id, batch=batch, max_tasks=max_tasks)
