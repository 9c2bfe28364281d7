"""The REST API of requests and approvals: the same rules as the pages, errors as {message, field}, hostile input."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.publishing import approvals
from comptoir.publishing.models import ContentRequest
from comptoir.workspaces import actions as ws_actions

from .requestdata import channel, post, submit

BASE = "/api/v1/workspaces/velo"


def api(user, workspace) -> Client:
    _token, raw = ws_actions.do_create_api_token(user, workspace, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def body(response):
    return json.loads(response.content)


def _new(**overrides):
    data = {"title": "Fête du vélo", "goal": "engagement", "audience": "broad", "key_message": "Rendez-vous place Bellecour",
            "deadline": (timezone.now() + timedelta(days=5)).isoformat(), "links": ["https://velo.test/fete"]}
    data.update(overrides)
    return data


def test_the_openapi_document_lists_the_routes(db, client):
    paths = body(client.get("/api/v1/openapi.json"))["paths"]
    for route in ("/api/v1/workspaces/{slug}/requests", "/api/v1/workspaces/{slug}/requests/{request_id}/comments",
                  "/api/v1/workspaces/{slug}/posts/{post_id}/approvals", "/api/v1/workspaces/{slug}/approval-stages"):
        assert route in paths
    assert "403" in paths["/api/v1/workspaces/{slug}/requests"]["post"]["responses"]


def test_a_contributor_submits_and_sees_only_their_requests_without_priorities(workspace, contributor, cm):
    masto = channel(workspace)
    client = api(contributor, workspace)
    response = client.post(f"{BASE}/requests", _new(channels=[masto.pk]), content_type="application/json")
    assert response.status_code == 201, response.content
    data = body(response)
    assert (data["status"], data["channels"], data["priority"], data["links"]) == (
        "new", [masto.pk], None, ["https://velo.test/fete"])
    submit(cm, workspace, title="Pas à toi")
    listed = body(client.get(f"{BASE}/requests"))
    assert [r["title"] for r in listed] == ["Fête du vélo"]
    theirs = ContentRequest.objects.get(title="Pas à toi")
    assert client.get(f"{BASE}/requests/{theirs.pk}").status_code == 404
    assert client.patch(f"{BASE}/requests/{data['id']}", {"status": "accepted"},
                        content_type="application/json").status_code == 403
    comment = client.post(f"{BASE}/requests/{data['id']}/comments", {"body": "Photos jointes demain"},
                          content_type="application/json")
    assert comment.status_code == 201 and body(comment)["event"] is None


@pytest.mark.parametrize(("payload", "field"), [
    ({"title": ""}, "title"), ({"goal": "nope"}, "goal"), ({"deadline": "2001-01-01T00:00:00Z"}, "deadline"),
    ({"deadline": "pas une date"}, "deadline"), ({"links": ["javascript:alert(1)"]}, "links"),
    ({"channels": ["abc"]}, "channels.0"), ({"channels": [123456789]}, "channels"), ({"title": 12}, "title"),
    ({"key_message": "x" * 30_000}, "key_message"), ({"title": None}, "title"),
])
def test_a_wrong_request_is_a_4xx_naming_the_field(workspace, contributor, payload, field):
    response = api(contributor, workspace).post(f"{BASE}/requests", _new(**payload), content_type="application/json")
    assert response.status_code in (400, 422), response.content
    assert body(response)["field"] == field and body(response)["message"]
    assert not ContentRequest.objects.exists()


@pytest.mark.parametrize("raw", ["", "[]", "{not json", '"text"', "null"])
def test_a_body_that_is_not_an_object_is_refused(workspace, contributor, raw):
    response = api(contributor, workspace).post(f"{BASE}/requests", raw, content_type="application/json")
    assert response.status_code in (400, 422) and "message" in body(response)


def test_the_cm_triages_through_the_api(workspace, contributor, cm):
    r = submit(contributor, workspace)
    client = api(cm, workspace)
    listed = body(client.get(f"{BASE}/requests?status=new"))
    assert listed[0]["priority"] == listed[0]["priority_computed"] and listed[0]["priority_reasons"]
    patch = client.patch(f"{BASE}/requests/{r.pk}", {"status": "declined"}, content_type="application/json")
    assert patch.status_code == 400 and body(patch)["field"] == "decline_reason"
    patch = client.patch(f"{BASE}/requests/{r.pk}", {"priority_override": 90}, content_type="application/json")
    assert patch.status_code == 400 and body(patch)["field"] == "priority_override_reason"
    patch = client.patch(f"{BASE}/requests/{r.pk}", {"priority_override": 90, "priority_override_reason": "Urgent",
                                                     "assignee": cm.pk, "status": "accepted"},
                         content_type="application/json")
    data = body(patch)
    assert patch.status_code == 200 and (data["priority"], data["assignee"], data["status"]) == (90, cm.pk, "accepted")
    data = body(client.patch(f"{BASE}/requests/{r.pk}", {"priority_override": None}, content_type="application/json"))
    assert data["priority_override"] is None and data["priority"] == data["priority_computed"]
    comments = body(client.get(f"{BASE}/requests/{r.pk}/comments"))
    assert any(c["event"] for c in comments)


def test_another_workspaces_ids_and_huge_ids_are_404(workspace, other_workspace, contributor, cm, outsider):
    r = submit(contributor, workspace)
    theirs = api(outsider, other_workspace)
    for url in (f"{BASE}/requests", f"{BASE}/requests/{r.pk}", f"{BASE}/approval-stages"):
        assert theirs.get(url).status_code == 404
    assert theirs.get(f"/api/v1/workspaces/autre/requests/{r.pk}").status_code == 404
    mine = api(cm, workspace)
    assert mine.get(f"{BASE}/requests/{2**64}").status_code == 422
    assert mine.get(f"{BASE}/posts/999999/approvals").status_code == 404


def test_approvals_through_the_api(workspace, cm, owner, analyst, contributor):
    m = membership_of(cm, workspace)
    approvals.do_create_stage(m, "CM", [])
    p = post(workspace, cm)
    client = api(cm, workspace)
    stages = body(client.get(f"{BASE}/approval-stages"))
    assert [s["name"] for s in stages] == ["CM"]
    sent = client.post(f"{BASE}/posts/{p.pk}/approvals", {"decision": "submit"}, content_type="application/json")
    assert sent.status_code == 201 and body(sent)["status"] == "in_review" and body(sent)["can_decide"]
    refused = api(analyst, workspace).post(f"{BASE}/posts/{p.pk}/approvals", {"decision": "approved"},
                                           content_type="application/json")
    assert refused.status_code == 403
    assert api(contributor, workspace).get(f"{BASE}/posts/{p.pk}/approvals").status_code == 403
    wrong = client.post(f"{BASE}/posts/{p.pk}/approvals", {"decision": "changes_requested", "comment": ""},
                        content_type="application/json")
    assert wrong.status_code == 400 and body(wrong)["field"] == "comment"
    wrong = client.post(f"{BASE}/posts/{p.pk}/approvals", {"decision": 42}, content_type="application/json")
    assert wrong.status_code == 422 and body(wrong)["field"] == "decision"
    done = api(owner, workspace).post(f"{BASE}/posts/{p.pk}/approvals", {"decision": "approved", "comment": "<b>ok</b>"},
                                      content_type="application/json")
    data = body(done)
    assert done.status_code == 201 and data["approved"] and data["decisions"][0]["comment"] == "<b>ok</b>"
    assert body(client.get(f"{BASE}/posts/{p.pk}/approvals"))["decisions"][0]["decided_by"] == owner.email


def test_attachments_through_the_api(workspace, contributor, cm, outsider, other_workspace, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    r = submit(contributor, workspace)
    client = api(contributor, workspace)
    response = client.post(f"{BASE}/requests/{r.pk}/attachments",
                           {"files": [SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n%%EOF\n", content_type="image/png")]})
    assert response.status_code == 201, response.content
    [data] = body(response)
    assert (data["filename"], data["content_type"]) == ("plan.pdf", "application/pdf")
    bad = client.post(f"{BASE}/requests/{r.pk}/attachments",
                      {"files": [SimpleUploadedFile("x.pdf", b"MZ\x90\x00binary", content_type="application/pdf")]})
    assert bad.status_code == 400 and body(bad)["field"] == "attachments" and "x.pdf" in body(bad)["message"]
    download = api(cm, workspace).get(f"{BASE}/requests/{r.pk}/attachments/{data['id']}")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert api(outsider, other_workspace).get(f"{BASE}/requests/{r.pk}/attachments/{data['id']}").status_code == 404
    assert [a["id"] for a in body(client.get(f"{BASE}/requests/{r.pk}/attachments"))] == [data["id"]]
    theirs = submit(cm, workspace, title="Du CM")
    assert client.post(f"{BASE}/requests/{theirs.pk}/attachments",
                       {"files": [SimpleUploadedFile("p.pdf", b"%PDF-1.7\n")]}).status_code == 404


def test_a_reason_without_what_it_explains_is_refused_not_dropped(workspace, contributor, cm):
    r = submit(contributor, workspace)
    client = api(cm, workspace)
    for payload, field in [({"decline_reason": "Hors sujet"}, "decline_reason"),
                           ({"status": "accepted", "decline_reason": "Hors sujet"}, "decline_reason"),
                           ({"priority_override_reason": "Urgent"}, "priority_override_reason"),
                           ({"priority_override": None, "priority_override_reason": "Urgent"}, "priority_override_reason")]:
        response = client.patch(f"{BASE}/requests/{r.pk}", payload, content_type="application/json")
        assert 400 <= response.status_code < 500 and body(response)["field"] == field, (payload, body(response))
    r.refresh_from_db()
    assert (r.status, r.decline_reason, r.priority_override) == (ContentRequest.Status.NEW, "", None)
    # With what they explain, they are kept.
    response = client.patch(f"{BASE}/requests/{r.pk}", {"priority_override": 90, "priority_override_reason": "Urgent"},
                            content_type="application/json")
    assert response.status_code == 200, body(response)
    assert client.patch(f"{BASE}/requests/{r.pk}", {"priority_override_reason": "Très urgent"},
                        content_type="application/json").status_code == 200
    response = client.patch(f"{BASE}/requests/{r.pk}", {"status": "declined", "decline_reason": "Hors sujet"},
                            content_type="application/json")
    assert response.status_code == 200, body(response)
    r.refresh_from_db()
    assert (r.status, r.decline_reason, r.priority_override_reason) == ("declined", "Hors sujet", "Très urgent")


def test_true_is_not_a_user_id_and_a_field_called_body_is_named(workspace, contributor, cm):
    r = submit(contributor, workspace)
    client = api(cm, workspace)
    response = client.patch(f"{BASE}/requests/{r.pk}", {"assignee": True}, content_type="application/json")
    assert response.status_code == 422 and body(response)["field"] == "assignee", body(response)
    response = client.post(f"{BASE}/requests/{r.pk}/comments", {"body": 12345}, content_type="application/json")
    assert response.status_code == 422 and body(response)["field"] == "body", body(response)
    r.refresh_from_db()
    assert r.assignee_id is None and not r.comments.filter(author=cm).exists()
