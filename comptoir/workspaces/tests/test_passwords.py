"""Forgotten passwords, changed passwords, and what happens to the API tokens."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from comptoir.conftest import PASSWORD, client_for, make_user
from comptoir.workspaces import actions
from comptoir.workspaces.models import ApiToken, AuditEvent, AuthThrottle, User

NEW_PASSWORD = "un vélo rouge pour 2027"
LINK = re.compile(r"https?://\S+/password-reset/\S+/\S+/")


def ask_reset(client, email, **extra):
    return client.post("/password-reset/", {"email": email}, **extra)


def reset_link() -> str:
    return LINK.search(mail.outbox[-1].body).group(0)


# Asking for a link ---------------------------------------------------------------------------------------


def test_the_login_page_offers_a_forgotten_password_link(client, db):
    body = client.get("/login/").content.decode()
    assert 'href="/password-reset/"' in body and "Mot de passe oublié" in body


def test_the_answer_is_the_same_whether_the_address_has_an_account_or_not(client, cm):
    known, unknown = ask_reset(client, "camille.cm@asso.test"), ask_reset(Client(), "personne@asso.test")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url) == (302, "/password-reset/sent/")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["camille.cm@asso.test"]
    assert Client().get("/password-reset/sent/").status_code == 200


def test_the_link_is_built_from_the_public_address_not_the_request(client, cm, settings):
    settings.BASE_URL = "https://comptoir.example.org"
    ask_reset(client, "camille.cm@asso.test", HTTP_HOST="127.0.0.1")
    assert reset_link().startswith("https://comptoir.example.org/password-reset/")


def test_the_e_mail_speaks_its_readers_language(client, db):
    make_user("lea@asso.test", "Léa", language="en")
    ask_reset(client, "lea@asso.test", HTTP_ACCEPT_LANGUAGE="fr")
    message = mail.outbox[0]
    assert "new password" in message.subject and "Hello Léa" in message.body and "&" not in message.body
    make_user("paul@asso.test", "Paul & Co", language="fr")
    ask_reset(client, "paul@asso.test", HTTP_ACCEPT_LANGUAGE="en")
    assert "Bonjour Paul & Co" in mail.outbox[1].body  # plain text: nothing HTML-escaped


def test_requests_for_one_address_are_throttled_whether_it_exists_or_not(client, cm):
    with time_machine.travel(timezone.now(), tick=False):
        for email in ("camille.cm@asso.test", "personne@asso.test"):
            answers = [ask_reset(client, email) for _ in range(4)]
            assert [a.status_code for a in answers] == [302, 302, 302, 200]
            assert "Réessayez dans 2 secondes" in answers[-1].content.decode()
    assert len(mail.outbox) == 3


def test_one_client_asking_for_many_addresses_is_throttled(client, db, settings):
    settings.COMPTOIR_ADDRESS_FREE_ATTEMPTS = 5
    with time_machine.travel(timezone.now(), tick=False):
        answers = [ask_reset(client, f"guess{n}@asso.test") for n in range(6)]
    assert answers[-1].status_code == 200 and "Réessayez" in answers[-1].content.decode()


def test_wrong_reset_links_are_throttled_per_address(client, cm, settings):
    settings.COMPTOIR_ADDRESS_FREE_ATTEMPTS = 3
    with time_machine.travel(timezone.now(), tick=False):
        answers = [client.get(f"/password-reset/Mg/guess-{n}/") for n in range(4)]
    assert "ne fonctionne plus" in answers[0].content.decode()
    assert answers[-1].status_code == 429 and "Réessayez dans" in answers[-1].content.decode()


# Using the link ------------------------------------------------------------------------------------------


def test_a_reset_revokes_every_api_token_lifts_the_lock_out_and_is_audited(client, workspace, cm):
    _token, raw = actions.do_create_api_token(cm, workspace, "script")
    for _ in range(6):
        client.post("/login/", {"username": "camille.cm@asso.test", "password": "nope"})
    assert AuthThrottle.objects.filter(scope="login_account").exists()
    ask_reset(client, "camille.cm@asso.test")
    form_url = client.get(reset_link()).url
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == "/password-reset/done/"
    assert User.objects.get(pk=cm.pk).check_password(NEW_PASSWORD)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/workspaces").status_code == 401
    assert AuditEvent.objects.get(action="account.password_reset").after == {"api_tokens_revoked": 1}
    assert AuditEvent.objects.get(action="api_token.revoke", workspace=workspace).after["because"] == "password_reset"
    assert not AuthThrottle.objects.filter(scope="login_account").exists()
    assert "ne fonctionne plus" in Client().get(reset_link(), follow=True).content.decode()  # used once


def test_a_weak_new_password_is_refused_next_to_the_field(client, cm):
    ask_reset(client, "camille.cm@asso.test")
    form_url = client.get(reset_link()).url
    response = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert User.objects.get(pk=cm.pk).check_password(PASSWORD)


# Changing it while logged in -----------------------------------------------------------------------------


def change_password(client, **extra):
    return client.post("/account/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                               "new_password2": NEW_PASSWORD, **extra}, follow=True)


def test_changing_the_password_revokes_the_api_tokens_by_default(workspace, cm):
    _token, raw = actions.do_create_api_token(cm, workspace, "script")
    client = client_for(cm)
    response = change_password(client)
    assert "1 jeton d'API a été révoqué" in html.unescape(response.content.decode())
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/workspaces").status_code == 401
    assert AuditEvent.objects.get(action="account.password_change").after == {"api_tokens_revoked": 1}
    assert AuditEvent.objects.get(action="api_token.revoke").after["because"] == "password_change"
    assert client.get("/account/").status_code == 200  # still logged in


def test_ticking_keep_my_api_tokens_keeps_them(workspace, cm):
    _token, raw = actions.do_create_api_token(cm, workspace, "script")
    change_password(client_for(cm), keep_api_tokens="on")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/workspaces").status_code == 200
    assert AuditEvent.objects.get(action="account.password_change").after == {"api_tokens_revoked": 0}
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_the_change_form_shows_the_keep_tokens_box(cm):
    body = html.unescape(client_for(cm).get("/account/password/").content.decode())
    assert 'name="keep_api_tokens"' in body and "Conserver mes jetons d'API" in body


def test_other_sessions_end_when_the_password_changes(cm):
    other = client_for(cm)
    change_password(client_for(cm))
    assert other.get("/account/").status_code == 302


# The whole journey in a browser ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_who_forgot_the_password_resets_it_by_e_mail_and_logs_in(page, live_server, settings):
    from playwright.sync_api import expect

    settings.BASE_URL = live_server.url
    owner = make_user("olivia@asso.test", "Olivia", language="en")
    workspace = actions.do_create_workspace(owner, {"name": "Les Amis du Vélo", "slug": "velo"})
    _token, raw = actions.do_create_api_token(owner, workspace, "script")

    page.goto("/login/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.fill("#id_email", "olivia@asso.test")
    page.get_by_role("button", name="Envoyez-moi un lien").click()
    expect(page.get_by_test_id("password-reset-sent")).to_contain_text("Si un compte utilise cette adresse")

    assert len(mail.outbox) == 1 and "Hello Olivia" in mail.outbox[0].body  # her language, not the page's
    page.goto(reset_link())
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.get_by_test_id("password-reset-confirm-form").get_by_role("button").click()
    expect(page.get_by_test_id("password-reset-complete")).to_be_visible()

    page.get_by_test_id("password-reset-complete").get_by_role("link").click()
    page.fill("#id_username", "olivia@asso.test")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("button[type=submit]:not([name])")
    expect(page).to_have_url(re.compile(r"/w/velo/$"))
    assert ApiToken.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(action="account.password_reset", actor=owner).exists()
    assert not page.console_errors, page.console_errors


def test_the_reset_link_expires(client, cm, settings):
    ask_reset(client, "camille.cm@asso.test")
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)):
        assert "ne fonctionne plus" in client.get(reset_link(), follow=True).content.decode()
