"""Several submissions of one invitation's sign-up form at once: one account, one membership, no error page."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client

from comptoir.conftest import make_user, membership_of
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Invitation, Membership, User
from comptoir.workspaces.roles import Role

SIGNUP = {"full_name": "Léa Bénévole", "password": "un vélo pour la vie 2026"}


def submit_together(url: str, count: int) -> list:
    barrier, answers = threading.Barrier(count), []

    def submit():
        # Each thread has its own database connection, as each web worker would.
        try:
            client = Client(raise_request_exception=False)
            barrier.wait()
            response = client.post(url, SIGNUP)
            answers.append((response.status_code, response.get("Location", ""), response.content.decode()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.django_db(transaction=True)
def test_six_simultaneous_sign_ups_with_one_invitation_make_one_account_and_no_error(settings):
    settings.DEBUG = False
    owner = make_user("olivia@asso.test", "Olivia")
    workspace = actions.do_create_workspace(owner, {"name": "Les Amis du Vélo", "slug": "velo"})
    _invitation, raw = actions.do_invite(membership_of(owner, workspace), "lea@asso.test", Role.ANALYST)

    answers = submit_together(f"/invitations/{raw}/", 6)

    assert len(answers) == 6
    assert not [a for a in answers if a[0] >= 500], [a[:2] for a in answers]
    winners = [a for a in answers if a[0] == 302]
    assert [w[1] for w in winners] == ["/w/velo/"]
    for status, _location, body in answers:
        if status != 302:  # 404 when it arrived after the winner committed, 409 when it waited on the lock
            assert status in (404, 409) and "déjà été acceptée" in body
    assert User.objects.filter(email="lea@asso.test").count() == 1
    assert Membership.objects.get(workspace=workspace, user__email="lea@asso.test").role == Role.ANALYST
    assert Invitation.objects.get().accepted_at is not None
    assert AuditEvent.objects.filter(action="team.join").count() == 1


def test_an_accepted_invitation_says_so_and_offers_to_log_in(client, workspace, cm):
    _inv, raw = actions.do_invite(membership_of(cm, workspace), "lea@asso.test", Role.ANALYST)
    assert client.post(f"/invitations/{raw}/", SIGNUP).status_code == 302
    body = Client().get(f"/invitations/{raw}/").content.decode()
    assert "déjà été acceptée" in body and "/login/?next=/w/velo/" in body


def test_signing_up_when_the_address_got_an_account_meanwhile_sends_to_the_log_in(client, workspace, cm):
    _inv, raw = actions.do_invite(membership_of(cm, workspace), "lea@asso.test", Role.ANALYST)
    assert 'name="password"' in client.get(f"/invitations/{raw}/").content.decode()
    make_user("lea@asso.test")  # e.g. she accepted another workspace's invitation in another tab
    body = client.post(f"/invitations/{raw}/", SIGNUP).content.decode()
    assert f"/login/?next=/invitations/{raw}/" in body
    assert not Membership.objects.filter(workspace=workspace, user__email="lea@asso.test").exists()


def test_the_action_refuses_an_address_that_got_an_account_between_the_check_and_the_save(workspace, cm):
    invitation, _raw = actions.do_invite(membership_of(cm, workspace), "lea@asso.test", Role.ANALYST)
    make_user("Lea@asso.test")
    with pytest.raises(ValidationError) as exc:
        actions.do_accept_invitation_as_new_user(invitation, full_name="Léa", password=SIGNUP["password"], language="fr")
    assert exc.value.code == "account_exists"
    invitation.refresh_from_db()
    assert invitation.is_pending and User.objects.count() == 6


def test_a_weak_password_is_still_refused_next_to_the_field(client, workspace, cm):
    _inv, raw = actions.do_invite(membership_of(cm, workspace), "lea@asso.test", Role.ANALYST)
    response = client.post(f"/invitations/{raw}/", {"full_name": "Léa", "password": "12345678"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert not User.objects.filter(email="lea@asso.test").exists()
