"""The conversation pane: its timeline, its actions for each persona, the collision guard, the live timeline,
and "send to the inbox" from the Fil and listening's mentions."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from time_machine import travel

from comptoir.connectors.base import ItemKind
from comptoir.inbox import actions
from comptoir.inbox.models import (
    Conversation,
    ConversationTag,
    Event,
    Note,
    Presence,
    Reply,
    RoutingRule,
    Team,
    TeamMember,
)
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item, Source, Tag
from comptoir.workspaces.models import User

from .conftest import bring, message


@pytest.fixture(autouse=True)
def english_users(workspace):
    User.objects.update(language="en")


@pytest.fixture
def conv(channel):
    bring(channel, message("1", "Bonjour, comment adhérer au club ?", kind=ItemKind.POST, who="lea@m.example"),
          message("2", "Et quel est le tarif étudiant ?", who="lea@m.example", parent="1", minutes=5))
    return Conversation.objects.get()


def url(conversation, action=""):
    return f"/w/velo/inbox/c/{conversation.pk}/{action + '/' if action else ''}"


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_pane_shows_messages_replies_notes_and_events_in_time_order(conv, workspace, cm, as_user):
    from comptoir.workspaces.models import Membership

    membership = Membership.objects.get(user=cm, workspace=workspace)
    rule = RoutingRule.objects.create(workspace=workspace, name="Adhésions d'abord")
    team = Team.objects.create(workspace=workspace, name="Adhésions")
    actions.do_assign(None, conv, team_id=team.pk, set_user=False, rule=rule)
    actions.do_add_note(membership, conv, "Vérifier <b>son</b> dossier")
    Reply.objects.create(workspace=workspace, conversation=conv, text="Bienvenue ! Voici le lien.", author=cm,
                         idempotency_key="k1", state="sent")
    body = as_user(cm).get(url(conv)).content.decode()
    timeline = body[body.index('id="inbox-timeline"'):body.index('id="pane-live"')]
    order = [m.group(1) for m in re.finditer(r'data-testid="tl-(\w+)"', timeline)]
    assert order == ["message", "message", "event", "note", "reply"]
    assert "by the rule “Adhésions d&#x27;abord”" in timeline and "Routed to the team Adhésions." in timeline
    assert "Vérifier &lt;b&gt;son&lt;/b&gt; dossier" in timeline
    assert "Bienvenue ! Voici le lien." in timeline and "tarif étudiant" in timeline
    assert 'data-testid="profile"' in body and "lea@m.example" in body


def test_the_pane_beside_the_list_is_a_partial_and_opening_marks_read(conv, cm, as_user):
    assert Conversation.objects.get().unread
    response = as_user(cm).get(url(conv), HTTP_HX_CURRENT_URL="http://testserver/w/velo/inbox/?status=open&c=1", **HTMX)
    body = response.content.decode()
    assert body.startswith('<div id="conversation-pane"') and "<html" not in body
    assert 'value="/w/velo/inbox/?status=open&amp;c=1"' in body  # the forms come back to the list
    assert not Conversation.objects.get().unread
    list_page = as_user(cm).get(f"/w/velo/inbox/?c={conv.pk}").content.decode()
    assert 'data-testid="timeline"' in list_page and "has-selection" in list_page


def test_an_analyst_reads_without_marking_read_nor_acting(conv, analyst, as_user):
    body = as_user(analyst).get(url(conv)).content.decode()
    assert 'data-testid="timeline"' in body and 'data-inbox-close' not in body and 'name="note"' not in body
    assert Conversation.objects.get().unread
    response = as_user(analyst).post(url(conv, "status"), {"status": "closed"}, **HTMX)
    assert "does not allow" in response.content.decode() and Conversation.objects.get().status == "open"
    response = as_user(analyst).post(url(conv, "note"), {"note": "Hop"}, **HTMX)
    assert "does not allow" in response.content.decode() and not Note.objects.exists()


@pytest.mark.parametrize("action", ["", "live", "status", "assign", "priority", "tag", "note", "unread", "presence"])
def test_an_outsider_gets_404_everywhere(action, conv, outsider, as_user):
    client = as_user(outsider)
    response = client.post(url(conv, action), {"status": "closed"}) if action not in ("", "live") else client.get(url(conv, action))
    assert response.status_code == 404


def test_another_workspaces_conversation_is_404_even_for_a_cm(cm, as_user, other_channel):
    bring(other_channel, message("o1", "Autre", kind=ItemKind.POST, who="x@m.example"))
    theirs = Conversation.objects.get()
    for action in ("", "live", "presence", "status", "note"):
        client = as_user(cm)
        response = client.get(url(theirs, action)) if action in ("", "live") else client.post(url(theirs, action), {"note": "x"})
        assert response.status_code == 404, action


def test_status_buttons_close_reopen_and_set_pending(conv, cm, as_user):
    client = as_user(cm)
    body = client.post(url(conv, "status"), {"status": "closed"}, **HTMX).content.decode()
    assert 'data-testid="conversation-status">Closed' in body and 'data-testid="reopen"' in body
    assert Conversation.objects.get().status == "closed" and Conversation.objects.get().closed_by == cm
    response = client.post(url(conv, "status"), {"status": "pending", "next": f"/w/velo/inbox/?c={conv.pk}"})
    assert response.status_code == 302 and response["Location"] == f"/w/velo/inbox/?c={conv.pk}"
    assert Conversation.objects.get().status == "pending"
    response = client.post(url(conv, "status"), {"status": "open", "next": "https://evil.example/"})
    assert response["Location"] == url(conv)
    assert "Choose open, pending or closed." in client.post(url(conv, "status"), {"status": "<x>"}, **HTMX).content.decode()


def test_assignment_to_a_person_and_a_team_and_refusals_of_other_workspaces(conv, workspace, cm, moderator, outsider,
                                                                             other_workspace, as_user):
    team = Team.objects.create(workspace=workspace, name="Adhésions")
    secret = Team.objects.create(workspace=other_workspace, name="Secrète")
    client = as_user(cm)
    body = client.post(url(conv, "assign"), {"assignee": moderator.pk, "team": team.pk}, **HTMX).content.decode()
    c = Conversation.objects.get()
    assert c.assignee == moderator and c.team == team and "Assigned to Mehdi Modérateur." in body
    body = client.post(url(conv, "assign"), {"assignee": outsider.pk}, **HTMX).content.decode()
    assert "Choose a member of this workspace to assign the conversation to." in body
    assert Conversation.objects.get().assignee == moderator
    body = client.post(url(conv, "assign"), {"team": secret.pk}, **HTMX).content.decode()
    assert "Choose one of this workspace&#x27;s teams." in body and Conversation.objects.get().team == team
    for hostile in ("<script>", "9" * 40, "-1"):
        assert "alert-danger" in client.post(url(conv, "assign"), {"assignee": hostile}, **HTMX).content.decode()
    client.post(url(conv, "assign"), {"assignee": "me"}, **HTMX)
    assert Conversation.objects.get().assignee == cm and Conversation.objects.get().team == team
    client.post(url(conv, "assign"), {"assignee": "", "team": ""}, **HTMX)
    assert Conversation.objects.get().assignee is None and Conversation.objects.get().team is None


def test_priority_and_tags(conv, workspace, cm, as_user, other_workspace):
    client = as_user(cm)
    client.post(url(conv, "priority"), {"priority": "3"}, **HTMX)
    assert Conversation.objects.get().priority == 3
    assert "Choose a priority" in client.post(url(conv, "priority"), {"priority": "99"}, **HTMX).content.decode()
    body = client.post(url(conv, "tag"), {"tag": "<i>vip</i>"}, **HTMX).content.decode()
    tag = Tag.objects.get(workspace=workspace)
    assert ConversationTag.objects.filter(conversation=conv, tag=tag).exists() and "<i>vip" not in body
    assert "alert-danger" in client.post(url(conv, "tag"), {"tag": "x" * 300}, **HTMX).content.decode()
    theirs = Tag.objects.create(workspace=other_workspace, name="autre", key="autre")
    assert client.post(url(conv, "tag"), {"remove": theirs.pk}, **HTMX).status_code == 404
    client.post(url(conv, "tag"), {"remove": tag.pk}, **HTMX)
    assert not ConversationTag.objects.exists()


def test_notes_are_internal_and_checked(conv, cm, as_user):
    client = as_user(cm)
    body = client.post(url(conv, "note"), {"note": "Membre historique, <script>alert(1)</script>"}, **HTMX).content.decode()
    assert Note.objects.get().author == cm and "<script>alert(1)" not in body and 'data-testid="tl-note"' in body
    assert "Write the note before adding it." in client.post(url(conv, "note"), {"note": "  "}, **HTMX).content.decode()
    assert "at most 5000 characters" in client.post(url(conv, "note"), {"note": "x" * 9000}, **HTMX).content.decode()
    assert Note.objects.count() == 1


def test_mark_unread_goes_back_to_the_list(conv, cm, as_user):
    client = as_user(cm)
    client.get(url(conv))
    response = client.post(url(conv, "unread"), {"next": f"/w/velo/inbox/?status=open&c={conv.pk}"})
    assert response.status_code == 302 and response["Location"] == "/w/velo/inbox/?status=open"
    assert Conversation.objects.get().unread
    response = client.post(url(conv, "unread"), HTTP_HX_CURRENT_URL=f"http://testserver/w/velo/inbox/?c={conv.pk}", **HTMX)
    assert response["HX-Redirect"] == "/w/velo/inbox/?"


def test_a_contributor_acts_on_what_is_routed_to_them_only(conv, workspace, contributor, as_user):
    client = as_user(contributor)
    assert client.get(url(conv)).status_code == 404
    team = Team.objects.create(workspace=workspace, name="Experts")
    TeamMember.objects.create(team=team, user=contributor)
    Conversation.objects.update(team=team)
    body = client.get(url(conv)).content.decode()
    assert 'data-testid="timeline"' in body and 'data-testid="assign"' not in body and 'name="note"' in body
    client.post(url(conv, "note"), {"note": "Je regarde"}, **HTMX)
    client.post(url(conv, "status"), {"status": "pending"}, **HTMX)
    assert Note.objects.get().author == contributor and Conversation.objects.get().status == "pending"
    body = client.post(url(conv, "assign"), {"assignee": contributor.pk}, **HTMX).content.decode()
    assert "does not allow" in body and Conversation.objects.get().assignee is None


def test_presence_shows_who_else_is_viewing_or_typing(conv, cm, moderator, as_user):
    assert as_user(cm).get(url(conv, "presence")).status_code == 405
    body = as_user(cm).post(url(conv, "presence"), {"typing": "false"}).content.decode()
    assert "is viewing" not in body and Presence.objects.get().user == cm
    body = as_user(moderator).post(url(conv, "presence"), {"typing": "true"}).content.decode()
    assert "Camille CM is viewing" in body
    pane = as_user(cm).get(url(conv)).content.decode()
    assert "Mehdi Modérateur is typing a reply" in pane
    with travel(timezone.now() + timedelta(seconds=45)):
        assert "Camille CM" not in as_user(moderator).post(url(conv, "presence")).content.decode()
    with travel(timezone.now() + timedelta(minutes=6)):
        as_user(moderator).post(url(conv, "presence"))
        assert list(Presence.objects.values_list("user", flat=True)) == [moderator.pk]  # the stale row is gone
    assert as_user(moderator).post(url(conv, "presence"), {"leave": "1"}).status_code == 204
    assert "Mehdi" not in as_user(cm).post(url(conv, "presence")).content.decode()


def test_the_live_timeline_returns_only_what_is_new(conv, channel, workspace, cm, as_user):
    client = as_user(cm)
    body = client.get(url(conv)).content.decode()
    live = re.search(r'id="pane-live" hidden hx-get="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert client.get(live).status_code == 204
    bring(channel, message("3", "Je relance : quel tarif ?", who="lea@m.example", parent="2", minutes=30))
    Note.objects.create(conversation=conv, author=cm, text="Je m'en occupe")
    fresh = client.get(live)
    text = fresh.content.decode()
    assert "Je relance" in text and "Je m&#x27;en occupe" in text and "tarif étudiant" not in text
    assert 'hx-swap-oob="true"' in text and 'id="conv-state"' in text
    again = re.search(r'hx-get="([^"]+)"', text).group(1).replace("&amp;", "&")
    assert client.get(again).status_code == 204
    assert client.get(url(conv, "live") + "?links=abc&notes=-5").status_code == 200


def test_the_profile_lists_their_other_conversations(conv, channel, cm, as_user):
    bring(channel, message("9", "Autre sujet : la balade", kind=ItemKind.POST, who="lea@m.example", minutes=40))
    other = Conversation.objects.exclude(pk=conv.pk).get()
    actions.do_set_status(None, other, "closed")
    body = as_user(cm).get(url(conv)).content.decode()
    profile = body[body.index('data-testid="profile"'):]
    assert "Autre sujet : la balade" in profile and "Closed" in profile
    assert re.search(r'data-testid="profile-messages">3<', profile)


@pytest.fixture
def listened(workspace):
    """Messages of a listening source (not an owned channel): not in the inbox until someone sends them."""
    source = Source.objects.create(workspace=workspace, network="mastodon", label="Veille #vélo")
    from comptoir.connectors.base import Author

    stored = store_fetched(source, [
        message("l1", "Le club de vélo ne répond jamais aux mails !", kind=ItemKind.POST, who="rale@m.example"),
        message("l2", "Quelqu'un sait si le club fait des sorties ?", kind=ItemKind.POST, who="curieux@m.example"),
    ])
    assert Author  # the message() helper builds the authors
    return stored.item_ids


def test_send_to_inbox_from_the_fil_makes_conversations_once(listened, cm, as_user):
    client = as_user(cm)
    page = client.post("/w/velo/stream/bulk/", {"items": listened, "action": "send_to_inbox"}, follow=True).content.decode()
    assert "2 messages sent to the inbox (2 new conversations)." in page
    assert Conversation.objects.count() == 2 and Conversation.objects.filter(channel__isnull=True).count() == 2
    page = client.post("/w/velo/stream/bulk/", {"items": listened, "action": "send_to_inbox"}, follow=True).content.decode()
    assert "These messages already are in the inbox." in page and Conversation.objects.count() == 2


def test_send_to_inbox_refuses_other_workspaces_messages_and_readers(listened, cm, analyst, moderator, as_user,
                                                                     other_workspace):
    source = Source.objects.create(workspace=other_workspace, network="mastodon", label="Autre")
    theirs = store_fetched(source, [message("x1", "Secret", kind=ItemKind.POST)]).item_ids
    page = as_user(cm).post("/w/velo/stream/bulk/", {"items": theirs, "action": "send_to_inbox"}, follow=True).content.decode()
    assert "Select the messages to send to the inbox." in page and not Conversation.objects.exists()
    page = as_user(cm).post("/w/velo/stream/bulk/", {"items": ["<x>", "9" * 30], "action": "send_to_inbox"},
                            follow=True).content.decode()
    assert "alert-danger" in page
    assert as_user(analyst).post("/w/velo/stream/bulk/", {"items": listened, "action": "send_to_inbox"}).status_code == 403
    detail = as_user(moderator).get(f"/w/velo/stream/items/{listened[0]}/").content.decode()
    assert 'data-testid="send-to-inbox"' in detail and 'value="send_to_inbox"' in detail
    as_user(moderator).post("/w/velo/listening/bulk/", {"items": listened[:1], "action": "send_to_inbox"})
    assert Conversation.objects.get().last_item_id == listened[0]
    assert Item.objects.filter(inbox_link__isnull=False).count() == 1


def test_sending_to_the_inbox_is_in_the_activity_log(listened, workspace, cm, as_user):
    from comptoir.workspaces import audit
    from comptoir.workspaces.models import AuditEvent

    as_user(cm).post("/w/velo/stream/bulk/", {"items": listened, "action": "send_to_inbox"})
    event = AuditEvent.objects.get(action="conversation.send_to_inbox")
    assert audit.describe(event) == "Camille CM sent 2 messages to the inbox."
    assert Event.objects.count() == 0
