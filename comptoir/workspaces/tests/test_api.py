import json

import pytest
from django.test import Client

from comptoir.conftest import membership_of
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Membership, Workspace
from comptoir.workspaces.roles import Role


def api(user, workspace):
    _token, raw = actions.do_create_api_token(user, workspace, "tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def body(response):
    return json.loads(response.content)


def test_the_openapi_document_is_published(db, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = body(response)["paths"]
    assert "/api/v1/workspaces/{slug}/members" in paths and "/api/v1/workspaces/{slug}/audit" in paths


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Bearer cpt_" + "x" * 40, "Token abc", "Bearer " + "y" * 5000])
def test_requests_without_a_valid_token_get_401_json(workspace, header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.get("/api/v1/workspaces")
    assert response.status_code == 401
    assert "Bearer" in body(response)["message"]


def test_a_revoked_token_stops_working(workspace, cm):
    token, raw = actions.do_create_api_token(cm, workspace, "x")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/workspaces").status_code == 200
    actions.do_revoke_api_token(cm, token)
    assert client.get("/api/v1/workspaces").status_code == 401


def test_a_token_lists_its_workspace_with_my_role(workspace, analyst):
    data = body(api(analyst, workspace).get("/api/v1/workspaces"))
    assert data == [data[0]] and data[0]["slug"] == "velo" and data[0]["role"] == "analyst"


def test_a_token_never_reaches_another_workspace(workspace, other_workspace, owner, outsider):
    client = api(owner, workspace)
    for url in ["/api/v1/workspaces/autre", "/api/v1/workspaces/autre/members", "/api/v1/workspaces/autre/channels",
                "/api/v1/workspaces/autre/audit"]:
        response = client.get(url)
        assert response.status_code == 404 and "message" in body(response), url
    theirs = membership_of(outsider, other_workspace)
    assert client.patch(f"/api/v1/workspaces/velo/members/{theirs.pk}", {"role": "analyst"},
                        content_type="application/json").status_code == 404
    assert client.delete(f"/api/v1/workspaces/velo/members/{theirs.pk}").status_code == 404
    assert Membership.objects.filter(pk=theirs.pk, role=Role.OWNER).exists()


def test_members_and_channels_are_listed(workspace, moderator):
    client = api(moderator, workspace)
    members = body(client.get("/api/v1/workspaces/velo/members"))
    assert {m["role"] for m in members} == set(Role.values)
    assert body(client.get("/api/v1/workspaces/velo/channels")) == []


def test_only_owners_read_the_audit_log_through_the_api(workspace, owner, cm):
    assert api(cm, workspace).get("/api/v1/workspaces/velo/audit").status_code == 403
    events = body(api(owner, workspace).get("/api/v1/workspaces/velo/audit?limit=5"))
    assert events and events[0]["action"] == "api_token.create"


def test_updating_the_workspace_through_the_api_is_audited_as_api(workspace, cm):
    response = api(cm, workspace).patch("/api/v1/workspaces/velo", {"time_zone": "America/Montreal"}, content_type="application/json")
    assert response.status_code == 200 and body(response)["time_zone"] == "America/Montreal"
    assert AuditEvent.objects.get(action="workspace.update").via == "api"


@pytest.mark.parametrize("payload, field", [
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"name": ""}, "name"),
    ({"name": 12}, "name"),
    ({"name": ["a"]}, "name"),
    ({"name": "x" * 600}, "name"),
    ({"kind": "cult"}, "kind"),
    ({"language": {"fr": 1}}, "language"),
])
def test_bad_workspace_updates_get_a_json_error_naming_the_field(workspace, cm, payload, field):
    response = api(cm, workspace).patch("/api/v1/workspaces/velo", payload, content_type="application/json")
    assert response.status_code in (400, 422)
    data = body(response)
    assert data["field"] == field and data["message"]
    assert Workspace.objects.get(slug="velo").name == "Les Amis du Vélo"


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"string"', b"\xff\xfe\x00", b"null"])
def test_malformed_bodies_are_refused_with_json(workspace, cm, raw):
    response = api(cm, workspace).patch("/api/v1/workspaces/velo", raw, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "message" in body(response)


def test_a_huge_body_is_refused_without_a_500(workspace, cm):
    response = api(cm, workspace).patch("/api/v1/workspaces/velo", json.dumps({"description": "x" * 6_000_000}),
                                        content_type="application/json")
    assert 400 <= response.status_code < 500


def test_inviting_and_changing_roles_through_the_api(workspace, cm):
    client = api(cm, workspace)
    response = client.post("/api/v1/workspaces/velo/invitations", {"email": "lea@asso.test", "role": "moderator"},
                           content_type="application/json")
    assert response.status_code == 201 and body(response)["status"] == "pending"
    analyst = Membership.objects.get(workspace=workspace, role=Role.ANALYST)
    response = client.patch(f"/api/v1/workspaces/velo/members/{analyst.pk}", {"role": "moderator"}, content_type="application/json")
    assert body(response)["role"] == "moderator"


@pytest.mark.parametrize("payload, field", [
    ({"email": "nope", "role": "analyst"}, "email"),
    ({"email": "a@b.fr", "role": "owner"}, "role"),
    ({"email": "a@b.fr", "role": "emperor"}, "role"),
    ({"email": "a@b.fr"}, "role"),
    ({"email": None, "role": "analyst"}, "email"),
])
def test_bad_invitations_through_the_api_name_the_field(workspace, cm, payload, field):
    response = api(cm, workspace).post("/api/v1/workspaces/velo/invitations", payload, content_type="application/json")
    assert response.status_code in (400, 422)
    assert body(response)["field"] == field


def test_an_analyst_token_cannot_invite(workspace, analyst):
    response = api(analyst, workspace).post("/api/v1/workspaces/velo/invitations", {"email": "a@b.fr", "role": "analyst"},
                                            content_type="application/json")
    assert response.status_code == 403 and body(response)["message"]


def test_api_errors_follow_the_token_owners_language(workspace, cm):
    cm.language = "en"
    cm.save()
    response = api(cm, workspace).patch("/api/v1/workspaces/velo", {"time_zone": "Nowhere"}, content_type="application/json")
    assert "time zone" in body(response)["message"]
