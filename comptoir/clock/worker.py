"""`comptoir worker`: django-tasks-db's worker plus a heartbeat the clock can watch."""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from .models import WorkerHeartbeat

logger = logging.getLogger("comptoir.worker")


class Heartbeat(threading.Thread):
    def __init__(self, worker_id: str, queues: str, interval: float):
        super().__init__(name="heartbeat", daemon=True)
        self.worker_id, self.queues, self.interval = worker_id, queues, interval
        self.stopping = threading.Event()

    def beat(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "queues": self.queues[:255],
                      "last_seen_at": timezone.now(), "stopped_at": None},
        )

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                close_old_connections()
                self.beat()
            except Exception:
                logger.exception("Heartbeat failed")
        connection.close()

    def stop(self) -> None:
        self.stopping.set()
        # A beat in flight would write stopped_at=None after us: let the thread finish first.
        if self.is_alive():
            self.join(timeout=max(5.0, self.interval * 2))
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(stopped_at=timezone.now())


def run_worker(*, queues: str = "*", interval: float = 1.0, worker_id: str | None = None, batch: bool = False,
               max_tasks: int | None = None) -> None:
    worker_id = worker_id or get_random_string(32)
    heartbeat = Heartbeat(worker_id, queues, settings.COMPTOIR_WORKER_HEARTBEAT_SECONDS)
    heartbeat.beat()
    heartbeat.start()
    worker = Worker(
        queue_names=queues.split(","), interval=interval, batch=batch, backend_name="default", startup_delay=not batch,
        max_tasks=max_tasks, worker_id=worker_id, excluded_queue_names=[],
    )
    worker.configure_signals()
    logger.info("Worker %s started (queues %s)", worker_id, queues)
    try:
        worker.run()
    finally:
        heartbeat.stop()
        logger.info("Worker %s stopped", worker_id)
