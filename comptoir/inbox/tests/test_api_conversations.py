"""The inbox's REST API: the list as the page filters it, a conversation whole, what people do to it, and replies
through the real local Mastodon peer. Personas from comptoir/conftest.py, each with a personal token."""

import json

import pytest
from django.test import Client

from comptoir.conftest import membership_of
from comptoir.connectors.base import ItemKind
from comptoir.inbox import actions, replies
from comptoir.inbox.models import Conversation, Note, Reply, Team, TeamMember
from comptoir.publishing.tests.delivery_fixtures import mastodon_channel, statuses_of
from comptoir.stream.actions import source_for_channel
from comptoir.stream.models import Item
from comptoir.stream.tasks import analyse_items, poll_source
from comptoir.workspaces import actions as ws_actions
from comptoir.workspaces.models import AuditEvent

from .conftest import bring, message

BASE = "/api/v1/workspaces/velo/inbox"


def api(user, workspace) -> Client:
    user.language = "en"
    user.save(update_fields=["language"])
    _token, raw = ws_actions.do_create_api_token(user, workspace, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def body(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content) if response.content else None


def send(client, method, url, data):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def seven(channel):
    """Seven members wrote, one conversation each, message n newer than n-1."""
    for n in range(7):
        bring(channel, message(str(n), f"Message numéro {n} sur le vélo", kind=ItemKind.POST, who=f"p{n}@m.example",
                               minutes=n))
    return list(Conversation.objects.order_by("-sort_key"))


# The list ---------------------------------------------------------------------------------------------------


def test_the_list_pages_with_keyset_cursors_newest_first_with_a_capped_count(seven, cm, workspace):
    client = api(cm, workspace)
    first = body(client.get(f"{BASE}/conversations?limit=3"))
    assert [c["id"] for c in first["items"]] == [c.pk for c in seven[:3]]
    assert first["count"] == 7 and first["count_exact"] is True and first["newer"] is None
    second = body(client.get(f"{BASE}/conversations?limit=3&before={first['older']}"))
    third = body(client.get(f"{BASE}/conversations?limit=3&before={second['older']}"))
    assert [c["id"] for c in second["items"] + third["items"]] == [c.pk for c in seven[3:]]
    assert third["older"] is None
    back = body(client.get(f"{BASE}/conversations?limit=3&after={second['newer']}"))
    assert back["items"] == first["items"]
    row = first["items"][0]
    assert row["excerpt"].startswith("Message numéro 6") and row["network"] == "mastodon" and row["status"] == "open"
    assert row["url"] == f"/w/velo/inbox/c/{row['id']}/"


def test_the_list_takes_the_inbox_filters(seven, cm, workspace):
    client = api(cm, workspace)
    team = Team.objects.create(workspace=workspace, name="Adhésions")
    Conversation.objects.filter(pk=seven[2].pk).update(status="closed", assignee=cm)
    Conversation.objects.filter(pk=seven[4].pk).update(team=team, priority=3)
    actions.do_tag(membership_of(cm, workspace), seven[5], "urgent")
    tag = seven[5].conversation_tags.get().tag

    def ids(query):
        return [c["id"] for c in body(client.get(f"{BASE}/conversations?{query}"))["items"]]

    assert ids("status=closed") == [seven[2].pk]
    assert ids("assignee=me") == [seven[2].pk]
    assert ids(f"team={team.pk}") == ids("priority=3") == [seven[4].pk]
    assert ids(f"tag={tag.pk}") == [seven[5].pk]
    assert ids("q=num%C3%A9ro+3") == [seven[3].pk]
    assert len(ids("assignee=none")) == 6 and ids("unread=no") == []
    assert body(client.get(f"{BASE}/conversations?tag={tag.pk}"))["items"][0]["tags"] == ["urgent"]


@pytest.mark.parametrize("query, field", [("status=archived", "status"), ("assignee=%3Cscript%3E", "assignee"),
                                          ("channel=abc", "channel"), ("waiting=2h", "waiting"),
                                          ("before=abc", "before"), ("after=99999999999999999999", "after"),
                                          ("limit=101", "limit"), ("limit=0", "limit"), ("q=" + "x" * 501, "q")])
def test_a_bad_filter_or_cursor_is_a_422_naming_it(seven, cm, workspace, query, field):
    response = api(cm, workspace).get(f"{BASE}/conversations?{query}")
    data = body(response, 422)
    assert data["field"] == field and data["message"], data


def test_a_contributor_sees_only_what_is_routed_to_them_or_their_team(seven, contributor, cm, workspace):
    team = Team.objects.create(workspace=workspace, name="Technique")
    TeamMember.objects.create(team=team, user=contributor)
    Conversation.objects.filter(pk=seven[1].pk).update(team=team)
    Conversation.objects.filter(pk=seven[3].pk).update(assignee=contributor)
    client = api(contributor, workspace)
    page = body(client.get(f"{BASE}/conversations"))
    assert [c["id"] for c in page["items"]] == [seven[1].pk, seven[3].pk] and page["count"] == 2
    assert body(client.get(f"{BASE}/conversations/{seven[1].pk}"))["id"] == seven[1].pk
    body(client.get(f"{BASE}/conversations/{seven[0].pk}"), 404)
    body(send(client, "post", f"{BASE}/conversations/{seven[0].pk}/notes", {"text": "Je regarde"}), 404)
    note = body(send(client, "post", f"{BASE}/conversations/{seven[3].pk}/notes", {"text": "Je regarde"}), 201)
    assert note["author"] == contributor.email
    body(send(client, "patch", f"{BASE}/conversations/{seven[3].pk}", {"priority": 3}), 403)  # CMs prioritise


def test_a_reader_reads_but_does_not_act(seven, analyst, workspace):
    client = api(analyst, workspace)
    assert body(client.get(f"{BASE}/conversations"))["count"] == 7
    body(send(client, "patch", f"{BASE}/conversations/{seven[0].pk}", {"status": "closed"}), 403)
    body(send(client, "post", f"{BASE}/conversations/{seven[0].pk}/assign", {"assignee": analyst.pk}), 403)
    assert Conversation.objects.get(pk=seven[0].pk).status == "open"


# A conversation ---------------------------------------------------------------------------------------------


def test_a_conversation_comes_whole_messages_replies_notes_timeline_and_tags(channel, cm, workspace):
    bring(channel, message("1", "Bonjour, comment adhérer ?", kind=ItemKind.POST),
          message("2", "Et quel est le tarif ?", parent="1", minutes=5))
    conversation = Conversation.objects.get()
    member = membership_of(cm, workspace)
    actions.do_add_note(member, conversation, "Membre depuis 2019")
    actions.do_tag(member, conversation, "adhésion")
    actions.do_set_priority(member, conversation, 2)
    replies.do_send_reply(member, conversation, "Bonjour Léa !")
    data = body(api(cm, workspace).get(f"{BASE}/conversations/{conversation.pk}"))
    assert [m["text"] for m in data["messages"]] == ["Bonjour, comment adhérer ?", "Et quel est le tarif ?"]
    assert all(m["inbound"] for m in data["messages"]) and data["messages"][0]["author"] == "Lea"
    assert [r["text"] for r in data["replies"]] == ["Bonjour Léa !"] and data["replies"][0]["state"] == "queued"
    assert [n["text"] for n in data["notes"]] == ["Membre depuis 2019"]
    assert data["tags"] == ["adhésion"] and data["priority"] == 2
    assert {e["kind"] for e in data["events"]} >= {"tagged", "priority"}
    assert any(e["message"] == "Priority: High." for e in data["events"])


def test_status_and_priority_change_through_the_actions_and_the_log_says_via_the_api(seven, cm, workspace):
    client = api(cm, workspace)
    data = body(send(client, "patch", f"{BASE}/conversations/{seven[0].pk}", {"status": "closed", "priority": 3}))
    assert data["status"] == "closed" and data["priority"] == 3 and data["closed_at"]
    logged = AuditEvent.objects.filter(action__in=["conversation.status", "conversation.priority"])
    assert sorted(e.via for e in logged) == ["api", "api"]
    error = body(send(client, "patch", f"{BASE}/conversations/{seven[0].pk}", {"status": "archived"}), 400)
    assert error["field"] == "status" and "open, pending or closed" in error["message"]
    error = body(send(client, "patch", f"{BASE}/conversations/{seven[0].pk}", {"priority": 9}), 400)
    assert error["field"] == "priority"
    error = body(send(client, "patch", f"{BASE}/conversations/{seven[0].pk}", {"priority": "3"}), 422)
    assert error["field"] == "priority"


def test_assignment_takes_a_member_and_a_team_of_this_workspace_only(seven, cm, moderator, outsider, workspace,
                                                                      other_workspace):
    client = api(cm, workspace)
    team = Team.objects.create(workspace=workspace, name="Adhésions")
    theirs = Team.objects.create(workspace=other_workspace, name="Support")
    url = f"{BASE}/conversations/{seven[0].pk}/assign"
    data = body(send(client, "post", url, {"assignee": moderator.pk, "team": team.pk}))
    assert data["assignee"] == moderator.pk and data["team"] == team.pk and data["team_name"] == "Adhésions"
    error = body(send(client, "post", url, {"assignee": outsider.pk}), 400)
    assert error["field"] == "assignee" and "member of this workspace" in error["message"]
    error = body(send(client, "post", url, {"team": theirs.pk}), 400)
    assert error["field"] == "team" and "teams" in error["message"]
    error = body(send(client, "post", url, {"assignee": "me"}), 422)
    assert error["field"] == "assignee"
    data = body(send(client, "post", url, {"assignee": None}))  # the team stays
    assert data["assignee"] is None and data["team"] == team.pk
    body(send(client, "post", url, {}), 400)
    assert AuditEvent.objects.filter(action="conversation.assign", via="api").count() == 2


def test_tags_are_added_and_removed_and_html_stays_text(seven, cm, workspace):
    client = api(cm, workspace)
    url = f"{BASE}/conversations/{seven[0].pk}/tags"
    tag = body(send(client, "post", url, {"name": "<b>urgent</b>"}), 201)
    assert tag["name"] == "<b>urgent</b>"
    assert body(client.get(f"{BASE}/conversations/{seven[0].pk}"))["tags"] == ["<b>urgent</b>"]
    error = body(send(client, "post", url, {"name": "   "}), 400)
    assert error["field"] == "name"
    assert client.delete(f"{url}/{tag['id']}").status_code == 204
    assert body(client.get(f"{BASE}/conversations/{seven[0].pk}"))["tags"] == []


def test_notes_refuse_empty_and_huge_text_naming_the_field(seven, cm, workspace):
    client = api(cm, workspace)
    url = f"{BASE}/conversations/{seven[0].pk}/notes"
    assert body(send(client, "post", url, {"text": "<script>alert(1)</script>"}), 201)["text"] == "<script>alert(1)</script>"
    for text, status in [("", 400), ("x" * 6000, 400), ("x" * 30_000, 422), (12, 422), (["a"], 422)]:
        error = body(send(client, "post", url, {"text": text}), status)
        assert error["field"] == "text", error
    assert Note.objects.count() == 1


def test_another_workspaces_conversation_reply_and_tag_are_404(seven, cm, workspace, other_workspace, outsider):
    from comptoir.tests.inbox_world import inbox_world

    theirs = inbox_world(membership_of(outsider, other_workspace))
    client = api(cm, workspace)
    conv, reply, tag = theirs["conversation_id"], theirs["reply_id"], theirs["tag_id"]
    body(client.get(f"{BASE}/conversations/{conv}"), 404)
    body(client.get(f"{BASE}/conversations/{conv}/replies"), 404)
    body(send(client, "patch", f"{BASE}/conversations/{conv}", {"status": "closed"}), 404)
    body(send(client, "post", f"{BASE}/conversations/{conv}/replies", {"text": "Intrus"}), 404)
    body(client.delete(f"{BASE}/conversations/{seven[0].pk}/tags/{tag}"), 404)
    body(client.post(f"{BASE}/replies/{reply}/retry"), 404)
    body(client.post(f"{BASE}/replies/{reply}/discard"), 404)
    body(client.get(f"/api/v1/workspaces/autre/inbox/conversations/{conv}"), 404)
    assert Conversation.objects.get(pk=conv).status == "open" and Reply.objects.get(pk=reply).state == "queued"


def test_the_openapi_document_lists_the_inbox_routes(db, client):
    paths = json.loads(client.get("/api/v1/openapi.json").content)["paths"]
    for route in ["conversations", "conversations/{conversation_id}", "conversations/{conversation_id}/assign",
                  "conversations/{conversation_id}/tags", "conversations/{conversation_id}/tags/{tag_id}",
                  "conversations/{conversation_id}/notes", "conversations/{conversation_id}/replies",
                  "replies/{reply_id}/retry", "replies/{reply_id}/approve", "replies/{reply_id}/discard"]:
        assert f"/api/v1/workspaces/{{slug}}/inbox/{route}" in paths, route


# Replies against the real Mastodon peer ---------------------------------------------------------------------


@pytest.fixture
def alice(workspace, masto):
    return mastodon_channel(workspace, masto, user="alice")


def _mention(masto, alice, text="@alice Bonjour, comment adhérer à votre association ?") -> Conversation:
    status = masto.client("bob").status_post(text)
    source = source_for_channel(alice)
    poll_source.call(source.pk)
    analyse_items.call(list(Item.objects.filter(source=source).values_list("pk", flat=True)), fast=True)
    conversation = Conversation.objects.get(channel=alice)
    conversation.status_id = status["id"]
    return conversation


@pytest.mark.peers
def test_a_reply_sent_through_the_api_lands_on_the_peer_under_the_members_message(alice, masto, cm, workspace):
    conversation = _mention(masto, alice)
    client = api(cm, workspace)
    url = f"{BASE}/conversations/{conversation.pk}/replies"
    reply = body(send(client, "post", url, {"text": "Bonjour ! Le formulaire est en ligne.", "seen_reply_id": 0}), 201)
    assert reply["state"] == "queued" and reply["author"] == cm.email
    assert replies.send_reply.call(reply["id"]) == "sent"
    [listed] = body(client.get(url))
    assert listed["state"] == "sent" and listed["remote_url"]
    sent = [s for s in statuses_of(masto, "alice") if listed["remote_url"].endswith(str(s["id"]))]
    assert sent and str(sent[0]["in_reply_to_id"]) == str(conversation.status_id)
    detail = body(client.get(f"{BASE}/conversations/{conversation.pk}"))
    assert detail["waiting_since"] is None and detail["first_replied_at"]
    assert AuditEvent.objects.get(action="reply.send").via == "api"


@pytest.mark.peers
def test_a_reply_over_the_networks_limit_names_text_with_the_networks_message(alice, masto, cm, workspace):
    conversation = _mention(masto, alice)
    client = api(cm, workspace)
    url = f"{BASE}/conversations/{conversation.pk}/replies"
    error = body(send(client, "post", url, {"text": "x" * 600}), 400)
    assert error["field"] == "text" and "500" in error["message"]
    error = body(send(client, "post", url, {"text": "x" * 20_000}), 400)
    assert error["field"] == "text" and "10000" in error["message"].replace(",", "").replace("\u202f", "")
    for bad in ({"text": "   "}, {"text": None}, {"text": ["a"]}, {"text": "ok", "force": "yes"},
                {"text": "ok", "seen_reply_id": "abc"}):
        assert body(send(client, "post", url, bad), 400 if bad == {"text": "   "} else 422)["field"]
    assert not Reply.objects.exists()


@pytest.mark.peers
def test_a_colleagues_answer_is_a_409_carrying_it_and_force_sends_anyway(alice, masto, cm, moderator, workspace):
    conversation = _mention(masto, alice)
    theirs = body(send(api(moderator, workspace), "post", f"{BASE}/conversations/{conversation.pk}/replies",
                       {"text": "Je m'en occupe", "seen_reply_id": 0}), 201)
    client = api(cm, workspace)
    url = f"{BASE}/conversations/{conversation.pk}/replies"
    error = body(send(client, "post", url, {"text": "Bonjour", "seen_reply_id": 0}), 409)
    assert error["field"] == "text" and "already answered" in error["message"]
    assert error["reply"]["id"] == theirs["id"] and error["reply"]["text"] == "Je m'en occupe"
    assert body(send(client, "post", url, {"text": "Bonjour", "seen_reply_id": theirs["id"]}), 201)["state"] == "queued"
    assert body(send(client, "post", url, {"text": "Encore", "seen_reply_id": 0, "force": True}), 201)
    assert Reply.objects.count() == 3


@pytest.mark.peers
def test_an_experts_draft_is_approved_or_discarded_by_a_cm_through_the_api(alice, masto, cm, contributor, workspace):
    conversation = _mention(masto, alice)
    expert = api(contributor, workspace)
    url = f"{BASE}/conversations/{conversation.pk}/replies"
    body(send(expert, "post", url, {"text": "Réponse de l'expert"}), 404)  # not routed to them yet
    Conversation.objects.filter(pk=conversation.pk).update(assignee=contributor)
    draft = body(send(expert, "post", url, {"text": "Réponse de l'expert"}), 201)
    assert draft["state"] == "draft"
    body(send(expert, "post", f"{BASE}/replies/{draft['id']}/approve", {}), 403)  # an expert does not approve
    client = api(cm, workspace)
    approved = body(send(client, "post", f"{BASE}/replies/{draft['id']}/approve", {"text": "Réponse relue"}))
    assert approved["state"] == "queued" and approved["text"] == "Réponse relue" and approved["approved_by"] == cm.email
    error = body(send(client, "post", f"{BASE}/replies/{draft['id']}/approve", {}), 400)
    assert error["field"] == "text" and "no longer a draft" in error["message"]
    assert replies.send_reply.call(draft["id"]) == "sent"
    assert any("Réponse relue" in s["content"] for s in statuses_of(masto, "alice"))
    second = body(send(expert, "post", url, {"text": "Autre idée"}), 201)
    assert body(client.post(f"{BASE}/replies/{second['id']}/discard"))["state"] == "discarded"


@pytest.mark.peers
def test_a_failed_reply_keeps_its_reason_and_is_retried_through_the_api(alice, masto, cm, workspace):
    conversation = _mention(masto, alice)
    client = api(cm, workspace)
    reply = body(send(client, "post", f"{BASE}/conversations/{conversation.pk}/replies", {"text": "Voici la réponse"}), 201)
    body(client.post(f"{BASE}/replies/{reply['id']}/retry"), 400)  # queued: nothing to retry
    alice.credentials = {"access_token": "revoked"}
    alice.save()
    assert replies.send_reply.call(reply["id"]) == "failed"
    [failed] = body(client.get(f"{BASE}/conversations/{conversation.pk}/replies"))
    assert failed["state"] == "failed" and failed["error"] and failed["text"] == "Voici la réponse"
    alice.credentials = {"access_token": "alice_token"}
    alice.save()
    assert body(client.post(f"{BASE}/replies/{reply['id']}/retry"))["state"] == "queued"
    assert replies.send_reply.call(reply["id"]) == "sent"
