"""Failed log-ins and token attempts slow down: per account, per client address, across workers."""

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from comptoir.conftest import PASSWORD
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, AuthThrottle

EMAIL = "camille.cm@asso.test"


def log_in(client, email=EMAIL, password=PASSWORD, **extra):
    return client.post("/login/", {"username": email, "password": password}, **extra)


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_forty_wrong_passwords_then_the_right_one_does_not_log_in(client, cm, frozen):
    for _ in range(40):
        assert not logged_in(log_in(client, password="wrong guess"))
    response = log_in(client)
    assert not logged_in(response)
    assert "Trop de tentatives" in response.content.decode()
    assert AuthThrottle.objects.get(scope="login_account", key=EMAIL).failures == 5  # refused attempts are not counted


def test_the_wait_grows_and_is_said_in_words(client, cm, frozen, settings):
    settings.COMPTOIR_LOGIN_FREE_ATTEMPTS = 5
    for _ in range(4):
        assert "Trop de tentatives" not in log_in(client, password="nope").content.decode()
    waits = []
    for _ in range(4):
        body = log_in(client, password="nope").content.decode()
        row = AuthThrottle.objects.get(scope="login_account", key=EMAIL)
        waits.append(round((row.locked_until - timezone.now()).total_seconds()))
        frozen.shift(timedelta(seconds=waits[-1] + 1))
    assert waits == [2, 4, 8, 16]
    assert "16 secondes" in body


def test_the_wait_has_a_cap_and_is_said_in_minutes(client, cm, frozen, settings):
    settings.COMPTOIR_THROTTLE_MAX_DELAY_SECONDS = 300
    for _ in range(20):
        log_in(client, password="nope", HTTP_ACCEPT_LANGUAGE="en")
        frozen.shift(timedelta(seconds=301))
    body = log_in(client, password="nope", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = AuthThrottle.objects.get(scope="login_account", key=EMAIL)
    assert (row.locked_until - timezone.now()) == timedelta(seconds=300)
    assert "try again in 5 minutes" in body


def test_after_the_wait_the_right_password_logs_in_and_clears_the_counters(client, cm, frozen):
    for _ in range(5):
        log_in(client, password="nope")
    assert not logged_in(log_in(client))
    frozen.shift(timedelta(seconds=3))
    assert logged_in(log_in(client))
    assert not AuthThrottle.objects.exists()


def test_a_lock_out_is_logged_and_written_to_the_accounts_activity_log(client, cm, frozen, caplog):
    with caplog.at_level(logging.INFO, logger="comptoir.security"):
        for _ in range(6):
            log_in(client, password="nope", REMOTE_ADDR="198.51.100.7")
    event = AuditEvent.objects.get(action="account.login_locked")
    assert event.object_repr == EMAIL and event.after["failures"] == 5 and event.after["address"] == "198.51.100.7"
    assert "Log-in locked for login_account camille.cm@asso.test" in caplog.text
    assert "refused: locked" in caplog.text


def test_an_unknown_account_is_locked_the_same_way(client, db, frozen):
    responses = [log_in(client, email="nobody@asso.test", password="nope") for _ in range(6)]
    assert "Trop de tentatives" in responses[-1].content.decode()
    assert not AuditEvent.objects.exists()


def test_one_address_trying_many_accounts_is_slowed_down_too(client, cm, frozen, settings):
    settings.COMPTOIR_ADDRESS_FREE_ATTEMPTS = 20
    for n in range(20):
        log_in(client, email=f"guess{n}@asso.test", password="nope", REMOTE_ADDR="203.0.113.50")
    assert not logged_in(log_in(client, REMOTE_ADDR="203.0.113.50"))
    assert logged_in(log_in(Client(), REMOTE_ADDR="203.0.113.51"))


def test_behind_a_proxy_the_client_is_the_right_most_untrusted_hop(client, cm, frozen, settings):
    settings.COMPTOIR_BEHIND_PROXY = True
    settings.COMPTOIR_ADDRESS_FREE_ATTEMPTS = 3
    for n in range(3):
        # A different made-up address each time on the left: only the hop our proxy wrote counts.
        log_in(client, email=f"guess{n}@asso.test", password="nope", REMOTE_ADDR="10.0.0.2",
               HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9")
    assert AuthThrottle.objects.get(scope="login_address").key == "203.0.113.9"
    assert not logged_in(log_in(client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.9"))
    assert logged_in(log_in(Client(), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.10"))


def test_without_the_proxy_setting_the_forwarded_header_cannot_dodge_the_lock(client, cm, frozen):
    for n in range(5):
        log_in(client, password="nope", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert AuthThrottle.objects.get(scope="login_address").key == "127.0.0.1"


# API tokens ------------------------------------------------------------------------------------------


def test_failed_token_attempts_from_one_address_get_a_json_429(workspace, cm, frozen, settings):
    settings.COMPTOIR_ADDRESS_FREE_ATTEMPTS = 5
    _token, raw = actions.do_create_api_token(cm, workspace, "script")
    for n in range(5):
        response = Client(HTTP_AUTHORIZATION=f"Bearer cpt_guess{n}").get("/api/v1/workspaces")
        assert response.status_code == 401
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/workspaces", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and refused["Retry-After"] == "2"
    assert "2 seconds" in json.loads(refused.content)["message"]
    other_address = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="198.51.100.3")
    assert other_address.get("/api/v1/workspaces").status_code == 200
    frozen.shift(timedelta(seconds=3))
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/workspaces").status_code == 200
    assert not AuthThrottle.objects.filter(scope="token_address").exists()


# In the browser --------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_locked_account_is_told_when_to_try_again_and_the_right_password_waits(page):
    from playwright.sync_api import expect

    from comptoir.conftest import make_user

    make_user(EMAIL, "Camille CM")

    def submit(password):
        page.fill("#id_username", EMAIL)
        page.fill("#id_password", password)
        page.click("button[type=submit]:not([name])")

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        page.goto("/login/")
        for _ in range(5):
            submit("pas le bon")
        expect(page.locator(".alert-danger")).to_contain_text("réessayez dans 2 secondes")
        submit(PASSWORD)
        expect(page.locator(".alert-danger")).to_contain_text("Trop de tentatives échouées")
        assert page.url.endswith("/login/")
        traveller.shift(timedelta(seconds=3))
        submit(PASSWORD)
        expect(page.get_by_role("button", name="CC")).to_be_visible()
    assert not page.url.endswith("/login/")
    assert not page.console_errors, page.console_errors


@pytest.mark.django_db(transaction=True)
def test_attempts_sent_in_parallel_cannot_slip_past_the_limit_together():
    import threading

    from django.db import connections

    from comptoir.conftest import make_user

    make_user(EMAIL)
    barrier, answers = threading.Barrier(10), []

    def attempt():
        try:
            barrier.wait()
            answers.append(log_in(Client(), password="wrong guess").content.decode())
        finally:
            connections.close_all()

    with time_machine.travel(timezone.now(), tick=False):
        threads = [threading.Thread(target=attempt) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(answers) == 10
    checked = [a for a in answers if "Saisissez" in a]  # the password was looked at and found wrong
    assert len(checked) == 5
    assert AuthThrottle.objects.get(scope="login_account", key=EMAIL).failures == 5
