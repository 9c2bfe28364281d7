"""The inbox demo: on first start every inbox screen of both demo workspaces is full, in the workspace's languages."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from comptoir import demo
from comptoir.inbox import demo as inbox_demo
from comptoir.inbox.actions import is_routed_to
from comptoir.inbox.models import (
    Conversation,
    ConversationItem,
    ConversationTag,
    Digest,
    Event,
    Feedback,
    InboxSettings,
    Note,
    Reply,
    ResponseTarget,
    RoutingRule,
    Satisfaction,
    SavedReply,
    Team,
    TeamMember,
)
from comptoir.inbox.query import ConversationQuery, routed_scope
from comptoir.listening.querylang import parse
from comptoir.members.models import Identity, Person
from comptoir.moderation.models import AutoAction
from comptoir.stream.models import Item
from comptoir.understanding.lang import detect
from comptoir.workspaces.models import User, Workspace

SLUGS = ("velo-lyon", "maison-lumiere")
MODELS = (Conversation, ConversationItem, ConversationTag, Reply, Note, Event, Team, TeamMember, RoutingRule,
          ResponseTarget, SavedReply, InboxSettings, Satisfaction, Feedback, Digest, Item, Person, Identity)


@pytest.fixture
def demo_made(db, settings, tmp_path, monkeypatch):
    """The whole demo, as on a first start; returns how long the inbox's part took."""
    settings.MEDIA_ROOT = tmp_path
    took = []
    add_demo = inbox_demo.add_demo

    def timed():
        started = time.perf_counter()
        made = add_demo()
        took.append(time.perf_counter() - started)
        return made

    monkeypatch.setattr(inbox_demo, "add_demo", timed)
    demo.create()
    return took[0]


def test_every_inbox_screen_of_both_demo_workspaces_is_full(demo_made):
    assert demo_made < 3 * len(SLUGS)  # under 3 s a workspace
    now = timezone.now()
    paul = User.objects.get(email="paul@demo.comptoir.test")
    for slug in SLUGS:
        workspace = Workspace.objects.get(slug=slug)
        # The moderation demo's flagged messages (spam, insults, a flood) came in on the same channels: the inbox
        # threads them too. These checks are about the inbox demo's own conversations.
        flagged = AutoAction.objects.filter(workspace=workspace).values("item_id")
        conversations = Conversation.objects.filter(workspace=workspace).exclude(
            pk__in=ConversationItem.objects.filter(item_id__in=flagged).values("conversation_id"))
        # The list: open, pending and closed conversations, some unread, from each of the workspace's own channels.
        assert 40 <= conversations.count() <= 60
        for status in Conversation.Status.values:
            assert ConversationQuery(workspace, {"status": status}).exact_count() >= 5, status
        assert ConversationQuery(workspace, {"unread": True}).exact_count() >= 3
        networks = set(conversations.values_list("channel__network", flat=True))
        assert networks == set(workspace.channels.filter(status__in=["active", "error"]).values_list("network", flat=True))
        assert set(conversations.values_list("kind", flat=True)) >= {"thread", "direct"}
        # Messages are the channels' real stream items, threaded: exchanges of several messages, some answered on the
        # network itself by the channel.
        assert not conversations.filter(message_count=0).exists()
        assert conversations.filter(message_count__gte=2).count() >= 5
        assert ConversationItem.objects.filter(conversation__workspace=workspace, inbound=False).exists()
        assert not Item.objects.filter(inbox_link__conversation__workspace=workspace, analysed_at__isnull=True).exists()
        # A member who wrote on two channels: one person, two conversations (the profile beside each one).
        person = conversations.exclude(person=None).values_list("person", flat=True).first()
        assert conversations.filter(person=person).values("channel").distinct().count() == 2
        # Waiting times from minutes to two days; a few missed targets, escalated by the breach rule.
        waits = [now - w for w in conversations.exclude(waiting_since=None).values_list("waiting_since", flat=True)]
        assert min(waits) < timedelta(hours=1) and max(waits) > timedelta(hours=24)
        breached = ConversationQuery(workspace, {"breached": True}).queryset()
        assert breached.count() == sum(t.late for t in inbox_demo.SPEC[slug]["talks"]) >= 3
        assert not breached.filter(reply_due_at__gte=now).exists() and not breached.filter(escalated_at=None).exists()
        assert conversations.filter(waiting_since__isnull=False, reply_due_at__gt=now).exists()
        assert not conversations.filter(status="closed").exclude(waiting_since=None).exists()
        assert set(conversations.values_list("priority", flat=True)) >= {1, 2, 3}
        # Assignees (the CMs and the contributor expert), teams, tags, notes, a timeline naming the rules.
        assert {"camille", "mehdi", "claire", "paul"} <= {e.split("@")[0] for e in conversations.exclude(assignee=None)
                                                         .values_list("assignee__email", flat=True)}
        assert conversations.filter(assignee=None, status="open").exists()
        assert ConversationTag.objects.filter(conversation__workspace=workspace).count() >= 10
        assert Note.objects.filter(conversation__workspace=workspace).count() >= 3
        routed = Event.objects.filter(conversation__workspace=workspace, kind="team", rule__isnull=False)
        assert routed.count() >= 3 and not routed.filter(rule_name="").exists()
        assert Event.objects.filter(conversation__workspace=workspace, kind="escalated").exclude(rule_name="").exists()
        # Replies: sent with the network's ids, acknowledgments by a rule, one failed with its reason, one expert's draft.
        replies = Reply.objects.filter(workspace=workspace)
        sent = replies.filter(state="sent")
        assert sent.count() >= 20 and not sent.filter(remote_id="").exists()
        assert sent.filter(purpose="ack", rule__isnull=False).exists()
        failed = replies.get(state="failed")
        assert failed.error_code and failed.conversation.waiting_since is not None
        draft = replies.get(state="draft")
        assert draft.author == paul and is_routed_to(paul, draft.conversation)
        assert ConversationQuery(workspace, {}, scope=routed_scope(paul)).exact_count() >= 3
        # Routing: three teams with members and hours, targets, ordered rules whose queries parse, realistic counters.
        teams = Team.objects.filter(workspace=workspace)
        assert teams.count() == 3
        for team in teams:
            assert team.working_hours and team.team_members.exists()
        assert paul.pk in TeamMember.objects.filter(team__workspace=workspace).values_list("user_id", flat=True)
        assert ResponseTarget.objects.filter(workspace=workspace, team=None, intent="").exists()
        assert ResponseTarget.objects.filter(workspace=workspace, intent="complaint").exists()
        rules = RoutingRule.objects.filter(workspace=workspace)
        assert rules.filter(trigger="new").count() >= 5 and rules.filter(trigger="breach").exists()
        assert rules.filter(actions__has_key="ack_text").exists()
        for rule in rules:
            if rule.conditions.get("query"):
                parse(rule.conditions["query"])
            if rule.actions.get("team"):
                assert teams.filter(pk=rule.actions["team"]).exists()
        assert sum(rules.values_list("matched_count", flat=True)) > conversations.count()
        # Saved replies in both languages, with their variables.
        saved = SavedReply.objects.filter(workspace=workspace)
        assert 8 <= saved.count() <= 12
        assert saved.filter(language="fr").count() >= 4 and saved.filter(language="en").count() >= 3
        assert all("{first_name}" in t and "{agent}" in t for t in saved.values_list("text", flat=True))
        # Satisfaction after closing, and feedback for management with last week's digest.
        settings = InboxSettings.objects.get(workspace=workspace)
        assert settings.csat_enabled and settings.csat_question_fr and settings.digest_recipients
        scores = list(Satisfaction.objects.filter(workspace=workspace).exclude(score=None).values_list("score", flat=True))
        assert len(scores) >= 5 and set(scores) <= {2, 3, 4, 5} and 5 in scores
        assert not Satisfaction.objects.filter(workspace=workspace).exclude(conversation__status="closed").exists()
        unhappy = Satisfaction.objects.get(workspace=workspace, score__lt=3)
        assert unhappy.score == 2 and unhappy.comment
        feedback = Feedback.objects.filter(workspace=workspace)
        assert 20 <= feedback.count() <= 30
        assert set(feedback.values_list("kind", flat=True)) == {"idea", "problem", "praise"}
        assert feedback.values("theme").distinct().count() >= 6
        assert feedback.filter(created_at__lt=now - timedelta(days=14)).exists()
        assert not feedback.filter(created_at__lt=now - timedelta(days=22)).exists()
        assert {"taken", "planned", "declined"} <= set(feedback.values_list("answer", flat=True))
        assert feedback.filter(members_told_at__isnull=False).count() == 1
        assert all(f.quote == f.item.text for f in feedback.select_related("item"))
        tz = ZoneInfo(workspace.time_zone)
        today = timezone.localtime(now, tz).date()
        # Everything happened in the past, in order.
        assert not Event.objects.filter(conversation__workspace=workspace, at__gt=now).exists()
        assert not replies.filter(created_at__gt=now).exists() and not conversations.filter(closed_at__gt=now).exists()
        digest = Digest.objects.get(workspace=workspace)
        assert digest.week_start == today - timedelta(days=today.weekday() + 7) and digest.sent_at <= now


def test_the_demo_conversations_speak_their_channels_language(demo_made):
    for slug in SLUGS:
        workspace = Workspace.objects.get(slug=slug)
        for channel in workspace.channels.all():
            languages = list(Conversation.objects.filter(channel=channel).values_list("language", flat=True))
            if not languages:
                continue
            same = sum(lang == channel.language for lang in languages)
            # A French workspace also hears a few members writing in English.
            assert same >= 0.85 * len(languages), (channel, languages)
        for saved in SavedReply.objects.filter(workspace=workspace):
            assert detect(saved.text)[0] == saved.language, saved.title
        answers = Reply.objects.filter(workspace=workspace, purpose="answer").select_related("conversation")
        agree = sum(detect(r.text)[0] == r.conversation.language for r in answers)
        assert agree >= 0.85 * answers.count()
    # The English-speaking Mastodon account of the brand is answered in English.
    english = Conversation.objects.filter(workspace__slug="maison-lumiere", channel__language="en")
    assert english.count() >= 10 and not english.exclude(language="en").exists()


def test_running_the_demo_twice_changes_nothing(demo_made):
    before = {model.__name__: model.objects.count() for model in MODELS}
    demo.create()
    assert inbox_demo.add_demo() == 0
    assert {model.__name__: model.objects.count() for model in MODELS} == before


def test_business_time_skips_nights_and_weekends():
    tz = ZoneInfo("Europe/Paris")
    hours = {str(d): [["09:00", "12:30"], ["14:00", "18:00"]] for d in range(5)}
    friday_evening = datetime(2026, 3, 6, 17, 0, tzinfo=tz)
    assert inbox_demo.business_add(friday_evening, 120, hours, tz) == datetime(2026, 3, 9, 10, 0, tzinfo=tz)
    assert inbox_demo.business_add(datetime(2026, 3, 9, 12, 0, tzinfo=tz), 60, hours, tz) == datetime(
        2026, 3, 9, 14, 30, tzinfo=tz)


@pytest.mark.parametrize("start", ["2026-03-09T07:30:00+00:00", "2026-03-15T12:00:00+00:00"], ids=["monday-morning", "sunday"])
def test_whatever_the_day_of_the_first_start_only_the_late_conversations_are_late(db, settings, tmp_path, start):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(datetime.fromisoformat(start), tick=True):
        demo.create()
        now = timezone.now()
        for slug in SLUGS:
            conversations = Conversation.objects.filter(workspace__slug=slug)
            late = sum(t.late for t in inbox_demo.SPEC[slug]["talks"])
            assert conversations.filter(breached_at__isnull=False, reply_due_at__lt=now).count() == late
            assert not conversations.filter(breached_at=None, reply_due_at__lte=now).exists()
            assert not Event.objects.filter(conversation__workspace__slug=slug, at__gt=now).exists()
            assert not Reply.objects.filter(workspace__slug=slug, created_at__gt=now).exists()
