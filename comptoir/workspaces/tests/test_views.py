import csv
import io

import pytest

from comptoir.conftest import make_user, membership_of
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Channel, Invitation, Membership, User, Workspace
from comptoir.workspaces.roles import Role

# (url, who may see it); everyone else who is a member gets 403, an outsider 404.
PAGES = [
    ("/w/velo/", {"owner", "cm", "moderator", "analyst", "contributor"}),
    ("/w/velo/team/", {"owner", "cm", "moderator", "analyst"}),
    ("/w/velo/channels/", {"owner", "cm", "moderator", "analyst"}),
    ("/w/velo/activity/", {"owner"}),
    ("/w/velo/activity/?format=csv", {"owner"}),
    ("/w/velo/settings/", {"owner", "cm"}),
]
PERSONAS = ["owner", "cm", "moderator", "analyst", "contributor"]


@pytest.mark.parametrize("url, allowed", PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_page_enforces_the_role(request, as_user, url, allowed, persona):
    user = request.getfixturevalue(persona)
    response = as_user(user).get(url)
    assert response.status_code == (200 if persona in allowed else 403), (persona, url)


@pytest.mark.parametrize("url, _allowed", PAGES)
def test_an_outsider_never_sees_another_workspace(workspace, outsider, as_user, url, _allowed):
    response = as_user(outsider).get(url)
    assert response.status_code == 404
    assert "Vélo" not in response.content.decode()


@pytest.mark.parametrize("url", ["/w/velo/team/", "/w/velo/channels/", "/w/velo/", "/account/", "/workspaces/new/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, workspace, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_outsider_post_actions_on_another_workspace_fail_with_404(workspace, outsider, cm, as_user):
    target = membership_of(cm, workspace)
    client = as_user(outsider)
    for url, data in [
        (f"/w/velo/team/{target.pk}/role/", {"role": "analyst"}),
        (f"/w/velo/team/{target.pk}/remove/", {}),
        ("/w/velo/team/", {"email": "x@y.fr", "role": "analyst"}),
        ("/w/velo/settings/", {"name": "Piraté"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert membership_of(cm, workspace).role == Role.MANAGER
    assert Workspace.objects.get(slug="velo").name == "Les Amis du Vélo"


def test_ids_of_another_workspace_are_not_found_from_mine(workspace, other_workspace, owner, outsider, as_user):
    theirs = membership_of(outsider, other_workspace)
    client = as_user(owner)
    assert client.post(f"/w/velo/team/{theirs.pk}/remove/").status_code == 404
    assert client.post(f"/w/velo/team/{theirs.pk}/role/", {"role": "analyst"}).status_code == 404
    invitation, _ = actions.do_invite(theirs, "z@z.fr", Role.ANALYST)
    assert client.post(f"/w/velo/team/invitations/{invitation.pk}/revoke/").status_code == 404
    channel = Channel.objects.create(workspace=other_workspace, network="rss", handle="https://x.fr/feed")
    assert client.post(f"/w/velo/channels/{channel.pk}/", {"action": "remove"}).status_code == 404
    assert Channel.objects.filter(pk=channel.pk).exists()
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_the_login_page_of_a_demo_instance_lists_the_demo_accounts(client, settings):
    settings.COMPTOIR_DEMO = True
    body = client.get("/login/").content.decode()
    assert "claire@demo.comptoir.test" in body and "comptoir-demo" in body
    settings.COMPTOIR_DEMO = False
    assert "claire@demo.comptoir.test" not in client.get("/login/").content.decode()


def test_logging_in_with_an_email_and_landing_on_the_workspace(client, cm):
    response = client.post("/login/", {"username": "camille.cm@asso.test", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/w/velo/"


def test_a_wrong_password_gives_a_translated_error(client, cm):
    response = client.post("/login/", {"username": "camille.cm@asso.test", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert "Saisissez" in response.content.decode() or "correct" in response.content.decode()


def test_switching_language_is_remembered_on_the_user(cm, as_user):
    client = as_user(cm)
    assert client.post("/language/", {"language": "en", "next": "/w/velo/"}).status_code == 302
    assert User.objects.get(pk=cm.pk).language == "en"
    assert "First steps" in client.get("/w/velo/").content.decode()
    client.post("/language/", {"language": "fr", "next": "/w/velo/"})
    assert "Premiers pas" in client.get("/w/velo/").content.decode()


@pytest.mark.parametrize("language", ["de", "", "<script>", "x" * 5000])
def test_an_unknown_language_changes_nothing(cm, as_user, language):
    client = as_user(cm)
    response = client.post("/language/", {"language": language})
    assert response.status_code == 302
    assert User.objects.get(pk=cm.pk).language == "fr"


def test_the_language_switch_never_redirects_off_site(cm, as_user):
    response = as_user(cm).post("/language/", {"language": "en", "next": "https://evil.example/phish"})
    assert response.url == "/"


def test_creating_a_workspace_from_the_form(cm, as_user):
    client = as_user(cm)
    response = client.post("/workspaces/new/", {"name": "Client Fromagerie", "slug": "", "kind": "agency_client",
                                                "language": "fr", "time_zone": "Europe/Paris", "description": ""})
    assert response.status_code == 302
    ws = Workspace.objects.get(name="Client Fromagerie")
    assert membership_of(cm, ws).role == Role.OWNER


@pytest.mark.parametrize("data, message", [
    ({"name": ""}, "obligatoire"),
    ({"name": "x" * 10_000}, "caractères"),
    ({"name": "ok", "slug": "../../etc"}, "minuscules"),
    ({"name": "ok", "time_zone": "Nowhere/City"}, "Sélectionnez"),
    ({"name": "ok", "kind": ["a", "b"]}, "Sélectionnez"),
])
def test_hostile_workspace_forms_get_a_clear_error(cm, as_user, data, message):
    payload = {"name": "", "slug": "", "kind": "brand", "language": "fr", "time_zone": "Europe/Paris"} | data
    response = as_user(cm).post("/workspaces/new/", payload)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Workspace.objects.count() == 1


def test_html_in_a_workspace_name_is_shown_as_text(cm, as_user):
    client = as_user(cm)
    client.post("/workspaces/new/", {"name": "<script>alert(1)</script>", "kind": "brand", "language": "fr", "time_zone": "UTC"})
    body = client.get("/", follow=True).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_inviting_from_the_team_page_shows_the_link(workspace, cm, as_user):
    response = as_user(cm).post("/w/velo/team/", {"email": "nouvelle@asso.test", "role": "moderator"}, follow=True)
    assert "/invitations/" in response.content.decode()
    assert Invitation.objects.get().role == "moderator"


@pytest.mark.parametrize("data", [{"email": "", "role": "analyst"}, {"email": "nope", "role": "analyst"},
                                  {"email": "a@b.fr", "role": "god"}, {"email": "a@b.fr", "role": "owner"}])
def test_bad_invitations_from_a_manager_are_refused(workspace, cm, as_user, data):
    response = as_user(cm).post("/w/velo/team/", data)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode() or "alert-danger" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_newcomer_accepts_an_invitation_and_creates_an_account(workspace, cm, client):
    _inv, raw = actions.do_invite(membership_of(cm, workspace), "lea@asso.test", Role.ANALYST)
    assert client.post(f"/invitations/{raw}/", {"full_name": "Léa", "password": "123"}).status_code == 200  # too weak
    response = client.post(f"/invitations/{raw}/", {"full_name": "Léa Bénévole", "password": "un vélo pour la vie 2026"})
    assert response.status_code == 302 and response.url == "/w/velo/"
    assert membership_of(User.objects.get(email="lea@asso.test"), workspace).role == Role.ANALYST


@pytest.mark.parametrize("token", ["nope", "x" * 500, "../../admin", "%00"])
def test_a_bogus_invitation_link_is_a_clear_404(db, client, token):
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 404


def test_changing_a_role_and_removing_a_member_from_the_team_page(workspace, owner, analyst, as_user):
    client = as_user(owner)
    target = membership_of(analyst, workspace)
    client.post(f"/w/velo/team/{target.pk}/role/", {"role": "moderator"})
    assert Membership.objects.get(pk=target.pk).role == Role.MODERATOR
    client.post(f"/w/velo/team/{target.pk}/role/", {"role": "<b>king</b>"})
    assert Membership.objects.get(pk=target.pk).role == Role.MODERATOR
    client.post(f"/w/velo/team/{target.pk}/remove/")
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_the_owner_exports_the_activity_log_as_csv(workspace, owner, cm, as_user):
    actions.do_update_workspace(membership_of(cm, workspace), {"name": "=HYPERLINK(\"http://evil\")"})
    response = as_user(owner).get("/w/velo/activity/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["time", "summary", "actor", "via", "action"]
    update = next(r for r in rows if r[4] == "workspace.update")
    assert update[2] == "camille.cm@asso.test" and update[1].startswith("Camille CM")
    assert update[7].startswith("'=")  # neutralised for spreadsheets
    assert len(rows) - 1 == AuditEvent.objects.filter(workspace=workspace).count()


def test_a_contributor_sees_a_reduced_menu(workspace, contributor, as_user):
    body = as_user(contributor).get("/w/velo/").content.decode()
    assert "/w/velo/channels/" not in body and "/w/velo/activity/" not in body


def test_a_new_workspace_shows_the_first_steps_checklist(db, as_user):
    user = make_user("neuf@comptoir.test")
    actions.do_create_workspace(user, {"name": "Tout neuf", "slug": "neuf"})
    body = as_user(user).get("/w/neuf/").content.decode()
    assert 'data-testid="first-steps"' in body and "/w/neuf/channels/" in body


def test_pages_carry_a_content_security_policy(cm, as_user):
    response = as_user(cm).get("/w/velo/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_creating_and_revoking_a_token_from_the_account_page(workspace, cm, as_user):
    client = as_user(cm)
    response = client.post("/account/", {"create_token": "1", "name": "Rapport", "workspace": "velo"})
    body = response.content.decode()
    assert 'data-testid="new-token"' in body and "cpt_" in body
    token = cm.api_tokens.get()
    client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_token_cannot_be_made_for_a_workspace_i_am_not_in(workspace, other_workspace, cm, as_user):
    response = as_user(cm).post("/account/", {"create_token": "1", "name": "x", "workspace": "autre"})
    assert response.status_code == 200
    assert not cm.api_tokens.exists()


def test_someone_elses_token_cannot_be_revoked(workspace, cm, owner, as_user):
    token, _ = actions.do_create_api_token(owner, workspace, "owner's")
    assert as_user(cm).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404


@pytest.mark.parametrize("tz", ["Mars/Base", "", "x" * 300])
def test_bad_account_preferences_are_refused(cm, as_user, tz):
    response = as_user(cm).post("/account/", {"save_account": "1", "full_name": "C", "language": "fr", "time_zone": tz})
    assert response.status_code == 200
    assert User.objects.get(pk=cm.pk).time_zone == "Europe/Paris"


def test_a_contributor_does_not_see_the_team_roster_on_the_home(workspace, contributor, as_user):
    body = as_user(contributor).get("/w/velo/").content.decode()
    for colleague in ("Olivia Owner", "Camille CM", "Mehdi Modérateur", "Inès Analyste"):
        assert colleague not in body, colleague
    assert 'data-testid="contributor-home"' in body and "/account/" in body


def test_a_contributors_home_says_plainly_that_only_the_profile_is_there_yet(workspace, contributor, as_user):
    contributor.language = "en"
    contributor.save()
    body = as_user(contributor).get("/w/velo/").content.decode()
    assert "your profile" in body
    assert "will appear here" not in body  # no promise of screens that do not exist


@pytest.mark.parametrize("persona", ["owner", "cm", "moderator", "analyst"])
def test_members_who_may_see_the_team_still_see_it_on_the_home(request, workspace, as_user, persona):
    body = as_user(request.getfixturevalue(persona)).get("/w/velo/").content.decode()
    assert "Paul Marketing" in body and "Olivia Owner" in body
