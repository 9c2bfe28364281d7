"""Saved replies: the team's ready answers, plain text, one title per language, filled per conversation."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from comptoir.conftest import client_for, membership_of
from comptoir.inbox import savedreplies
from comptoir.inbox.models import Conversation, SavedReply
from comptoir.inbox.tests.conftest import bring, message
from comptoir.workspaces import audit
from comptoir.workspaces.models import AuditEvent, User


@pytest.fixture(autouse=True)
def english_pages(workspace):
    User.objects.update(language="en")


def _list(user, **params):
    return client_for(user).get(reverse("inbox_saved_replies", args=["velo"]), params)


def _new(user, **data):
    return client_for(user).post(reverse("inbox_saved_reply_new", args=["velo"]), data)


def test_a_cm_creates_edits_and_deletes_a_saved_reply_and_each_is_in_the_activity_log(cm, workspace):
    response = _new(cm, title="Adhésion", language="fr", text="Bonjour {first_name}, le formulaire est en ligne.")
    assert response.status_code == 302
    saved = SavedReply.objects.get()
    assert (saved.title, saved.language, saved.created_by) == ("Adhésion", "fr", cm)
    client = client_for(cm)
    edit = reverse("inbox_saved_reply_edit", args=["velo", saved.pk])
    assert "Bonjour {first_name}" in client.get(edit).content.decode()
    assert client.post(edit, {"title": "Adhésion 2027", "language": "", "text": "Nouveau texte"}).status_code == 302
    saved.refresh_from_db()
    assert (saved.title, saved.language, saved.text) == ("Adhésion 2027", "", "Nouveau texte")
    delete = reverse("inbox_saved_reply_delete", args=["velo", saved.pk])
    assert "Delete the saved reply" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    assert not SavedReply.objects.exists()
    events = list(AuditEvent.objects.filter(action__startswith="saved_reply.").order_by("pk"))
    assert [e.action for e in events] == ["saved_reply.create", "saved_reply.update", "saved_reply.delete"]
    with translation.override("en"):
        lines = [audit.describe(e) for e in events]
    assert lines == ["Camille CM created the saved reply “Adhésion”.", "Camille CM changed the saved reply “Adhésion 2027”.",
                     "Camille CM deleted the saved reply “Adhésion 2027”."]


@pytest.mark.parametrize("data, field, says", [
    ({"title": "", "language": "fr", "text": "x"}, "title", "Give the saved reply a title"),
    ({"title": "t" * 100_000, "language": "fr", "text": "x"}, "title", "at most 120 characters; this one has 100000"),
    ({"title": "Ok", "language": "de", "text": "x"}, "language", "Choose French, English or any language"),
    ({"title": "Ok", "language": "<script>", "text": "x"}, "language", "Choose French, English or any language"),
    ({"title": "Ok", "language": "fr", "text": "   "}, "text", "Write the text"),
    ({"title": "Ok", "language": "fr", "text": "y" * 100_000}, "text", "at most 5000 characters; this one has 100000"),
])
def test_a_wrong_saved_reply_is_refused_with_a_clear_message_and_the_typing_kept(cm, data, field, says):
    response = _new(cm, **data)
    body = response.content.decode()
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in body and says in body
    if field != "text" and data["text"].strip():
        assert data["text"] in body
    assert not SavedReply.objects.exists()


def test_a_title_is_unique_per_language_whatever_its_case(cm, workspace):
    _new(cm, title="Adhésion", language="fr", text="Bonjour")
    refused = _new(cm, title="  adhésion ", language="fr", text="Autre texte")
    assert refused.status_code == 400 and "already exists in this language" in refused.content.decode()
    assert "Autre texte" in refused.content.decode()
    assert _new(cm, title="Adhésion", language="en", text="Hello").status_code == 302
    assert SavedReply.objects.count() == 2
    first = SavedReply.objects.get(language="fr")
    other = SavedReply.objects.get(language="en")
    with pytest.raises(ValidationError) as error:
        savedreplies.do_update_saved_reply(membership_of(cm, workspace), other, "ADHÉSION", "fr", "Hello")
    assert "title" in error.value.message_dict
    savedreplies.do_update_saved_reply(membership_of(cm, workspace), first, "Adhésion", "fr", "Bonjour !")  # itself: fine


def test_html_in_a_saved_reply_is_kept_as_text_and_shown_escaped(cm, workspace):
    _new(cm, title="<script>alert(1)</script>", language="", text="<script>alert('x')</script> & <b>gras</b>")
    saved = SavedReply.objects.get()
    assert saved.text == "<script>alert('x')</script> & <b>gras</b>"  # stored as typed
    body = _list(cm).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;b&gt;gras&lt;/b&gt;" in body
    edit = client_for(cm).get(reverse("inbox_saved_reply_edit", args=["velo", saved.pk])).content.decode()
    assert "<script>alert" not in edit


def test_the_list_searches_titles_and_texts_and_filters_by_language(cm, moderator, workspace):
    for title, language, text in [("Adhésion", "fr", "Le formulaire d'adhésion"), ("Membership", "en", "The form"),
                                  ("Horaires", "", "Ouvert le mardi")]:
        SavedReply.objects.create(workspace=workspace, title=title, language=language, text=text)
    body = _list(moderator).content.decode()
    assert all(t in body for t in ("Adhésion", "Membership", "Horaires"))
    assert 'data-testid="new-saved-reply"' not in body  # moderators use them, managers write them
    assert "Horaires" in _list(cm, q="mardi").content.decode()
    assert "Adhésion" not in _list(cm, q="mardi").content.decode()
    only_en = _list(cm, language="en").content.decode()
    assert "Membership" in only_en and "Horaires" not in only_en
    assert "Horaires" in _list(cm, language="any").content.decode()
    assert 'data-testid="saved-replies-none"' in _list(cm, q="introuvable").content.decode()
    assert _list(cm, q="x" * 100_000, language="\x00").status_code == 200


def test_who_may_read_and_write_saved_replies(cm, moderator, analyst, contributor, outsider, workspace, other_workspace):
    theirs = SavedReply.objects.create(workspace=other_workspace, title="Autre", text="Chez eux")
    assert _list(moderator).status_code == 200
    assert _list(analyst).status_code == 403 and _list(contributor).status_code == 403
    assert _list(outsider).status_code == 404
    assert _new(moderator, title="T", language="fr", text="x").status_code == 403
    assert _new(analyst, title="T", language="fr", text="x").status_code == 403
    with pytest.raises(PermissionDenied):
        savedreplies.do_create_saved_reply(membership_of(moderator, workspace), "T", "fr", "x")
    client = client_for(cm)
    for name in ("inbox_saved_reply_edit", "inbox_saved_reply_delete"):
        assert client.get(reverse(name, args=["velo", theirs.pk])).status_code == 404
        assert client.post(reverse(name, args=["velo", theirs.pk]), {"title": "x", "text": "y"}).status_code == 404
    assert SavedReply.objects.get(pk=theirs.pk).text == "Chez eux"
    assert not SavedReply.objects.filter(workspace=workspace).exists()


def test_render_fills_the_variables_and_leaves_unknown_ones_visible(channel, cm, workspace):
    bring(channel, message("m1", "Bonjour !", who="lea@masto.example"))
    conversation = Conversation.objects.select_related("identity").get()
    conversation.identity.display_name = "Léa  Martin"
    conversation.identity.save()
    saved = SavedReply(workspace=workspace, title="T", text="{first_name}/{name}/{handle}/{agent}/{channel}/{workspace}/"
                                                             "{unknown}/{ first_name }/{{first_name}}")
    assert savedreplies.render(saved, conversation, cm) == (
        "Léa/Léa Martin/@lea@masto.example/Camille CM/Mastodon @velo/Les Amis du Vélo/{unknown}/{ first_name }/{Léa}")
    conversation.identity.display_name = ""
    conversation.identity.save()
    conversation.identity = None
    assert savedreplies.render(saved, conversation, cm).startswith("{first_name}/{name}/{handle}/Camille CM")
