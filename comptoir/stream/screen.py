"""The one list, many screens: the Fil's list view made once, and reused by every screen that shows messages.

A :class:`ListScreen` is a list page with everything the Fil has — filters and their chips, keyset pages,
counts, the split view with the detail pane, bulk actions, saved views, the CSV export — and the few things
a job app adds: a ``scope`` (listening: the messages a topic matched), its own filter fields, names for their
chips, a column of its own in each row, actions in the detail pane and in the bulk bar, columns of the export.
The Fil is one screen (``stream.fil.FIL``); listening's mentions another. A screen's views take the screen as
a URL keyword argument (:meth:`ListScreen.urlpatterns`), so one code path serves them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import batched
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from comptoir.lib.csvexport import csv_download
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from . import actions
from .forms import StreamFilterForm
from .models import Item, LabelCorrection, SavedView, Tag
from .query import COUNT_CAP, RELATED, ItemQuery, cursor_value

# Export columns of every screen: every label, its score, the team's tags and review, then the text.
CSV_HEADER = ["id", "published_at", "network", "source", "channel", "kind", "author", "author_name", "language",
              "sentiment", "sentiment_score", "intent", "intent_score", "complaint", "complaint_score", "toxicity",
              "toxicity_category", "toxicity_score", "spam", "spam_score", "topics", "tags", "reviewed", "reviewed_by",
              "title", "text", "url"]


# Every screen made, by key: the activity log names the screen of a saved view.
SCREENS: dict[str, ListScreen] = {}


@dataclass(frozen=True)
class BulkAction:
    """An action a screen adds to the bulk bar: ``run(membership, item_ids)`` returns the sentence to show."""

    perm: str
    run: Callable[..., str]


@dataclass(frozen=True)
class ListScreen:
    """One screen of the one list. Only ``key``, ``title`` and the URL names are required."""

    key: str  # saved views are kept per screen ("stream", "mentions")
    title: object
    url_name: str  # the list page; the others below serve it
    count_url_name: str
    bulk_url_name: str
    view_save_url_name: str
    view_delete_url_name: str
    item_url_name: str  # a message on its own page, and the pane the split view loads
    perm: str = roles.VIEW_STREAM
    form_class: type[StreamFilterForm] = StreamFilterForm
    builtin_views: Sequence[tuple[object, str]] = ()
    # The screen's own restriction of the workspace's messages, from the member and the form's cleaned data.
    scope: Callable[..., Q | None] | None = None
    # (filter name, value) → what its chip says, for the screen's own filters.
    chip_names: Callable[..., dict] | None = None
    # Sets attributes the row template reads (listening: the topics' colour dots) on a page's messages.
    decorate: Callable[..., None] | None = None
    # More context for the page (membership, form) and for the detail pane (membership, item).
    page_context: Callable[..., dict] | None = None
    detail_context: Callable[..., dict] | None = None
    head_template: str = ""  # above the list: a summary, a notice
    filters_template: str = ""  # controls in the first row of filters
    more_filters_template: str = ""  # controls under "More filters"
    row_template: str = ""  # inside each row, before the time
    bulk_template: str = ""  # buttons of the bulk bar
    detail_template: str = ""  # a block of the detail pane
    empty_template: str = ""  # what an empty screen (no filter) says
    bulk_actions: Mapping[str, BulkAction] = field(default_factory=dict)
    export_name: str = "fil"
    export_header: Sequence[str] = ()
    # item ids → extra export cells per message, in the order of ``export_header``.
    export_values: Callable[[list[int]], dict[int, list]] | None = None

    def __post_init__(self) -> None:
        SCREENS[self.key] = self

    def urlpatterns(self, prefix: str, views_prefix: str = "views/", items_prefix: str = "items/") -> list:
        """The screen's URLs under ``prefix`` (e.g. ``w/<slug:slug>/listening/``)."""
        kwargs = {"screen": self}
        return [
            path(prefix, list_page, kwargs, name=self.url_name),
            path(f"{prefix}count/", list_count, kwargs, name=self.count_url_name),
            path(f"{prefix}bulk/", bulk, kwargs, name=self.bulk_url_name),
            path(f"{prefix}{views_prefix}", view_save, kwargs, name=self.view_save_url_name),
            path(f"{prefix}{views_prefix}<int:view_id>/delete/", view_delete, kwargs, name=self.view_delete_url_name),
            path(f"{prefix}{items_prefix}<int:item_id>/", item_page, kwargs, name=self.item_url_name),
        ]

    def more_fields(self) -> tuple[str, ...]:
        return tuple(self.form_class.MORE_FIELDS)


# Reading a screen's filters ------------------------------------------------------------------------


def _form(screen: ListScreen, data, membership) -> StreamFilterForm:
    return screen.form_class(data, workspace=membership.workspace)


def _item_query(request, screen: ListScreen, membership) -> tuple[ItemQuery | None, StreamFilterForm]:
    """The query the page's filters ask for, or None with the form's errors when a filter is wrong."""
    form = _form(screen, request.GET, membership)
    if not form.is_valid():
        return None, form
    scope = screen.scope(membership, form.cleaned_data) if screen.scope else None
    return ItemQuery(membership.workspace, form.cleaned_data, tz=request.user.time_zone, scope=scope), form


def filter_query(form: StreamFilterForm) -> str:
    """The filters alone, in a fixed order: what a saved view stores and what tells which view is on."""
    return urlencode([(name, form.data[name]) for name in form.base_fields if form.data.get(name)])


def labels() -> dict[str, dict[str, str]]:
    return {task: {v: str(actions.LABEL_NAMES[v]) for v in values} for task, values in LabelCorrection.TASKS.items()}


def _chips(form: StreamFilterForm, names: dict, base: str) -> list[dict]:
    """The filters in force, each with the address of the same page without it."""
    label_names = labels()
    chips = []
    for name in form.base_fields:
        value = form.data.get(name)
        if not value:
            continue
        shown = names.get((name, value)) or label_names.get(name, {}).get(value) or value
        rest = QueryDict(base, mutable=True)
        rest.pop(name, None)
        label = str(type(form).FIELD_NAMES.get(name, name))
        chips.append({"name": name, "label": "" if label == str(shown) else label, "value": shown,
                      "url": "?" + rest.urlencode()})
    return chips


def score(item: Item, task: str) -> float | None:
    scores = item.scores or {}
    key = {"sentiment": f"sentiment_{item.sentiment}", "intent": f"intent_{item.intent}"}.get(task, task)
    value = scores.get(key)
    if task in ("toxicity", "spam", "complaint") and value is not None:
        value = value if getattr(item, task) in ("toxic", "spam", "complaint") else 1 - value
    return round(value * 100) if isinstance(value, int | float) else None


def _detail(screen: ListScreen, membership, item: Item) -> dict:
    """What the detail pane shows of a message: labels with scores, tags, thread, author, the screen's block."""
    workspace = membership.workspace
    thread = []
    key = item.thread_external_id or item.parent_external_id
    if key:
        # The conversation: what shares its thread, and the message that started it.
        thread = list(Item.objects.filter(workspace=workspace, source_id=item.source_id)
                      .filter(Q(thread_external_id=key) | Q(external_id=key)).exclude(pk=item.pk)
                      .select_related("author").order_by("sort_key")[:20])
    author = {}
    if item.author_id:
        others = Item.objects.filter(workspace=workspace, author_id=item.author_id)
        author = {
            "identity": item.author,
            **others.aggregate(count=Count("id"), negative=Count("id", filter=Q(sentiment="negative")),
                               complaints=Count("id", filter=Q(complaint="complaint"))),
            "recent": list(others.exclude(pk=item.pk).select_related("source").order_by("-sort_key")[:5]),
            "sources": list(others.values("source__label").annotate(n=Count("id")).order_by("-n")[:5]),
        }
    label_names = labels()
    rows = [{"task": task, "value": getattr(item, task), "shown": label_names[task].get(getattr(item, task), "—"),
             "score": score(item, task), "choices": list(label_names[task].items())} for task in LabelCorrection.TASKS]
    return {"item": item, "thread": thread, "author": author, "label_rows": rows,
            "item_tags": list(item.item_tags.select_related("tag").order_by("tag__name")),
            "can_act": roles.has_perm(membership.role, roles.MODERATE), "current_model": _current_model(),
            "extra": screen.detail_context(membership, item) if screen.detail_context else {}}


def _current_model() -> str:
    """The model version that reads new messages now (after ``comptoir train``, the next one)."""
    from comptoir.understanding.pipeline import MODEL_VERSION

    return MODEL_VERSION


def _screen_context(screen: ListScreen, slug: str) -> dict:
    return {"screen": screen, "screen_urls": {
        "list": reverse(screen.url_name, args=[slug]), "count": reverse(screen.count_url_name, args=[slug]),
        "bulk": reverse(screen.bulk_url_name, args=[slug]), "view_save": reverse(screen.view_save_url_name, args=[slug]),
    }}


# The views -----------------------------------------------------------------------------------------


@login_required
def list_page(request, slug, screen: ListScreen):
    membership = get_membership(request, slug, screen.perm)
    workspace = membership.workspace
    query, form = _item_query(request, screen, membership)
    if request.GET.get("format") == "csv":
        return _export(request, screen, workspace, query, form)
    page = count = None
    if query is not None:
        page = query.page(before=cursor_value(request.GET.get("before")), after=cursor_value(request.GET.get("after")))
        count = query.count()
    selected = None
    item_id = cursor_value(request.GET.get("item"))
    if item_id and item_id > 0:
        shown = {i.pk: i for i in page.items} if page else {}
        selected = shown.get(item_id) or Item.objects.filter(pk=item_id, workspace=workspace).select_related(*RELATED).first()
    if screen.decorate is not None:
        screen.decorate(membership, [*(page.items if page else []), *([selected] if selected else [])])
    filters = filter_query(form)
    page_query = request.GET.copy()
    for key in ("before", "after", "item"):
        page_query.pop(key, None)
    list_query = request.GET.copy()
    list_query.pop("item", None)
    sources = list(workspace.sources.order_by("removed_at", "label"))
    tags = list(Tag.objects.filter(workspace=workspace))
    names = {("source", str(s.pk)): s.label for s in sources} | {("tag", str(t.pk)): t.name for t in tags}
    if form.data.get("author"):
        from comptoir.members.models import Identity

        author = Identity.objects.filter(workspace=workspace, pk=cursor_value(form.data["author"]) or 0).first()
        if author:
            names[("author", form.data["author"])] = str(author)
    names |= {("reviewed", "no"): _("To review"), ("reviewed", "yes"): _("Reviewed")}
    if screen.chip_names is not None:
        names |= screen.chip_names(membership, form)
    views = [{"name": str(name), "query": q, "builtin": True} for name, q in screen.builtin_views]
    views += [{"name": v.name, "query": v.query, "id": v.pk}
              for v in SavedView.objects.filter(workspace=workspace, user=request.user, screen=screen.key)]
    context = {
        **_screen_context(screen, slug),
        "page": page, "count": count, "count_cap": COUNT_CAP, "filters": {n: form.data.get(n, "") for n in form.base_fields},
        "filter_errors": form.error_summary(), "chips": _chips(form, names, filters), "filter_query": filters,
        "views": views, "sources": sources, "tags": tags, "kinds": Item.KIND_LABELS.items(),
        "languages": [("fr", _("French")), ("en", _("English"))], "query": page_query.urlencode(),
        "labels": labels(), "selected": selected, "list_query": list_query.urlencode(),
        "can_act": roles.has_perm(membership.role, roles.MODERATE), "here": request.get_full_path(),
        "more_open": any(form.data.get(n) for n in screen.more_fields()),
    }
    if screen.page_context is not None:
        context |= screen.page_context(membership, form)
    if selected is not None:
        context |= {"detail": _detail(screen, membership, selected)}
    if request.htmx and request.htmx.target == "detail":
        return render(request, "stream/_detail.html", context)
    return render(request, "stream/stream.html", context, status=400 if query is None else 200)


def _export(request, screen: ListScreen, workspace, query, form):
    if query is None:
        # Checked before the first byte: a download never stops half-way on a bad filter.
        return HttpResponse("\n".join(form.error_summary()), status=400, content_type="text/plain; charset=utf-8")
    tz = timezone.get_current_timezone()
    extra_width = len(screen.export_header)

    def rows() -> Iterator[tuple]:
        for chunk in batched(query.export(), 500):
            ids = [i.pk for i in chunk]
            tags = _tags_of(ids)
            extra = screen.export_values(ids) if screen.export_values else {}
            for i in chunk:
                yield (i.pk, timezone.localtime(i.published_at, tz).isoformat() if i.published_at else "", i.source.network,
                       i.source.label, str(i.channel) if i.channel_id else "", i.kind, i.author.handle if i.author else "",
                       i.author.display_name if i.author else "", i.language, i.sentiment, score(i, "sentiment"),
                       i.intent, score(i, "intent"), i.complaint, score(i, "complaint"), i.toxicity,
                       i.toxicity_category, score(i, "toxicity"), i.spam, score(i, "spam"), ", ".join(i.topics or []),
                       ", ".join(tags.get(i.pk, [])), "yes" if i.reviewed else "no",
                       i.reviewed_by.email if i.reviewed_by_id else "", i.title, i.text, i.url,
                       *extra.get(i.pk, [""] * extra_width))

    excel = request.GET.get("excel") == "1"  # French Excel: semicolons
    return csv_download(f"{screen.export_name}-{workspace.slug}.csv", [*CSV_HEADER, *screen.export_header], rows(),
                        delimiter=";" if excel else ",", bom=True)


def _tags_of(item_ids: list[int]) -> dict[int, list[str]]:
    from .models import ItemTag

    tags: dict[int, list[str]] = {}
    for item_id, name in ItemTag.objects.filter(item_id__in=item_ids).values_list("item_id", "tag__name"):
        tags.setdefault(item_id, []).append(name)
    return tags


def get_item(membership, item_id) -> Item:
    return get_object_or_404(Item.objects.select_related(*RELATED), pk=item_id, workspace=membership.workspace)


@login_required
def item_page(request, slug, item_id, screen: ListScreen):
    """A message on its own page (phones, links); the screen's split view loads the same pane."""
    membership = get_membership(request, slug, screen.perm)
    item = get_item(membership, item_id)
    if screen.decorate is not None:
        screen.decorate(membership, [item])
    here, list_query = request.get_full_path(), ""
    if request.htmx and request.htmx.current_url:
        # Loaded beside the list: the pane's forms come back to the list as the person sees it.
        current = urlsplit(request.htmx.current_url)
        if current.path == reverse(screen.url_name, args=[slug]):
            here = f"{current.path}?{current.query}"
            rest = QueryDict(current.query, mutable=True)
            rest.pop("item", None)
            list_query = rest.urlencode()
    context = {**_screen_context(screen, slug), "detail": _detail(screen, membership, item), "selected": item,
               "here": here, "list_query": list_query}
    if request.htmx:
        return render(request, "stream/_detail.html", context)
    return render(request, "stream/item.html", context)


def back(request, slug, default: str) -> str:
    """Where a form of a list or of its pane goes back to: the page it came from, if it is one of this workspace."""
    next_url = request.POST.get("next", "")
    if next_url.startswith(f"/w/{slug}/") and url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        return next_url
    return default


def flash(request, exc) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def bulk(request, slug, screen: ListScreen):
    """One action on the selected messages: mark reviewed or to review, tag, correct a label, or the screen's own."""
    membership = get_membership(request, slug, roles.MODERATE)
    ids = request.POST.getlist("items")[: actions.MAX_BULK + 1]
    action = request.POST.get("action", "")
    try:
        if action in ("review", "unreview"):
            n = actions.do_set_reviewed(membership, ids, action == "review")
            messages.success(request, ngettext("%(count)s message marked.", "%(count)s messages marked.", n) % {"count": n})
        elif action == "tag":
            tag = actions.do_tag(membership, ids, request.POST.get("tag", "")[:200])
            messages.success(request, _("Tag “%(tag)s” added to the selected messages.") % {"tag": tag.name})
        elif action == "correct":
            task, label = request.POST.get("correct", "").partition(":")[::2]
            n = actions.do_bulk_correct_label(membership, ids, task[:20], label[:20])
            messages.success(request, ngettext("%(count)s label corrected.", "%(count)s labels corrected.", n) % {"count": n})
        elif action in screen.bulk_actions:
            extra = screen.bulk_actions[action]
            if not roles.has_perm(membership.role, extra.perm):
                raise PermissionDenied
            messages.success(request, extra.run(membership, ids))
        else:
            messages.error(request, _("Choose what to do with the selected messages."))
    except ValidationError as exc:
        flash(request, exc)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Your role in this workspace does not allow this."))
    return redirect(back(request, slug, reverse(screen.url_name, args=[slug])))


@login_required
@require_POST
def view_save(request, slug, screen: ListScreen):
    membership = get_membership(request, slug, screen.perm)
    form = _form(screen, QueryDict(request.POST.get("query", "")[:2000]), membership)
    try:
        view = actions.do_save_view(membership, request.POST.get("name", "")[:200], filter_query(form), screen=screen.key)
    except ValidationError as exc:
        flash(request, exc)
        return redirect(back(request, slug, reverse(screen.url_name, args=[slug])))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{reverse(screen.url_name, args=[slug])}?{view.query}")


@login_required
@require_POST
def view_delete(request, slug, view_id, screen: ListScreen):
    membership = get_membership(request, slug, screen.perm)
    view = get_object_or_404(SavedView, pk=view_id, workspace=membership.workspace, user=request.user, screen=screen.key)
    actions.do_delete_view(membership, view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect(screen.url_name, slug=slug)


@login_required
def list_count(request, slug, screen: ListScreen):
    """The exact count of what the filters match, asked by the page when its own count stopped at the cap."""
    membership = get_membership(request, slug, screen.perm)
    query, _form_ = _item_query(request, screen, membership)
    if query is None:
        return HttpResponse("", status=400)
    n = query.exact_count()
    return HttpResponse(ngettext("%(count)s message", "%(count)s messages", n) % {"count": intcomma(n)})
