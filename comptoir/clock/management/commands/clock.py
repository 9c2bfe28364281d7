from django.conf import settings
from django.core.management.base import BaseCommand

from comptoir.clock.engine import Clock


class Command(BaseCommand):
    help = "Run the clock: claims due rows, enqueues their tasks, re-queues tasks of dead workers."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=settings.COMPTOIR_CLOCK_INTERVAL_SECONDS)
        parser.add_argument("--once", action="store_true", help="One tick, then exit.")

    def handle(self, *args, interval, once, **options):
        Clock(interval).run(once=once)
