"""Personas shared by every test (a workspace with one member per role, and an outsider), and the browser."""

import os

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
