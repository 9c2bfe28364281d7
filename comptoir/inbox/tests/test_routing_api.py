"""The routing API: teams, members and rules with a token, errors as JSON naming the field."""

import json

import pytest

from comptoir.inbox.models import Conversation, RoutingRule, Team
from comptoir.inbox.tests.conftest import bring, message
from comptoir.workspaces import actions


@pytest.fixture
def api(cm, workspace):
    from django.test import Client

    _token, raw = actions.do_create_api_token(cm, workspace, "tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def call(method, path, body=None):
        url = f"/api/v1/workspaces/velo/inbox/{path}"
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
        return response.status_code, (json.loads(response.content) if response.content else None)

    return call


def test_teams_and_members_through_the_api(api, analyst, outsider):
    status, team = api("post", "teams", {"name": "Adhésions", "working_hours": {"0": [["09:00", "18:00"]]}})
    assert status == 201 and team["working_hours"] == {"0": [["09:00", "18:00"]]}
    status, error = api("post", "teams", {"name": "Nuit", "working_hours": {"0": [["22:00", "06:00"]]}})
    assert status == 400 and error["field"] == "working_hours" and ("ends before it starts" in error["message"] or "se termine avant de commencer" in error["message"])
    status, error = api("post", f"teams/{team['id']}/members", {"user": outsider.pk})
    assert status == 400 and error["field"] == "user"
    status, team = api("post", f"teams/{team['id']}/members", {"user": analyst.pk})
    assert status == 200 and [m["user"] for m in team["members"]] == [analyst.pk]
    status, team = api("patch", f"teams/{team['id']}", {"description": "Les adhésions"})
    assert status == 200 and team["description"] == "Les adhésions" and team["name"] == "Adhésions"
    assert api("delete", f"teams/{team['id']}/members/{outsider.pk}")[0] == 404
    status, team = api("delete", f"teams/{team['id']}/members/{analyst.pk}")
    assert status == 200 and team["members"] == []
    status, impact = api("delete", f"teams/{team['id']}")
    assert status == 200 and impact == {"conversations": 0, "rules": 0, "targets": 0, "members": 0}
    assert not Team.objects.exists()


def test_rules_through_the_api_route_a_membership_request(api, channel, other_workspace):
    status, team = api("post", "teams", {"name": "Adhésions"})
    status, rule = api("post", "rules", {"name": "Adhésions", "query": "adhérer OR adhésion", "team": team["id"],
                                         "stop": True})
    assert status == 201 and rule["position"] == 0 and rule["query"] == "adhérer OR adhésion"
    bring(channel, message("1", "Bonjour, je voudrais adhérer à l'association, comment faire ?"))
    assert Conversation.objects.get().team_id == team["id"]
    status, tested = api("post", "rules/test", {"query": "adhérer", "days": 7})
    assert status == 200 and (tested["scanned"], tested["matched"]) == (1, 1)
    status, tested = api("get", f"rules/{rule['id']}/test?days=30")
    assert status == 200 and tested["matched"] == 1 and tested["conversations"][0]["team"] == team["id"]
    status, error = api("post", "rules", {"name": "Cassée", "query": "(adhésion", "priority": 2})
    assert status == 400 and error["field"] == "query" and ("column 1" in error["message"] or "colonne 1" in error["message"])
    theirs = Team.objects.create(workspace=other_workspace, name="Leur équipe")
    status, error = api("patch", f"rules/{rule['id']}", {"team": theirs.pk})
    assert status == 400 and error["field"] == "team"
    status, second = api("post", "rules", {"name": "Urgent", "intents": ["complaint"], "priority": 3})
    status, ordered = api("post", "rules/reorder", {"ids": [second["id"]]})
    assert status == 200 and [r["name"] for r in ordered] == ["Urgent", "Adhésions"]
    status, error = api("post", "rules/test", {"days": 3})
    assert status == 400 and error["field"] == "days"
    status, changed = api("patch", f"rules/{rule['id']}", {"team": None, "tag": "adhésion", "enabled": False})
    assert status == 200 and changed["team"] is None and changed["tag"] == "adhésion" and not changed["enabled"]
    assert api("delete", f"rules/{rule['id']}")[0] == 204
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Urgent"]


def test_a_moderators_token_reads_but_does_not_change(moderator, workspace):
    from django.test import Client

    _token, raw = actions.do_create_api_token(moderator, workspace, "tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/workspaces/velo/inbox/rules").status_code == 200
    response = client.post("/api/v1/workspaces/velo/inbox/teams", json.dumps({"name": "Modos"}),
                           content_type="application/json")
    assert response.status_code == 403 and json.loads(response.content)["message"]
