"""Topics over HTTP: the list, the form with its queries (checked, testable), archive, delete; who may do what."""

import pytest

from comptoir.conftest import membership_of
from comptoir.listening import actions, tasks
from comptoir.listening.models import Mention, Topic, TopicQuery
from comptoir.stream.models import Item, Source
from comptoir.workspaces.models import AuditEvent

from .conftest import add, make_topic, match

FORM = {"name": "Amis du Vélo", "kind": "brand", "color": "#2f6fdf", "description": "L'association elle-même",
        "queries": ['"Amis du Vélo" OR #amisduvelo', ""]}


def _post(client, url, data):
    return client.post(url, data)


def test_a_cm_creates_a_topic_and_lands_on_its_mentions(workspace, cm, as_user, blog):
    response = as_user(cm).post("/w/velo/listening/topics/add/", {**FORM, "sources": [str(blog.pk)]})
    topic = Topic.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/w/velo/listening/?topic={topic.pk}"
    assert (topic.name, topic.kind, topic.color, topic.created_by) == ("Amis du Vélo", "brand", "#2f6fdf", cm)
    assert list(topic.sources.all()) == [blog]
    query = TopicQuery.objects.get()
    assert query.text == '"Amis du Vélo" OR #amisduvelo' and query.normalised and query.workspace == workspace
    event = AuditEvent.objects.get(action="topic.create")
    assert event.after["queries"] == [query.text] and event.actor == cm


def test_the_topics_list_shows_queries_sources_and_recent_mentions(workspace, cm, analyst, as_user, blog):
    topic = make_topic(cm, workspace, queries=["vélo", "#velolyon"], sources=[blog.pk])
    match(add(blog, ["Un vélo", "Deux fois vélo", "Rien à voir"]))
    body = as_user(analyst).get("/w/velo/listening/topics/").content.decode()
    row = body.split(f'data-testid="topic-{topic.pk}"')[1].split("</li>\n</ul>")[0]
    assert "Amis du Vélo" in row and "#velolyon" in row and "Lyon Vélo Actu" in row
    assert '<span class="fw-semibold">2</span>' in row.split(f'data-testid="topic-mentions-{topic.pk}"')[1]
    assert "data-testid=\"edit-" not in row  # an analyst reads, does not edit


def test_a_workspace_without_topic_explains_them_with_an_example_for_itself(workspace, cm, as_user):
    body = as_user(cm).get("/w/velo/listening/topics/").content.decode()
    empty = body.split('data-testid="topics-empty"')[1]
    assert "&quot;Les Amis du Vélo&quot; OR #lesamisduvelo" in empty and "/w/velo/listening/topics/add/" in empty
    body = as_user(cm).get("/w/velo/listening/").content.decode()
    assert 'data-testid="mentions-empty"' in body and "/w/velo/listening/topics/add/" in body


@pytest.mark.parametrize("query, column", [
    ("(vélo OR atelier", None), ('"vélo cargo', None), ("NOT vélo", None), ("vélo OR", None), ("truc:machin", None),
])
def test_a_query_with_a_mistake_is_shown_under_it_with_its_column_and_nothing_is_stored(workspace, cm, as_user, query,
                                                                                        column):
    response = as_user(cm).post("/w/velo/listening/topics/add/", {**FORM, "queries": ["vélo", query]})
    assert response.status_code == 400
    body = response.content.decode()
    error = body.split('data-testid="query-error"')[1].split("</div>")[0]
    assert "Colonne " in error
    assert body.count('data-testid="query-error"') == 1  # under the wrong query only
    assert query.replace('"', "&quot;") in body  # what was typed is kept
    assert not Topic.objects.exists() and not TopicQuery.objects.exists()


def test_the_column_counts_what_was_typed_leading_spaces_included(workspace, cm, as_user):
    response = as_user(cm).post("/w/velo/listening/topics/add/", {**FORM, "queries": ["   vélo )"]})
    typed = as_user(cm).post("/w/velo/listening/topics/add/", {**FORM, "queries": ["vélo )"]})
    first = response.content.decode().split('data-testid="query-error"')[1].split("</div>")[0]
    second = typed.content.decode().split('data-testid="query-error"')[1].split("</div>")[0]
    column = int(second.split("Colonne ")[1].split(" ")[0].rstrip(":\xa0"))
    assert f"Colonne {column + 3}" in first


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"), ({"name": "x" * 10_000}, "name"), ({"name": "   "}, "name"),
    ({"kind": "enemy"}, "kind"), ({"kind": ""}, "kind"), ({"color": "red"}, "color"), ({"color": "#12345g"}, "color"),
    ({"color": "#2f6fdf; background:url(x)"}, "color"), ({"description": "x" * 10_000}, "description"),
    ({"sources": ["abc"]}, "sources"), ({"sources": ["99999999"]}, "sources"), ({"queries": ["", "  "]}, "queries"),
    ({"queries": ["x" * 5000]}, "queries"), ({"queries": [f"mot{n}" for n in range(25)]}, "queries"),
])
def test_hostile_topic_forms_get_a_field_error_and_store_nothing(workspace, cm, as_user, changes, field):
    response = as_user(cm).post("/w/velo/listening/topics/add/", {**FORM, **changes})
    assert response.status_code == 400, field
    assert "is-invalid" in response.content.decode() or "invalid-feedback" in response.content.decode()
    assert not Topic.objects.exists()


def test_html_in_a_topic_is_shown_as_text(workspace, cm, as_user):
    name = '<script>alert("x")</script><b>Vélo</b>'
    as_user(cm).post("/w/velo/listening/topics/add/", {**FORM, "name": name, "description": "<img src=x onerror=1>"})
    topic = Topic.objects.get()
    body = as_user(cm).get("/w/velo/listening/topics/").content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body and "<img src=x" not in body
    assert topic.name == name


def test_another_workspaces_source_is_refused(workspace, other_workspace, cm, as_user):
    theirs = Source.objects.create(workspace=other_workspace, network="rss", label="Leur blog")
    response = as_user(cm).post("/w/velo/listening/topics/add/", {**FORM, "sources": [str(theirs.pk)]})
    assert response.status_code == 400 and not Topic.objects.exists()
    with pytest.raises(Exception):  # noqa: B017 - the action refuses too (ValidationError)
        make_topic(cm, workspace, sources=[theirs.pk])
    assert not Topic.objects.exists()


def test_two_topics_cannot_share_a_name_whatever_the_case(workspace, cm, as_user):
    make_topic(cm, workspace, name="Vélo")
    response = as_user(cm).post("/w/velo/listening/topics/add/", {**FORM, "name": "VÉLO"})
    assert response.status_code == 400 and Topic.objects.count() == 1
    assert "already has a topic" in response.content.decode() or "déjà un sujet" in response.content.decode()


def test_editing_keeps_unchanged_queries_and_replaces_changed_ones(workspace, cm, as_user):
    topic = make_topic(cm, workspace, queries=["vélo", "atelier"])
    kept, changed = topic.queries.order_by("pk")
    body = as_user(cm).get(f"/w/velo/listening/topics/{topic.pk}/").content.decode()
    assert ">vélo</textarea>" in body and ">atelier</textarea>" in body
    response = as_user(cm).post(f"/w/velo/listening/topics/{topic.pk}/", {**FORM, "name": "Vélo", "queries": [
        "vélo", "atelier OR réparation", ""]})
    assert response.status_code == 302
    queries = list(topic.queries.order_by("pk"))
    assert queries[0].pk == kept.pk and queries[1].pk > changed.pk and queries[1].text == "atelier OR réparation"
    event = AuditEvent.objects.get(action="topic.update")
    assert event.before["queries"] == ["vélo", "atelier"] and event.after["name"] == "Vélo"


def test_add_another_query_and_the_test_button_work_without_javascript(workspace, cm, as_user, blog):
    add(blog, ["Un vélo cargo", "Une trottinette", "Le vélo en ville"])
    client = as_user(cm)
    body = client.post("/w/velo/listening/topics/add/", {**FORM, "queries": ["vélo"], "add_query": "1"}).content.decode()
    assert body.count('name="queries"') == 3 and not Topic.objects.exists()
    body = client.post("/w/velo/listening/topics/add/", {**FORM, "queries": ["trottinette", "vélo"], "test": "1"}).content.decode()
    result = body.split('data-testid="query-test"')[1].split("</div>\n</div>")[0]
    assert "2 sur les 3 messages" in result and "Le vélo en ville" in result and "trottinette" not in result
    assert not Topic.objects.exists()


def test_the_test_button_answers_htmx_with_the_result_alone(workspace, cm, as_user, blog, masto):
    add(blog, ["Un vélo cargo"])
    add(masto, ["Mon vélo électrique"])
    client = as_user(cm)
    response = client.post("/w/velo/listening/topics/add/", {**FORM, "queries": ["vélo"], "test": "0",
                                                                "sources": [str(masto.pk)]}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.startswith('<div class="cpt-query-test"') and "Mon vélo électrique" in body and "cargo" not in body
    response = client.post("/w/velo/listening/topics/add/", {**FORM, "queries": ["(vélo"], "test": "0"},
                           HTTP_HX_REQUEST="true")
    assert "is-error" in response.content.decode() and "Colonne" in response.content.decode()
    for index in ("7", "-1", "x", ""):
        assert client.post("/w/velo/listening/topics/add/", {**FORM, "test": index}, HTTP_HX_REQUEST="true").status_code == 200


def test_archive_and_bring_back(workspace, cm, as_user):
    topic = make_topic(cm, workspace)
    client = as_user(cm)
    client.post(f"/w/velo/listening/topics/{topic.pk}/archive/")
    topic.refresh_from_db()
    assert topic.archived_at is not None
    body = client.get("/w/velo/listening/topics/").content.decode()
    assert f'data-testid="unarchive-{topic.pk}"' in body.split('data-testid="archived-topics"')[1]
    client.post(f"/w/velo/listening/topics/{topic.pk}/archive/", {"archived": "no"})
    topic.refresh_from_db()
    assert topic.archived_at is None
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="topic.").order_by("pk")] == [
        "topic.create", "topic.archive", "topic.unarchive"]


def test_deleting_a_topic_says_what_it_forgets_and_keeps_the_messages(workspace, cm, as_user, blog):
    topic = make_topic(cm, workspace)
    items = add(blog, ["Un vélo", "Deux fois vélo", "Rien"])
    match(items)
    client = as_user(cm)
    page = client.get(f"/w/velo/listening/topics/{topic.pk}/delete/").content.decode()
    assert "2 mentions" in page.split('data-testid="forgotten"')[1].split("</li>")[0]
    assert Topic.objects.filter(pk=topic.pk).exists()  # asking is not deleting
    response = client.post(f"/w/velo/listening/topics/{topic.pk}/delete/")
    assert response.status_code == 302 and not Topic.objects.exists() and not Mention.objects.exists()
    assert Item.objects.filter(source=blog).count() == 3
    event = AuditEvent.objects.get(action="topic.delete")
    assert event.before["mentions"] == 2 and event.object_repr == "Amis du Vélo"


def test_the_activity_log_reads_topic_changes_as_sentences(workspace, owner, cm, as_user):
    topic = make_topic(cm, workspace)
    actions.do_update_topic(membership_of(cm, workspace), topic, name=topic.name, kind="theme", color=topic.color,
                            queries=["atelier"])
    actions.do_delete_topic(membership_of(cm, workspace), topic)
    body = as_user(owner).get("/w/velo/activity/").content.decode()
    assert "a créé le sujet Amis du Vélo" in body
    assert "a modifié les requêtes ou les sources du sujet Amis du Vélo" in body
    assert "a supprimé le sujet Amis du Vélo" in body


def test_who_may_see_and_change_topics(workspace, other_workspace, cm, moderator, analyst, contributor, outsider, as_user):
    topic = make_topic(cm, workspace)
    urls = ["/w/velo/listening/topics/add/", f"/w/velo/listening/topics/{topic.pk}/",
            f"/w/velo/listening/topics/{topic.pk}/delete/"]
    for user in (moderator, analyst):
        assert as_user(user).get("/w/velo/listening/topics/").status_code == 200
        for url in urls:
            assert as_user(user).get(url).status_code == 403
        assert as_user(user).post(f"/w/velo/listening/topics/{topic.pk}/archive/").status_code == 403
        assert as_user(user).post(f"/w/velo/listening/topics/{topic.pk}/delete/").status_code == 403
    assert as_user(contributor).get("/w/velo/listening/topics/").status_code == 403
    for url in ["/w/velo/listening/topics/", *urls]:
        assert as_user(outsider).get(url).status_code == 404
    assert as_user(outsider).post(f"/w/velo/listening/topics/{topic.pk}/delete/").status_code == 404
    theirs = make_topic(outsider, other_workspace, name="Chez eux")
    for url in (f"/w/velo/listening/topics/{theirs.pk}/", f"/w/velo/listening/topics/{theirs.pk}/delete/"):
        assert as_user(cm).get(url).status_code == 404
    assert as_user(cm).post(f"/w/velo/listening/topics/{theirs.pk}/delete/").status_code == 404
    assert as_user(cm).post(f"/w/velo/listening/topics/{theirs.pk}/archive/").status_code == 404
    assert Topic.objects.count() == 2 and Topic.objects.get(pk=theirs.pk).archived_at is None


def test_actions_refuse_another_workspaces_topic_and_a_role_without_the_right(workspace, other_workspace, cm, moderator,
                                                                              outsider):
    from django.core.exceptions import PermissionDenied

    theirs = make_topic(outsider, other_workspace, name="Chez eux")
    member = membership_of(cm, workspace)
    for act in (lambda: actions.do_set_topic_archived(member, theirs, True), lambda: actions.do_delete_topic(member, theirs),
                lambda: actions.do_update_topic(member, theirs, name="x", kind="brand", color="#2f6fdf", queries=["a"])):
        with pytest.raises(PermissionDenied):
            act()
    with pytest.raises(PermissionDenied):
        make_topic(moderator, workspace)
    assert Topic.objects.get(pk=theirs.pk).name == "Chez eux" and tasks.compiled().matcher is not None
