import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Migrate, create the demo on first start, and serve web + worker + clock on one machine."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("COMPTOIR_WEB_WORKERS", "2")))
        parser.add_argument("--no-demo", action="store_true", help="Do not create the demo workspaces.")

    def handle(self, *args, host, port, web_workers, no_demo, **options):
        if not 0 < port < 65536:
            raise CommandError(f"PORT must be between 1 and 65535, not {port}.")
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready.")
        if settings.COMPTOIR_DEMO and not no_demo:
            from comptoir.workspaces.demo import create_demo_if_empty

            if create_demo_if_empty():
                from comptoir.stream.demo import add_demo_items

                add_demo_items()
                self.stdout.write("Demo workspaces created (see the login page for the accounts).")
        if not settings.DEV_MODE:
            call_command("collectstatic", interactive=False, verbosity=0)
        me = [sys.executable, "-m", "comptoir.cli"]
        specs = {
            "web": [sys.executable, "-m", "gunicorn", "comptoir.wsgi", "--bind", f"{host}:{port}", "--workers",
                    str(web_workers), "--threads", "4", "--timeout", "60", "--graceful-timeout", "10",
                    "--access-logfile", "-", "--log-level", "warning"],
            "worker": [*me, "worker"],
            "clock": [*me, "clock"],
        }
        procs = {name: subprocess.Popen(cmd) for name, cmd in specs.items()}
        self.stdout.write(self.style.SUCCESS(f"Comptoir is serving on http://{host}:{port}/ — Ctrl-C stops everything."))
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    self.stderr.write(f"{name} exited with code {proc.returncode}; stopping the others.")
                    exit_code = proc.returncode or 1
                    stopping = True
            time.sleep(0.3)
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.stdout.write("Stopped.")
        if exit_code:
            sys.exit(exit_code)
