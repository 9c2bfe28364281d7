from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.connectors.base import registered_networks
from comptoir.lib.csvexport import csv_download
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from . import actions
from .models import Item, LabelCorrection, Source

LISTENING_NETWORKS = ("rss", "web")


def _date(value: str, end: bool = False):
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def _filtered_items(request, workspace):
    items = Item.objects.filter(workspace=workspace).select_related("author", "source", "channel")
    f = {k: request.GET.get(k, "")[:100].replace("\x00", "") for k in
         ("source", "kind", "lang", "sentiment", "intent", "toxicity", "spam", "complaint", "since", "until", "q")}
    if f["source"].isdigit():
        items = items.filter(source_id=int(f["source"]))
    if f["kind"] in Item.Kind.values:
        items = items.filter(kind=f["kind"])
    if f["lang"]:
        items = items.filter(language=f["lang"])
    if f["sentiment"] in ("negative", "neutral", "positive"):
        items = items.filter(sentiment=f["sentiment"])
    if f["intent"]:
        items = items.filter(intent=f["intent"])
    for task in ("toxicity", "spam", "complaint"):
        if f[task]:
            items = items.filter(**{task: f[task]})
    if f["since"] and (since := _date(f["since"])):
        items = items.filter(published_at__gte=since)
    if f["until"] and (until := _date(f["until"], end=True)):
        items = items.filter(published_at__lte=until)
    if f["q"]:
        items = items.filter(Q(text__icontains=f["q"]) | Q(title__icontains=f["q"]))
    return items, f


@login_required
def stream(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    workspace = membership.workspace
    items, filters = _filtered_items(request, workspace)
    if request.GET.get("format") == "csv":
        rows = (
            (i.published_at.isoformat() if i.published_at else "", i.source.label, i.kind, i.author.handle if i.author else "",
             i.language, i.sentiment, i.intent, i.title, i.text, i.url)
            for i in items.iterator(chunk_size=500)
        )
        return csv_download(f"stream-{workspace.slug}.csv", ["published_at", "source", "kind", "author", "language",
                                                             "sentiment", "intent", "title", "text", "url"], rows)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "stream/stream.html", {
        "page": page, "filters": filters, "sources": workspace.sources.all(), "kinds": Item.KIND_LABELS.items(),
        "languages": [("fr", _("French")), ("en", _("English"))], "query": query.urlencode(),
        "label_choices": [(task, [(v, actions.LABEL_NAMES[v]) for v in values]) for task, values in LabelCorrection.TASKS.items()],
        "intents": [(v, actions.LABEL_NAMES[v]) for v in LabelCorrection.TASKS["intent"]],
        "can_correct": roles.has_perm(membership.role, roles.MODERATE), "here": request.get_full_path(),
        "total": workspace.items.count(),
    })


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
    channel = get_object_or_404(Channel, pk=channel_id, workspace=membership.workspace, network="csv")
    # The network chosen when the channel was connected is the usual source of its exports.
    form = ImportForm(request.POST or None, request.FILES or None, initial={"preset": channel.config.get("preset", "generic")})
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
    return render(request, "stream/sources.html", {
        "sources": membership.workspace.sources.select_related("channel"),
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_CHANNELS),
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
    source = get_object_or_404(Source, pk=source_id, workspace=membership.workspace)
    action = request.POST.get("action", "")
    if source.network == "demo" and action in ("poll", "resume"):
        messages.error(request, _("This demo source has no real network behind it: it cannot be read."))
    elif action == "poll":
        actions.do_poll_now(membership, source)
        messages.success(request, _("“%(label)s” will be read in a few seconds.") % {"label": source.label})
    elif action in ("pause", "resume"):
        actions.do_set_source_paused(membership, source, action == "pause")
    elif action == "remove" and source.channel_id is None:
        actions.do_remove_source(membership, source)
        messages.success(request, _("Listening source removed."))
    else:
        messages.error(request, _("Unknown action."))
    return redirect("sources", slug=slug)


