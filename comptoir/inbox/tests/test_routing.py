"""Routing rules: conditions, actions in order, the timeline naming the rule, and "test this rule" on past conversations."""

import time

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from comptoir.conftest import make_user, membership_of
from comptoir.inbox import routing, teams
from comptoir.inbox.models import Conversation, Event, Reply, RoutingRule, Team
from comptoir.inbox.tests.conftest import bring, message
from comptoir.members.models import Person
from comptoir.workspaces.models import AuditEvent, Membership, Notification
from comptoir.workspaces.roles import Role

ADHESION = "Bonjour, je voudrais adhérer à l'association, comment faire ?"


@pytest.fixture
def manager(workspace, cm):
    return membership_of(cm, workspace)


@pytest.fixture
def expert(workspace):
    user = make_user("eva.experte@asso.test", "Eva Experte")
    Membership.objects.create(workspace=workspace, user=user, role=Role.CONTRIBUTOR)
    return user


@pytest.fixture
def membership_team(manager, expert):
    team = teams.do_save_team(manager, {"name": "Adhésions", "email": "adhesions@asso.test",
                                        "working_hours": {"0": [["09:00", "18:00"]]}})
    teams.do_add_member(manager, team, expert.pk)
    return team


def rule(manager, **data) -> RoutingRule:
    return routing.do_save_rule(manager, {"name": data.pop("name", "Règle"), **data})


def events(conversation) -> list[tuple[str, str, str]]:
    return [(e.kind, e.rule_name, str(e.message)) for e in Event.objects.filter(conversation=conversation)]


def test_it_routes_membership_requests_to_the_membership_team(channel, manager, membership_team, expert):
    by_intent = rule(manager, name="Adhésions → équipe adhésions", intents=["membership"], team=membership_team.pk,
                     stop=True)
    bring(channel, message("1", ADHESION))
    conversation = Conversation.objects.get()
    assert conversation.intent == "membership"  # what the shipped model says of this message
    assert conversation.team == membership_team and conversation.routed_at is not None
    assert ("team", "Adhésions → équipe adhésions", "Routed to the team Adhésions.") in events(conversation)
    by_intent.refresh_from_db()
    assert by_intent.matched_count == 1
    from comptoir.inbox.actions import is_routed_to

    assert is_routed_to(expert, conversation)


def test_a_keyword_rule_routes_the_request_whatever_the_model_says(channel, manager, membership_team):
    rule(manager, name="Mots de l'adhésion", query="adhérer OR adhésion OR adhérent*", team=membership_team.pk)
    rule(manager, name="Vélos volés", query="vol* NEAR/3 velo", priority=3)
    bring(channel, message("1", ADHESION), message("2", "On m'a volé mon vélo !", who="zoe@masto.example"))
    adhesion = Conversation.objects.get(key="1")
    theft = Conversation.objects.get(key="2")
    assert adhesion.team == membership_team and adhesion.priority == 1
    assert theft.team is None and theft.priority == 3
    assert [e[1] for e in events(theft)] == ["Vélos volés"]


def test_rules_run_in_order_and_stop_ends_the_evaluation(channel, manager, membership_team):
    other = teams.do_save_team(manager, {"name": "Service client"})
    first = rule(manager, name="Premier", query="adhérer", team=other.pk, stop=True)
    second = rule(manager, name="Second", query="adhérer", team=membership_team.pk, tag="adhésion")
    bring(channel, message("1", ADHESION))
    conversation = Conversation.objects.get()
    assert conversation.team == other and not conversation.tags.exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.matched_count, second.matched_count) == (1, 0)

    routing.do_move_rule(manager, second, "up")
    assert [r.name for r in routing.ordered(manager.workspace_id, "new")] == ["Second", "Premier"]
    bring(channel, message("2", ADHESION, who="zoe@masto.example"))
    later = Conversation.objects.get(key="2")
    # Second has no stop: both run, in order; Premier's team comes last and stays.
    assert later.team == other and [t.name for t in later.tags.all()] == ["adhésion"]
    assert [e[1] for e in events(later)] == ["Second", "Second", "Premier"]


def test_disabled_rules_do_not_run_and_a_conversation_is_routed_once(channel, manager, membership_team):
    off = rule(manager, name="Éteinte", query="adhérer", priority=0, enabled=False)
    on = rule(manager, name="Allumée", query="adhérer", tag="adhésion")
    bring(channel, message("1", ADHESION))
    conversation = Conversation.objects.get()
    assert conversation.priority == 1
    routing.conversations_started(None, conversation_ids=[conversation.pk])  # sent again: already routed
    on.refresh_from_db()
    off.refresh_from_db()
    assert (on.matched_count, off.matched_count) == (1, 0)


def test_every_action_is_logged_on_the_timeline_with_the_rule(channel, manager, membership_team, expert, cm):
    rule(manager, name="Tout faire", query="adhérer", team=membership_team.pk, assignee=expert.pk, priority=2,
         tag="Adhésion", notify="members")
    bring(channel, message("1", ADHESION))
    conversation = Conversation.objects.get()
    assert conversation.assignee == expert and conversation.priority == 2
    lines = events(conversation)
    assert {kind for kind, _rule, _text in lines} == {"assigned", "team", "priority", "tagged", "notified"}
    assert all(name == "Tout faire" for _kind, name, _text in lines)
    assert ("notified", "Tout faire", "Notified: Eva Experte.") in lines
    assert Notification.objects.filter(user=expert, kind="conversation.routed").exists()
    assert AuditEvent.objects.filter(action="conversation.assign", actor__isnull=True).exists()


def test_the_team_address_is_mailed_once(channel, manager, membership_team):
    rule(manager, name="Prévenir l'équipe", query="adhérer", team=membership_team.pk, notify="address")
    bring(channel, message("1", ADHESION))
    event = Event.objects.get(kind="notified")
    assert routing.mail_team.call(event.pk) == "sent"
    assert routing.mail_team.call(event.pk) == "skipped"
    [sent] = mail.outbox
    assert sent.to == ["adhesions@asso.test"] and "Adhésions" in sent.subject and "Prévenir l'équipe" in sent.body


def test_an_acknowledgment_with_variables_is_queued_by_the_rule(channel, manager):
    rule(manager, name="Accusé de réception", query="adhérer",
         ack_text="Merci {first_name}, nous revenons vers vous sur {channel} ! {inconnu}")
    bring(channel, message("1", ADHESION))
    conversation = Conversation.objects.get()
    [reply] = Reply.objects.filter(conversation=conversation)
    assert reply.purpose == "ack" and reply.state == "queued" and reply.rule.name == "Accusé de réception"
    assert reply.text == "Merci Lea, nous revenons vers vous sur Mastodon @velo ! {inconnu}"
    assert ("ack", "Accusé de réception", "Automatic answer queued.") in events(conversation)


def test_an_action_that_cannot_be_done_is_said_on_the_timeline_and_the_others_run(channel, manager, workspace):
    bring(channel, message("1", ADHESION))
    channel.removed_at = channel.created_at  # disconnected since: no answer possible from Comptoir
    channel.save()
    rule(manager, name="Accusé", query="adhérer", ack_text="Merci !", priority=3)
    conversation = Conversation.objects.get()
    assert routing.run_rules(conversation) == [RoutingRule.objects.get().pk]
    conversation.refresh_from_db()
    assert conversation.priority == 3 and not Reply.objects.exists()
    assert any(kind == "rule_skipped" and "disconnected" in text for kind, _n, text in events(conversation))


def test_segments_newcomer_returning_and_known_person(channel, manager, workspace):
    rule(manager, name="Nouveaux", segments=["newcomer"], tag="nouveau")
    rule(manager, name="Habitués", segments=["returning"], tag="habitué")
    rule(manager, name="Connus", segments=["person"], tag="connu")
    bring(channel, message("1", "Première question"))
    bring(channel, message("2", "Deuxième question", minutes=5))
    first, second = Conversation.objects.get(key="1"), Conversation.objects.get(key="2")
    assert [t.name for t in first.tags.all()] == ["nouveau"]
    assert [t.name for t in second.tags.all()] == ["habitué"]
    identity = first.identity
    identity.person = Person.objects.create(workspace=workspace, display_name="Léa Martin")
    identity.save()
    bring(channel, message("3", "Troisième", minutes=10))
    assert {t.name for t in Conversation.objects.get(key="3").tags.all()} == {"habitué", "connu"}


def test_conditions_on_language_sentiment_and_channel(channel, other_channel, manager, workspace):
    from comptoir.workspaces.models import Channel

    second = Channel.objects.create(workspace=workspace, network="mastodon", handle="@atelier@masto.example",
                                    label="Atelier")
    rule(manager, name="Anglais", languages=["en"], tag="english")
    rule(manager, name="Atelier", channels=[second.pk], tag="atelier")
    bring(channel, message("1", "Hello, how can I join your association please?"))
    bring(second, message("2", "Bonjour, l'atelier est ouvert samedi ?"))
    assert [t.name for t in Conversation.objects.get(key="1").tags.all()] == ["english"]
    assert [t.name for t in Conversation.objects.get(key="2").tags.all()] == ["atelier"]


# Checking rules ---------------------------------------------------------------------------------------------


def test_a_malformed_query_is_refused_naming_the_field_and_the_column(manager):
    with pytest.raises(ValidationError) as error:
        rule(manager, query='adhésion AND (cotisation OR "tarif', priority=2)
    [text] = error.value.message_dict["query"]
    assert text.startswith("Keywords: column 29:") and "never closed" in text
    assert not RoutingRule.objects.exists()


def test_a_huge_or_pathological_query_is_refused_or_read_quickly(manager):
    with pytest.raises(ValidationError) as error:
        rule(manager, query="a" * 5000, priority=2)
    assert "at most 2000" in " ".join(error.value.message_dict["query"])
    started = time.monotonic()
    nasty = " OR ".join(f"(velo{i}* NEAR/1000 {'(' * 3}x{i} OR y{i}{')' * 3})" for i in range(60))[:2000]
    try:
        rule(manager, query=nasty, priority=2)
    except ValidationError as exc:
        assert "query" in exc.message_dict
    routing.preview(manager.workspace, {"query": "(a* OR b* OR c*) NEAR/1000 (d* OR e*)"}, 30)
    assert time.monotonic() - started < 5


def test_other_workspaces_ids_are_refused(manager, other_workspace, outsider, other_channel):
    theirs = Team.objects.create(workspace=other_workspace, name="Leur équipe")
    for data, field in [({"team": theirs.pk}, "team"), ({"assignee": outsider.pk}, "assignee"),
                        ({"channels": [other_channel.pk], "priority": 2}, "channels"),
                        ({"team": "abc"}, "team"), ({"assignee": 10**30}, "assignee"),
                        ({"channels": ["x"], "priority": 2}, "channels"), ({"intents": ["bribe"], "priority": 2}, "intents"),
                        ({"priority": 9}, "priority"), ({"priority": True}, "priority"),
                        ({"notify": "everyone"}, "notify"), ({"languages": ["français"], "priority": 1}, "languages")]:
        with pytest.raises(ValidationError) as error:
            rule(manager, **data)
        assert field in error.value.message_dict, (data, error.value.message_dict)
    with pytest.raises(ValidationError) as error:
        rule(manager, name="")
    assert {"name", "__all__"} <= set(error.value.message_dict) or "name" in error.value.message_dict
    assert not RoutingRule.objects.exists()


def test_a_rule_without_action_is_refused_and_html_is_kept_as_text(manager):
    with pytest.raises(ValidationError) as error:
        rule(manager, query="adhérer")
    assert "at least one action" in " ".join(error.value.messages)
    saved = rule(manager, name="<script>alert(1)</script>", tag="<b>x</b>", ack_text="<img src=x onerror=alert(1)>")
    assert saved.name == "<script>alert(1)</script>" and saved.actions["ack_text"] == "<img src=x onerror=alert(1)>"


def test_only_managers_change_rules(workspace, moderator, manager):
    with pytest.raises(PermissionDenied):
        routing.do_save_rule(membership_of(moderator, workspace), {"name": "x", "priority": 2})
    saved = rule(manager, priority=2)
    with pytest.raises(PermissionDenied):
        routing.do_delete_rule(membership_of(moderator, workspace), saved)


def test_reorder_puts_the_listed_rules_first_and_refuses_other_workspaces(manager, other_workspace):
    a, b, c = (rule(manager, name=n, priority=2) for n in "abc")
    routing.do_reorder_rules(manager, [c.pk, a.pk])
    assert [r.name for r in routing.ordered(manager.workspace_id, "new")] == ["c", "a", "b"]
    theirs = RoutingRule.objects.create(workspace=other_workspace, name="z")
    with pytest.raises(ValidationError):
        routing.do_reorder_rules(manager, [theirs.pk])
    routing.do_delete_rule(manager, c)
    assert [(r.name, r.position) for r in routing.ordered(manager.workspace_id, "new")] == [("a", 0), ("b", 1)]


# Test this rule ----------------------------------------------------------------------------------------------


def test_the_preview_counts_what_a_rule_would_have_matched(channel, manager, membership_team):
    import datetime as dt

    from django.utils import timezone

    bring(channel, message("1", ADHESION), message("2", "Comment adhérer ?", who="zoe@masto.example"),
          message("3", "Le vélo est réparé, merci", who="max@masto.example"))
    Conversation.objects.filter(key="3").update(created_at=timezone.now() - dt.timedelta(days=3))
    result = routing.preview(manager.workspace, {"query": "adhérer OR adhésion"}, 7)
    assert (result.scanned, result.matched, result.capped, result.everything) == (3, 2, False, False)
    assert {c.key for c in result.conversations} == {"1", "2"}
    assert routing.preview(manager.workspace, {"query": "adhérer OR adhésion"}, 1).scanned == 2
    everything = routing.preview(manager.workspace, {}, 30)
    assert everything.everything and everything.matched == everything.scanned == 3
    assert not Event.objects.filter(rule__isnull=False).exists()  # read-only


def test_the_preview_is_bounded(channel, manager, monkeypatch):
    monkeypatch.setattr(routing, "PREVIEW_MAX", 2)
    bring(channel, *(message(str(n), f"Question {n}", who=f"p{n}@masto.example", minutes=n) for n in range(4)))
    result = routing.preview(manager.workspace, {"intents": list(routing.INTENTS)}, 7)
    assert result.scanned == 2 and result.capped
    assert {c.key for c in result.conversations} <= {"2", "3"}
