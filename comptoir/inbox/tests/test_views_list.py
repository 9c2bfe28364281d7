"""The inbox list as each persona sees it: filters and their chips, status tabs, pages, bulk actions, live rows."""

import re

import pytest
from django.utils import timezone

from comptoir.connectors.base import ItemKind
from comptoir.inbox.models import Conversation, ConversationTag, Team, TeamMember
from comptoir.stream.models import Tag
from comptoir.workspaces.models import User

from .conftest import bring, message

URL = "/w/velo/inbox/"


@pytest.fixture(autouse=True)
def english_users(workspace):
    """The pages speak the reader's language: these tests read them in English."""
    User.objects.update(language="en")


@pytest.fixture
def conversations(channel):
    bring(channel, *[message(str(n), f"Question {n} sur l'adhésion au club", kind=ItemKind.POST, who=f"membre{n}@m.example",
                             minutes=n) for n in range(5)])
    return list(Conversation.objects.order_by("sort_key"))


def rows_of(body: str) -> list[str]:
    return re.findall(r'data-conversation="(\d+)" data-sort', body)


@pytest.mark.parametrize("persona", ["owner", "cm", "moderator", "analyst"])
def test_the_team_sees_every_open_conversation_newest_first(persona, request, conversations, as_user):
    body = as_user(request.getfixturevalue(persona)).get(URL).content.decode()
    assert rows_of(body) == [str(c.pk) for c in reversed(conversations)]
    assert "Membre4" in body and "waits for" in body and 'data-testid="unread"' in body


def test_an_outsider_gets_404_and_a_visitor_the_login(conversations, outsider, as_user, client):
    assert as_user(outsider).get(URL).status_code == 404
    assert as_user(outsider).get(f"{URL}live/?since=0").status_code == 404
    assert client.get(URL).status_code == 302


def test_status_tabs_count_and_filter(conversations, cm, as_user):
    Conversation.objects.filter(pk=conversations[0].pk).update(status="closed")
    Conversation.objects.filter(pk=conversations[1].pk).update(status="pending")
    body = as_user(cm).get(URL).content.decode()
    tabs = dict(re.findall(r'data-testid="tab-(\w+)"[^>]*>[^<]*<span class="cpt-tab-count">(\d+)', body))
    assert tabs == {"open": "3", "pending": "1", "closed": "1", "all": "5"}
    assert rows_of(as_user(cm).get(f"{URL}?status=closed").content.decode()) == [str(conversations[0].pk)]
    assert len(rows_of(as_user(cm).get(f"{URL}?status=all").content.decode())) == 5


def test_filters_show_as_chips_with_names(conversations, workspace, cm, moderator, as_user, channel):
    team = Team.objects.create(workspace=workspace, name="Adhésions")
    Conversation.objects.filter(pk=conversations[2].pk).update(assignee=moderator, team=team, priority=3)
    tag = Tag.objects.create(workspace=workspace, name="vip", key="vip")
    ConversationTag.objects.create(conversation=conversations[2], tag=tag)
    for query in (f"assignee={moderator.pk}", f"team={team.pk}", "priority=3", f"tag={tag.pk}", f"channel={channel.pk}&priority=3"):
        body = as_user(cm).get(f"{URL}?{query}").content.decode()
        assert rows_of(body) == [str(conversations[2].pk)], query
        assert 'data-testid="active-filters"' in body
    body = as_user(cm).get(f"{URL}?assignee={moderator.pk}&team={team.pk}&tag={tag.pk}").content.decode()
    chips = body[body.index('data-testid="active-filters"'):]
    assert "Mehdi Modérateur" in chips and "Adhésions" in chips and "#vip" in body
    assert "Urgent" in body and "Adhésions" in body  # the row shows team and priority
    assert rows_of(as_user(cm).get(f"{URL}?assignee=none").content.decode()).__len__() == 4
    assert rows_of(as_user(cm).get(f"{URL}?assignee=me").content.decode()) == []


def test_unread_breached_and_waiting_filters(conversations, cm, as_user):
    Conversation.objects.exclude(pk=conversations[0].pk).update(unread=False)
    assert rows_of(as_user(cm).get(f"{URL}?unread=yes").content.decode()) == [str(conversations[0].pk)]
    Conversation.objects.filter(pk=conversations[1].pk).update(breached_at=timezone.now())
    body = as_user(cm).get(f"{URL}?breached=yes").content.decode()
    assert rows_of(body) == [str(conversations[1].pk)]
    assert "is-late" in body and "target missed" in body
    Conversation.objects.update(waiting_since=timezone.now() - timezone.timedelta(minutes=30))
    assert len(rows_of(as_user(cm).get(f"{URL}?waiting=1h").content.decode())) == 0
    Conversation.objects.filter(pk=conversations[3].pk).update(waiting_since=timezone.now() - timezone.timedelta(hours=5))
    assert rows_of(as_user(cm).get(f"{URL}?waiting=4h").content.decode()) == [str(conversations[3].pk)]


def test_search_finds_conversations_and_an_empty_result_offers_to_clear(conversations, cm, as_user):
    assert len(rows_of(as_user(cm).get(f"{URL}?q=adhesion").content.decode())) == 5
    body = as_user(cm).get(f"{URL}?q=trottinette").content.decode()
    assert rows_of(body) == [] and "No conversation matches these filters" in body and "Clear all filters" in body


def test_an_empty_inbox_explains_where_messages_come_from(workspace, cm, as_user):
    body = as_user(cm).get(URL).content.decode()
    assert "arrive here" in body and 'data-testid="inbox-empty"' in body


@pytest.mark.parametrize("query", [
    "q=<script>alert(1)</script>", "q=" + "x" * 5000, "channel=99999999999999999999", "channel=-1", "assignee=<b>",
    "team=drop table", "tag=abc", "priority=9", "waiting=1y", "status=archived", "before=1e99", "after=abc",
    "c=99999999", "c=<svg>", "lang=xx-yy", "unread=maybe", "person=0", "identity=%00",
])
def test_hostile_filters_give_a_clear_answer_never_a_500(query, conversations, cm, as_user):
    response = as_user(cm).get(f"{URL}?{query}")
    assert response.status_code in (200, 400)
    body = response.content.decode()
    assert "<script>alert(1)" not in body and "<svg>" not in body and "<b>" not in body.split("<main", 1)[-1].split(
        'data-testid="filter-errors"')[0][-20:]


def test_other_workspaces_ids_leak_nothing(conversations, cm, as_user, other_workspace, other_channel, outsider):
    other_team = Team.objects.create(workspace=other_workspace, name="Équipe secrète")
    other_tag = Tag.objects.create(workspace=other_workspace, name="secret", key="secret")
    bring(other_channel, message("o1", "Message confidentiel", kind=ItemKind.POST, who="x@m.example"))
    theirs = Conversation.objects.get(workspace=other_workspace)
    for query in (f"channel={other_channel.pk}", f"team={other_team.pk}", f"tag={other_tag.pk}", f"assignee={outsider.pk}",
                  f"c={theirs.pk}"):
        body = as_user(cm).get(f"{URL}?{query}").content.decode()
        assert "Équipe secrète" not in body and "secret" not in body.lower().replace("secrets", "")
        assert "confidentiel" not in body and "Oscar" not in body and "Mastodon @autre" not in body, query
    assert as_user(cm).get(f"/w/velo/inbox/c/{theirs.pk}/").status_code == 404


def test_keyset_pages_link_older_and_newer(channel, cm, as_user):
    bring(channel, *[message(str(n), f"Message {n}", kind=ItemKind.POST, who=f"p{n}@m.example", minutes=n % 59)
                     for n in range(55)])
    body = as_user(cm).get(URL).content.decode()
    assert len(rows_of(body)) == 50
    older = re.search(r'href="\?([^"]*before=\d+)"', body).group(1).replace("&amp;", "&")
    second = as_user(cm).get(f"{URL}?{older}").content.decode()
    assert len(rows_of(second)) == 5 and 'rel="prev"' in second and 'id="inbox-live"' not in second
    assert not set(rows_of(body)) & set(rows_of(second))


def test_a_contributor_sees_only_what_is_routed_to_them_with_fewer_controls(conversations, workspace, contributor, as_user):
    team = Team.objects.create(workspace=workspace, name="Experts")
    TeamMember.objects.create(team=team, user=contributor)
    Conversation.objects.filter(pk=conversations[0].pk).update(assignee=contributor)
    Conversation.objects.filter(pk=conversations[1].pk).update(team=team)
    body = as_user(contributor).get(URL).content.decode()
    assert sorted(rows_of(body)) == sorted([str(conversations[0].pk), str(conversations[1].pk)])
    assert "Routed to me" in body and 'data-testid="bulk-bar"' not in body and 'name="channel"' not in body
    assert as_user(contributor).get(f"/w/velo/inbox/c/{conversations[2].pk}/").status_code == 404
    assert as_user(contributor).get(f"{URL}?c={conversations[2].pk}").content.decode().count("conversation-member") == 0
    empty = as_user(contributor).get(f"{URL}?status=closed").content.decode()
    assert "Nothing routed to you" not in empty  # a status with nothing is not "nothing routed"
    Conversation.objects.update(assignee=None, team=None)
    assert "Nothing routed to you" in as_user(contributor).get(URL).content.decode()


def test_the_analyst_reads_without_bulk_actions(conversations, analyst, as_user):
    body = as_user(analyst).get(URL).content.decode()
    assert len(rows_of(body)) == 5 and 'data-testid="bulk-bar"' not in body
    assert as_user(analyst).post(f"{URL}bulk/", {"conversations": [conversations[0].pk], "action": "closed"}).status_code == 403


def test_bulk_actions_say_how_many_conversations_changed(conversations, workspace, cm, moderator, as_user):
    team = Team.objects.create(workspace=workspace, name="Adhésions")
    ids = [c.pk for c in conversations[:3]]
    client = as_user(cm)
    page = client.post(f"{URL}bulk/", {"conversations": ids, "action": "assign", "assignee": moderator.pk}, follow=True)
    assert "3 conversations assigned to Mehdi Modérateur." in page.content.decode()
    assert set(Conversation.objects.filter(assignee=moderator).values_list("pk", flat=True)) == set(ids)
    page = client.post(f"{URL}bulk/", {"conversations": ids[:2], "action": "team", "team": team.pk}, follow=True)
    assert "2 conversations routed to the team Adhésions." in page.content.decode()
    page = client.post(f"{URL}bulk/", {"conversations": ids, "action": "tag", "tag": "à rappeler"}, follow=True)
    assert "added to 3 conversations" in page.content.decode()
    page = client.post(f"{URL}bulk/", {"conversations": ids, "action": "closed"}, follow=True)
    assert "3 conversations closed." in page.content.decode()
    assert Conversation.objects.filter(status="closed").count() == 3
    page = client.post(f"{URL}bulk/", {"conversations": ids, "action": "closed"}, follow=True)
    assert "0 conversations closed." in page.content.decode()


def test_bulk_assignment_to_someone_of_another_workspace_is_refused_clearly(conversations, cm, outsider, as_user):
    page = as_user(cm).post(f"{URL}bulk/", {"conversations": [conversations[0].pk], "action": "assign",
                                            "assignee": outsider.pk}, follow=True)
    assert "Choose a member of this workspace to assign the conversation to." in page.content.decode()
    assert not Conversation.objects.filter(assignee__isnull=False).exists()


def test_bulk_ignores_other_workspaces_conversations_and_hostile_values(conversations, cm, as_user, other_channel):
    bring(other_channel, message("o1", "Autre", kind=ItemKind.POST, who="x@m.example"))
    theirs = Conversation.objects.get(workspace__slug="autre")
    client = as_user(cm)
    page = client.post(f"{URL}bulk/", {"conversations": [theirs.pk], "action": "closed"}, follow=True)
    assert "Select the conversations to act on first." in page.content.decode()
    assert Conversation.objects.get(pk=theirs.pk).status == "open"
    for data in ({"conversations": ["<x>", "9" * 30], "action": "closed"},
                 {"conversations": [conversations[0].pk], "action": "explode"},
                 {"conversations": [conversations[0].pk], "action": "team", "team": "<script>"},
                 {"conversations": [conversations[0].pk], "action": "tag", "tag": ""},
                 {"conversations": [str(n) for n in range(600)], "action": "closed"}):
        response = client.post(f"{URL}bulk/", data, follow=True)
        assert response.status_code == 200 and "alert-danger" in response.content.decode(), data
    assert client.get(f"{URL}bulk/").status_code == 405


LIVE_QUERIES = 7  # session, user, membership, last workspace, the page, its tags (+ margin): no query per row


def test_the_live_endpoint_returns_only_newer_rows(conversations, channel, cm, as_user, django_assert_max_num_queries):
    newest = max(c.sort_key for c in conversations)
    client = as_user(cm)
    assert client.get(f"{URL}live/?since={newest}").status_code == 204
    bring(channel, message("new", "Une nouvelle question arrive", kind=ItemKind.POST, who="nouveau@m.example", minutes=59))
    with django_assert_max_num_queries(LIVE_QUERIES):
        response = client.get(f"{URL}live/?since={newest}")
    body = response.content.decode()
    fresh = Conversation.objects.get(identity__handle="nouveau@m.example")
    assert rows_of(body) == [str(fresh.pk)] and 'hx-swap-oob="true"' in body
    assert f"since={fresh.sort_key}" in body
    assert client.get(f"{URL}live/?since={fresh.sort_key}").status_code == 204
    # A member writing again in an older conversation moves it up: it comes back as a new row.
    bring(channel, message("again", "Je relance", who="membre0@m.example", parent="0", minutes=59))
    assert rows_of(client.get(f"{URL}live/?since={fresh.sort_key}").content.decode()) == [str(conversations[0].pk)]
    # Filters apply: a closed-only list gets nothing new.
    assert client.get(f"{URL}live/?since={newest}&status=closed").status_code == 204
    for bad in ("since=abc", "since=", "since=1&status=nope"):
        assert client.get(f"{URL}live/?{bad}").status_code == 400


def test_the_live_endpoint_of_a_contributor_keeps_to_what_is_routed(conversations, channel, contributor, as_user):
    newest = max(c.sort_key for c in conversations)
    bring(channel, message("new", "Nouveau", kind=ItemKind.POST, who="nouveau@m.example", minutes=59))
    assert as_user(contributor).get(f"{URL}live/?since={newest}").status_code == 204


def test_the_list_shows_the_sidebar_counts(conversations, cm, as_user):
    from comptoir.workspaces.context_processors import _counts
    from comptoir.workspaces.models import Workspace
    from comptoir.workspaces.roles import PERMISSIONS

    Conversation.objects.filter(pk=conversations[0].pk).update(assignee=cm)
    Conversation.objects.filter(pk=conversations[1].pk).update(unread=False)
    ws = Workspace.objects.get(slug="velo")
    counts = _counts(ws, with_stream=True, perms=PERMISSIONS["manager"], user=User.objects.get(pk=cm.pk))
    assert counts["inbox_unread"] == 4 and counts["inbox_mine"] == 1
    assert "inbox_unread" not in _counts(ws, with_stream=False, perms=PERMISSIONS["contributor"], user=cm)
