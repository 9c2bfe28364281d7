"""Response-time targets in business time, the timer, breaches and their escalation; teams and their members."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from comptoir.conftest import membership_of
from comptoir.inbox import actions, replies, routing, targets, teams
from comptoir.inbox.models import Conversation, Event, ResponseTarget, RoutingRule, Team
from comptoir.inbox.tests.conftest import bring, message
from comptoir.workspaces.models import AuditEvent, Notification

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def manager(workspace, cm):
    return membership_of(cm, workspace)


@pytest.fixture
def support(manager, moderator):
    team = teams.do_save_team(manager, {"name": "Service client", "time_zone": "Europe/Paris",
                                        "holidays_country": "FR",
                                        "working_hours": {str(d): [["09:00", "12:00"], ["14:00", "18:00"]]
                                                          for d in range(5)}})
    teams.do_add_member(manager, team, moderator.pk)
    return team


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=PARIS), tick=False)


def test_a_wait_gets_its_due_date_in_the_teams_business_time(channel, manager, support):
    targets.do_save_target(manager, {"team": support.pk, "minutes": 120})
    routing.do_save_rule(manager, {"name": "Tout au SAV", "team": support.pk})
    with at(2026, 3, 6, 18, 30):  # Friday evening; the message was written an hour earlier (17:30)
        bring(channel, message("1", "Ma commande n'est pas arrivée", minutes=0))
    conversation = Conversation.objects.get()
    # 17:30 → 18:00 is 30 minutes; 90 more on Monday from 09:00.
    assert conversation.reply_due_at == dt.datetime(2026, 3, 9, 10, 30, tzinfo=PARIS)
    with at(2026, 3, 9, 10, 0):
        assert targets.timer(conversation) == {"due_at": conversation.reply_due_at, "remaining_minutes": 30,
                                               "breached": False}
    with at(2026, 3, 9, 15, 0):
        timer = targets.timer(conversation)
    assert timer["breached"] and timer["remaining_minutes"] == -150  # 10:30 → 12:00, 14:00 → 15:00


def test_without_a_team_the_workspace_default_hours_apply(channel, manager):
    targets.do_save_target(manager, {"minutes": 60})
    with at(2026, 5, 1, 12, 0):  # Labour Day, a Friday: due on Monday at 10:00 in the workspace's zone (Paris)
        bring(channel, message("1", "Bonjour ?", minutes=60))
    assert Conversation.objects.get().reply_due_at == dt.datetime(2026, 5, 4, 10, 0, tzinfo=PARIS)


def test_the_most_specific_target_wins(channel, manager, support):
    targets.do_save_target(manager, {"minutes": 600})
    targets.do_save_target(manager, {"intent": "membership", "minutes": 300})
    targets.do_save_target(manager, {"team": support.pk, "minutes": 200})
    targets.do_save_target(manager, {"team": support.pk, "intent": "membership", "minutes": 100})
    conversation = Conversation(workspace=manager.workspace, intent="membership", team=support)
    assert targets.target_for(conversation).minutes == 100
    conversation.intent = "question"
    assert targets.target_for(conversation).minutes == 200
    conversation.team, conversation.intent = None, "membership"
    assert targets.target_for(conversation).minutes == 300
    conversation.intent = ""
    assert targets.target_for(conversation).minutes == 600
    other = Team.objects.create(workspace=manager.workspace, name="Autre")
    conversation.team, conversation.intent = other, "membership"
    assert targets.target_for(conversation).minutes == 300


def test_no_target_no_due_date_and_answering_clears_it(channel, manager):
    bring(channel, message("1", "Bonjour"))
    assert Conversation.objects.get().reply_due_at is None
    targets.do_save_target(manager, {"minutes": 60})
    bring(channel, message("2", "Vous êtes là ?", parent="1", minutes=5))
    conversation = Conversation.objects.get()
    # Still waiting, with no due date yet: the next message gives the wait its due date, counted from its start.
    assert conversation.reply_due_at == targets.due_at(conversation, conversation.waiting_since)
    replies._answered(conversation.pk, conversation.waiting_since)
    conversation.refresh_from_db()
    assert conversation.reply_due_at is None
    bring(channel, message("3", "Encore une question", parent="2", minutes=10))
    conversation.refresh_from_db()
    assert conversation.reply_due_at is not None
    replies._answered(conversation.pk, conversation.waiting_since)
    conversation.refresh_from_db()
    assert conversation.reply_due_at is None and targets.timer(conversation)["due_at"] is None


def test_a_breach_is_escalated_once_by_the_breach_rules(channel, manager, support, moderator, cm):
    targets.do_save_target(manager, {"minutes": 30})
    routing.do_save_rule(manager, {"name": "Tout au SAV", "team": support.pk})
    escalation = routing.do_save_rule(manager, {"name": "Escalade", "trigger": "breach", "priority": 3,
                                                "assignee": cm.pk, "notify": "managers"})
    with at(2026, 3, 3, 10, 0):
        bring(channel, message("1", "Toujours pas de réponse", minutes=60))  # written at 10:00
    with at(2026, 3, 3, 10, 20):
        assert targets.claim_breaches() == []
    with at(2026, 3, 3, 10, 31):
        [claimed] = targets.claim_breaches()
        assert targets.claim_breaches() == []  # claimed once, whatever the number of clocks
        assert targets.escalate.call(claimed) == "escalated"
        assert targets.escalate.call(claimed) == "skipped"
    conversation = Conversation.objects.get()
    assert conversation.breached_at and conversation.escalated_at
    assert conversation.priority == 3 and conversation.assignee == cm
    escalation.refresh_from_db()
    assert escalation.matched_count == 1
    kinds = [(e.kind, e.rule_name) for e in Event.objects.filter(conversation=conversation)]
    assert ("breached", "") in kinds and ("priority", "Escalade") in kinds and ("assigned", "Escalade") in kinds
    assert Notification.objects.filter(user=moderator, kind="conversation.breached").exists()
    # The member writes again after an answer: a new wait, a new target, the old breach forgotten.
    replies._answered(conversation.pk, conversation.waiting_since)
    with at(2026, 3, 3, 11, 0):
        bring(channel, message("2", "Merci, et sinon ?", parent="1", minutes=60))
    conversation.refresh_from_db()
    assert conversation.breached_at is None and conversation.escalated_at is None and conversation.reply_due_at


def test_breach_claims_ignore_answered_conversations(channel, manager):
    targets.do_save_target(manager, {"minutes": 30})
    with at(2026, 3, 3, 10, 0):
        bring(channel, message("1", "Bonjour", minutes=60))
    conversation = Conversation.objects.get()
    actions.do_set_status(manager, conversation, "closed")
    with at(2026, 3, 3, 12, 0):
        assert targets.claim_breaches() == []


def test_targets_are_checked(manager, other_workspace):
    theirs = Team.objects.create(workspace=other_workspace, name="Leur équipe")
    for data, field in [({"minutes": 0}, "minutes"), ({"minutes": "abc"}, "minutes"), ({"minutes": 10**9}, "minutes"),
                        ({"minutes": True}, "minutes"), ({"minutes": 60, "team": theirs.pk}, "team"),
                        ({"minutes": 60, "intent": "bribe"}, "intent"), ({"minutes": 60, "team": [1]}, "team")]:
        with pytest.raises(ValidationError) as error:
            targets.do_save_target(manager, data)
        assert field in error.value.message_dict, data
    targets.do_save_target(manager, {"minutes": 60})
    with pytest.raises(ValidationError) as error:
        targets.do_save_target(manager, {"minutes": 90})
    assert "already a target" in " ".join(error.value.messages)
    assert ResponseTarget.objects.count() == 1


# Teams ------------------------------------------------------------------------------------------------------


def test_a_team_is_saved_with_checked_hours_and_members_of_this_workspace(manager, outsider, analyst):
    with pytest.raises(ValidationError) as error:
        teams.do_save_team(manager, {"name": "Nuit", "working_hours": {"4": [["22:00", "02:00"]]},
                                     "time_zone": "Mars/Olympus", "holidays_country": "ZZ", "email": "pas une adresse"})
    assert set(error.value.message_dict) == {"working_hours", "time_zone", "holidays_country", "email"}
    assert "Friday" in error.value.message_dict["working_hours"][0]
    team = teams.do_save_team(manager, {"name": "Adhésions", "working_hours": {"0": [["09:00", "18:00"]], "1": []}})
    assert team.working_hours == {"0": [["09:00", "18:00"]]}
    with pytest.raises(ValidationError) as error:
        teams.do_save_team(manager, {"name": "adhésions"})
    assert "already called" in error.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as error:
        teams.do_add_member(manager, team, outsider.pk)
    assert "member of this workspace" in error.value.message_dict["user"][0]
    teams.do_add_member(manager, team, analyst.pk)
    teams.do_add_member(manager, team, analyst.pk)  # twice: once
    assert list(team.members.all()) == [analyst]
    assert teams.do_remove_member(manager, team, analyst.pk) and not team.members.exists()
    actions_logged = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"inbox_team.create", "inbox_team.add_member", "inbox_team.remove_member"} <= actions_logged


def test_deleting_a_team_keeps_its_conversations_and_tells_what_it_touches(channel, manager, support):
    routing.do_save_rule(manager, {"name": "Au SAV", "team": support.pk, "tag": "sav"})
    targets.do_save_target(manager, {"team": support.pk, "minutes": 60})
    bring(channel, message("1", "Bonjour"), message("2", "Allô", who="zoe@masto.example"))
    assert Conversation.objects.filter(team=support).count() == 2
    assert teams.deletion_impact(support) == {"conversations": 2, "rules": 1, "targets": 1, "members": 1}
    teams.do_delete_team(manager, support)
    assert Conversation.objects.count() == 2 and not Conversation.objects.filter(team__isnull=False).exists()
    assert RoutingRule.objects.get().actions == {"tag": "sav"} and not ResponseTarget.objects.exists()
    assert Event.objects.filter(kind="team", rule_name="Au SAV").count() == 2  # the history stays


def test_only_managers_manage_teams(workspace, moderator, support, manager):
    mod = membership_of(moderator, workspace)
    with pytest.raises(PermissionDenied):
        teams.do_save_team(mod, {"name": "Modos"})
    with pytest.raises(PermissionDenied):
        teams.do_delete_team(mod, support)
    with pytest.raises(PermissionDenied):
        teams.do_add_member(mod, support, moderator.pk)
