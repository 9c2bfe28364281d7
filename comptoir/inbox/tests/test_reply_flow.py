"""The composer's flows end to end against a real local Mastodon peer (mastodon_mock): an expert's draft approved by a
CM reaches the network, and after closing, the satisfaction question goes out and its answer is recorded."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.conftest import client_for, membership_of
from comptoir.inbox import actions, replies
from comptoir.inbox.models import Conversation, InboxSettings, Reply, Satisfaction
from comptoir.publishing.tests.delivery_fixtures import mastodon_channel, statuses_of
from comptoir.stream.actions import source_for_channel
from comptoir.stream.models import Item
from comptoir.stream.tasks import analyse_items, poll_source
from comptoir.workspaces.models import User

pytestmark = pytest.mark.peers
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english_pages(workspace):
    User.objects.update(language="en")


@pytest.fixture
def alice_channel(workspace, masto):
    channel = mastodon_channel(workspace, masto, user="alice")
    # The account as the peer names it (the shared fixture's "-mastodon" suffix would make our own statuses, read back
    # by the poll, look like the member's).
    channel.handle = "@alice@127.0.0.1"
    channel.save()
    return channel


def _poll(channel) -> Conversation:
    source = source_for_channel(channel)
    poll_source.call(source.pk)
    analyse_items.call(list(Item.objects.filter(source=source).values_list("pk", flat=True)), fast=True)
    return Conversation.objects.get(channel=channel)


def _sent_status(masto, reply):
    return next(s for s in statuses_of(masto, "alice") if str(s["id"]) == reply.remote_id)


def test_an_experts_draft_edited_and_approved_by_a_cm_reaches_the_network(alice_channel, masto, cm, contributor):
    status = masto.client("bob").status_post("@alice Bonjour, comment adhérer à votre association ?")
    conversation = _poll(alice_channel)
    Conversation.objects.filter(pk=conversation.pk).update(assignee=contributor)
    expert = client_for(contributor)
    assert expert.post(reverse("inbox_reply", args=["velo", conversation.pk]),
                       {"text": "Bonjour, le formulaire est sur le site.", "seen_reply_id": "0"}).status_code == 302
    draft = Reply.objects.get()
    assert draft.state == "draft" and replies.send_reply.call(draft.pk) == "skipped"  # nothing leaves before review
    assert len(statuses_of(masto, "alice")) == 0
    response = client_for(cm).post(reverse("inbox_reply_approve", args=["velo", draft.pk]),
                                   {"text": "Bonjour ! Le formulaire d'adhésion est sur le site, rubrique Adhérer."},
                                   **HTMX)
    assert response.status_code == 200 and 'data-state="queued"' in response.content.decode()
    assert replies.send_reply.call(draft.pk) == "sent"
    draft.refresh_from_db()
    sent = _sent_status(masto, draft)
    assert str(sent["in_reply_to_id"]) == str(status["id"]) and "rubrique Adhérer" in sent["content"]
    line = client_for(cm).get(reverse("inbox_reply_show", args=["velo", draft.pk]), **HTMX).content.decode()
    assert 'data-state="sent"' in line and f'href="{draft.remote_url}"' in line and "hx-trigger" not in line


def test_html_typed_in_an_answer_reaches_the_network_as_text(alice_channel, masto, cm):
    masto.client("bob").status_post("@alice Bonjour ?")
    conversation = _poll(alice_channel)
    client_for(cm).post(reverse("inbox_reply", args=["velo", conversation.pk]),
                        {"text": "<script>alert(1)</script> est du texte", "seen_reply_id": "0"})
    reply = Reply.objects.get()
    assert replies.send_reply.call(reply.pk) == "sent"
    reply.refresh_from_db()
    content = _sent_status(masto, reply)["content"]
    assert "<script>" not in content and "&lt;script&gt;alert(1)&lt;/script&gt; est du texte" in content


def test_after_closing_the_question_goes_out_and_the_members_answers_are_recorded(alice_channel, masto, cm, workspace):
    InboxSettings.objects.update_or_create(workspace=workspace, defaults={"csat_enabled": True})
    masto.client("bob").status_post("@alice Bonjour, ma carte d'adhérent n'est pas arrivée.")
    conversation = _poll(alice_channel)
    member = membership_of(cm, workspace)
    answer = replies.do_send_reply(member, conversation, "Elle part demain, désolés du retard !")
    assert replies.send_reply.call(answer.pk) == "sent"
    conversation.refresh_from_db()
    first_replied = conversation.first_replied_at
    actions.do_set_status(member, conversation, "closed")
    question = Reply.objects.get(purpose="csat")
    assert replies.send_reply.call(question.pk) == "sent"
    question.refresh_from_db()
    sent = _sent_status(masto, question)
    token = re.search(r"/s/([\w-]+)/", question.text).group(1)
    assert f"/s/{token}/" in sent["content"] and "@bob" in sent["content"]
    conversation.refresh_from_db()
    assert conversation.first_replied_at == first_replied  # the question is no answer to the member

    # The member answers on the page…
    page = Client()
    assert page.post(f"/s/{token}/", {"score": "3", "comment": "Un peu long"}).status_code == 302
    assert Satisfaction.objects.get().score == 3
    # …then changes their mind with a digit on Mastodon, under the question: recorded, and it stays closed.
    masto.client("bob").status_post("@alice 4", in_reply_to_id=question.remote_id)
    conversation = _poll(alice_channel)
    satisfaction = Satisfaction.objects.get()
    assert (satisfaction.score, satisfaction.comment) == (4, "Un peu long")
    assert conversation.status == "closed" and not conversation.unread
