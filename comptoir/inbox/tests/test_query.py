from comptoir.connectors.base import ItemKind
from comptoir.inbox.forms import InboxFilterForm
from comptoir.inbox.models import Conversation, Team, TeamMember
from comptoir.inbox.query import ConversationQuery, routed_scope

from .conftest import bring, message


def _query(workspace, user=None, scope=None, **data):
    form = InboxFilterForm(data, workspace=workspace)
    assert form.is_valid(), form.errors
    return ConversationQuery(workspace, form.cleaned_data, user=user, scope=scope)


def test_pages_follow_the_newest_message_and_filters_apply(channel, workspace, cm):
    for n in range(7):
        bring(channel, message(str(n), f"Message numéro {n} sur le vélo", kind=ItemKind.POST, who=f"p{n}@m.example",
                               minutes=n))
    query = _query(workspace)
    first = query.page(size=3)
    assert [c.subject[-13:] for c in first.items][0].endswith("6 sur le vélo")
    second = query.page(before=first.older, size=3)
    third = query.page(before=second.older, size=3)
    assert len({c.pk for c in first.items + second.items + third.items}) == 7 and third.older is None
    assert query.page(after=second.newer, size=3).items == first.items
    Conversation.objects.filter(subject__contains="numéro 2").update(status="closed", assignee=cm)
    assert _query(workspace, status="closed").count().value == 1
    assert _query(workspace, user=cm, assignee="me").count().value == 1
    assert _query(workspace, assignee="none").count().value == 6


def test_search_finds_conversations_by_their_messages(channel, workspace):
    bring(channel, message("1", "Bonjour, question sur l'adhésion", kind=ItemKind.POST, who="a@m.example"),
          message("2", "Le vélo est cassé", kind=ItemKind.POST, who="b@m.example"))
    found = _query(workspace, q="adhesion").page().items
    assert [c.identity.handle for c in found] == ["a@m.example"]


def test_a_contributor_sees_what_is_routed_to_them_or_their_team(channel, workspace, contributor, cm):
    bring(channel, *[message(str(n), f"Message {n}", kind=ItemKind.POST, who=f"p{n}@m.example") for n in range(4)])
    team = Team.objects.create(workspace=workspace, name="Adhésions")
    TeamMember.objects.create(team=team, user=contributor)
    TeamMember.objects.create(team=team, user=cm)
    a, b, _c, _d = Conversation.objects.order_by("pk")
    Conversation.objects.filter(pk=a.pk).update(team=team, assignee=contributor)
    Conversation.objects.filter(pk=b.pk).update(assignee=contributor)
    query = _query(workspace, user=contributor, scope=routed_scope(contributor))
    assert sorted(c.pk for c in query.page().items) == [a.pk, b.pk]
    assert query.count().value == 2


def test_bad_filters_name_the_filter(workspace):
    form = InboxFilterForm({"assignee": "<script>", "channel": "x", "status": "archived"}, workspace=workspace)
    assert not form.is_valid()
    assert {"assignee", "channel", "status"} <= set(form.errors)


def test_a_search_reads_deeper_when_its_first_reading_cannot_fill_the_page(channel, workspace, monkeypatch):
    from comptoir.inbox import query as inbox_query

    monkeypatch.setattr(inbox_query, "SEARCH_FIRST", 2)
    bring(channel, *[message(str(n), f"Question vélo numéro {n}", kind=ItemKind.POST, who=f"p{n}@m.example", minutes=n)
                     for n in range(6)])
    newest = Conversation.objects.order_by("-sort_key")[:2]
    Conversation.objects.filter(pk__in=[c.pk for c in newest]).update(status="closed")
    query = _query(workspace, q="velo", status="open")
    assert len(query.page(size=3).items) == 3  # the two newest matches are closed: it read on
    count = _query(workspace, q="velo", status="open").count()
    assert count.value >= 0 and not count.exact  # two messages read of six: "at least", refined on demand
    assert _query(workspace, q="velo", status="open").exact_count() == 4
