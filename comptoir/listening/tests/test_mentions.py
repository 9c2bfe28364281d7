"""The mentions: the Fil's list scoped to what the topics found, with its filters, counts, search, bulk actions,
saved views and export — and nothing of another workspace, nor of what no topic found."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.listening import actions
from comptoir.listening.models import Curation
from comptoir.listening.views.mentions import scope
from comptoir.stream.models import SavedView
from comptoir.stream.query import ItemQuery
from comptoir.workspaces.models import AuditEvent

from .conftest import add, make_topic, match


@pytest.fixture
def watched(workspace, cm, blog, masto):
    """Two topics, a third archived, and messages some of them found."""
    brand = make_topic(cm, workspace, name="Amis du Vélo", queries=["vélo"])
    theme = make_topic(cm, workspace, name="Pistes cyclables", kind="theme", color="#2b8a3e", queries=["piste*"])
    old = make_topic(cm, workspace, name="Ancienne campagne", kind="theme", color="#495057", queries=["campagne"])
    items = add(blog, [
        ("Le vélo et les pistes cyclables de Lyon", {"raw": {"meta": {"followers": 25_000}}, "engagement": {"likes": 40}}),
        ("Mon vélo a été volé, je suis furieux", {"language": "fr"}),
        ("Bike lanes in Lyon: the new piste on Garibaldi", {"language": "en"}),
        ("Souvenirs de la campagne d'hiver", {}),
        ("Rien à voir : une recette de crêpes", {}),
    ])
    items += add(masto, [("Super balade à vélo dimanche", {"raw": {"account": {"followers_count": 120}}})])
    match(items)
    actions.do_set_topic_archived(membership_of(cm, workspace), old, True)
    return {"brand": brand, "theme": theme, "old": old, "items": items}


def _rows(body: str) -> list[str]:
    if 'data-testid="stream-items"' not in body:
        return []
    listing = body.split('data-testid="stream-items"')[1].split("</ul>")[0]
    return [part.split('class="cpt-row-text">')[1].split("</span>\n")[0] for part in listing.split("<li")[1:]]


def _texts(body: str) -> set[str]:
    return {html.unescape(row.split("</span> ")[-1]) for row in _rows(body)}


def test_the_mentions_are_what_active_topics_found_with_their_colour_dots(workspace, cm, as_user, watched):
    body = as_user(cm).get("/w/velo/listening/").content.decode()
    assert _texts(body) == {"Le vélo et les pistes cyclables de Lyon", "Mon vélo a été volé, je suis furieux",
                            "Bike lanes in Lyon: the new piste on Garibaldi", "Super balade à vélo dimanche"}
    assert "4 messages" in body.split('data-testid="stream-count"')[1][:300]
    first = body.split(f'data-item="{watched["items"][0].pk}"')[1].split("</li>")[0]
    assert 'aria-label="Amis du Vélo"' in first and 'aria-label="Pistes cyclables"' in first
    assert 'fill="#2b8a3e"' in first and "25 k" in first  # reach: 25 000 followers + 40 likes


@pytest.mark.parametrize("query, expected", [
    ("topic={theme}", {"Le vélo et les pistes cyclables de Lyon", "Bike lanes in Lyon: the new piste on Garibaldi"}),
    ("topic={old}", {"Souvenirs de la campagne d'hiver"}),  # an archived topic's mentions stay readable
    ("reach=1000", {"Le vélo et les pistes cyclables de Lyon"}),
    ("reach=100&topic={brand}", {"Le vélo et les pistes cyclables de Lyon", "Super balade à vélo dimanche"}),
    ("lang=en", {"Bike lanes in Lyon: the new piste on Garibaldi"}),
    ("source={masto}", {"Super balade à vélo dimanche"}),
    ("q=volé", {"Mon vélo a été volé, je suis furieux"}),
    ("q=crêpes", set()),  # in the stream, but no topic found it
    ("q=lyon&topic={brand}", {"Le vélo et les pistes cyclables de Lyon"}),
])
def test_filters_narrow_the_mentions(workspace, cm, as_user, watched, masto, query, expected):
    ids = {name: watched[name].pk for name in ("brand", "theme", "old")} | {"masto": masto.pk}
    body = as_user(cm).get(f"/w/velo/listening/?{query.format(**ids)}").content.decode()
    assert _texts(body) == expected


def test_the_author_and_date_filters_work_on_mentions(workspace, cm, as_user, watched):
    first = watched["items"][0]
    body = as_user(cm).get(f"/w/velo/listening/?author={first.author_id}").content.decode()
    assert _texts(body) == {first.text}
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert _texts(as_user(cm).get(f"/w/velo/listening/?since={tomorrow}").content.decode()) == set()


def test_counts_and_searches_respect_the_scope(workspace, cm, as_user, watched, monkeypatch):
    member = membership_of(cm, workspace)
    everything = ItemQuery(workspace, {"q": "lyon"})
    assert everything.count().value == 2
    scoped = ItemQuery(workspace, {"q": "lyon"}, scope=scope(member, {"topic": watched["brand"].pk}))
    assert scoped.count().value == 1 and scoped.exact_count() == 1
    assert [i.text for i in scoped.page().items] == ["Le vélo et les pistes cyclables de Lyon"]
    none = ItemQuery(workspace, {"q": "crêpes"}, scope=scope(member, {}))
    assert none.count().value == 0 and none.page().items == [] and none.exact_count() == 0
    # The count the page asks for when its own stopped at the cap is the scoped one too.
    assert as_user(cm).get(f"/w/velo/listening/count/?q=lyon&topic={watched['brand'].pk}").content.decode() == "1 message"
    assert as_user(cm).get("/w/velo/listening/count/?q=crêpes").content.decode() == "0 message"


def test_a_scoped_search_pages_through_many_mentions(workspace, cm, blog, monkeypatch):
    from comptoir.stream import query

    topic = make_topic(cm, workspace, queries=["atelier"])
    items = add(blog, [f"L'atelier numéro {n}" if n % 3 == 0 else f"Le vélo numéro {n}" for n in range(30)],
                minutes_apart=1)
    match(items)
    q = ItemQuery(workspace, {"q": "numéro"}, scope=scope(membership_of(cm, workspace), {"topic": topic.pk}))
    monkeypatch.setattr(query, "PAGE_SIZE", 4)
    seen, before = [], None
    while True:
        page = q.page(before=before, size=4)
        seen += [i.text for i in page.items]
        if page.older is None:
            break
        before = page.older
    assert seen == [f"L'atelier numéro {n}" for n in range(0, 30, 3)]


@pytest.mark.parametrize("query", ["topic=abc", "topic=-1", "topic=99999999", "reach=-5", "reach=lots",
                                   "reach=" + "9" * 20, "topic=" + "9" * 30])
def test_a_wrong_topic_or_reach_names_the_filter(workspace, cm, as_user, watched, query):
    response = as_user(cm).get(f"/w/velo/listening/?{query}")
    assert response.status_code == 400
    errors = response.content.decode().split('data-testid="filter-errors"')[1].split("</div>")[0]
    assert ("Sujet:" if query.startswith("topic") else "Portée:") in errors
    assert as_user(cm).get(f"/w/velo/listening/?{query}&format=csv").status_code == 400


def test_another_workspaces_topic_is_not_a_filter_here(workspace, other_workspace, cm, outsider, as_user, watched):
    theirs = make_topic(outsider, other_workspace, name="Chez eux")
    response = as_user(cm).get(f"/w/velo/listening/?topic={theirs.pk}")
    assert response.status_code == 400 and _rows(response.content.decode()) == []


def test_bulk_save_to_share_makes_curation_once_per_message(workspace, cm, as_user, watched):
    first, second = watched["items"][:2]
    client = as_user(cm)
    response = client.post("/w/velo/listening/bulk/", {"items": [first.pk, second.pk], "action": "curate",
                                                       "next": "/w/velo/listening/?topic=1"})
    assert response.status_code == 302 and response["Location"] == "/w/velo/listening/?topic=1"
    client.post("/w/velo/listening/bulk/", {"items": [first.pk], "action": "curate"})
    saved = Curation.objects.order_by("pk")
    assert saved.count() == 2
    assert {(c.item_id, c.status, c.saved_by_id) for c in saved} == {(first.pk, "to_share", cm.pk), (second.pk, "to_share", cm.pk)}
    curation = saved.get(item=first)
    assert curation.excerpt == first.text and curation.title == first.text
    assert AuditEvent.objects.get(action="curation.add").after["count"] == 2
    pane = client.get(f"/w/velo/listening/items/{first.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="curated"' in pane


def test_a_moderator_reviews_mentions_but_does_not_curate(workspace, moderator, analyst, as_user, watched):
    first = watched["items"][0]
    client = as_user(moderator)
    response = client.post("/w/velo/listening/bulk/", {"items": [first.pk], "action": "curate"}, follow=True)
    assert not Curation.objects.exists() and "alert-danger" in response.content.decode()
    client.post("/w/velo/listening/bulk/", {"items": [first.pk], "action": "review"})
    first.refresh_from_db()
    assert first.reviewed
    assert 'data-testid="bulk-curate"' not in client.get("/w/velo/listening/").content.decode()
    assert as_user(analyst).post("/w/velo/listening/bulk/", {"items": [first.pk], "action": "curate"}).status_code == 403


def test_bulk_with_another_workspaces_message_changes_nothing(workspace, other_workspace, cm, outsider, as_user, watched):
    from comptoir.stream.models import Source

    theirs = add(Source.objects.create(workspace=other_workspace, network="rss", label="Autre"), ["Leur vélo"])
    client = as_user(cm)
    for ids in ([watched["items"][0].pk, theirs[0].pk], ["abc"], [], [str(2**70)]):
        client.post("/w/velo/listening/bulk/", {"items": ids, "action": "curate"})
    assert not Curation.objects.exists()
    assert client.get(f"/w/velo/listening/items/{theirs[0].pk}/").status_code == 404
    assert as_user(outsider).post("/w/velo/listening/bulk/", {"items": [watched["items"][0].pk], "action": "curate"}).status_code == 404


def test_the_export_has_the_topics_and_the_reach_of_each_mention(workspace, cm, as_user, watched):
    response = as_user(cm).get(f"/w/velo/listening/?topic={watched['theme'].pk}&format=csv")
    assert response["Content-Disposition"].endswith('mentions-velo.csv"')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r["text"] for r in rows] == ["Le vélo et les pistes cyclables de Lyon", "Bike lanes in Lyon: the new piste on Garibaldi"]
    assert rows[0]["listening_topics"] == "Amis du Vélo, Pistes cyclables" and rows[0]["reach"] == "25040"
    assert rows[1]["listening_topics"] == "Pistes cyclables" and rows[1]["reach"] == "0"


def test_saved_views_of_mentions_and_of_the_stream_do_not_mix(workspace, owner, cm, as_user, watched):
    client = as_user(cm)
    response = client.post("/w/velo/listening/views/", {"name": "Gros comptes", "query": "reach=1000&x=1"})
    assert response.status_code == 302 and response["Location"] == "/w/velo/listening/?reach=1000"
    client.post("/w/velo/stream/views/", {"name": "Gros comptes", "query": "lang=en"})  # the same name, another list
    assert set(SavedView.objects.values_list("screen", "query")) == {("mentions", "reach=1000"), ("stream", "lang=en")}
    mentions = client.get("/w/velo/listening/").content.decode().split('data-testid="views"')[1].split("</nav>")[0]
    assert "?reach=1000" in mentions and "?lang=en" not in mentions
    fil = client.get("/w/velo/stream/").content.decode().split('data-testid="views"')[1].split("</nav>")[0]
    assert "?lang=en" in fil and "?reach=1000" not in fil
    view = SavedView.objects.get(screen="mentions")
    assert client.post(f"/w/velo/stream/views/{view.pk}/delete/").status_code == 404  # not the Fil's
    client.post(f"/w/velo/listening/views/{view.pk}/delete/")
    assert not SavedView.objects.filter(screen="mentions").exists()
    body = as_user(owner).get("/w/velo/activity/").content.decode()
    assert "a enregistré la vue « Gros comptes » de la liste « Mentions »" in body
    assert "a enregistré la vue « Gros comptes » du fil" in body


def test_the_detail_pane_says_which_topics_and_goes_back_to_the_mentions(workspace, cm, as_user, watched):
    first = watched["items"][0]
    client = as_user(cm)
    pane = client.get(f"/w/velo/listening/items/{first.pk}/", HTTP_HX_REQUEST="true",
                      HTTP_HX_CURRENT_URL=f"http://testserver/w/velo/listening/?topic={watched['theme'].pk}&item=3")
    body = pane.content.decode()
    block = body.split('data-testid="mention-topics"')[1].split('data-testid="labels"')[0]
    assert "Amis du Vélo" in block and "Pistes cyclables" in block and "25040" in re.sub(r"\s", "", block)
    assert f'name="next" value="/w/velo/listening/?topic={watched["theme"].pk}&amp;item=3"' in body
    response = client.post(f"/w/velo/stream/items/{first.pk}/review/", {"next": f"/w/velo/listening/?item={first.pk}"})
    assert response["Location"] == f"/w/velo/listening/?item={first.pk}"
    response = client.post(f"/w/velo/stream/items/{first.pk}/review/", {"next": "https://evil.example/w/velo/"})
    assert response["Location"] == "/w/velo/stream/"
    page = client.get(f"/w/velo/listening/items/{first.pk}/").content.decode()  # on its own (phones)
    assert 'href="/w/velo/listening/"' in page and "Pistes cyclables" in page


def test_who_may_read_the_mentions(workspace, cm, moderator, analyst, contributor, outsider, as_user, watched):
    first = watched["items"][0]
    for user in (moderator, analyst):
        assert as_user(user).get("/w/velo/listening/").status_code == 200
        assert as_user(user).get(f"/w/velo/listening/items/{first.pk}/").status_code == 200
    for url in ("/w/velo/listening/", f"/w/velo/listening/items/{first.pk}/", "/w/velo/listening/count/"):
        assert as_user(contributor).get(url).status_code == 403
        assert as_user(outsider).get(url).status_code == 404


def test_the_sidebar_counts_the_mentions_left_to_review(workspace, cm, moderator, as_user, watched):
    client = as_user(cm)
    badge = client.get("/w/velo/").content.decode().split('data-testid="nav-mentions"')[1].split("</a>")[0]
    assert 'data-testid="mentions-badge">4<' in badge
    from comptoir.stream import actions as stream_actions

    stream_actions.do_set_reviewed(membership_of(moderator, workspace), [i.pk for i in watched["items"][:2]], True)
    badge = client.get("/w/velo/").content.decode().split('data-testid="nav-mentions"')[1].split("</a>")[0]
    assert 'data-testid="mentions-badge">2<' in badge


def test_a_page_of_mentions_costs_few_queries(workspace, cm, as_user, watched, django_assert_max_num_queries):
    client = as_user(cm)
    client.get("/w/velo/")
    first = watched["items"][0]
    for url in ("/w/velo/listening/", f"/w/velo/listening/?item={first.pk}", "/w/velo/listening/?q=vélo&reviewed=no",
                f"/w/velo/listening/?topic={watched['brand'].pk}&reach=10"):
        with django_assert_max_num_queries(20, info=url):
            assert client.get(url).status_code == 200
