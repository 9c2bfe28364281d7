"""``comptoir run``: migrate, create the demo on the first start, then serve web + worker + clock and keep them up.

The three processes are children of this one. A child that dies is started again after a pause
that doubles each time it dies soon after starting (1 s, 2 s, 4 s… at most 60 s), and goes back to
1 s once it has stayed up a minute: a worker that crashes does not take the site down, and a child
that cannot start does not spin. Ctrl-C or SIGTERM stops all three.
"""

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

logger = logging.getLogger("comptoir.run")

FIRST_PAUSE = 1.0
MAX_PAUSE = 60.0
STABLE_AFTER = 60.0
STOP_TIMEOUT = 15.0


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    pause: float = 0.0  # the last pause before a restart; 0 until the first death
    restart_at: float | None = None


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"exit code {code}, killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"exit code {code}"
    return f"exit code {code}"


class Supervisor:
    """Starts each command, restarts the ones that die with a capped exponential pause, stops them all."""

    def __init__(self, commands: dict[str, list[str]], *, first_pause: float = FIRST_PAUSE,
                 max_pause: float = MAX_PAUSE, stable_after: float = STABLE_AFTER, stop_timeout: float = STOP_TIMEOUT):
        self.children = [Child(name, command) for name, command in commands.items()]
        self.first_pause, self.max_pause, self.stable_after = first_pause, max_pause, stable_after
        self.stop_timeout = stop_timeout
        self.stopping = threading.Event()

    def stop(self, signum=None, frame=None) -> None:
        self.stopping.set()

    def run(self) -> None:
        for child in self.children:
            self._start(child)
        while not self.stopping.wait(0.1):
            for child in self.children:
                self._watch(child, time.monotonic())
        self._stop_all()

    def _start(self, child: Child) -> None:
        # A group of its own: a terminal's Ctrl-C reaches only us, and each child gets one SIGTERM from
        # _stop_all (a second signal would make the worker abandon its task instead of finishing it).
        child.process = subprocess.Popen(child.command, process_group=0)
        child.started_at, child.restart_at = time.monotonic(), None
        logger.info("%s started (pid %s)", child.name, child.process.pid)

    def next_pause(self, child: Child, uptime: float) -> float:
        if child.pause == 0 or uptime >= self.stable_after:
            return self.first_pause
        return min(child.pause * 2, self.max_pause)

    def _watch(self, child: Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._start(child)
            return
        code = child.process.poll()
        if code is None or self.stopping.is_set():
            return
        uptime = now - child.started_at
        child.pause = self.next_pause(child, uptime)
        child.restart_at = now + child.pause
        logger.warning("%s (pid %s) died with %s after %.1f s; restarting it in %g s, at %s", child.name,
                       child.process.pid, describe_exit(code), uptime, child.pause,
                       time.strftime("%H:%M:%S", time.localtime(time.time() + child.pause)))

    def _stop_all(self) -> None:
        running = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def commands(host: str, port: int, web_workers: int) -> dict[str, list[str]]:
    me = [sys.executable, "-m", "comptoir.cli"]
    return {
        "web": [sys.executable, "-m", "gunicorn", "comptoir.wsgi", "--bind", f"{host}:{port}", "--workers",
                str(web_workers), "--threads", "4", "--timeout", "60", "--graceful-timeout", "10",
                "--access-logfile", "-", "--log-level", "warning"],
        "worker": [*me, "worker"],
        "clock": [*me, "clock"],
    }


def port_in_use(host: str, port: int) -> OSError | None:
    """Whether something already listens on ``host:port`` (the web child would die at once)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return exc
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="comptoir run", description=(
        "Migrate, create the demo on first start, and serve web + worker + clock on one machine."))
    # String defaults go through type=int too: a bad PORT is an argparse error, not a traceback.
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=os.environ.get("PORT", "8000"))
    parser.add_argument("--web-workers", type=int, default=os.environ.get("COMPTOIR_WEB_WORKERS", "2"))
    parser.add_argument("--no-demo", action="store_true", help="Do not create the demo workspaces.")
    return parser


def _prepare(no_demo: bool) -> None:
    from django.conf import settings
    from django.core.management import call_command

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    print("Database ready.", flush=True)
    if settings.COMPTOIR_DEMO and not no_demo:
        from comptoir import demo

        if demo.create_if_empty():
            print("Demo workspaces created (see the login page for the accounts).", flush=True)
    if not settings.DEV_MODE:
        call_command("collectstatic", interactive=False, verbosity=0)


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"PORT must be between 1 and 65535, not {args.port}.")
    if args.web_workers < 1:
        parser.error(f"--web-workers must be at least 1, not {args.web_workers}.")
    busy = port_in_use(args.host, args.port)
    if busy:
        parser.error(f"cannot serve on {args.host}:{args.port} ({busy.strerror or busy}). Is Comptoir already "
                     f"running? Stop it, or choose another port: PORT=8123 make run")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django

    django.setup()
    try:
        _prepare(args.no_demo)
    except KeyboardInterrupt:
        return 130
    supervisor = Supervisor(commands(args.host, args.port, args.web_workers))
    signal.signal(signal.SIGINT, supervisor.stop)
    signal.signal(signal.SIGTERM, supervisor.stop)
    print(f"Comptoir is serving on http://{args.host}:{args.port}/ — Ctrl-C stops everything.", flush=True)
    supervisor.run()
    print("Stopped.", flush=True)
    return 0
