"""What a community manager does on the first day, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from comptoir.conftest import log_in as demo_log_in
from comptoir.workspaces.demo import DEMO_PASSWORD, create_demo
from comptoir.workspaces.models import Invitation, Membership, User, Workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email):
    demo_log_in(page, email, DEMO_PASSWORD)


def test_a_demo_user_logs_in_from_the_accounts_shown_on_the_login_page(page):
    create_demo()
    page.goto("/login/")
    accounts = page.get_by_test_id("demo-accounts")
    expect(accounts).to_contain_text("camille@demo.comptoir.test")
    log_in(page, "camille@demo.comptoir.test")
    expect(page).to_have_url(re.compile(r"/w/velo-lyon/$"))
    expect(page.locator(".cpt-topbar h1")).to_have_text("Les Amis du Vélo Lyonnais")
    assert not page.console_errors, page.console_errors  # no CSP violation, no script error


def test_switching_the_interface_to_english_is_remembered(page):
    create_demo()
    log_in(page, "camille@demo.comptoir.test")
    expect(page.locator(".cpt-sidebar").get_by_role("link", name="Canaux")).to_be_visible()
    page.get_by_test_id("language-select").select_option("en")
    expect(page.locator(".cpt-sidebar").get_by_role("link", name="Channels")).to_be_visible()
    assert User.objects.get(email="camille@demo.comptoir.test").language == "en"
    page.goto("/w/velo-lyon/team/")
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()


def test_an_owner_creates_a_workspace_for_a_new_client_and_invites_a_colleague(page):
    create_demo()
    log_in(page, "claire@demo.comptoir.test")
    page.get_by_test_id("workspace-switcher").click()
    page.get_by_role("link", name="Nouvel espace de travail").click()
    page.fill("#id_name", "Fromagerie Lebrun")
    page.select_option("#id_kind", "agency_client")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/w/fromagerie-lebrun/$"))
    expect(page.get_by_test_id("first-steps")).to_be_visible()

    page.locator(".cpt-sidebar").get_by_role("link", name="Équipe").click()
    form = page.get_by_test_id("invite-form")
    form.locator("#id_email").fill("louise@fromagerie-lebrun.test")
    form.locator("#id_role").select_option("manager")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("invitations")).to_contain_text("louise@fromagerie-lebrun.test")
    workspace = Workspace.objects.get(slug="fromagerie-lebrun")
    assert Invitation.objects.get(workspace=workspace).role == "manager"
    assert Membership.objects.get(workspace=workspace, user__email="claire@demo.comptoir.test").role == "owner"


def test_an_invalid_invitation_shows_the_reason_next_to_the_field(page):
    create_demo()
    log_in(page, "camille@demo.comptoir.test")
    page.goto("/w/velo-lyon/team/")
    form = page.get_by_test_id("invite-form")
    form.locator("#id_email").fill("pas-une-adresse")
    form.get_by_role("button").click()
    expect(page.locator(".invalid-feedback")).to_be_visible()
    assert not Invitation.objects.exists()


def test_the_shell_works_on_a_phone(page):
    create_demo()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "camille@demo.comptoir.test")
    sidebar = page.locator(".cpt-sidebar")
    expect(sidebar).not_to_be_in_viewport()
    page.locator("[data-menu-toggle]").click()
    expect(sidebar).to_be_in_viewport()
    sidebar.get_by_role("link", name="Canaux").click()
    expect(page).to_have_url(re.compile(r"/channels/$"))
