"""Replies go out through the channel's connector, against a real local Mastodon peer (mastodon_mock)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from comptoir.conftest import membership_of
from comptoir.inbox import replies
from comptoir.inbox.models import Conversation, Reply
from comptoir.publishing.tests.delivery_fixtures import mastodon_channel, statuses_of
from comptoir.stream.actions import source_for_channel
from comptoir.stream.models import Item
from comptoir.stream.tasks import analyse_items, poll_source

pytestmark = pytest.mark.peers


@pytest.fixture
def alice_channel(workspace, masto):
    return mastodon_channel(workspace, masto, user="alice")


def _mention(masto, text="@alice Bonjour, comment adhérer à votre association ?"):
    return masto.client("bob").status_post(text)


def _poll(channel) -> Conversation:
    source = source_for_channel(channel)
    poll_source.call(source.pk)
    analyse_items.call(list(Item.objects.filter(source=source).values_list("pk", flat=True)), fast=True)
    return Conversation.objects.get(channel=channel)


def test_a_reply_goes_out_on_the_network_threaded_under_the_members_message(alice_channel, masto, cm, workspace):
    status = _mention(masto)
    conversation = _poll(alice_channel)
    reply = replies.do_send_reply(membership_of(cm, workspace), conversation, "Bonjour ! Le formulaire est en ligne.")
    assert reply.state == "queued"
    assert replies.send_reply.call(reply.pk) == "sent"
    reply.refresh_from_db()
    assert reply.state == "sent" and reply.remote_id and reply.sent_at
    sent = [s for s in statuses_of(masto, "alice") if str(s["id"]) == reply.remote_id]
    assert sent and str(sent[0]["in_reply_to_id"]) == str(status["id"])
    assert "@bob" in sent[0]["content"]
    conversation.refresh_from_db()
    assert conversation.waiting_since is None and conversation.first_replied_at is not None
    assert replies.send_reply.call(reply.pk) == "skipped"  # idempotent: never twice


def test_a_reply_over_the_networks_limit_is_refused_and_nothing_is_stored(alice_channel, masto, cm, workspace):
    _mention(masto)
    conversation = _poll(alice_channel)
    with pytest.raises(ValidationError) as error:
        replies.do_send_reply(membership_of(cm, workspace), conversation, "x" * 600)
    assert "text" in error.value.message_dict
    assert "500" in " ".join(error.value.message_dict["text"])
    with pytest.raises(ValidationError):
        replies.do_send_reply(membership_of(cm, workspace), conversation, "   ")
    assert not Reply.objects.exists()


def test_a_refused_token_fails_the_reply_with_its_reason_and_retry_sends_it(alice_channel, masto, cm, workspace):
    _mention(masto)
    conversation = _poll(alice_channel)
    reply = replies.do_send_reply(membership_of(cm, workspace), conversation, "Voici la réponse")
    alice_channel.credentials = {"access_token": "revoked"}
    alice_channel.save()
    assert replies.send_reply.call(reply.pk) == "failed"
    reply.refresh_from_db()
    assert reply.state == "failed" and reply.error and reply.text == "Voici la réponse"
    alice_channel.credentials = {"access_token": "alice_token"}
    alice_channel.save()
    replies.do_retry_reply(membership_of(cm, workspace), reply)
    assert replies.send_reply.call(reply.pk) == "sent"


def test_a_colleagues_answer_is_shown_before_sending_another(alice_channel, masto, cm, moderator, workspace):
    _mention(masto)
    conversation = _poll(alice_channel)
    first = replies.do_send_reply(membership_of(moderator, workspace), conversation, "Je m'en occupe", seen_reply_id=0)
    with pytest.raises(replies.ReplyCollision):
        replies.do_send_reply(membership_of(cm, workspace), conversation, "Bonjour", seen_reply_id=0)
    replies.do_send_reply(membership_of(cm, workspace), conversation, "Bonjour", seen_reply_id=first.pk)


def test_an_experts_answer_is_a_draft_a_cm_sends(alice_channel, masto, cm, contributor, workspace):
    _mention(masto)
    conversation = _poll(alice_channel)
    with pytest.raises(PermissionDenied):  # not routed to them
        replies.do_send_reply(membership_of(contributor, workspace), conversation, "Réponse de l'expert")
    Conversation.objects.filter(pk=conversation.pk).update(assignee=contributor)
    conversation.refresh_from_db()
    draft = replies.do_send_reply(membership_of(contributor, workspace), conversation, "Réponse de l'expert")
    assert draft.state == "draft"
    assert replies.send_reply.call(draft.pk) == "skipped"
    sent = replies.do_approve_draft(membership_of(cm, workspace), draft, "Réponse de l'expert, relue")
    assert sent.state == "queued" and sent.approved_by == cm
    assert replies.send_reply.call(draft.pk) == "sent"


def test_another_workspaces_conversation_cannot_be_answered(alice_channel, masto, outsider, other_workspace):
    _mention(masto)
    conversation = _poll(alice_channel)
    with pytest.raises(PermissionDenied):
        replies.do_send_reply(membership_of(outsider, other_workspace), conversation, "Intrus")
    assert not Reply.objects.exists()


def test_an_automatic_acknowledgment_does_not_end_the_members_wait(alice_channel, masto):
    _mention(masto)
    conversation = _poll(alice_channel)
    ack = replies.do_send_reply(None, conversation, "Bien reçu, nous revenons vers vous vite.",
                                purpose=Reply.Purpose.ACKNOWLEDGMENT)
    assert replies.send_reply.call(ack.pk) == "sent"
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None and conversation.first_replied_at is None  # still to answer
