import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from comptoir.conftest import make_user, membership_of
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Invitation, Membership, Workspace
from comptoir.workspaces.roles import Role


def test_creating_a_workspace_makes_the_creator_its_owner_and_logs_it(db):
    user = make_user("agence@comptoir.test")
    ws = actions.do_create_workspace(user, {"name": "Client Boulangerie Dupain"})
    assert ws.slug == "client-boulangerie-dupain"
    assert membership_of(user, ws).role == Role.OWNER
    event = AuditEvent.objects.get(workspace=ws, action="workspace.create")
    assert event.actor == user and event.after["name"] == "Client Boulangerie Dupain"


def test_an_agency_has_one_workspace_per_client_with_unique_short_names(db):
    user = make_user("agence@comptoir.test")
    first = actions.do_create_workspace(user, {"name": "Maison Lumière"})
    second = actions.do_create_workspace(user, {"name": "Maison Lumière"})
    assert first.slug != second.slug
    assert Membership.objects.filter(user=user).count() == 2


def test_updating_a_workspace_records_before_and_after(workspace, cm):
    actions.do_update_workspace(membership_of(cm, workspace), {"time_zone": "America/Montreal"})
    event = AuditEvent.objects.get(workspace=workspace, action="workspace.update")
    assert event.before["time_zone"] == "Europe/Paris"
    assert event.after["time_zone"] == "America/Montreal"


@pytest.mark.parametrize("data, field", [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"name": "ok", "slug": "Pas Bon!"}, "slug"),
    ({"name": "ok", "slug": "api"}, "slug"),
    ({"name": "ok", "time_zone": "Mars/Olympus"}, "time_zone"),
    ({"name": "ok", "kind": "cult"}, "kind"),
    ({"name": "ok", "language": "de"}, "language"),
])
def test_bad_workspace_fields_are_refused_naming_the_field(db, data, field):
    user = make_user("someone@comptoir.test")
    with pytest.raises(ValidationError) as exc:
        actions.do_create_workspace(user, data)
    assert field in exc.value.error_dict
    assert not Workspace.objects.exists()


def test_an_invitation_is_mailed_and_accepting_it_gives_the_role(workspace, cm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, raw = actions.do_invite(membership_of(cm, workspace), "Lea.Benevole@Asso.test", Role.MODERATOR)
    assert invitation.email == "lea.benevole@asso.test"
    assert len(mail.outbox) == 1 and raw in mail.outbox[0].body
    lea = make_user("lea.benevole@asso.test")
    membership = actions.do_accept_invitation(Invitation.find(raw), lea)
    assert membership.role == Role.MODERATOR
    assert not Invitation.find(raw).is_pending
    assert AuditEvent.objects.filter(workspace=workspace, action="team.join", actor=lea).exists()


def test_an_invitation_cannot_be_accepted_by_another_address(workspace, cm):
    _inv, raw = actions.do_invite(membership_of(cm, workspace), "lea@asso.test", Role.ANALYST)
    with pytest.raises(ValidationError):
        actions.do_accept_invitation(Invitation.find(raw), make_user("intrus@ailleurs.test"))


def test_a_withdrawn_invitation_no_longer_works(workspace, cm):
    member = membership_of(cm, workspace)
    invitation, raw = actions.do_invite(member, "lea@asso.test", Role.ANALYST)
    actions.do_revoke_invitation(member, invitation)
    with pytest.raises(ValidationError):
        actions.do_accept_invitation(Invitation.find(raw), make_user("lea@asso.test"))


def test_inviting_again_replaces_the_pending_invitation(workspace, cm):
    member = membership_of(cm, workspace)
    first, _ = actions.do_invite(member, "lea@asso.test", Role.ANALYST)
    actions.do_invite(member, "lea@asso.test", Role.MODERATOR)
    first.refresh_from_db()
    assert first.status == "revoked"


@pytest.mark.parametrize("email", ["", "pas-une-adresse", "a@b", "x" * 250 + "@a.fr", "<script>@x.fr"])
def test_bad_invitation_addresses_are_refused(workspace, cm, email):
    with pytest.raises(ValidationError) as exc:
        actions.do_invite(membership_of(cm, workspace), email, Role.ANALYST)
    assert "email" in exc.value.error_dict


def test_a_community_manager_cannot_make_an_owner(workspace, cm, analyst):
    with pytest.raises(ValidationError):
        actions.do_change_role(membership_of(cm, workspace), membership_of(analyst, workspace), Role.OWNER)


def test_an_analyst_cannot_invite(workspace, analyst):
    with pytest.raises(PermissionDenied):
        actions.do_invite(membership_of(analyst, workspace), "x@y.fr", Role.ANALYST)


def test_the_last_owner_cannot_step_down_or_leave(workspace, owner):
    me = membership_of(owner, workspace)
    with pytest.raises(ValidationError):
        actions.do_change_role(me, me, Role.MANAGER)
    with pytest.raises(ValidationError):
        actions.do_remove_member(me, me)
    assert membership_of(owner, workspace).role == Role.OWNER


def test_changing_a_role_logs_before_and_after(workspace, owner, moderator):
    actions.do_change_role(membership_of(owner, workspace), membership_of(moderator, workspace), Role.MANAGER)
    event = AuditEvent.objects.get(action="team.role_change")
    assert (event.before, event.after) == ({"role": "moderator"}, {"role": "manager"})


def test_removing_a_member_revokes_their_tokens(workspace, owner, analyst):
    token, raw = actions.do_create_api_token(analyst, workspace, "script")
    actions.do_remove_member(membership_of(owner, workspace), membership_of(analyst, workspace))
    assert not Membership.objects.filter(user=analyst, workspace=workspace).exists()
    assert token.__class__.authenticate(raw) is None


def test_a_member_of_another_workspace_cannot_be_touched(workspace, other_workspace, owner, outsider):
    with pytest.raises(PermissionDenied):
        actions.do_remove_member(membership_of(owner, workspace), membership_of(outsider, other_workspace))
