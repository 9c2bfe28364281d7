"""Helpers for tests that start real local peers (see shared/PEERS.md), and for the browser journeys
through the connect pages."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, for a subprocess peer that needs it in its config."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Peer:
    """A peer subprocess owned by a test fixture: log file, readiness polling, stop by PID."""

    def __init__(self, name, args, cwd, env=None, user=None, stdin=None, logdir=None):
        self.name, self.log = name, Path(logdir or cwd) / f"{name}.log"
        self._logf = open(self.log, "wb")
        self.proc = subprocess.Popen(
            args,
            cwd=cwd,
            stdout=self._logf,
            stderr=subprocess.STDOUT,
            stdin=stdin or subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            user=user,
        )
        self.t0 = time.monotonic()

    def tail(self, n=30):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def wait_ready(self, check, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited (rc={self.proc.returncode}):\n{self.tail()}", pytrace=False)
            try:
                if check():
                    self.startup_s = time.monotonic() - self.t0
                    return self
            except (OSError, httpx.HTTPError):
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"{self.name} not ready after {timeout}s:\n{self.tail()}", pytrace=False)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)  # this PID only
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._logf.close()


class ResponseDroppingProxy:
    """Forwards one HTTP request to the peer, waits for its answer, then hangs up without relaying it.

    That is a post or message whose answer was lost on the way back: sent, but the sender cannot know.
    """

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve_once, daemon=True)
        self.thread.start()

    def _serve_once(self):
        conn, _addr = self.listener.accept()
        with conn, socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _sep, body = data.partition(b"\r\n\r\n")
            match = re.search(rb"(?i)content-length: *(\d+)", head)
            length = int(match.group(1)) if match else 0
            while len(body) < length:
                body += conn.recv(65536)
            upstream.sendall(head + b"\r\n\r\n" + body)
            upstream.recv(65536)  # the peer has answered
        self.listener.close()


class CountingListener:
    """A loopback TCP port that accepts connections, counts them and hangs up: did anything get here?"""

    def __init__(self):
        self.accepted = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted += 1
            conn.close()

    def close(self):
        self.listener.close()


class RecordingProxy:
    """An HTTP reverse proxy to a peer that notes every request's method and path, to count calls.

    Point a connector at :attr:`url` instead of the peer: requests and answers pass unchanged.
    Stop it with :meth:`close`.
    """

    _HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.requests: list[tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.requests.append((self.command, self.path.split("?", 1)[0]))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in proxy._HOP_BY_HOP}
                answer = httpx.request(self.command, proxy.upstream + self.path, headers=headers, content=body,
                                       timeout=30, follow_redirects=False)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in proxy._HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self, path_end: str) -> int:
        """How many requests went to a path ending with ``path_end`` (e.g. an XRPC method name)."""
        return sum(1 for _method, path in self.requests if path.endswith(path_end))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# Browser journeys: a community manager connects an account through the connect page. --------------

from comptoir.conftest import log_in  # noqa: E402 - the one log-in journey, shared by every browser test


def open_connect_page(page, user, network: str) -> None:
    """Log in, open the channels page from the menu, and click the network's "Connect"."""
    log_in(page, user)
    page.locator(".cpt-sidebar").get_by_role("link", name="Canaux").click()
    page.get_by_test_id("networks").locator(f'a[href$="/channels/connect/{network}/"]').click()


def open_source_page(page, user, network: str) -> None:
    """Log in, open the listening sources from the menu, and click the network's "add" button."""
    log_in(page, user)
    page.locator(".cpt-sidebar").get_by_role("link", name="Sources de veille").click()
    page.locator(f'a[href$="/sources/add/{network}/"]').click()


def check_then_connect(page, success: str = "", *, submit: str = "Connecter", listed_in: str = "channels") -> None:
    """Click "Test the connection", see it work (and ``success`` in its message), then ``submit``
    ("Connect"; "Add" for a listening source) and land on the list (``listed_in``, a test id)."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Tester la connexion").click()
    check = page.get_by_test_id("connection-check")
    expect(check).to_contain_text("La connexion fonctionne.")
    if success:
        expect(check).to_contain_text(success)
    page.get_by_role("button", name=submit, exact=True).click()
    expect(page.get_by_test_id(listed_in)).to_be_visible()
    assert not page.console_errors, page.console_errors  # no script error, no CSP violation
