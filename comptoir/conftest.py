"""Personas shared by every test (a workspace with one member per role, and an outsider), the browser,
and a network that never leaves the machine (fake DNS, no connection but to loopback)."""

import ipaddress
import os
import socket
from collections.abc import Callable

import pytest
from django.test import Client

from comptoir.workspaces import actions
from comptoir.workspaces.models import Membership, User, Workspace
from comptoir.workspaces.roles import Role

PASSWORD = "correct horse battery staple"


def make_user(email: str, name: str = "", language: str = "fr") -> User:
    return User.objects.create_user(email, PASSWORD, full_name=name, language=language)


@pytest.fixture
def workspace(db):
    owner = make_user("olivia.owner@asso.test", "Olivia Owner")
    ws = actions.do_create_workspace(owner, {"name": "Les Amis du Vélo", "slug": "velo", "kind": "association"})
    for email, name, role in [
        ("camille.cm@asso.test", "Camille CM", Role.MANAGER),
        ("mehdi.mod@asso.test", "Mehdi Modérateur", Role.MODERATOR),
        ("ines.analyst@asso.test", "Inès Analyste", Role.ANALYST),
        ("paul.marketing@asso.test", "Paul Marketing", Role.CONTRIBUTOR),
    ]:
        Membership.objects.create(workspace=ws, user=make_user(email, name), role=role)
    return ws


@pytest.fixture
def other_workspace(db):
    stranger = make_user("oscar.outsider@autre.test", "Oscar Outsider")
    return actions.do_create_workspace(stranger, {"name": "Autre Marque", "slug": "autre", "kind": "brand"})


def _member(workspace, role) -> User:
    return Membership.objects.filter(workspace=workspace, role=role).select_related("user").first().user


@pytest.fixture
def owner(workspace):
    return _member(workspace, Role.OWNER)


@pytest.fixture
def cm(workspace):
    return _member(workspace, Role.MANAGER)


@pytest.fixture
def moderator(workspace):
    return _member(workspace, Role.MODERATOR)


@pytest.fixture
def analyst(workspace):
    return _member(workspace, Role.ANALYST)


@pytest.fixture
def contributor(workspace):
    return _member(workspace, Role.CONTRIBUTOR)


@pytest.fixture
def outsider(other_workspace):
    return other_workspace.memberships.get().user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return client_for


def membership_of(user: User, workspace: Workspace) -> Membership:
    return Membership.objects.select_related("workspace", "user").get(user=user, workspace=workspace)


# Browser journeys: Playwright driving Debian's Chromium against a live server. ------------------------
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.", pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


# DNS and connections that never leave the machine. -------------------------------------------------


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


class LoopbackOnly:
    """Refuses TCP connections to anything but loopback (as a firewall would), noting where each went."""

    def __init__(self, real_connect: Callable):
        self._real_connect = real_connect
        self.refused: list[tuple[str, int]] = []

    def connect(self, sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not ipaddress.ip_address(address[0]).is_loopback:
            self.refused.append((address[0], address[1]))
            raise ConnectionRefusedError(f"tests do not connect outside this machine ({address[0]})")
        self._real_connect(sock, address)


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> LoopbackOnly:
    """No TCP connection leaves the machine; ``refused`` lists the outside addresses the code tried."""
    guard = LoopbackOnly(socket.socket.connect)
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: guard.connect(sock, address))
    return guard


def log_in(page, user, password: str = PASSWORD) -> None:
    """Log ``user`` (a User or an e-mail address) in through the log-in page, as a person would."""
    from playwright.sync_api import expect

    page.goto("/login/")
    page.fill("#id_username", getattr(user, "email", user))
    page.fill("#id_password", password)
    page.click("button[type=submit]:not([name])")
    expect(page.locator(".cpt-sidebar")).to_be_visible()
