"""Fixtures for the lib tests: local HTTP peers and a DNS that never leaves the machine."""

import ipaddress
import socket
from collections.abc import Callable, Iterator

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


class FakeDNS:
    """Answers host-name lookups from ``records``; unknown names fail as NXDOMAIN would.

    IP literals go to the real resolver, which answers them without any network traffic.
    """

    def __init__(self, real: Callable[..., list]):
        self._real = real
        self.records: dict[str, list[str] | Callable[[], list[str]]] = {"localhost": ["127.0.0.1"]}
        self.lookups: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode("ascii") if isinstance(host, bytes) else host
        if name is None:
            return self._real(host, port, family, type, proto, flags)
        try:
            ipaddress.ip_address(name.split("%", 1)[0])
        except ValueError:
            pass
        else:
            return self._real(host, port, family, type, proto, flags)
        self.lookups.append(name)
        answer = self.records.get(name)
        if callable(answer):
            answer = answer()
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        port_number = int(port or 0)
        results = []
        for address in answer:
            if ":" in address:
                results.append((socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port_number, 0, 0)))
            else:
                results.append((socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port_number)))
        return results


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """Replace the system resolver so no test ever sends a DNS query off the machine."""
    dns = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    return dns


@pytest.fixture(autouse=True)
def _messages_in_english():
    # Assertions read the English messages; the French catalogue is checked by comptoir/tests/test_i18n.py.
    from django.utils import translation

    with translation.override("en"):
        yield
