"""Matching: what comes in becomes a topic's mention when a query of that topic (and of that workspace) finds it."""

import pytest
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.connectors.base import Author
from comptoir.listening import actions, tasks
from comptoir.listening.models import Mention
from comptoir.listening.signals import mentions_created
from comptoir.stream import actions as stream_actions
from comptoir.stream.models import Source
from comptoir.stream.tasks import analyse_items

from .conftest import add, make_topic, match

TEXTS = [
    "Bravo aux Amis du Vélo pour la vélorution de samedi !",
    "Les pistes cyclables rue Garibaldi arrivent cet été #velolyon",
    "Mon vélo a encore été volé devant la gare, ras-le-bol",
    "Atelier de réparation mardi soir, venez nombreux",
    "Nouvelle boulangerie à la Croix-Rousse, les croissants sont top",
]


def _mentioned(topic) -> set[str]:
    return set(Mention.objects.filter(topic=topic).values_list("item__text", flat=True))


def test_a_topic_query_finds_the_right_messages_with_what_they_weigh(workspace, cm, blog):
    topic = make_topic(cm, workspace, queries=["vélo NOT volé", "#velolyon"])
    items = add(blog, [(TEXTS[0], {"engagement": {"likes": 12, "reposts": 3}, "raw": {"meta": {"followers": 800}}}),
                       *TEXTS[1:]])
    assert match(items) == 2
    assert _mentioned(topic) == {TEXTS[0], TEXTS[1]}
    mention = Mention.objects.get(topic=topic, item=items[0])
    assert mention.workspace == workspace and mention.sort_key == items[0].sort_key
    assert mention.published_at == items[0].published_at and mention.reach == 800 + 15


def test_reach_reads_the_followers_each_network_reports():
    assert tasks.followers({"account": {"followers_count": 1234}}) == 1234  # Mastodon
    assert tasks.followers({"author": {"followersCount": 56}}) == 56  # Bluesky, detailed profile
    assert tasks.followers({"meta": {"followers": "78"}}) == 78  # a webhook sender
    for raw in ({}, {"account": "x"}, {"account": {"followers_count": -5}}, {"meta": {"followers": "many"}}, None, []):
        assert tasks.followers(raw) == 0
    assert tasks.interactions({"likes": 2, "replies": 1, "weird": "x", "neg": -4, "flag": True}) == 3


def test_matching_twice_creates_nothing_more(workspace, cm, blog):
    topic = make_topic(cm, workspace)
    items = add(blog, TEXTS)
    assert match(items) == 2
    assert match(items) == 0
    assert Mention.objects.filter(topic=topic).count() == 2


def test_a_topic_restricted_to_sources_reads_only_those(workspace, cm, blog, masto):
    everywhere = make_topic(cm, workspace, name="Partout")
    on_blog = make_topic(cm, workspace, name="Sur le blog", sources=[blog.pk])
    items = add(blog, TEXTS[:1]) + add(masto, ["Le vélo, c'est la liberté"])
    match(items)
    assert len(_mentioned(everywhere)) == 2
    assert _mentioned(on_blog) == {TEXTS[0]}


def test_an_archived_topic_stops_matching_but_keeps_its_mentions(workspace, cm, blog):
    topic = make_topic(cm, workspace)
    match(add(blog, TEXTS[:1]))
    actions.do_set_topic_archived(membership_of(cm, workspace), topic, True)
    match(add(blog, ["Un autre vélo, un autre jour"]))
    assert _mentioned(topic) == {TEXTS[0]}


def test_another_workspaces_queries_never_make_mentions_here(workspace, other_workspace, cm, outsider, blog):
    theirs = make_topic(outsider, other_workspace, name="Chez eux", queries=["vélo OR atelier"])
    ours = make_topic(cm, workspace, name="Chez nous", queries=["boulangerie"])
    match(add(blog, TEXTS))
    assert not Mention.objects.filter(topic=theirs).exists()
    assert not Mention.objects.filter(workspace=workspace).exclude(topic=ours).exists()
    assert _mentioned(ours) == {TEXTS[4]}


def test_new_queries_are_compiled_again_and_only_then(workspace, cm, blog):
    topic = make_topic(cm, workspace, queries=["boulangerie"])
    first = tasks.compiled()
    assert tasks.compiled() is first  # nothing changed: the same compiled queries
    actions.do_update_topic(membership_of(cm, workspace), topic, name=topic.name, kind="theme", color=topic.color,
                            queries=["atelier"])
    assert tasks.compiled() is not first
    match(add(blog, TEXTS))
    assert _mentioned(topic) == {TEXTS[3]}


def test_rematch_after_an_edit_removes_and_adds(workspace, cm, blog):
    topic = make_topic(cm, workspace, queries=["vélo"])
    items = add(blog, TEXTS)
    match(items)
    assert _mentioned(topic) == {TEXTS[0], TEXTS[2]}
    actions.do_update_topic(membership_of(cm, workspace), topic, name=topic.name, kind=topic.kind, color=topic.color,
                            queries=["atelier OR cyclables"])
    result = tasks.rematch_topic.call(topic.pk)
    assert result == {"added": 2, "removed": 2}
    assert _mentioned(topic) == {TEXTS[1], TEXTS[3]}
    assert tasks.rematch_topic.call(topic.pk) == {"added": 0, "removed": 0}  # idempotent
    assert Source.objects.get(pk=blog.pk).items.count() == len(TEXTS)  # the messages stay


def test_rematch_reads_a_big_past_page_by_page(workspace, cm, blog, monkeypatch):
    monkeypatch.setattr(tasks, "REMATCH_CHUNK", 3)
    items = add(blog, [f"Message {n} sur le vélo" if n % 2 else f"Message {n}" for n in range(11)], minutes_apart=1)
    topic = make_topic(cm, workspace)
    assert tasks.rematch_topic.call(topic.pk) == {"added": 5, "removed": 0}
    assert Mention.objects.filter(topic=topic).count() == 5 and len(items) == 11


def test_a_source_restriction_added_later_removes_what_came_from_elsewhere(workspace, cm, blog, masto):
    topic = make_topic(cm, workspace)
    match(add(blog, TEXTS[:1]) + add(masto, ["Le vélo, c'est la liberté"]))
    assert Mention.objects.filter(topic=topic).count() == 2
    actions.do_update_topic(membership_of(cm, workspace), topic, name=topic.name, kind=topic.kind, color=topic.color,
                            queries=["vélo"], sources=[masto.pk])
    assert tasks.rematch_topic.call(topic.pk) == {"added": 0, "removed": 1}
    assert _mentioned(topic) == {"Le vélo, c'est la liberté"}


def test_rematching_an_archived_or_deleted_topic_does_nothing(workspace, cm, blog):
    topic = make_topic(cm, workspace)
    actions.do_set_topic_archived(membership_of(cm, workspace), topic, True)
    add(blog, TEXTS)
    assert tasks.rematch_topic.call(topic.pk) == {"skipped": True}
    assert tasks.rematch_topic.call(10**9) == {"skipped": True}


def test_changes_enqueue_a_rematch_once_committed(workspace, cm, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        topic = make_topic(cm, workspace)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_topic(membership_of(cm, workspace), topic, name="Autre nom", kind="theme", color=topic.color,
                                queries=["vélo"])  # same queries, same sources: nothing to read again
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_set_topic_archived(membership_of(cm, workspace), topic, True)
        actions.do_set_topic_archived(membership_of(cm, workspace), topic, False)
    rows = DBTaskResult.objects.filter(task_path="comptoir.listening.tasks.rematch_topic")
    assert [r.args_kwargs["args"] for r in rows] == [[topic.pk], [topic.pk]]


def test_analysed_messages_are_matched_once_committed_and_tell_who_listens(workspace, cm, blog,
                                                                          django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    topic = make_topic(cm, workspace)
    items = add(blog, TEXTS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        analyse_items.call([i.pk for i in items])
    assert callbacks  # the match waits for the commit
    row = DBTaskResult.objects.get(task_path="comptoir.listening.tasks.match_items")
    assert sorted(row.args_kwargs["args"][0]) == sorted(i.pk for i in items)
    heard = []

    def listener(sender, workspace_id, mention_ids, rematch, **kwargs):
        heard.append((workspace_id, sorted(mention_ids), rematch))

    mentions_created.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            tasks.match_items.call(row.args_kwargs["args"][0])
        with django_capture_on_commit_callbacks(execute=True):
            tasks.match_items.call(row.args_kwargs["args"][0])  # nothing new: nothing said
    finally:
        mentions_created.disconnect(listener)
    assert heard == [(workspace.pk, sorted(Mention.objects.filter(topic=topic).values_list("pk", flat=True)), False)]


def test_a_corrected_sentiment_is_the_mentions_sentiment_too(workspace, cm, moderator, blog):
    topic = make_topic(cm, workspace)
    items = add(blog, TEXTS[:1])
    match(items)
    mention = Mention.objects.get(topic=topic)
    stream_actions.do_correct_label(membership_of(moderator, workspace), items[0], "sentiment", "negative")
    mention.refresh_from_db()
    assert mention.sentiment == "negative"
    stream_actions.do_correct_label(membership_of(moderator, workspace), items[0], "intent", "question")
    mention.refresh_from_db()
    assert mention.sentiment == "negative"


def test_a_message_without_a_date_is_dated_when_it_was_fetched(workspace, cm, blog):
    make_topic(cm, workspace)
    items = add(blog, [("Un vélo sans date", {"published_at": None, "author": Author("rss", "x")})])
    match(items)
    mention = Mention.objects.get()
    assert mention.published_at == items[0].fetched_at and mention.published_at <= timezone.now()


@pytest.mark.parametrize("query, expected", [
    ('"Amis du Vélo"', {0}), ("vélo* lang:fr", {0, 1, 2}), ("(atelier OR boulangerie) NOT croissants", {3}),
])
def test_the_query_language_reaches_the_mentions(workspace, cm, blog, query, expected):
    topic = make_topic(cm, workspace, queries=[query])
    items = add(blog, TEXTS)
    match(items)
    assert _mentioned(topic) == {TEXTS[n] for n in expected}
