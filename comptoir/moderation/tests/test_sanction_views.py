"""The sanctions pages, the member's public appeal page, and the API: access, hostile input, the same moderator
refused."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from comptoir.conftest import membership_of
from comptoir.tests.test_api_errors import token_client

from .. import sanctions
from ..models import Appeal, Sanction
from .sanction_world import member, publish_charter, sanction_world


@pytest.fixture
def world(workspace, moderator):
    cache.clear()
    return sanction_world(membership_of(moderator, workspace))


def test_every_page_shows_for_a_reader_and_is_404_for_an_outsider(world, analyst, outsider, as_user):
    urls = ["/w/velo/moderation/ladder/", "/w/velo/moderation/sanctions/", "/w/velo/moderation/appeals/",
            f"/w/velo/moderation/sanctions/{world['sanction_id']}/", f"/w/velo/moderation/members/{world['identity_id']}/"]
    for url in urls:
        assert as_user(analyst).get(url).status_code == 200, url
        assert as_user(outsider).get(url).status_code == 404, url


def test_the_panel_proposes_the_next_step_and_applies_it_with_the_article(world, workspace, moderator, as_user):
    page = as_user(moderator).get(f"/w/velo/moderation/members/{world['identity_id']}/").content.decode()
    mute = sanctions.ladder(workspace)[2]
    assert f'<option value="{mute.id}" selected>' in page and "Article 3 — Respect" in page
    response = as_user(moderator).post("/w/velo/moderation/sanctions/add/", {
        "identity": world["identity_id"], "step": mute.id, "articles": ["3"], "reason": "<script>alert(1)</script>"})
    sanction = Sanction.objects.get(kind="mute")
    assert response.status_code == 302 and sanction.reason == "<script>alert(1)</script>"
    detail = as_user(moderator).get(response["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in detail and "&lt;script&gt;" in detail


def test_a_sanction_form_naming_another_workspace_is_404_and_applies_nothing(world, other_workspace, moderator, as_user):
    stranger = member(other_workspace, "stranger@masto.example")
    theirs = sanctions.ladder(other_workspace)[2]
    client = as_user(moderator)
    assert client.post("/w/velo/moderation/sanctions/add/", {"identity": stranger.pk, "step": theirs.pk,
                                                              "articles": ["3"]}).status_code == 404
    response = client.post("/w/velo/moderation/sanctions/add/", {"identity": world["identity_id"], "step": theirs.pk,
                                                                  "articles": ["3"]})
    assert response.status_code == 302
    assert Sanction.objects.count() == 1 and not Sanction.objects.filter(workspace=other_workspace).exists()


@pytest.mark.parametrize("data", [{"identity": ""}, {"identity": "abc"}, {"identity": "1" * 40}, {"step": "<b>"},
                                  {"articles": ["x" * 100_000]}, {"reason": "x" * 100_000}])
def test_hostile_sanction_forms_are_clear_errors(world, moderator, as_user, data):
    data = {"identity": world["identity_id"], "step": world["step_id"], "articles": ["3"], **data}
    response = as_user(moderator).post("/w/velo/moderation/sanctions/add/", data)
    assert response.status_code in (302, 404)
    assert Sanction.objects.count() == 1


def test_the_same_moderator_is_refused_on_the_appeal_and_another_decides(world, moderator, cm, as_user):
    url = f"/w/velo/moderation/appeals/{world['appeal_id']}/decide/"
    page = as_user(moderator).get("/w/velo/moderation/appeals/").content.decode()
    assert "another moderator must review" in page and 'data-testid="appeal-form"' not in page
    response = as_user(moderator).post(url, {"decision": "lifted", "reason": "Moi-même"}, follow=True)
    assert "another moderator must review" in response.content.decode()
    assert Appeal.objects.get().status == "pending"
    assert as_user(cm).post(url, {"decision": "lifted", "reason": ""}).status_code == 302
    assert Appeal.objects.get().status == "pending"  # a reason is required
    as_user(cm).post(url, {"decision": "upheld", "reason": "L'insulte est claire."})
    assert Appeal.objects.get().status == "upheld" and Appeal.objects.get().reviewer == cm


def test_the_public_appeal_page_takes_one_appeal_without_an_account(workspace, moderator):
    cache.clear()
    publish_charter(workspace)
    warning = sanctions.do_sanction(membership_of(moderator, workspace), identity=member(workspace),
                                    step=sanctions.ladder(workspace)[1], articles=[3], reason="")
    url = f"/appel/{warning.raw_appeal_token}/"
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin" and "Article 3" in page.content.decode()
    token = page.cookies["csrftoken"].value
    assert client.post(url, {"text": "sans jeton"}).status_code == 403  # CSRF
    empty = client.post(url, {"text": "  ", "csrfmiddlewaretoken": token})
    assert empty.status_code == 400 and not Appeal.objects.exists()
    sent = client.post(url, {"text": "<img src=x onerror=alert(1)>Je conteste", "csrfmiddlewaretoken": token})
    assert sent.status_code == 302
    assert Appeal.objects.get().text == "<img src=x onerror=alert(1)>Je conteste"
    again = client.post(url, {"text": "Encore", "csrfmiddlewaretoken": token})
    assert again.status_code == 400 and Appeal.objects.count() == 1


def test_the_public_page_is_rate_limited_and_hostile_tokens_are_404(world):
    url = f"/appel/{world['appel/token']}/"
    client = Client()
    statuses = [client.post(url, {"text": ""}).status_code for _ in range(7)]
    assert statuses[-1] == 429
    for token in ("%00", "x" * 5000, "%3Cscript%3E", world["appel/token"] + "x"):
        assert Client().get(f"/appel/{token}/").status_code == 404


def test_the_api_lists_gives_and_lifts_sanctions_and_decides_appeals(world, workspace, owner, moderator, cm):
    mod = token_client(moderator, workspace)
    ladder = json.loads(mod.get("/api/v1/workspaces/velo/moderation/ladder").content)
    assert [s["kind"] for s in ladder] == ["reminder", "warning", "mute", "suspension", "ban"]
    created = mod.post("/api/v1/workspaces/velo/moderation/sanctions", {
        "identity": world["identity_id"], "step": ladder[0]["id"], "articles": [3], "reason": "Rappel"},
        content_type="application/json")
    assert created.status_code == 201, created.content
    body = json.loads(created.content)
    assert body["kind"] == "reminder" and body["articles"] == [3]
    bad = mod.post("/api/v1/workspaces/velo/moderation/sanctions", {
        "identity": world["identity_id"], "step": ladder[0]["id"], "articles": [9]}, content_type="application/json")
    assert bad.status_code == 400 and json.loads(bad.content)["field"] == "articles"
    lifted = mod.post(f"/api/v1/workspaces/velo/moderation/sanctions/{body['id']}/lift", {"lift_reason": "Erreur"},
                      content_type="application/json")
    assert json.loads(lifted.content)["status"] == "lifted"
    own = mod.post(f"/api/v1/workspaces/velo/moderation/appeals/{world['appeal_id']}/decide",
                   {"decision": "lifted", "reason": "x"}, content_type="application/json")
    assert own.status_code == 403
    other = token_client(cm, workspace).post(f"/api/v1/workspaces/velo/moderation/appeals/{world['appeal_id']}/decide",
                                             {"decision": "lifted", "reason": "Accordé"}, content_type="application/json")
    assert json.loads(other.content)["status"] == "lifted"
    listed = json.loads(mod.get(f"/api/v1/workspaces/velo/moderation/sanctions?identity={world['identity_id']}").content)
    assert len(listed) == 2
