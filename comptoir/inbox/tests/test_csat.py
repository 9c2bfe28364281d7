"""Satisfaction after closing: the question is queued on the conversation's channel, the member answers on a public
page (or with a digit on the network), and the answer keeps who handled the conversation."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.conftest import client_for, membership_of
from comptoir.inbox import actions, csat
from comptoir.inbox.models import Conversation, Event, InboxSettings, Reply, Satisfaction, Team
from comptoir.inbox.tests.conftest import bring, message
from comptoir.workspaces import audit
from comptoir.workspaces.models import AuditEvent, Channel, User


@pytest.fixture(autouse=True)
def english_pages(workspace):
    User.objects.update(language="en")
    cache.clear()  # the answer page's throttle


@pytest.fixture
def asking(workspace):
    return InboxSettings.objects.update_or_create(workspace=workspace, defaults={"csat_enabled": True})[0]


@pytest.fixture
def conversation(channel):
    bring(channel, message("m1", "Bonjour, comment adhérer ?"))
    return Conversation.objects.get()


def _close(cm, conversation):
    return actions.do_set_status(membership_of(cm, conversation.workspace), conversation, "closed")


def _token(reply: Reply) -> str:
    return re.search(r"/s/([\w-]+)/", reply.text).group(1)


def test_closing_queues_the_question_in_the_conversations_language_with_a_private_link(cm, conversation, asking):
    team = Team.objects.create(workspace=conversation.workspace, name="Adhésions")
    Conversation.objects.filter(pk=conversation.pk).update(assignee=cm, team=team, language="en")
    conversation.refresh_from_db()
    _close(cm, conversation)
    question = Reply.objects.get(purpose="csat")
    assert question.state == "queued" and question.author is None
    assert question.text.startswith("How satisfied are you with our answer?")
    token = _token(question)
    satisfaction = Satisfaction.objects.get()
    assert satisfaction.token_hash == csat.hash_token(token) and token not in satisfaction.token_hash
    assert (satisfaction.assignee, satisfaction.team, satisfaction.score) == (cm, team, None)
    assert Event.objects.filter(conversation=conversation, kind="csat").exists()


def test_the_workspaces_own_question_is_used_in_its_language(cm, conversation, asking):
    asking.csat_question_fr = "Notez-nous de 1 à 5 !"
    asking.save()
    Conversation.objects.filter(pk=conversation.pk).update(language="fr")
    _close(cm, conversation)
    assert Reply.objects.get(purpose="csat").text.startswith("Notez-nous de 1 à 5 !\nhttp")


def test_no_question_when_the_workspace_does_not_ask_the_channel_cannot_answer_or_it_was_asked_this_week(
        cm, conversation, workspace, asking):
    asking.csat_enabled = False
    asking.save()
    _close(cm, conversation)
    assert not Satisfaction.objects.exists()
    actions.do_set_status(membership_of(cm, workspace), conversation, "open")
    asking.csat_enabled = True
    asking.save()
    _close(cm, conversation)
    assert Satisfaction.objects.count() == 1
    actions.do_set_status(membership_of(cm, workspace), conversation, "open")
    _close(cm, conversation)
    assert Satisfaction.objects.count() == 1  # once a week at most
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        actions.do_set_status(membership_of(cm, workspace), conversation, "open")
        _close(cm, conversation)
    assert Satisfaction.objects.count() == 2
    # A removed channel: no question, and closing still works.
    other = Conversation.objects.create(workspace=workspace, source=conversation.source, channel=conversation.channel,
                                        key="other", subject="Autre")
    Channel.objects.filter(pk=conversation.channel_id).update(removed_at=timezone.now())
    other.refresh_from_db()
    assert _close(cm, other).status == "closed"
    assert Satisfaction.objects.count() == 2


def test_the_member_answers_on_the_public_page_and_may_change_it_for_a_week(cm, conversation, asking):
    _close(cm, conversation)
    url = reverse("inbox_csat", args=[_token(Reply.objects.get(purpose="csat"))])
    member = Client()
    page = member.get(url)
    assert page.status_code == 200 and 'data-testid="csat-form"' in page.content.decode()
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"
    done = member.post(url, {"score": "4", "comment": "Rapide, merci <b>!</b>"})
    assert done.status_code == 302
    satisfaction = Satisfaction.objects.get()
    assert (satisfaction.score, satisfaction.comment) == (4, "Rapide, merci <b>!</b>")
    thanks = member.get(done.url).content.decode()
    assert 'data-testid="csat-thanks"' in thanks and "Rapide, merci &lt;b&gt;!&lt;/b&gt;" in thanks
    member.post(url, {"score": "5", "comment": ""})
    satisfaction.refresh_from_db()
    assert (satisfaction.score, satisfaction.comment) == (5, "")
    assert Satisfaction.objects.count() == 1  # one answer per question, changed in place
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        closed = member.post(url, {"score": "1"})
        assert closed.status_code == 400 and "closed" in closed.content.decode()
        assert 'data-testid="csat-closed"' in member.get(url).content.decode()
    satisfaction.refresh_from_db()
    assert satisfaction.score == 5
    conversation.refresh_from_db()
    assert conversation.status == "closed"


@pytest.mark.parametrize("score", ["", "0", "6", "4.5", "<script>", "9" * 5000, "-1"])
def test_a_wrong_score_is_refused_clearly(cm, conversation, asking, score):
    _close(cm, conversation)
    url = reverse("inbox_csat", args=[_token(Reply.objects.get(purpose="csat"))])
    member = Client()
    member.cookies["django_language"] = "en"  # the member chose English on the page
    response = member.post(url, {"score": score, "comment": "x" * 100_000})
    body = response.content.decode()
    assert response.status_code == 400 and "Choose a score from 1" in body and "at most 2000 characters" in body
    assert Satisfaction.objects.get().score is None


def test_the_page_is_404_for_a_wrong_token_and_refuses_posts_without_csrf(cm, conversation, asking):
    for token in ("nope", "a" * 5000, "%00", csat.hash_token("x")):
        assert Client().get(f"/s/{token}/").status_code == 404
    _close(cm, conversation)
    token = _token(Reply.objects.get(purpose="csat"))
    assert Client().get(f"/s/{Satisfaction.objects.get().token_hash}/").status_code == 404  # the hash is no key
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/s/{token}/", {"score": "3"}).status_code == 403
    assert Satisfaction.objects.get().score is None


def test_answers_are_rate_limited_per_link(cm, conversation, asking):
    _close(cm, conversation)
    url = reverse("inbox_csat", args=[_token(Reply.objects.get(purpose="csat"))])
    member = Client()
    member.cookies["django_language"] = "en"  # the member chose English on the page
    for n in range(csat.MAX_POSTS_PER_HOUR):
        assert member.post(url, {"score": str(n % 5 + 1)}).status_code == 302
    refused = member.post(url, {"score": "1"})
    assert refused.status_code == 429 and "try again in an hour" in refused.content.decode()
    assert Satisfaction.objects.get().score == (csat.MAX_POSTS_PER_HOUR - 1) % 5 + 1


@pytest.mark.parametrize("text, score", [("4", 4), ("@velo 4", 4), (" 5/5 !", 5), ("1.", 1), ("> quoted\n3", 3),
                                         ("4 mais le formulaire bugue", None), ("6", None), ("45", None), ("", None),
                                         ("@velo", None)])
def test_a_score_is_read_only_from_a_message_that_is_nothing_but_a_digit(text, score):
    assert csat.score_in(text) == score


def test_a_digit_on_the_network_records_the_score_and_the_conversation_stays_closed(cm, channel, conversation, asking):
    _close(cm, conversation)
    question = Reply.objects.get(purpose="csat")
    Reply.objects.filter(pk=question.pk).update(state="sent", remote_id="csat-status")
    bring(channel, message("m2", "@velo 4", parent="csat-status", minutes=5))
    conversation.refresh_from_db()
    assert Satisfaction.objects.get().score == 4
    assert conversation.status == "closed" and not conversation.unread and conversation.waiting_since is None
    assert not Event.objects.filter(conversation=conversation, kind="reopened").exists()
    lines = [str(e.message) for e in Event.objects.filter(conversation=conversation, kind="csat")]
    assert "The member rated the answer: 4 / 5." in lines
    # More than a digit is a message for the team: the conversation opens again, no score is read from it.
    bring(channel, message("m3", "2, le formulaire ne marche toujours pas", parent="csat-status", minutes=6))
    conversation.refresh_from_db()
    assert conversation.status == "open" and Satisfaction.objects.get().score == 4


def test_the_inbox_settings_page(cm, moderator, analyst, workspace):
    url = reverse("inbox_settings", args=["velo"])
    assert client_for(moderator).get(url).status_code == 403
    assert client_for(analyst).post(url, {"csat_enabled": "1"}).status_code == 403
    client = client_for(cm)
    page = client.get(url).content.decode()
    assert "How satisfied are you with our answer?" in page  # the default, as a placeholder
    refused = client.post(url, {"csat_enabled": "1", "csat_question_fr": "q" * 100_000, "csat_question_en": "<script>"})
    assert refused.status_code == 400 and "at most 300 characters" in refused.content.decode()
    assert 'name="csat_enabled" value="1" checked' in refused.content.decode()
    assert not InboxSettings.of(workspace.pk).csat_enabled
    saved = client.post(url, {"csat_enabled": "1", "experts_reply_directly": "on",
                              "csat_question_fr": "  Notez-nous   de 1 à 5  ", "csat_question_en": "<script>"})
    assert saved.status_code == 302
    inbox = InboxSettings.of(workspace.pk)
    assert (inbox.csat_enabled, inbox.experts_reply_directly, inbox.csat_question_fr, inbox.csat_question_en) == (
        True, True, "Notez-nous de 1 à 5", "<script>")
    assert "&lt;script&gt;" in client.get(url).content.decode()
    event = AuditEvent.objects.get(action="inbox_settings.update")
    with translation.override("en"):
        line = audit.describe(event)
    assert line.startswith("Camille CM changed the inbox settings: ") and "satisfaction question" in line
    client.post(url, {"csat_enabled": "1", "experts_reply_directly": "on", "csat_question_fr": "Notez-nous de 1 à 5",
                      "csat_question_en": "<script>"})
    assert AuditEvent.objects.filter(action="inbox_settings.update").count() == 1  # nothing changed, nothing logged
