"""The routing screens: teams, rules (with "test this rule"), targets — by persona, and with hostile input."""

import html

import pytest

from comptoir.conftest import membership_of
from comptoir.inbox import routing, teams
from comptoir.inbox.models import Conversation, ResponseTarget, RoutingRule, Team
from comptoir.inbox.tests.conftest import bring, message

ADHESION = "Bonjour, je voudrais adhérer à l'association, comment faire ?"


@pytest.fixture(autouse=True)
def english_readers(workspace, other_workspace):
    """The pages speak each user's language: these tests read them in English."""
    from comptoir.workspaces.models import User

    User.objects.update(language="en")


@pytest.fixture
def team(workspace, cm):
    return teams.do_save_team(membership_of(cm, workspace), {"name": "Adhésions"})


@pytest.fixture
def saved_rule(workspace, cm, team):
    return routing.do_save_rule(membership_of(cm, workspace), {"name": "Adhésions", "query": "adhérer", "team": team.pk})


def test_pages_render_for_a_manager(as_user, cm, team, saved_rule):
    client = as_user(cm)
    for url in ["/w/velo/inbox/teams/", "/w/velo/inbox/teams/add/", f"/w/velo/inbox/teams/{team.pk}/",
                f"/w/velo/inbox/teams/{team.pk}/delete/", "/w/velo/inbox/rules/", "/w/velo/inbox/rules/add/",
                f"/w/velo/inbox/rules/{saved_rule.pk}/", f"/w/velo/inbox/rules/{saved_rule.pk}/test/",
                f"/w/velo/inbox/rules/{saved_rule.pk}/delete/", "/w/velo/inbox/targets/"]:
        assert client.get(url).status_code == 200, url


def test_outsiders_get_404_and_moderators_read_but_do_not_manage(as_user, outsider, moderator, contributor, team,
                                                                  saved_rule):
    manage = ["/w/velo/inbox/teams/add/", f"/w/velo/inbox/teams/{team.pk}/", f"/w/velo/inbox/rules/{saved_rule.pk}/",
              "/w/velo/inbox/rules/add/", f"/w/velo/inbox/rules/{saved_rule.pk}/test/"]
    for url in ["/w/velo/inbox/teams/", "/w/velo/inbox/rules/", "/w/velo/inbox/targets/", *manage]:
        assert as_user(outsider).get(url).status_code == 404, url
    for url in manage:
        assert as_user(moderator).get(url).status_code == 403, url
    assert as_user(moderator).get("/w/velo/inbox/rules/").status_code == 200
    assert as_user(contributor).get("/w/velo/inbox/rules/").status_code == 403
    for url, data in [(f"/w/velo/inbox/teams/{team.pk}/delete/", {}), (f"/w/velo/inbox/rules/{saved_rule.pk}/delete/", {}),
                      ("/w/velo/inbox/targets/", {"minutes": "30"}),
                      (f"/w/velo/inbox/rules/{saved_rule.pk}/toggle/", {"enabled": "0"})]:
        assert as_user(moderator).post(url, data).status_code == 403, url
    assert Team.objects.exists() and RoutingRule.objects.get().enabled and not ResponseTarget.objects.exists()


def test_a_team_is_created_with_a_preset_then_gets_members(as_user, cm, analyst, outsider):
    client = as_user(cm)
    filled = client.post("/w/velo/inbox/teams/add/", {"name": "Adhésions", "preset": "mon-fri-9-18"})
    assert filled.status_code == 200 and not Team.objects.exists()
    assert 'name="h-0-0-start" value="09:00"' in filled.content.decode()
    data = {"name": "Adhésions", "holidays_country": "FR", "h-0-0-start": "09:00", "h-0-0-end": "12:30",
            "h-0-1-start": "14:00", "h-0-1-end": "18:00"}
    response = client.post("/w/velo/inbox/teams/add/", data)
    team = Team.objects.get()
    assert response.status_code == 302 and team.working_hours == {"0": [["09:00", "12:30"], ["14:00", "18:00"]]}
    page = client.post(f"/w/velo/inbox/teams/{team.pk}/members/", {"user": outsider.pk}, follow=True)
    assert "only the workspace" in page.content.decode() and not team.members.exists()
    client.post(f"/w/velo/inbox/teams/{team.pk}/members/", {"user": analyst.pk})
    assert list(team.members.all()) == [analyst]
    client.post(f"/w/velo/inbox/teams/{team.pk}/members/{analyst.pk}/remove/")
    assert not team.members.exists()


def test_bad_hours_are_shown_with_the_day_and_nothing_is_saved(as_user, cm):
    response = as_user(cm).post("/w/velo/inbox/teams/add/", {"name": "Nuit", "h-4-0-start": "22:00",
                                                              "h-4-0-end": "02:00", "email": "<script>"})
    body = response.content.decode()
    assert response.status_code == 400 and not Team.objects.exists()
    assert "Friday: the range 22:00–02:00 ends before it starts" in body or "vendredi" in body
    assert "<script>" not in body.replace("&lt;script&gt;", "")


def test_the_delete_page_counts_conversations_and_rules(as_user, cm, team, saved_rule, channel):
    bring(channel, message("1", ADHESION))
    body = as_user(cm).get(f"/w/velo/inbox/teams/{team.pk}/delete/").content.decode()
    assert "Its 1 conversation stays" in body or "1 conversation" in body
    assert "1 routing rule routes to it" in body or "1 règle" in body
    as_user(cm).post(f"/w/velo/inbox/teams/{team.pk}/delete/")
    assert Conversation.objects.get().team is None


def test_a_rule_is_saved_from_the_form_and_moved(as_user, cm, team, saved_rule):
    client = as_user(cm)
    response = client.post("/w/velo/inbox/rules/add/", {"name": "Plaintes", "trigger": "new",
                                                         "intents": ["complaint"], "priority": "3", "enabled": "on"})
    assert response.status_code == 302
    assert [r.name for r in routing.ordered(1 and team.workspace_id, "new")] == ["Adhésions", "Plaintes"]
    client.post(f"/w/velo/inbox/rules/{RoutingRule.objects.get(name='Plaintes').pk}/move/", {"direction": "up"})
    assert [r.name for r in routing.ordered(team.workspace_id, "new")] == ["Plaintes", "Adhésions"]


def test_a_malformed_query_in_the_form_names_the_field_and_keeps_what_was_typed(as_user, cm):
    response = as_user(cm).post("/w/velo/inbox/rules/add/", {"name": "Cassée", "trigger": "new",
                                                              "query": "adhésion AND (cotisation", "priority": "2"})
    body = response.content.decode()
    assert response.status_code == 400 and "Keywords: column 14" in body and "adhésion AND (cotisation" in body
    assert not RoutingRule.objects.exists()


def test_other_workspaces_ids_in_the_form_are_refused(as_user, cm, other_workspace, outsider, other_channel):
    theirs = Team.objects.create(workspace=other_workspace, name="Leur équipe")
    response = as_user(cm).post("/w/velo/inbox/rules/add/", {
        "name": "Piège", "trigger": "new", "team": theirs.pk, "assignee": outsider.pk, "channels": [other_channel.pk]})
    body = html.unescape(response.content.decode())
    assert response.status_code == 400 and not RoutingRule.objects.exists()
    assert "this workspace's teams" in body and "member of this workspace" in body and "channels of this workspace" in body
    other_rule = RoutingRule.objects.create(workspace=other_workspace, name="Leur règle")
    other_team = theirs
    assert as_user(cm).get(f"/w/velo/inbox/rules/{other_rule.pk}/").status_code == 404
    assert as_user(cm).get(f"/w/velo/inbox/teams/{other_team.pk}/").status_code == 404
    assert as_user(cm).post(f"/w/velo/inbox/rules/{other_rule.pk}/delete/").status_code == 404


def test_testing_an_unsaved_rule_counts_past_conversations_and_warns_on_everything(as_user, cm, channel):
    bring(channel, message("1", ADHESION), message("2", "Horaires de l'atelier ?", who="zoe@masto.example"))
    client = as_user(cm)
    response = client.post("/w/velo/inbox/rules/test/", {"name": "Essai", "query": "adhérer", "days": "7"})
    body = response.content.decode()
    assert response.status_code == 200 and "<strong>1</strong> of 2 conversations" in body
    assert "je voudrais adhérer" in body and "test-everything" not in body
    assert not RoutingRule.objects.exists()
    everything = client.post("/w/velo/inbox/rules/test/", {"name": "Tout", "days": "30"}).content.decode()
    assert "<strong>2</strong> of 2" in everything and 'data-testid="test-everything"' in everything
    bad = client.post("/w/velo/inbox/rules/test/", {"query": '"jamais fermé', "days": "999"})
    assert bad.status_code == 400 and "never closed" in bad.content.decode()


def test_targets_are_set_and_removed_from_the_page(as_user, cm, team):
    client = as_user(cm)
    assert client.post("/w/velo/inbox/targets/", {"team": team.pk, "intent": "membership", "hours": "4"}).status_code == 302
    target = ResponseTarget.objects.get()
    assert target.minutes == 240 and target.team == team
    refused = client.post("/w/velo/inbox/targets/", {"hours": "0", "minutes": "0"})
    assert refused.status_code == 400 and "business minutes" in refused.content.decode()
    client.post(f"/w/velo/inbox/targets/{target.pk}/delete/")
    assert not ResponseTarget.objects.exists()


@pytest.mark.parametrize("value", ["\x00<script>alert(1)</script>", "x" * 100_000, "-1", "99999999999999999999999"])
def test_hostile_values_in_every_form_never_break(as_user, cm, team, saved_rule, value):
    client = as_user(cm)
    fields = ["name", "description", "email", "time_zone", "holidays_country", "trigger", "intents", "sentiments",
              "languages", "channels", "segments", "query", "team", "assignee", "priority", "tag", "ack_text",
              "notify", "user", "intent", "hours", "minutes", "days", "direction", "preset", "h-0-0-start", "h-0-0-end"]
    for url in ["/w/velo/inbox/teams/add/", f"/w/velo/inbox/teams/{team.pk}/", f"/w/velo/inbox/teams/{team.pk}/members/",
                "/w/velo/inbox/rules/add/", f"/w/velo/inbox/rules/{saved_rule.pk}/", "/w/velo/inbox/rules/test/",
                f"/w/velo/inbox/rules/{saved_rule.pk}/move/", "/w/velo/inbox/targets/"]:
        response = client.post(url, dict.fromkeys(fields, value))
        assert response.status_code < 500, url
