"""Fixtures for the lib tests: local HTTP peers (the fake DNS is in the root conftest)."""

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    # Loopback only, on a free port: nothing outside this machine can reach the test peer.
    return ("127.0.0.1", 0)


@pytest.fixture(scope="session")
def slow_server() -> Iterator[HTTPServer]:
    """A second local server, threaded, for handlers that sleep: they must not hold up others."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def slow_httpserver(slow_server: HTTPServer) -> Iterator[HTTPServer]:
    yield slow_server
    slow_server.clear()


@pytest.fixture(autouse=True)
def _messages_in_english():
    # Assertions read the English messages; the French catalogue is checked by comptoir/tests/test_i18n.py.
    from django.utils import translation

    with translation.override("en"):
        yield
