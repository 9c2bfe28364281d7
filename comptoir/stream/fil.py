"""The Fil's pages: the list and the selected message side by side, its actions, saved views, counts."""

from itertools import batched
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from comptoir.lib.csvexport import csv_download
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from . import actions
from .forms import StreamFilterForm
from .models import Item, LabelCorrection, SavedView, Tag
from .query import COUNT_CAP, RELATED, ItemQuery, cursor_value

# Views everyone has, before their own.
BUILTIN_VIEWS = [
    (gettext_lazy("Everything"), ""),
    (gettext_lazy("To review"), "reviewed=no"),
    (gettext_lazy("Complaints"), "complaint=complaint"),
    (gettext_lazy("Questions"), "intent=question"),
    (gettext_lazy("Toxic"), "toxicity=toxic"),
]
# Export columns: every label, its score, the team's tags and review, then the text.
CSV_HEADER = ["id", "published_at", "network", "source", "channel", "kind", "author", "author_name", "language",
              "sentiment", "sentiment_score", "intent", "intent_score", "complaint", "complaint_score", "toxicity",
              "toxicity_category", "toxicity_score", "spam", "spam_score", "topics", "tags", "reviewed", "reviewed_by",
              "title", "text", "url"]


def _item_query(request, workspace) -> tuple[ItemQuery | None, StreamFilterForm]:
    """The query the page's filters ask for, or None with the form's errors when a filter is wrong."""
    form = StreamFilterForm(request.GET)
    if not form.is_valid():
        return None, form
    return ItemQuery(workspace, form.cleaned_data, tz=request.user.time_zone), form


def _filter_query(form: StreamFilterForm) -> str:
    """The filters alone, in a fixed order: what a saved view stores and what tells which view is on."""
    return urlencode([(name, form.data[name]) for name in form.base_fields if form.data.get(name)])


def _labels() -> dict[str, dict[str, str]]:
    return {task: {v: str(actions.LABEL_NAMES[v]) for v in values} for task, values in LabelCorrection.TASKS.items()}


def _chips(form: StreamFilterForm, names: dict, base: str) -> list[dict]:
    """The filters in force, each with the address of the same page without it."""
    labels = _labels()
    chips = []
    for name in form.base_fields:
        value = form.data.get(name)
        if not value:
            continue
        shown = names.get((name, value)) or labels.get(name, {}).get(value) or value
        rest = QueryDict(base, mutable=True)
        rest.pop(name, None)
        label = str(StreamFilterForm.FIELD_NAMES.get(name, name))
        chips.append({"name": name, "label": "" if label == str(shown) else label, "value": shown,
                      "url": "?" + rest.urlencode()})
    return chips


def _score(item: Item, task: str) -> float | None:
    scores = item.scores or {}
    key = {"sentiment": f"sentiment_{item.sentiment}", "intent": f"intent_{item.intent}"}.get(task, task)
    value = scores.get(key)
    if task in ("toxicity", "spam", "complaint") and value is not None:
        value = value if getattr(item, task) in ("toxic", "spam", "complaint") else 1 - value
    return round(value * 100) if isinstance(value, int | float) else None


def _detail(membership, item: Item) -> dict:
    """What the detail pane shows of a message: labels with scores, tags, thread, author."""
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
    labels = _labels()
    rows = [{"task": task, "value": getattr(item, task), "shown": labels[task].get(getattr(item, task), "—"),
             "score": _score(item, task), "choices": list(labels[task].items())} for task in LabelCorrection.TASKS]
    return {"item": item, "thread": thread, "author": author, "label_rows": rows,
            "item_tags": list(item.item_tags.select_related("tag").order_by("tag__name")),
            "can_act": roles.has_perm(membership.role, roles.MODERATE)}


def _get_item(membership, item_id) -> Item:
    return get_object_or_404(Item.objects.select_related(*RELATED), pk=item_id,
                             workspace=membership.workspace)


@login_required
def stream(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    workspace = membership.workspace
    query, form = _item_query(request, workspace)
    if request.GET.get("format") == "csv":
        return _export(request, workspace, query, form)
    page = count = None
    if query is not None:
        page = query.page(before=cursor_value(request.GET.get("before")), after=cursor_value(request.GET.get("after")))
        count = query.count()
    selected = None
    item_id = cursor_value(request.GET.get("item"))
    if item_id and item_id > 0:
        shown = {i.pk: i for i in page.items} if page else {}
        selected = shown.get(item_id) or Item.objects.filter(pk=item_id, workspace=workspace).select_related(*RELATED).first()
    filters = _filter_query(form)
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
    views = [{"name": str(name), "query": q, "builtin": True} for name, q in BUILTIN_VIEWS]
    views += [{"name": v.name, "query": v.query, "id": v.pk}
              for v in SavedView.objects.filter(workspace=workspace, user=request.user)]
    context = {
        "page": page, "count": count, "count_cap": COUNT_CAP, "filters": {n: form.data.get(n, "") for n in form.base_fields},
        "filter_errors": form.error_summary(), "chips": _chips(form, names, filters), "filter_query": filters,
        "views": views, "sources": sources, "tags": tags, "kinds": Item.KIND_LABELS.items(),
        "languages": [("fr", _("French")), ("en", _("English"))], "query": page_query.urlencode(),
        "labels": _labels(), "selected": selected, "list_query": list_query.urlencode(),
        "can_act": roles.has_perm(membership.role, roles.MODERATE), "here": request.get_full_path(),
        "more_open": any(form.data.get(n) for n in ("kind", "lang", "toxicity", "spam", "complaint", "tag", "author",
                                                     "since", "until")),
    }
    if selected is not None:
        context |= {"detail": _detail(membership, selected)}
    if request.htmx and request.htmx.target == "detail":
        return render(request, "stream/_detail.html", context)
    return render(request, "stream/stream.html", context, status=400 if query is None else 200)


def _export(request, workspace, query, form):
    if query is None:
        # Checked before the first byte: a download never stops half-way on a bad filter.
        return HttpResponse("\n".join(form.error_summary()), status=400, content_type="text/plain; charset=utf-8")
    tz = timezone.get_current_timezone()

    def rows():
        for chunk in batched(query.export(), 500):
            tags = _tags_of([i.pk for i in chunk])
            for i in chunk:
                yield (i.pk, timezone.localtime(i.published_at, tz).isoformat() if i.published_at else "", i.source.network,
                       i.source.label, str(i.channel) if i.channel_id else "", i.kind, i.author.handle if i.author else "",
                       i.author.display_name if i.author else "", i.language, i.sentiment, _score(i, "sentiment"),
                       i.intent, _score(i, "intent"), i.complaint, _score(i, "complaint"), i.toxicity,
                       i.toxicity_category, _score(i, "toxicity"), i.spam, _score(i, "spam"), ", ".join(i.topics or []),
                       ", ".join(tags.get(i.pk, [])), "yes" if i.reviewed else "no",
                       i.reviewed_by.email if i.reviewed_by_id else "", i.title, i.text, i.url)

    excel = request.GET.get("excel") == "1"  # French Excel: semicolons
    return csv_download(f"fil-{workspace.slug}.csv", CSV_HEADER, rows(), delimiter=";" if excel else ",", bom=True)


def _tags_of(item_ids: list[int]) -> dict[int, list[str]]:
    from .models import ItemTag

    tags: dict[int, list[str]] = {}
    for item_id, name in ItemTag.objects.filter(item_id__in=item_ids).values_list("item_id", "tag__name"):
        tags.setdefault(item_id, []).append(name)
    return tags


@login_required
def item_detail(request, slug, item_id):
    """A message on its own page (phones, links); the Fil's split view loads the same pane."""
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    item = _get_item(membership, item_id)
    here, list_query = request.get_full_path(), ""
    if request.htmx and request.htmx.current_url:
        # Loaded beside the list: the pane's forms come back to the Fil as the person sees it.
        current = urlsplit(request.htmx.current_url)
        if current.path == reverse("stream", args=[slug]):
            here = f"{current.path}?{current.query}"
            rest = QueryDict(current.query, mutable=True)
            rest.pop("item", None)
            list_query = rest.urlencode()
    context = {"detail": _detail(membership, item), "selected": item, "here": here, "list_query": list_query}
    if request.htmx:
        return render(request, "stream/_detail.html", context)
    return render(request, "stream/item.html", context)


def _back(request, slug) -> str:
    next_url = request.POST.get("next", "")
    return next_url if next_url.startswith(f"/w/{slug}/stream/") else reverse("stream", args=[slug])


def _flash(request, exc) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def item_correct(request, slug, item_id):
    membership = get_membership(request, slug, roles.MODERATE)
    item = _get_item(membership, item_id)
    try:
        actions.do_correct_label(membership, item, request.POST.get("task", "")[:20], request.POST.get("label", "")[:20])
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Label corrected. Thank you: the next model will learn from it."))
    return redirect(_back(request, slug))


@login_required
@require_POST
def item_review(request, slug, item_id):
    membership = get_membership(request, slug, roles.MODERATE)
    item = _get_item(membership, item_id)
    actions.do_set_reviewed(membership, [item.pk], request.POST.get("reviewed") != "no")
    return redirect(_back(request, slug))


@login_required
@require_POST
def item_tag(request, slug, item_id):
    membership = get_membership(request, slug, roles.MODERATE)
    item = _get_item(membership, item_id)
    try:
        if request.POST.get("remove"):
            tag = get_object_or_404(Tag, pk=cursor_value(request.POST["remove"]) or 0, workspace=membership.workspace)
            actions.do_untag(membership, [item.pk], tag)
        else:
            actions.do_tag(membership, [item.pk], request.POST.get("tag", "")[:200])
    except ValidationError as exc:
        _flash(request, exc)
    return redirect(_back(request, slug))


@login_required
@require_POST
def bulk(request, slug):
    """One action on the selected messages: mark reviewed or to review, tag, correct a label."""
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
        else:
            messages.error(request, _("Choose what to do with the selected messages."))
    except ValidationError as exc:
        _flash(request, exc)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Your role in this workspace does not allow this."))
    return redirect(_back(request, slug))


@login_required
@require_POST
def view_save(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    form = StreamFilterForm(QueryDict(request.POST.get("query", "")[:2000]))
    try:
        view = actions.do_save_view(membership, request.POST.get("name", "")[:200], _filter_query(form))
    except ValidationError as exc:
        _flash(request, exc)
        return redirect(_back(request, slug))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{reverse('stream', args=[slug])}?{view.query}")


@login_required
@require_POST
def view_delete(request, slug, view_id):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    view = get_object_or_404(SavedView, pk=view_id, workspace=membership.workspace, user=request.user)
    actions.do_delete_view(membership, view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("stream", slug=slug)


@login_required
def stream_count(request, slug):
    """The exact count of what the filters match, asked by the page when its own count stopped at the cap."""
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    query, _form = _item_query(request, membership.workspace)
    if query is None:
        return HttpResponse("", status=400)
    n = query.exact_count()
    return HttpResponse(ngettext("%(count)s message", "%(count)s messages", n) % {"count": intcomma(n)})


@login_required
def badge(request, slug):
    """The sidebar's count of messages to review (the shell's context computes it), polled by every page."""
    get_membership(request, slug, roles.VIEW_STREAM)
    return render(request, "stream/_badge.html")
