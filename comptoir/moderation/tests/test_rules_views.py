"""The rules pages and API: who reads, who changes, hostile input, undo in one click."""

import pytest
from django.urls import reverse

from comptoir.conftest import client_for, membership_of
from comptoir.inbox.tests.conftest import bring, message
from comptoir.moderation import rules
from comptoir.moderation.models import AutoAction, Case, Rule
from comptoir.workspaces.actions import do_create_api_token


@pytest.fixture
def manager(workspace, cm):
    return membership_of(cm, workspace)


def url(name, *args, slug="velo"):
    return reverse(name, args=[slug, *args])


def test_the_first_visit_writes_the_default_rules_and_lists_them(workspace, cm):
    page = client_for(cm).get(url("moderation_rules"))
    assert page.status_code == 200
    assert Rule.objects.filter(workspace=workspace).count() == len(rules.default_rules())
    assert "Insults from the word lists" in page.content.decode()


def test_a_reader_sees_rules_but_cannot_change_them(workspace, analyst, manager):
    rules.do_save_rule(manager, {"name": "Mots", "kind": "words", "query": "arnaque", "actions": ["flag"]})
    client = client_for(analyst)
    page = client.get(url("moderation_rules"))
    assert page.status_code == 200 and "Mots" in page.content.decode()
    assert Rule.objects.count() == 1  # a reader's visit writes no defaults
    assert client.get(url("moderation_rule_add")).status_code == 403
    assert client.post(url("moderation_rule_flags", Rule.objects.get().pk), {"enabled": "0"}).status_code == 403


def test_an_outsider_gets_404_on_our_rules(workspace, manager, outsider):
    rule = rules.do_save_rule(manager, {"name": "Mots", "kind": "words", "query": "arnaque", "actions": ["flag"]})
    client = client_for(outsider)
    assert client.get(url("moderation_rules")).status_code in (403, 404)
    assert client.get(url("moderation_rule", rule.pk, slug="autre")).status_code == 404
    assert client.post(url("moderation_rule_delete", rule.pk, slug="autre")).status_code == 404


def test_creating_a_rule_through_the_form_names_the_faulty_field(workspace, cm):
    client = client_for(cm)
    page = client.post(url("moderation_rule_add") + "?kind=words",
                       {"kind": "words", "name": "<script>x</script>", "query": "arnaque (", "actions": ["flag"]})
    assert page.status_code == 400 and "column 9" in page.content.decode()
    page = client.post(url("moderation_rule_add"), {"kind": "model", "name": "Tox", "task": "toxicity",
                                                     "threshold": "0.9", "actions": ["hide"]})
    assert page.status_code == 400 and "never hides nor deletes" in page.content.decode()
    ok = client.post(url("moderation_rule_add"), {"kind": "words", "name": "Arnaques", "query": "arnaque*",
                                                  "actions": ["flag", "hold"], "enabled": "on"})
    assert ok.status_code == 302
    rule = Rule.objects.get(name="Arnaques")
    assert rule.params["query"] == "arnaque*" and rule.actions == ["flag", "hold"] and rule.enabled
    assert client.get(url("moderation_rule", rule.pk)).status_code == 200


def test_preview_pages_for_saved_and_unsaved_rules(channel, cm, manager):
    bring(channel, message("1", "Quel connard"), message("2", "Merci pour l'atelier"))
    rule = rules.do_save_rule(manager, {"name": "C", "kind": "words", "query": "connard", "actions": ["hold"]})
    client = client_for(cm)
    page = client.get(url("moderation_rule_preview", rule.pk))
    assert page.status_code == 200 and "1 of 2 messages" in page.content.decode()
    page = client.post(url("moderation_rule_preview_new"), {"kind": "words", "query": "atelier", "actions": ["flag"]})
    assert page.status_code == 200 and "1 of 2 messages" in page.content.decode()
    page = client.post(url("moderation_rule_preview_new"), {"kind": "words", "query": "((", "actions": ["flag"]})
    assert page.status_code == 400


def test_the_log_lists_automatic_actions_and_undoes_one_in_a_click(channel, manager, moderator):
    rules.do_save_rule(manager, {"name": "Insultes", "kind": "words", "lexicons": ["fr_insults"], "actions": ["hold"]})
    bring(channel, message("1", "Ferme ta gueule"))
    row = AutoAction.objects.get()
    client = client_for(moderator)
    page = client.get(url("moderation_rules_log"))
    assert page.status_code == 200 and "Ferme ta gueule" in page.content.decode()
    assert client.post(url("moderation_auto_action_undo", row.pk)).status_code == 302
    row.refresh_from_db()
    assert row.result == "undone" and Case.objects.get().decision == "approved"
    assert client.post(url("moderation_auto_action_undo", row.pk), follow=True).status_code == 200  # said, not 500
    assert client.post(url("moderation_auto_action_undo", 2**70)).status_code == 404


def _api(user, workspace):
    _token, secret = do_create_api_token(user, workspace, "t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_api_covers_rules_preview_actions_and_undo(channel, cm, moderator, workspace, client):
    headers = _api(cm, workspace)
    base = "/api/v1/workspaces/velo/moderation"
    made = client.post(f"{base}/rules", {"name": "Insultes", "kind": "words", "lexicons": ["fr_insults"],
                                         "actions": ["hold"]}, content_type="application/json", **headers)
    assert made.status_code == 201, made.content
    rule_id = made.json()["id"]
    bad = client.post(f"{base}/rules", {"name": "x", "kind": "model", "task": "toxicity", "threshold": 0.9,
                                        "actions": ["delete"]}, content_type="application/json", **headers)
    assert bad.status_code == 400 and "actions" in bad.content.decode()
    patched = client.patch(f"{base}/rules/{rule_id}", {"dry_run": True}, content_type="application/json", **headers)
    assert patched.status_code == 200 and patched.json()["dry_run"] is True
    client.patch(f"{base}/rules/{rule_id}", {"dry_run": False}, content_type="application/json", **headers)
    bring(channel, message("1", "Bande d'abrutis"))
    assert client.get(f"{base}/rules/{rule_id}/preview", **headers).json()["matched"] == 1
    actions = client.get(f"{base}/auto-actions", **headers).json()
    assert [a["action"] for a in actions] == ["hold"]
    undone = client.post(f"{base}/auto-actions/{actions[0]['id']}/undo", **_api(moderator, workspace))
    assert undone.status_code == 200 and undone.json()["action"]["result"] == "undone"
    assert client.get(f"{base}/rules", **_api(moderator, workspace)).status_code == 200
    assert client.delete(f"{base}/rules/{rule_id}", **_api(moderator, workspace)).status_code == 403
    assert client.delete(f"{base}/rules/{rule_id}", **headers).status_code == 204
