from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.connectors.base import registered_networks
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from . import actions
from .models import Source

LISTENING_NETWORKS = ("rss", "web")


@login_required
@require_http_methods(["GET", "POST"])
def channel_import(request, slug, channel_id):
    from comptoir.connectors.csvimport.forms import ImportForm
    from comptoir.connectors.csvimport.importer import CsvRejected
    from comptoir.workspaces.models import Channel

    membership = get_membership(request, slug, roles.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel.objects.connected(), pk=channel_id, workspace=membership.workspace, network="csv")
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
