"""Feedback to management: marking messages and conversations, themes, management's answers, telling the members."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from comptoir.conftest import membership_of
from comptoir.connectors.base import FetchedItem, ItemKind
from comptoir.inbox import feedback as fb
from comptoir.inbox.models import Conversation, Feedback, InboxSettings, Reply
from comptoir.stream import actions as stream_actions
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item
from comptoir.workspaces.models import AuditEvent

from .conftest import bring, message


@pytest.fixture
def lea_conversation(channel):
    bring(channel, message("1", "Les horaires d'ouverture du samedi sont trop courts, ouvrez plus tard !",
                           kind=ItemKind.POST))
    return Conversation.objects.get()


@pytest.fixture
def mention(workspace, cm):
    """A listening mention: a message of the Fil outside any conversation."""
    feed = stream_actions.do_add_source(membership_of(cm, workspace), network="rss", label="Le Progrès",
                                        config={"url": "https://progres.example/rss"})
    store_fetched(feed, [FetchedItem(external_id="a1", kind=ItemKind.ARTICLE, text="L'association devrait ouvrir "
                                     "un atelier le dimanche.", url="https://progres.example/a1")])
    return Item.objects.get(source=feed)


def mark(user, workspace, **kwargs):
    kwargs.setdefault("kind", "idea")
    kwargs.setdefault("theme", "Horaires")
    return fb.do_mark_feedback(membership_of(user, workspace), **kwargs)


def test_a_message_of_a_conversation_is_marked_with_its_words_author_and_mood(workspace, cm, lea_conversation):
    item = Item.objects.get(inbox_link__conversation=lea_conversation)
    found = mark(cm, workspace, item=item, kind="problem", theme="  horaires ")
    assert found.quote == item.text
    assert found.author_name == item.author_name == "Lea"
    assert found.sentiment == item.sentiment and found.language == item.language == "fr"
    assert found.conversation == lea_conversation  # the member can be told through it later
    assert found.theme == "Horaires" and found.created_by == cm
    assert AuditEvent.objects.filter(action="feedback.mark", object_id=str(found.pk)).exists()
    assert lea_conversation.events.filter(kind="feedback").exists()
    assert InboxSettings.of(workspace.pk).next_digest_at is not None  # the first digest is planned


def test_a_conversation_is_marked_with_its_members_latest_message_and_an_edited_quote(workspace, moderator, channel,
                                                                                      lea_conversation):
    bring(channel, message("2", "Et le dimanche aussi, svp.", parent="1", minutes=5))
    found = mark(moderator, workspace, conversation=lea_conversation)
    assert found.item.external_id == "2" and found.quote == "Et le dimanche aussi, svp."
    edited = mark(moderator, workspace, conversation=lea_conversation, kind="problem", quote="  Ouvrez le dimanche  ")
    assert edited.quote == "Ouvrez le dimanche"


def test_a_listening_mention_is_marked_without_a_conversation(workspace, cm, mention):
    found = mark(cm, workspace, item=mention, kind="idea", theme="Ateliers")
    assert found.conversation is None and found.quote.startswith("L'association devrait")


def test_themes_that_differ_by_case_and_spaces_are_one_theme(workspace, cm, lea_conversation, mention):
    item = Item.objects.get(inbox_link__conversation=lea_conversation)
    mark(cm, workspace, item=item, theme="Horaires")
    mark(cm, workspace, item=mention, theme="horaires ")
    mark(cm, workspace, item=mention, theme="  HORAIRES  d'été", kind="problem")
    mark(cm, workspace, item=item, theme="horaires   D'ÉTÉ", kind="praise")
    mark(cm, workspace, item=item, theme="été", kind="problem")
    mark(cm, workspace, item=mention, theme="ÉTÉ", kind="problem")
    assert fb.themes(workspace.pk) == [("Horaires", 2), ("HORAIRES d'été", 2), ("Été", 2)]
    assert fb.theme_key("Horaires") == fb.theme_key(" horaires ")


def test_marking_refuses_what_it_cannot_store_with_a_clear_reason(workspace, cm, mention):
    cases = [({"theme": "   "}, "theme"), ({"theme": "x" * 81}, "theme"), ({"kind": "rumour"}, "kind"),
             ({"quote": "y" * 2001}, "quote"), ({"theme": "Ho\x00raires"}, "theme")]
    for change, field in cases:
        with pytest.raises(ValidationError) as error:
            mark(cm, workspace, item=mention, **change)
        assert field in error.value.message_dict, change
    mark(cm, workspace, item=mention)
    with pytest.raises(ValidationError):  # the same message, kind and theme twice
        mark(cm, workspace, item=mention, theme="horaires")
    with pytest.raises(ValidationError):
        fb.do_mark_feedback(membership_of(cm, workspace), kind="idea", theme="x")
    assert Feedback.objects.count() == 1


def test_roles_that_read_messages_all_day_mark_feedback_others_do_not(workspace, analyst, contributor, mention):
    for user in (analyst, contributor):
        with pytest.raises(PermissionDenied):
            mark(user, workspace, item=mention)


def test_the_mark_form_refuses_another_workspaces_message_or_conversation(workspace, cm, other_workspace, other_channel,
                                                                         as_user, mention):
    bring(other_channel, message("9", "Message d'un autre espace", kind=ItemKind.POST))
    theirs = Conversation.objects.get(workspace=other_workspace)
    their_item = Item.objects.get(workspace=other_workspace)
    client = as_user(cm)
    url = "/w/velo/inbox/feedback/mark/"
    assert client.post(url, {"item_id": their_item.pk, "kind": "idea", "theme": "x"}).status_code == 404
    assert client.post(url, {"conversation_id": theirs.pk, "kind": "idea", "theme": "x"}).status_code == 404
    for hostile in ("", "abc", "-1", "9" * 40, "<script>"):
        assert client.post(url, {"item_id": hostile, "kind": "idea", "theme": "x"}).status_code == 404
    assert not Feedback.objects.exists()
    with pytest.raises(PermissionDenied):
        mark(cm, workspace, conversation=theirs)
    response = client.post(url, {"item_id": mention.pk, "kind": "idea", "theme": "<b>Tarifs</b>", "next": "/w/velo/inbox/"})
    assert response.status_code == 302 and response["Location"] == "/w/velo/inbox/"
    assert Feedback.objects.get().theme == "<b>Tarifs</b>"
    page = client.get("/w/velo/inbox/feedback/").content.decode()
    assert "&lt;b&gt;Tarifs&lt;/b&gt;" in page and "<b>Tarifs</b>" not in page
    response = client.post(url, {"item_id": mention.pk, "kind": "idea", "theme": "", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_the_form_snippet_offers_the_workspaces_themes_to_those_who_may_mark(workspace, cm, analyst, mention):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    mark(cm, workspace, item=mention, theme="Tarifs")
    request = RequestFactory().get("/w/velo/stream/")
    request.user = cm
    html = render_to_string("inbox/_feedback_form.html", {"item": mention, "slug": "velo", "request": request,
                                                          "membership": membership_of(cm, workspace)})
    assert 'name="item_id"' in html and '<option value="Tarifs">' in html and "L&#x27;association devrait" in html
    html = render_to_string("inbox/_feedback_form.html", {"item": mention, "slug": "velo", "request": request,
                                                          "membership": membership_of(analyst, workspace)})
    assert "form" not in html


# Management's answer ---------------------------------------------------------------------------------------


@pytest.fixture
def three_conversations(workspace, cm, channel, mention):
    """Feedback on "Horaires": two in Léa's conversation, one in Tom's, one from a listening mention."""
    bring(channel, message("1", "Ouvrez le samedi après-midi", kind=ItemKind.POST),
          message("2", "Horaires trop courts le mardi", kind=ItemKind.POST, who="tom@masto.example", minutes=1))
    bring(channel, message("3", "Et le dimanche ?", parent="1", minutes=2))
    lea = Conversation.objects.get(identity__handle="lea@masto.example")
    tom = Conversation.objects.get(identity__handle="tom@masto.example")
    made = [mark(cm, workspace, item=Item.objects.get(external_id="1")),
            mark(cm, workspace, item=Item.objects.get(external_id="3"), kind="problem"),
            mark(cm, workspace, conversation=tom, theme="horaires"),
            mark(cm, workspace, item=mention, theme="HORAIRES")]
    return lea, tom, made


def test_management_answers_a_theme_at_once_and_a_new_answer_can_be_told_again(workspace, owner, three_conversations):
    _lea, _tom, made = three_conversations
    boss = membership_of(owner, workspace)
    assert fb.do_answer_feedback(boss, list(fb.selected(workspace.pk, theme="horaires ")), "planned",
                                 "Ouverture le samedi après-midi dès septembre") == 4
    assert set(Feedback.objects.values_list("answer", flat=True)) == {"planned"}
    Feedback.objects.filter(pk=made[0].pk).update(members_told_at="2026-01-05T10:00:00Z")
    fb.do_answer_feedback(boss, [Feedback.objects.get(pk=made[0].pk)], "planned")  # same answer: still told
    assert Feedback.objects.get(pk=made[0].pk).members_told_at is not None
    fb.do_answer_feedback(boss, [Feedback.objects.get(pk=made[0].pk)], "taken")  # a new answer: to tell again
    assert Feedback.objects.get(pk=made[0].pk).members_told_at is None
    event = AuditEvent.objects.filter(action="feedback.answer").order_by("pk").first()
    assert event.after["answer"] == "planned" and event.after["count"] == 4
    with pytest.raises(ValidationError):
        fb.do_answer_feedback(boss, made, "maybe")
    with pytest.raises(ValidationError):
        fb.do_answer_feedback(boss, made, "taken", "n" * 2001)


def test_telling_the_members_queues_one_reply_per_conversation_never_twice(workspace, owner, cm, three_conversations,
                                                                         django_capture_on_commit_callbacks):
    lea, tom, made = three_conversations
    fb.do_answer_feedback(membership_of(owner, workspace), made, "planned")
    chosen = fb.selected(workspace.pk, theme="Horaires")
    plan = fb.plan_telling(workspace.pk, chosen)
    assert {c.pk for c in plan.conversations} == {lea.pk, tom.pk}
    assert [f.pk for f in plan.by_hand] == [made[3].pk]  # the listening mention: to tell by hand
    with django_capture_on_commit_callbacks() as callbacks:
        outcome = fb.do_tell_members(membership_of(cm, workspace), chosen, "Merci ! C'est prévu pour septembre.")
    assert len(outcome.queued) == 2 and len(callbacks) == 2  # one send task per conversation
    replies = Reply.objects.filter(purpose="feedback")
    assert sorted(replies.values_list("conversation_id", flat=True)) == sorted([lea.pk, tom.pk])
    assert {r.state for r in replies} == {"queued"}
    assert Feedback.objects.filter(members_told_at__isnull=False).count() == 3
    again = fb.do_tell_members(membership_of(cm, workspace), fb.selected(workspace.pk, theme="Horaires"), "Encore")
    assert again.queued == [] and again.skipped == 2 and replies.count() == 2
    # Léa's other feedback, told the same answer through her conversation, is not told twice either.
    assert fb.do_tell_members(membership_of(cm, workspace), Feedback.objects.filter(pk=made[1].pk), "x").queued == []
    # Management changes its mind: the new answer is told, once.
    fb.do_answer_feedback(membership_of(owner, workspace), list(Feedback.objects.all()), "taken")
    assert len(fb.do_tell_members(membership_of(cm, workspace), Feedback.objects.all(), "C'est fait !").queued) == 2
    assert Reply.objects.filter(purpose="feedback").count() == 4


def test_telling_refuses_unanswered_feedback_mixed_answers_and_empty_text(workspace, owner, cm, three_conversations):
    _lea, _tom, made = three_conversations
    member = membership_of(cm, workspace)
    with pytest.raises(ValidationError):
        fb.do_tell_members(member, Feedback.objects.all(), "Bonjour")
    fb.do_answer_feedback(membership_of(owner, workspace), made[:2], "planned")
    fb.do_answer_feedback(membership_of(owner, workspace), made[2:], "declined")
    with pytest.raises(ValidationError):
        fb.do_tell_members(member, Feedback.objects.all(), "Bonjour")
    with pytest.raises(ValidationError):
        fb.do_tell_members(member, Feedback.objects.filter(answer="planned"), "   ")
    assert not Reply.objects.exists()


def test_a_reply_too_long_for_the_network_is_reported_and_the_member_stays_to_tell(workspace, owner, cm,
                                                                                three_conversations):
    _lea, _tom, made = three_conversations
    fb.do_answer_feedback(membership_of(owner, workspace), made, "planned")
    outcome = fb.do_tell_members(membership_of(cm, workspace), Feedback.objects.all(), "x" * 600)
    assert outcome.queued == [] and len(outcome.failed) == 2 and "500" in outcome.failed[0][1]
    assert not Feedback.objects.filter(members_told_at__isnull=False).exists() and not Reply.objects.exists()


def test_the_confirmation_page_says_how_many_members_receive_it_then_sends(workspace, owner, cm, as_user,
                                                                          three_conversations):
    lea, tom, made = three_conversations
    fb.do_answer_feedback(membership_of(owner, workspace), made, "planned", "dès septembre")
    client = as_user(cm)
    page = client.get("/w/velo/inbox/feedback/tell/", {"theme": "horaires", "answer": "planned"})
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="tell-count"' in body
    assert "2 membres recevront ce message" in body or "2 members will receive this message" in body
    assert 'data-testid="tell-by-hand"' in body and f"/w/velo/stream/items/{made[3].item_id}/" in body
    response = client.post("/w/velo/inbox/feedback/tell/", {"theme": "horaires", "answer": "planned", "text": ""})
    assert response.status_code == 200 and 'data-testid="tell-error"' in response.content.decode()
    response = client.post("/w/velo/inbox/feedback/tell/", {"theme": "horaires", "answer": "planned",
                                                            "text": "Merci ! Prévu pour septembre."})
    assert response.status_code == 302
    assert Reply.objects.filter(purpose="feedback").count() == 2


@pytest.mark.peers
def test_the_told_answer_reaches_the_member_on_the_network(workspace, owner, cm, masto):
    from comptoir.inbox import replies
    from comptoir.publishing.tests.delivery_fixtures import mastodon_channel, statuses_of
    from comptoir.stream.actions import source_for_channel
    from comptoir.stream.tasks import analyse_items, poll_source

    alice = mastodon_channel(workspace, masto, user="alice")
    masto.client("bob").status_post("@alice Vous devriez ouvrir l'atelier le dimanche !")
    source = source_for_channel(alice)
    poll_source.call(source.pk)
    analyse_items.call(list(Item.objects.filter(source=source).values_list("pk", flat=True)), fast=True)
    conversation = Conversation.objects.get(channel=alice)
    made = mark(cm, workspace, conversation=conversation, theme="Ateliers")
    fb.do_answer_feedback(membership_of(owner, workspace), [made], "planned")
    outcome = fb.do_tell_members(membership_of(cm, workspace), Feedback.objects.all(), "Merci, c'est prévu en mai !")
    assert replies.send_reply.call(outcome.queued[0].pk) == "sent"
    assert any("prévu en mai" in s["content"] for s in statuses_of(masto, "alice"))


# Pages -------------------------------------------------------------------------------------------------------


PAGES = ["/w/velo/inbox/feedback/", "/w/velo/inbox/digest/", "/w/velo/inbox/digest/email/",
         "/w/velo/inbox/feedback/settings/", "/w/velo/inbox/feedback/tell/"]


def test_pages_by_persona(workspace, owner, cm, moderator, analyst, contributor, outsider, as_user, mention):
    for path in PAGES:
        assert as_user(outsider).get(path).status_code == 404, path
        assert as_user(contributor).get(path).status_code == 403, path
    for path in PAGES[:3]:
        assert as_user(analyst).get(path).status_code == 200, path
        assert as_user(moderator).get(path).status_code == 200, path
    assert as_user(analyst).get(PAGES[3]).status_code == 403  # settings: who manages the inbox
    assert as_user(analyst).get(PAGES[4]).status_code == 403  # telling members: who answers them
    assert as_user(cm).get(PAGES[3]).status_code == 200
    made = mark(cm, workspace, item=mention)
    # The analyst reads but does not answer; the moderator neither (management answers).
    for user in (analyst, moderator):
        response = as_user(user).post("/w/velo/inbox/feedback/answer/", {"feedback": made.pk, "answer": "planned"})
        assert response.status_code == 403
    page = as_user(analyst).get("/w/velo/inbox/feedback/").content.decode()
    assert "Horaires" in page and 'data-testid="feedback-bulk"' not in page
    response = as_user(owner).post("/w/velo/inbox/feedback/answer/", {"feedback": [made.pk, "x", "<b>"],
                                                                      "answer": "planned", "answer_note": "<i>ok</i>"})
    assert response.status_code == 302
    assert Feedback.objects.get().answer == "planned"


def test_the_feedback_list_filters_counts_by_theme_and_exports_safely(workspace, cm, owner, as_user, mention,
                                                                      lea_conversation):
    item = Item.objects.get(inbox_link__conversation=lea_conversation)
    mark(cm, workspace, item=item, kind="problem", theme="Horaires")
    mark(cm, workspace, item=mention, kind="idea", theme="Ateliers", quote="=HYPERLINK(\"http://x\")")
    client = as_user(owner)
    body = client.get("/w/velo/inbox/feedback/", {"kind": "problem"}).content.decode()
    assert body.count('data-testid="feedback-row"') == 1 and "Horaires" in body
    body = client.get("/w/velo/inbox/feedback/", {"theme": "ATELIERS "}).content.decode()
    assert body.count('data-testid="feedback-row"') == 1
    body = client.get("/w/velo/inbox/feedback/", {"answer": "none", "week": "not-a-date", "kind": "<x>",
                                                  "page": "9999"}).content.decode()
    assert body.count('data-testid="feedback-row"') == 2
    csv = b"".join(client.get("/w/velo/inbox/feedback/", {"format": "csv"}).streaming_content).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("id,created_at,kind,theme,quote")
    assert "'=HYPERLINK" in csv and "Ateliers" in csv
