from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.connectors.base import registered_networks
from comptoir.lib.csvexport import csv_download
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from . import actions
from .forms import StreamFilterForm
from .models import Item, LabelCorrection, Source
from .query import ItemQuery, cursor_value

LISTENING_NETWORKS = ("rss", "web")


def _item_query(request, workspace) -> tuple[ItemQuery | None, StreamFilterForm]:
    """The query the page's filters ask for, or None with the form's errors when a filter is wrong."""
    form = StreamFilterForm(request.GET)
    if not form.is_valid():
        return None, form
    return ItemQuery(workspace, form.cleaned_data, tz=request.user.time_zone), form


@login_required
def stream(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    workspace = membership.workspace
    query, form = _item_query(request, workspace)
    if request.GET.get("format") == "csv":
        if query is None:
            # Checked before the first byte: a download never stops half-way on a bad filter.
            return HttpResponse("\n".join(form.error_summary()), status=400, content_type="text/plain; charset=utf-8")
        rows = (
            (i.published_at.isoformat() if i.published_at else "", i.source.label, i.kind, i.author.handle if i.author else "",
             i.language, i.sentiment, i.intent, i.title, i.text, i.url)
            for i in query.export()
        )
        return csv_download(f"stream-{workspace.slug}.csv", ["published_at", "source", "kind", "author", "language",
                                                             "sentiment", "intent", "title", "text", "url"], rows)
    page = count = None
    if query is not None:
        page = query.page(before=cursor_value(request.GET.get("before")), after=cursor_value(request.GET.get("after")))
        count = query.count()
    params = request.GET.copy()
    for key in ("before", "after"):
        params.pop(key, None)
    filters = {name: form.data.get(name, "") for name in form.base_fields}
    return render(request, "stream/stream.html", {
        "page": page, "count": count, "filters": filters, "filter_errors": form.error_summary(),
        "sources": workspace.sources.all(), "kinds": Item.KIND_LABELS.items(),
        "languages": [("fr", _("French")), ("en", _("English"))], "query": params.urlencode(),
        "label_choices": [(task, [(v, actions.LABEL_NAMES[v]) for v in values]) for task, values in LabelCorrection.TASKS.items()],
        "intents": [(v, actions.LABEL_NAMES[v]) for v in LabelCorrection.TASKS["intent"]],
        "can_correct": roles.has_perm(membership.role, roles.MODERATE), "here": request.get_full_path(),
    }, status=400 if query is None else 200)


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
@require_POST
def item_correct(request, slug, item_id):
    membership = get_membership(request, slug, roles.MODERATE)
    item = get_object_or_404(Item, pk=item_id, workspace=membership.workspace)
    try:
        actions.do_correct_label(membership, item, request.POST.get("task", "")[:20], request.POST.get("label", "")[:20])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Label corrected. Thank you: the next model will learn from it."))
    next_url = request.POST.get("next", "")
    if not next_url.startswith(f"/w/{slug}/stream/"):
        next_url = reverse("stream", args=[slug])
    return redirect(next_url)


@login_required
@require_http_methods(["GET", "POST"])
def channel_import(request, slug, channel_id):
    from comptoir.connectors.csvimport.forms import ImportForm
    from comptoir.connectors.csvimport.importer import CsvRejected
    from comptoir.workspaces.models import Channel

    membership = get_membership(request, slug, roles.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel.objects.connected(), pk=channel_id, workspace=membership.workspace, network="csv")
    form = ImportForm(request.POST or None, request.FILES or None)
    summary = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            summary = actions.do_import_csv(membership, channel, upload, tz=membership.workspace.time_zone,
                                            **form.get_options())
        except CsvRejected as exc:
            form.add_error("file", exc.message)
    return render(request, "stream/channel_import.html", {"form": form, "channel": channel, "summary": summary})


@login_required
def sources(request, slug):
    membership = get_membership(request, slug, roles.VIEW_CHANNELS)
    sources = membership.workspace.sources
    return render(request, "stream/sources.html", {
        "sources": sources.current().select_related("channel"),
        "removed": sources.removed().filter(channel__isnull=True).annotate(kept=Count("items")).order_by("-removed_at"),
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_CHANNELS),
        "can_erase": roles.has_perm(membership.role, roles.ERASE_MESSAGES),
        "listening_networks": [(n, registered_networks()[n].label) for n in LISTENING_NETWORKS if n in registered_networks()],
    })


@login_required
@require_http_methods(["GET", "POST"])
def source_add(request, slug, network):
    membership = get_membership(request, slug, roles.MANAGE_CHANNELS)
    if network not in LISTENING_NETWORKS or network not in registered_networks():
        return redirect("sources", slug=slug)
    cls = registered_networks()[network]
    form = cls.connect_form_class()(request.POST or None)
    check = None
    if request.method == "POST" and form.is_valid():
        if "test" in request.POST:
            check = cls(config=form.get_config(), credentials=form.get_credentials()).check_connection()
        else:
            source = actions.do_add_source(membership, network=network, label=form.get_handle(), config=form.get_config())
            messages.success(request, _("Listening source “%(label)s” added: it will be read within a minute.") % {"label": source.label})
            return redirect("sources", slug=slug)
    return render(request, "stream/source_add.html", {"form": form, "network_label": cls.label, "check": check})


@login_required
@require_POST
def source_action(request, slug, source_id):
    membership = get_membership(request, slug, roles.MANAGE_CHANNELS)
    source = get_object_or_404(Source.objects.current(), pk=source_id, workspace=membership.workspace)
    action = request.POST.get("action", "")
    if source.network == "demo" and action in ("poll", "resume"):
        messages.error(request, _("This demo source has no real network behind it: it cannot be read."))
    elif action == "poll":
        actions.do_poll_now(membership, source)
        messages.success(request, _("“%(label)s” will be read in a few seconds.") % {"label": source.label})
    elif action in ("pause", "resume"):
        actions.do_set_source_paused(membership, source, action == "pause")
    else:
        messages.error(request, _("Unknown action."))
    return redirect("sources", slug=slug)




@login_required
@require_http_methods(["GET", "POST"])
def source_remove(request, slug, source_id):
    """Removing a listening source says first what it touches: reading stops, messages stay."""
    membership = get_membership(request, slug, roles.MANAGE_CHANNELS)
    source = get_object_or_404(Source.objects.current(), pk=source_id, workspace=membership.workspace, channel__isnull=True)
    if request.method == "POST":
        try:
            kept = actions.do_remove_source(membership, source)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, ngettext(
                "Listening source “%(label)s” removed. Its %(count)s message stays in the stream.",
                "Listening source “%(label)s” removed. Its %(count)s messages stay in the stream.",
                kept) % {"label": source.label, "count": intcomma(kept)})
        return redirect("sources", slug=slug)
    return render(request, "stream/source_remove.html", {"source": source, "kept": source.items.count()})


@login_required
@require_http_methods(["GET", "POST"])
def source_erase(request, slug, source_id):
    """An owner erases for good the messages of a removed channel or source, typing its name to confirm."""
    membership = get_membership(request, slug, roles.ERASE_MESSAGES)
    source = get_object_or_404(Source.objects.removed().select_related("channel"), pk=source_id,
                               workspace=membership.workspace)
    error = ""
    if request.method == "POST":
        try:
            counts = actions.do_erase_messages(membership, source, request.POST.get("confirmation", "")[:300])
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, ngettext(
                "%(count)s message of “%(label)s” erased for good.",
                "%(count)s messages of “%(label)s” erased for good.",
                counts["messages"]) % {"count": intcomma(counts["messages"]), "label": source.label})
            return redirect("channels" if source.channel_id else "sources", slug=slug)
    return render(request, "stream/source_erase.html", {"source": source, "counts": actions.erase_counts(source),
                                                        "error": error}, status=400 if error else 200)
