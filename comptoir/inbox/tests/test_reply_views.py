"""The reply composer and the reply line, through the views, with personas and hostile input (no network: replies
are queued, not sent — sending is tested against the real Mastodon peer in test_reply_flow.py)."""

import re

import pytest

from comptoir.conftest import client_for, membership_of
from comptoir.inbox import replies
from comptoir.inbox.models import Conversation, InboxSettings, Reply, SavedReply
from comptoir.inbox.tests.conftest import bring, message
from comptoir.workspaces.models import AuditEvent, User

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english_pages(workspace):
    """Pages speak their reader's language: these read them in English."""
    User.objects.update(language="en")


@pytest.fixture
def conversation(channel):
    bring(channel, message("m1", "Bonjour, comment adhérer à l'association ?", who="lea.martin@masto.example"))
    found = Conversation.objects.get()
    found.identity.display_name = "Léa Martin"
    found.identity.save()
    return Conversation.objects.get()


@pytest.fixture
def other_conversation(other_channel):
    bring(other_channel, message("o1", "Bonjour l'autre marque", who="zoe@masto.example"))
    return Conversation.objects.get(channel=other_channel)


def _url(name, *args, slug="velo"):
    from django.urls import reverse

    return reverse(name, args=[slug, *args])


def _page(user, conversation):
    return client_for(user).get(_url("inbox_conversation", conversation.pk)).content.decode()


def test_the_conversation_shows_the_composer_with_the_networks_counter(cm, conversation):
    body = _page(cm, conversation)
    assert 'data-testid="composer"' in body and "0 / 500" in body
    assert 'name="seen_reply_id" value="0"' in body
    assert "js/inbox-composer.js" in body


def test_the_counter_counts_as_the_network_does_and_turns_red_past_the_limit(cm, conversation):
    client = client_for(cm)
    url = _url("inbox_reply_count", conversation.pk)
    ok = client.post(url, {"text": "Bonjour Léa !"}, **HTMX).content.decode()
    assert "13 / 500" in ok and 'data-over="no"' in ok and "cpt-chip-ok" in ok
    over = client.post(url, {"text": "x" * 600}, **HTMX).content.decode()
    assert "600 / 500" in over and 'data-over="yes"' in over and "cpt-chip-error" in over
    assert 'data-testid="reply-problem"' in over and "500" in over
    empty = client.post(url, {"text": ""}, **HTMX).content.decode()
    assert "0 / 500" in empty and "reply-problem" not in empty  # an empty box is not an error while typing
    huge = client.post(url, {"text": "é" * 100_000}, **HTMX)
    assert huge.status_code == 200 and "100000 / 500" in huge.content.decode()


def test_a_cm_sends_without_javascript_and_comes_back_to_the_conversation(cm, conversation):
    client = client_for(cm)
    response = client.post(_url("inbox_reply", conversation.pk), {"text": "Bonjour Léa, le formulaire est en ligne.",
                                                                  "seen_reply_id": "0"})
    assert response.status_code == 302 and response.url == _url("inbox_conversation", conversation.pk)
    reply = Reply.objects.get()
    assert reply.state == "queued" and reply.author == cm and reply.text == "Bonjour Léa, le formulaire est en ligne."
    body = client.get(response.url).content.decode()
    assert f'id="reply-{reply.pk}"' in body and "Queued" in body and "Your answer is on its way." in body
    assert f'name="seen_reply_id" value="{reply.pk}"' in body


def test_with_htmx_the_composer_comes_back_empty_and_the_reply_is_appended_to_the_timeline(cm, conversation):
    response = client_for(cm).post(_url("inbox_reply", conversation.pk), {"text": "Bonjour !", "seen_reply_id": "0"},
                                   **HTMX)
    body = response.content.decode()
    reply = Reply.objects.get()
    assert response.status_code == 200
    assert 'hx-swap-oob="beforeend:#inbox-timeline"' in body and f'id="reply-{reply.pk}"' in body
    assert f'name="seen_reply_id" value="{reply.pk}"' in body
    textarea = re.search(r'<textarea id="reply-text-\d+"[^>]*>(.*?)</textarea>', body, re.S)
    assert textarea and textarea.group(1) == ""
    assert 'hx-trigger="every 2s"' in body  # the new reply follows its delivery


@pytest.mark.parametrize("text, reason", [
    ("", "Write the answer"),
    ("   \n ", "Write the answer"),
    ("x" * 600, "500"),
    ("y" * 100_000, "10000"),
])
def test_a_refused_answer_keeps_its_text_and_says_why(cm, conversation, text, reason):
    client = client_for(cm)
    plain = client.post(_url("inbox_reply", conversation.pk), {"text": text, "seen_reply_id": "0"})
    assert plain.status_code == 400
    body = plain.content.decode()
    assert 'data-testid="reply-error"' in body and reason in body
    if text.strip():
        assert text in body  # never lost
    htmx = client.post(_url("inbox_reply", conversation.pk), {"text": text, "seen_reply_id": "0"}, **HTMX)
    assert htmx.status_code == 200 and reason in htmx.content.decode()
    assert not Reply.objects.exists()


def test_html_in_an_answer_is_sent_as_text_and_shown_escaped(cm, conversation):
    text = "<script>alert('x')</script> <b>gras</b>"
    client_for(cm).post(_url("inbox_reply", conversation.pk), {"text": text, "seen_reply_id": "0"})
    assert Reply.objects.get().text == text
    body = _page(cm, conversation)
    assert "<script>alert(" not in body and "&lt;script&gt;alert(" in body


def test_a_colleagues_answer_is_shown_with_a_send_anyway_button_and_nothing_is_lost(cm, moderator, conversation):
    replies.do_send_reply(membership_of(moderator, workspace=conversation.workspace), conversation,
                          "Je m'en occupe, Léa.", seen_reply_id=0)
    client = client_for(cm)
    response = client.post(_url("inbox_reply", conversation.pk), {"text": "Bonjour Léa !", "seen_reply_id": "0"})
    body = response.content.decode()
    assert response.status_code == 409
    assert 'data-testid="collision"' in body
    assert "Je m&#x27;en occupe, Léa." in body and "Mehdi" in body and 'data-testid="send-anyway"' in body
    assert ">Bonjour Léa !</textarea>" in body
    htmx = client.post(_url("inbox_reply", conversation.pk), {"text": "Bonjour Léa !", "seen_reply_id": "0"}, **HTMX)
    assert htmx.status_code == 200 and 'data-testid="collision"' in htmx.content.decode()
    assert Reply.objects.count() == 1
    sent = client.post(_url("inbox_reply", conversation.pk), {"text": "Bonjour Léa !", "seen_reply_id": "0", "force": "1"})
    assert sent.status_code == 302 and Reply.objects.count() == 2


def test_a_contributor_writes_a_draft_that_a_cm_edits_and_approves(cm, contributor, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(assignee=contributor)
    expert = client_for(contributor)
    page = expert.post(_url("inbox_reply", conversation.pk), {"text": "", "seen_reply_id": "0"}).content.decode()
    assert "goes to a community manager for review" in page
    response = expert.post(_url("inbox_reply", conversation.pk), {"text": "Réponse de l'expert", "seen_reply_id": "0"})
    assert response.status_code == 302
    draft = Reply.objects.get()
    assert draft.state == "draft"
    assert expert.post(_url("inbox_reply_approve", draft.pk), {"text": "Moi-même"}).status_code == 403
    assert expert.post(_url("inbox_reply_discard", draft.pk)).status_code == 403
    cm_client = client_for(cm)
    page = _page(cm, conversation)
    assert 'data-testid="approve-draft"' in page and "Réponse de l&#x27;expert" in page
    refused = cm_client.post(_url("inbox_reply_approve", draft.pk), {"text": "z" * 700}, **HTMX).content.decode()
    assert "z" * 700 in refused and "500" in refused  # the edit is kept with the reason
    draft.refresh_from_db()
    assert draft.state == "draft"
    done = cm_client.post(_url("inbox_reply_approve", draft.pk), {"text": "Réponse de l'expert, relue"})
    assert done.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "queued" and draft.text == "Réponse de l'expert, relue" and draft.approved_by == cm


def test_a_cm_discards_a_draft(cm, contributor, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(assignee=contributor)
    conversation.refresh_from_db()
    draft = replies.do_send_reply(membership_of(contributor, conversation.workspace), conversation, "Brouillon")
    body = client_for(cm).post(_url("inbox_reply_discard", draft.pk), **HTMX).content.decode()
    draft.refresh_from_db()
    assert draft.state == "discarded" and 'data-state="discarded"' in body
    again = client_for(cm).post(_url("inbox_reply_discard", draft.pk), **HTMX)
    assert again.status_code == 200 and "no longer a draft" in again.content.decode()


def test_experts_answer_directly_when_the_workspace_allows_it(cm, contributor, conversation):
    InboxSettings.objects.update_or_create(workspace=conversation.workspace, defaults={"experts_reply_directly": True})
    Conversation.objects.filter(pk=conversation.pk).update(assignee=contributor)
    response = client_for(contributor).post(_url("inbox_reply", conversation.pk), {"text": "Direct", "seen_reply_id": "0"})
    assert response.status_code == 302 and Reply.objects.get().state == "queued"


def test_who_may_answer_what(analyst, contributor, outsider, conversation, other_conversation):
    assert 'data-testid="composer-read-only"' in _page(analyst, conversation)
    assert client_for(analyst).post(_url("inbox_reply", conversation.pk), {"text": "Bonjour"}).status_code == 403
    # Not routed to the contributor: they do not see it at all.
    assert client_for(contributor).post(_url("inbox_reply", conversation.pk), {"text": "Bonjour"}).status_code == 404
    assert client_for(contributor).post(_url("inbox_reply_count", conversation.pk), {"text": "x"}).status_code == 404
    # Another workspace's conversation through my workspace's address, and my conversation from another workspace.
    assert client_for(analyst).post(_url("inbox_reply", other_conversation.pk), {"text": "x"}).status_code == 404
    assert client_for(outsider).post(_url("inbox_reply", conversation.pk, slug="autre"), {"text": "x"}).status_code == 404
    assert client_for(outsider).post(_url("inbox_reply", conversation.pk), {"text": "x"}).status_code == 404
    assert not Reply.objects.exists()


def test_another_workspaces_reply_ids_are_404_on_every_reply_action(cm, outsider, conversation, other_conversation):
    theirs = replies.do_send_reply(membership_of(outsider, other_conversation.workspace), other_conversation, "Chez nous")
    client = client_for(cm)
    for name in ("inbox_reply_retry", "inbox_reply_approve", "inbox_reply_discard", "inbox_reply_mark_sent"):
        assert client.post(_url(name, theirs.pk)).status_code == 404, name
        assert client.post(_url(name, 999_999)).status_code == 404, name
    assert client.get(_url("inbox_reply_show", theirs.pk), **HTMX).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "queued"


def test_a_failed_reply_shows_its_reason_and_is_sent_again_an_unknown_one_can_be_marked_sent(cm, conversation):
    reply = replies.do_send_reply(membership_of(cm, conversation.workspace), conversation, "Voici")
    replies._failed(reply, "The server refused the token.")
    body = _page(cm, conversation)
    assert 'data-state="failed"' in body and "The server refused the token." in body and 'data-testid="retry-reply"' in body
    assert 'data-testid="mark-sent"' not in body
    assert '<span class="cpt-chip cpt-chip-error" data-testid="reply-state">Failed</span>' in body
    client = client_for(cm)
    refused = client.post(_url("inbox_reply_mark_sent", reply.pk))
    assert refused.status_code == 302  # a clear message, nothing changed
    reply.refresh_from_db()
    assert reply.state == "failed"
    assert client.post(_url("inbox_reply_retry", reply.pk), **HTMX).status_code == 200
    reply.refresh_from_db()
    assert reply.state == "queued" and reply.text == "Voici"
    Reply.objects.filter(pk=reply.pk).update(state="unknown")
    replies._unknown(reply, "The connection dropped.")
    body = _page(cm, conversation)
    assert 'data-testid="mark-sent"' in body and "Look on the network" in body
    client.post(_url("inbox_reply_mark_sent", reply.pk))
    reply.refresh_from_db()
    assert reply.state == "sent"
    again = client.post(_url("inbox_reply_retry", reply.pk), **HTMX)
    assert again.status_code == 200 and "Only a failed answer" in again.content.decode()


def test_a_remote_link_that_is_not_a_web_address_is_not_a_link(cm, conversation):
    reply = replies.do_send_reply(membership_of(cm, conversation.workspace), conversation, "Voici")
    Reply.objects.filter(pk=reply.pk).update(state="sent", remote_url="javascript:alert(1)")
    assert "javascript:alert" not in _page(cm, conversation)
    Reply.objects.filter(pk=reply.pk).update(remote_url="https://masto.example/@velo/1")
    assert 'href="https://masto.example/@velo/1"' in _page(cm, conversation)


def test_saved_replies_come_in_the_conversations_language_first_with_variables_filled(cm, workspace, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(language="fr")
    SavedReply.objects.create(workspace=workspace, title="Adhésion", language="fr",
                              text="Bonjour {first_name}, je suis {agent} de {workspace}. {inconnu} <b>!</b>")
    SavedReply.objects.create(workspace=workspace, title="Membership", language="en", text="Hello {name}")
    SavedReply.objects.create(workspace=workspace, title="Adhésion courte", language="", text="Merci {handle} ({channel})")
    body = client_for(cm).get(_url("inbox_saved_reply_search", conversation.pk), **HTMX).content.decode()
    titles = re.findall(r'<span class="fw-semibold text-body">(.*?)</span>', body)
    assert titles == ["Adhésion", "Adhésion courte", "Membership"]
    assert "Bonjour Léa, je suis Camille CM de Les Amis du Vélo. {inconnu} &lt;b&gt;!&lt;/b&gt;" in body
    assert "Merci @lea.martin@masto.example (Mastodon @velo)" in body
    found = client_for(cm).get(_url("inbox_saved_reply_search", conversation.pk), {"q": "courte"}).content.decode()
    assert "Adhésion courte" in found and "Membership" not in found
    none = client_for(cm).get(_url("inbox_saved_reply_search", conversation.pk), {"q": "<script>" * 50}).content.decode()
    assert 'data-testid="saved-none"' in none


def test_a_saved_reply_counts_when_an_answer_built_from_it_is_sent(cm, workspace, other_workspace, conversation):
    mine = SavedReply.objects.create(workspace=workspace, title="Adhésion", language="fr", text="Bonjour")
    theirs = SavedReply.objects.create(workspace=other_workspace, title="Autre", language="fr", text="Salut")
    client = client_for(cm)
    client.post(_url("inbox_reply", conversation.pk), {"text": "Bonjour", "seen_reply_id": "0", "saved_reply_id": mine.pk})
    client.post(_url("inbox_reply", conversation.pk), {"text": "Encore", "seen_reply_id": str(Reply.objects.last().pk),
                                                      "saved_reply_id": theirs.pk})
    client.post(_url("inbox_reply", conversation.pk), {"text": "Et encore", "seen_reply_id": str(Reply.objects.last().pk),
                                                      "saved_reply_id": "<script>"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.use_count, theirs.use_count, Reply.objects.count()) == (1, 0, 3)


def test_every_reply_action_is_in_the_activity_log(cm, conversation):
    client_for(cm).post(_url("inbox_reply", conversation.pk), {"text": "Bonjour", "seen_reply_id": "0"})
    assert AuditEvent.objects.filter(action="reply.send", actor=cm).exists()
