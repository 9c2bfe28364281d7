"""Publishing screens: tracked short links (URL patterns gathered by ``publishing/urls.py``).

``/l/<code>`` is public (no log-in): it sends the visitor on with a 302 and counts the click, unless
the request is a HEAD or comes from a link-preview fetcher or a crawler. Nothing about the visitor
is stored.
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.lib.csvexport import csv_download
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import links as actions
from ..models import LinkClickDay, ShortLink

DAYS = 30
PAGE = 200


@require_http_methods(["GET", "HEAD"])
def follow(request, code):
    link = ShortLink.objects.select_related("workspace").filter(code=code).first()
    if link is None or not actions.is_http(link.target_url):
        raise Http404(_("This short link does not exist."))
    if request.method == "GET" and not actions.is_bot(request.META.get("HTTP_USER_AGENT", "")):
        actions.count_click(link)
    response = HttpResponseRedirect(link.target_url)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response


def _days(workspace, links=None) -> list[dict]:
    today = timezone.localdate(timezone=_zone(workspace))
    first = today - dt.timedelta(days=DAYS - 1)
    rows = LinkClickDay.objects.filter(link__workspace=workspace, day__gte=first)
    if links is not None:
        rows = rows.filter(link__in=links)
    counts = dict(rows.values_list("day").annotate(n=Sum("clicks")).order_by())
    return [{"day": first + dt.timedelta(days=i), "clicks": counts.get(first + dt.timedelta(days=i), 0)}
            for i in range(DAYS)]


def _zone(workspace):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(workspace.time_zone)
    except Exception:  # noqa: BLE001
        return ZoneInfo("UTC")


def _chart(days) -> dict:
    return {"labels": [d["day"].isoformat() for d in days], "clicks": [d["clicks"] for d in days],
            "label": _("Clicks")}


@login_required
@require_GET
def links_page(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    return _links_page(request, membership, _settings_form(membership.workspace))


def _links_page(request, membership, form, status=200):
    workspace = membership.workspace
    links = ShortLink.objects.filter(workspace=workspace).select_related("post", "variant__channel")
    days = _days(workspace)
    return render(request, "publishing/links.html", {
        "links": [(link, actions.short_url(link)) for link in links[:PAGE]], "days": days,
        "chart_data": _chart(days), "total": sum(d["clicks"] for d in days), "more": links.count() > PAGE,
        "form": form, "can_manage": roles.has_perm(membership.role, roles.MANAGE_PUBLISHING),
    }, status=status)


class LinkSettingsForm(forms.Form):
    add_utm = forms.BooleanField(label=gettext_lazy("Add UTM parameters to links"), required=False)
    utm_source = forms.CharField(label=gettext_lazy("UTM source"), required=False, max_length=80)
    utm_medium = forms.CharField(label=gettext_lazy("UTM medium"), required=False, max_length=80)
    shorten_links = forms.BooleanField(label=gettext_lazy("Use tracked short links"), required=False,
                                       help_text=gettext_lazy("One short link per channel of each post, with its "
                                                              "clicks counted."))


def _settings_form(workspace, data=None) -> LinkSettingsForm:
    prefs = actions.publishing_settings(workspace)
    return LinkSettingsForm(data, initial={"add_utm": prefs.add_utm, "utm_source": prefs.utm_source,
                                           "utm_medium": prefs.utm_medium, "shorten_links": prefs.shorten_links})


@login_required
@require_POST
def link_settings(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    form = _settings_form(membership.workspace, request.POST)
    if form.is_valid():
        try:
            actions.do_update_link_settings(membership, form.cleaned_data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Link settings saved. They apply to the posts that go out from now on."))
            return redirect("publishing_links", slug=slug)
    return _links_page(request, membership, form, status=400)


@login_required
@require_GET
def link_detail(request, slug, link_id):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    link = get_object_or_404(ShortLink.objects.select_related("post", "variant"), pk=link_id,
                             workspace=membership.workspace)
    days = _days(membership.workspace, [link])
    return render(request, "publishing/link.html", {
        "link": link, "short": actions.short_url(link), "days": days, "chart_data": _chart(days),
        "total": sum(d["clicks"] for d in days),
    })


@login_required
@require_GET
def links_export(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    links = ShortLink.objects.filter(workspace=membership.workspace).select_related("post", "variant")
    zone = _zone(membership.workspace)

    def rows():
        for link in links.iterator(chunk_size=500):
            yield [actions.short_url(link), link.target_url, str(link.post) if link.post_id else "",
                   link.variant.network if link.variant_id else "", link.clicks,
                   link.last_click_at.astimezone(zone).isoformat(timespec="minutes") if link.last_click_at else "",
                   link.created_at.astimezone(zone).date().isoformat()]

    header = [_("Short link"), _("Target"), _("Post"), _("Network"), _("Clicks"), _("Last click"), _("Created")]
    return csv_download(f"{slug}-links.csv", header, rows(), bom=True)


urlpatterns: list = [
    re_path(r"^l/(?P<code>[A-Za-z0-9_-]{1,20})$", follow, name="publishing_short_link"),
    path("w/<slug:slug>/publishing/links/", links_page, name="publishing_links"),
    path("w/<slug:slug>/publishing/links/settings/", link_settings, name="publishing_link_settings"),
    path("w/<slug:slug>/publishing/links/export.csv", links_export, name="publishing_links_export"),
    path("w/<slug:slug>/publishing/links/<int:link_id>/", link_detail, name="publishing_link"),
]
