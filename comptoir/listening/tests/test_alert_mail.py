"""Alert e-mails go through a real SMTP server (aiosmtpd on loopback), once per alert, in each reader's language."""

import email
import email.policy
import threading
import warnings
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.test import override_settings

from comptoir.conftest import make_user
from comptoir.listening import alerts
from comptoir.listening.models import Alert, AlertRule
from comptoir.workspaces.models import Membership, User

from . import watchdata as wd

START = datetime(2026, 3, 2, tzinfo=UTC)


class _Controller(Controller):
    def _trigger_server(self):
        # Controller(port=0) checks itself on port 0: read the port the system gave first.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope)
        return "250 OK"

    def read(self) -> list:
        with self.lock:
            return [(env.rcpt_tos, email.message_from_bytes(env.content, policy=email.policy.default))
                    for env in self.messages]


@pytest.fixture
def smtp():
    inbox = Inbox()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        controller = _Controller(inbox, hostname="127.0.0.1", port=0)
        controller.start()
    mailers = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                           "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5}}}
    tasks = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                         "QUEUES": ["default", "ingest", "nlp", "deliver", "reports"]}}
    with override_settings(MAILERS=mailers, TASKS=tasks, BASE_URL="https://comptoir.example"):
        yield inbox
    controller.stop()


@pytest.fixture
def spiking(workspace):
    """Two weeks of about 20 mentions an hour, then 150 at 14:00 and 400 at 15:00 on the eleventh day."""
    brand = wd.topic(workspace, "Vélo Lyon")

    def per_hour(h, rng):
        return {10 * 24 + 14: 150, 10 * 24 + 15: 400}.get(h, 20 + rng.randint(-3, 3))

    wd.mention(brand, wd.store(wd.source(workspace), wd.hourly(START, 11 * 24, per_hour)))
    return AlertRule.objects.create(workspace=workspace, name="Pic sur la marque", kind="spike", topic=brand,
                                    min_mentions=10)


def evaluate_at(rule, when, django_capture_on_commit_callbacks):
    with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
        return alerts.evaluate_rule(rule.pk)


def test_an_alert_is_mailed_once_to_the_listening_managers_in_their_language(
        workspace, owner, cm, analyst, smtp, spiking, django_capture_on_commit_callbacks):
    cm.language = "en"
    cm.save()
    Membership.objects.create(workspace=workspace, user=make_user("ancien.cm@asso.test", "Ancien CM"), role="manager")
    User.objects.filter(email="ancien.cm@asso.test").update(is_active=False)  # gone: not e-mailed
    spike = START + timedelta(days=10, hours=15)
    evaluate_at(spiking, spike, django_capture_on_commit_callbacks)
    received = smtp.read()
    assert sorted(r for rcpt, _m in received for r in rcpt) == sorted([owner.email, cm.email])
    by_address = {rcpt[0]: message for rcpt, message in received}
    french, english = by_address[owner.email], by_address[cm.email]
    alert = Alert.objects.get()
    link = f"https://comptoir.example/w/velo/listening/alerts/{alert.pk}/"
    assert french["Subject"] == "[Les Amis du Vélo] Alerte : Pic de mentions · Vélo Lyon"
    assert "Jusqu’à 150 mentions en une heure" in french.get_content() and link in french.get_content()
    assert english["Subject"] == "[Les Amis du Vélo] Alert: Spike of mentions · Vélo Lyon"
    assert "Up to 150 mentions in an hour" in english.get_content() and link in english.get_content()
    assert analyst.email not in str(received)
    alert.refresh_from_db()
    assert alert.emailed_at is not None

    # Updates while it grows a little send nothing; doubling its peak sends one more e-mail, once.
    evaluate_at(spiking, spike + timedelta(minutes=20), django_capture_on_commit_callbacks)
    assert len(smtp.read()) == 2
    evaluate_at(spiking, spike + timedelta(hours=1), django_capture_on_commit_callbacks)
    received = smtp.read()
    assert len(received) == 4
    assert {m["Subject"] for _r, m in received[2:]} == {
        "[Les Amis du Vélo] En hausse : Pic de mentions · Vélo Lyon", "[Les Amis du Vélo] Growing: Spike of mentions · Vélo Lyon"}
    evaluate_at(spiking, spike + timedelta(hours=1, minutes=5), django_capture_on_commit_callbacks)
    assert len(smtp.read()) == 4


def test_a_rule_without_e_mail_and_a_failing_server_send_nothing_and_lose_nothing(
        workspace, owner, smtp, spiking, django_capture_on_commit_callbacks, settings):
    spiking.email = False
    spiking.save()
    evaluate_at(spiking, START + timedelta(days=10, hours=15), django_capture_on_commit_callbacks)
    assert smtp.read() == [] and Alert.objects.get().emailed_at is None

    spiking.email = True
    spiking.save()
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2}}}
    evaluate_at(spiking, START + timedelta(days=10, hours=15, minutes=5), django_capture_on_commit_callbacks)
    alert = Alert.objects.get()
    assert alert.emailed_at is None  # the next evaluation tries again
