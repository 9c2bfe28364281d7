"""Topics of watch: the list, a topic's form with its queries (each checked, each testable on recent messages),
archive, delete."""

import re
import unicodedata
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.stream.models import Item
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import actions, matcher, querylang
from ..forms import TopicForm
from ..models import Topic

TEST_WINDOW = 2000  # a query is tried on this many of the newest messages
TEST_EXAMPLES = 5
RECENT_DAYS = 7


def _get_topic(membership, topic_id) -> Topic:
    return get_object_or_404(Topic, pk=topic_id, workspace=membership.workspace)


def example_queries(workspace) -> list[tuple[str, str]]:
    """Queries a first topic of this workspace could have: its own name, a hashtag, a theme."""
    name = re.sub(r'["()]', " ", workspace.name).split()
    phrase = " ".join(name) or "Comptoir"
    bare = "".join(c for c in unicodedata.normalize("NFKD", "".join(name)) if not unicodedata.combining(c))
    hashtag = re.sub(r"[^\w]", "", bare).lower() or "comptoir"
    return [
        (f'"{phrase}" OR #{hashtag}', _("the brand: its name as a phrase, or its hashtag")),
        ("(livraison OR colis) NEAR/5 (retard OR perdu) lang:fr", _("a theme: two groups of words close to each other")),
        (f'"{phrase}" NOT (recrutement OR "offre d\'emploi")', _("leave out what is not about you")),
    ]


@login_required
def topics(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    workspace = membership.workspace
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    rows = list(Topic.objects.filter(workspace=workspace)
                .annotate(recent=Count("mentions", filter=Q(mentions__published_at__gte=since)))
                .prefetch_related("queries", "sources").order_by("kind", "name"))
    return render(request, "listening/topics.html", {
        "active": [t for t in rows if t.archived_at is None], "archived": [t for t in rows if t.archived_at is not None],
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_LISTENING), "recent_days": RECENT_DAYS,
        "examples": example_queries(workspace), "kinds": Topic.Kind.choices,
    })


def try_query(workspace, text: str, source_ids=()) -> dict:
    """How a query does on the workspace's newest messages: how many it matches, and a few of them."""
    try:
        _text, normalised = actions.check_query(text)
        ast = querylang.parse(normalised)
    except ValidationError as exc:
        return {"error": " ".join(exc.messages)}
    except querylang.QueryError as exc:
        return {"error": actions.query_error_message(exc)}
    items = Item.objects.filter(workspace=workspace, sort_key__isnull=False)
    if source_ids:
        items = items.filter(source_id__in=source_ids)
    recent = list(items.select_related("author", "source", "channel").order_by("-sort_key")[:TEST_WINDOW])
    found = [i for i in recent if matcher.evaluate(ast, matcher.doc_from_item(i))]
    return {"matched": len(found), "examined": len(recent), "examples": found[:TEST_EXAMPLES],
            "window": TEST_WINDOW, "restricted": bool(source_ids)}


def _source_ids(request, workspace) -> list[int]:
    ids = [int(v) for v in request.POST.getlist("sources") if v.isdigit() and len(v) < 19]
    return list(workspace.sources.current().filter(pk__in=ids).values_list("pk", flat=True))


def _topic_form(request, membership, topic: Topic | None):
    """The add and edit pages: save, add a query slot, or try one query (htmx answers with the result alone)."""
    workspace = membership.workspace
    extra = 1 if request.method == "POST" and "add_query" in request.POST else 0
    form = TopicForm(request.POST if request.method == "POST" else None, workspace=workspace, topic=topic,
                     extra_queries=extra)
    status = 200
    if request.method == "POST" and "test" in request.POST:
        texts = request.POST.getlist("queries")
        index = request.POST.get("test", "")
        text = texts[int(index)] if index.isdigit() and int(index) < len(texts) else ""
        result = try_query(workspace, text, _source_ids(request, workspace))
        if request.htmx:
            return render(request, "listening/_query_test.html", {"test": result})
        for row in form.query_rows:
            if row["text"] == text:
                row["test"] = result
                break
    elif request.method == "POST" and not extra:
        if form.is_valid():
            try:
                if topic is None:
                    topic = actions.do_create_topic(membership, **form.action_fields())
                    messages.success(request, _("Topic “%(name)s” created. Comptoir is reading the workspace's messages "
                                                "for it: its mentions appear here in a moment.") % {"name": topic.name})
                    return redirect(f"{reverse('listening_mentions', args=[workspace.slug])}?topic={topic.pk}")
                actions.do_update_topic(membership, topic, **form.action_fields())
                messages.success(request, _("Topic “%(name)s” saved.") % {"name": topic.name})
                return redirect("listening_topics", slug=workspace.slug)
            except ValidationError as exc:
                form.take_errors(exc)
        status = 400
    return render(request, "listening/topic_form.html", {
        "form": form, "topic": topic, "colors": Topic.COLORS, "examples": example_queries(workspace),
        "has_sources": form.fields["sources"].queryset.exists(),
        "can_add_source": roles.has_perm(membership.role, roles.MANAGE_CHANNELS),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def topic_add(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    return _topic_form(request, membership, None)


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request, slug, topic_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    return _topic_form(request, membership, _get_topic(membership, topic_id))


@login_required
@require_POST
def topic_archive(request, slug, topic_id):
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    topic = _get_topic(membership, topic_id)
    archived = request.POST.get("archived") != "no"
    if actions.do_set_topic_archived(membership, topic, archived):
        if archived:
            messages.success(request, _("Topic “%(name)s” archived: it no longer finds new mentions; the ones it found "
                                        "stay.") % {"name": topic.name})
        else:
            messages.success(request, _("Topic “%(name)s” is back: Comptoir reads what it missed.") % {"name": topic.name})
    return redirect("listening_topics", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def topic_delete(request, slug, topic_id):
    """Deleting a topic says first what it forgets (its mentions) and what stays (the messages)."""
    membership = get_membership(request, slug, roles.MANAGE_LISTENING)
    topic = _get_topic(membership, topic_id)
    if request.method == "POST":
        counts = actions.do_delete_topic(membership, topic)
        messages.success(request, ngettext(
            "Topic “%(name)s” deleted: its %(count)s mention is forgotten, the message stays in the stream.",
            "Topic “%(name)s” deleted: its %(count)s mentions are forgotten, the messages stay in the stream.",
            counts["mentions"]) % {"name": topic.name, "count": intcomma(counts["mentions"])})
        return redirect("listening_topics", slug=slug)
    return render(request, "listening/topic_delete.html", {"topic": topic, "counts": actions.delete_counts(topic)})


urlpatterns = [
    path("w/<slug:slug>/listening/topics/", topics, name="listening_topics"),
    path("w/<slug:slug>/listening/topics/add/", topic_add, name="listening_topic_add"),
    path("w/<slug:slug>/listening/topics/<int:topic_id>/", topic_edit, name="listening_topic"),
    path("w/<slug:slug>/listening/topics/<int:topic_id>/archive/", topic_archive, name="listening_topic_archive"),
    path("w/<slug:slug>/listening/topics/<int:topic_id>/delete/", topic_delete, name="listening_topic_delete"),
]
