"""Publishing screens: the editorial calendar (month, week), moving a post, notable dates, campaigns, best times,
the iCalendar feed and export (URL patterns gathered by ``publishing/urls.py``)."""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.lib import timeutil
from comptoir.lib.urls import public_url
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership
from comptoir.workspaces.models import Channel

from .. import besttime, calendar, ical, notabledates, planning
from ..models import Campaign, NotableDate, Post

MAX_ID = 2**63 - 1


def _as_id(value) -> int | None:
    try:
        number = int(str(value).strip()[:20])
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _as_date(value) -> date | None:
    try:
        day = date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2200 else None


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _back(request, slug: str) -> str:
    back = request.POST.get("next", "")
    if back.startswith(f"/w/{slug}/") and "//" not in back and "\\" not in back:
        return back
    return reverse("publishing_calendar", args=[slug])


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or "application/json" in request.headers.get("Accept", "")


# The calendar. ---------------------------------------------------------------------------------------------


def _calendar_url(slug: str, view: str, day: date, filters: calendar.Filters) -> str:
    return reverse("publishing_calendar", args=[slug]) + "?" + urlencode(
        [("view", view), ("day", day.isoformat()), *filters.query_items()])


@login_required
@require_GET
def calendar_page(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    workspace = membership.workspace
    tzname = calendar.zone_for(request.user, workspace)
    view = "week" if request.GET.get("view") == "week" else "month"
    day = _as_date(request.GET.get("day")) or calendar.today_in(tzname)
    filters = calendar.Filters.from_query(request.GET)
    period = calendar.build(workspace, view, day, tzname, filters)
    can_manage = roles.has_perm(membership.role, roles.MANAGE_PUBLISHING)
    filter_query = urlencode(filters.query_items())
    return render(request, "publishing/calendar.html", {
        "period": period, "view": view, "filters": filters, "filter_query": filter_query,
        "can_manage": can_manage, "tzname": tzname,
        "channels": Channel.objects.connected().filter(workspace=workspace),
        "campaigns": calendar.campaigns_of(workspace),
        "statuses": [*Post.Status.choices, (calendar.STATUS_PROBLEM, _("Delivery problem"))],
        "prev_url": _calendar_url(slug, view, period.previous, filters),
        "next_url": _calendar_url(slug, view, period.next, filters),
        "today_url": _calendar_url(slug, view, period.today, filters),
        "month_url": _calendar_url(slug, "month", day, filters),
        "week_url": _calendar_url(slug, "week", day, filters),
        "export_url": reverse("publishing_calendar_export", args=[slug]) + "?" + urlencode(
            [("start", period.start.isoformat()), ("end", period.end.isoformat()), *filters.query_items()]),
        "hours": range(24),
        "min_day": period.today.isoformat(),
        "alarms": sum(1 for e in period.entries if e.has_alarm),
    })


class MoveForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("New date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=gettext_lazy("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))


def _get_post(membership, post_id) -> Post:
    return get_object_or_404(Post.objects.select_related("workspace"), pk=post_id, workspace=membership.workspace)


@login_required
@require_POST
def move_post(request, slug, post_id):
    """Drop a post on a day (drag, keyboard or the small form): same time of day unless a time is given."""
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    post = _get_post(membership, post_id)
    tzname = calendar.zone_for(request.user, membership.workspace)
    form = MoveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"day": _("Enter a valid date.")})
        day, at = form.cleaned_data["day"], form.cleaned_data.get("time")
        if at is not None:
            when = planning.local_datetime(day, at, tzname)
        else:
            when = planning.new_date_for_day(post, day, tzname)
        planning.do_move_post(membership, post, when)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if _wants_json(request):
            return JsonResponse({"message": message, "field": "day"}, status=400)
        messages.error(request, message)
        return redirect(_back(request, slug))
    local = post.publish_at.astimezone(zoneinfo.ZoneInfo(tzname))
    message = _("“%(post)s” moved to %(day)s at %(time)s.") % {
        "post": str(post)[:60], "day": local.date().isoformat(), "time": local.strftime("%H:%M")}
    if _wants_json(request):
        return JsonResponse({"message": message, "publish_at": post.publish_at.isoformat()})
    messages.success(request, message)
    return redirect(_back(request, slug))


@login_required
@require_GET
def date_suggestions(request, slug):
    """Partial: the notable dates around ``?date=`` (the editor shows it next to the publication date)."""
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    day = _as_date(request.GET.get("date") or request.GET.get("publish_at"))
    found = notabledates.suggest(membership.workspace, day, 7) if day else []
    return render(request, "publishing/_date_suggestions.html", {"day": day, "suggestions": found})


@login_required
@require_GET
def best_times(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    context = {"channels_times": besttime.for_workspace(membership.workspace), "min_sample": besttime.MIN_SAMPLE,
               "tzname": membership.workspace.time_zone, "hours": range(24)}
    template = "publishing/_best_times.html" if request.headers.get("HX-Request") else "publishing/best_times.html"
    return render(request, template, context)


# iCalendar. ------------------------------------------------------------------------------------------------


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_GET
def calendar_export(request, slug):
    """The current filter and range as an .ics file (at most ``calendar.MAX_RANGE_DAYS`` days)."""
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    workspace = membership.workspace
    tzname = calendar.zone_for(request.user, workspace)
    today = calendar.today_in(tzname)
    start = _as_date(request.GET.get("start")) or today.replace(day=1)
    end = _as_date(request.GET.get("end")) or start + timedelta(days=41)
    if end < start:
        start, end = end, start
    end = min(end, start + timedelta(days=calendar.MAX_RANGE_DAYS))
    filters = calendar.Filters.from_query(request.GET)
    posts = ical.feed_posts(workspace, filters, timeutil.local_day_bounds(start, tzname)[0],
                            timeutil.local_day_bounds(end, tzname)[1])
    body = ical.build_feed(workspace, posts, public_url(request, "/").rstrip("/"))
    return _ics(body, f"{workspace.slug}-{start:%Y%m%d}-{end:%Y%m%d}.ics")


@never_cache
@require_GET
def calendar_feed(request, token):
    """The workspace's secret feed, for calendar apps: no log-in, the token is the key (404 for any wrong one)."""
    workspace = ical.workspace_for_token(token)
    if workspace is None:
        raise Http404
    body = ical.build_feed(workspace, ical.feed_posts(workspace), public_url(request, "/").rstrip("/"))
    response = _ics(body, f"{workspace.slug}.ics")
    response["Content-Disposition"] = f'inline; filename="{workspace.slug}.ics"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def calendar_feed_settings(request, slug):
    """The feed's address: made (or made again, breaking the old one) on demand and shown once."""
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    found = ical.settings_for(membership.workspace)
    feed_url = ""
    if request.method == "POST":
        if not roles.has_perm(membership.role, roles.MANAGE_PUBLISHING):
            raise PermissionDenied(_("Your role in this workspace does not allow this."))
        raw = ical.do_regenerate_token(membership)
        feed_url = public_url(request, reverse("publishing_calendar_feed", args=[raw]))
        found = ical.settings_for(membership.workspace)
    return render(request, "publishing/calendar_feed.html", {
        "settings": found, "feed_url": feed_url, "can_manage": roles.has_perm(membership.role, roles.MANAGE_PUBLISHING)})


# Campaigns. ------------------------------------------------------------------------------------------------


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    color = forms.CharField(label=gettext_lazy("Colour"), max_length=7, initial="#7048e8",
                            widget=forms.TextInput(attrs={"type": "color"}))
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    utm_campaign = forms.CharField(label=gettext_lazy("UTM campaign"), max_length=80, required=False,
                                   help_text=gettext_lazy("Added to the links of the campaign's posts (utm_campaign)."))


def _get_campaign(membership, campaign_id) -> Campaign:
    return get_object_or_404(Campaign, pk=campaign_id, workspace=membership.workspace)


@login_required
@require_http_methods(["GET", "POST"])
def campaigns(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    can_manage = roles.has_perm(membership.role, roles.MANAGE_PUBLISHING)
    form = CampaignForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Your role in this workspace does not allow this."))
        if form.is_valid():
            try:
                campaign = planning.do_save_campaign(membership, None, form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign.name})
                return redirect("publishing_campaigns", slug=slug)
    rows = Campaign.objects.filter(workspace=membership.workspace).order_by("archived_at", "-starts_on", "name")
    return render(request, "publishing/campaigns.html", {"campaigns": rows, "form": form, "can_manage": can_manage},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, slug, campaign_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    campaign = _get_campaign(membership, campaign_id)
    form = CampaignForm(request.POST or None, initial={k: getattr(campaign, k) for k in planning.FIELDS_CAMPAIGN})
    if request.method == "POST" and form.is_valid():
        try:
            planning.do_save_campaign(membership, campaign, form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("publishing_campaigns", slug=slug)
    return render(request, "publishing/campaign_edit.html", {"form": form, "campaign": campaign},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def campaign_archive(request, slug, campaign_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    campaign = _get_campaign(membership, campaign_id)
    archived = request.POST.get("archived", "1") != "0"
    planning.do_archive_campaign(membership, campaign, archived)
    messages.success(request, _("Campaign archived.") if archived else _("Campaign brought back."))
    return redirect("publishing_campaigns", slug=slug)


# The workspace's own notable dates. ------------------------------------------------------------------------


class NotableDateForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    every_year = forms.BooleanField(label=gettext_lazy("Every year"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


def _get_date(membership, date_id) -> NotableDate:
    return get_object_or_404(NotableDate, pk=date_id, workspace=membership.workspace)


@login_required
@require_http_methods(["GET", "POST"])
def notable_dates(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    can_manage = roles.has_perm(membership.role, roles.MANAGE_PUBLISHING)
    form = NotableDateForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Your role in this workspace does not allow this."))
        if form.is_valid():
            try:
                notable = planning.do_save_notable_date(membership, None, form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("“%(name)s” added to the calendar.") % {"name": notable.name})
                return redirect("publishing_notable_dates", slug=slug)
    workspace = membership.workspace
    today = calendar.today_in(calendar.zone_for(request.user, workspace))
    return render(request, "publishing/notable_dates.html", {
        "own": NotableDate.objects.filter(workspace=workspace), "form": form, "can_manage": can_manage,
        "upcoming": notabledates.between(workspace, today, today + timedelta(days=60)),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def notable_date_edit(request, slug, date_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    notable = _get_date(membership, date_id)
    form = NotableDateForm(request.POST or None, initial={k: getattr(notable, k) for k in planning.FIELDS_DATE})
    if request.method == "POST" and form.is_valid():
        try:
            planning.do_save_notable_date(membership, notable, form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Date saved."))
            return redirect("publishing_notable_dates", slug=slug)
    return render(request, "publishing/notable_date_edit.html", {"form": form, "notable": notable},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def notable_date_delete(request, slug, date_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    notable = _get_date(membership, date_id)
    planning.do_delete_notable_date(membership, notable)
    messages.success(request, _("Date deleted."))
    return redirect("publishing_notable_dates", slug=slug)


urlpatterns: list = [
    path("w/<slug:slug>/publishing/calendar/", calendar_page, name="publishing_calendar"),
    path("w/<slug:slug>/publishing/calendar/posts/<int:post_id>/move/", move_post, name="publishing_calendar_move"),
    path("w/<slug:slug>/publishing/calendar/suggestions/", date_suggestions, name="publishing_date_suggestions"),
    path("w/<slug:slug>/publishing/calendar/best-times/", best_times, name="publishing_best_times"),
    path("w/<slug:slug>/publishing/calendar/export.ics", calendar_export, name="publishing_calendar_export"),
    path("w/<slug:slug>/publishing/calendar/feed/", calendar_feed_settings, name="publishing_calendar_feed_settings"),
    path("cal/<str:token>.ics", calendar_feed, name="publishing_calendar_feed"),
    path("w/<slug:slug>/publishing/campaigns/", campaigns, name="publishing_campaigns"),
    path("w/<slug:slug>/publishing/campaigns/<int:campaign_id>/", campaign_edit, name="publishing_campaign"),
    path("w/<slug:slug>/publishing/campaigns/<int:campaign_id>/archive/", campaign_archive,
         name="publishing_campaign_archive"),
    path("w/<slug:slug>/publishing/dates/", notable_dates, name="publishing_notable_dates"),
    path("w/<slug:slug>/publishing/dates/<int:date_id>/", notable_date_edit, name="publishing_notable_date"),
    path("w/<slug:slug>/publishing/dates/<int:date_id>/delete/", notable_date_delete, name="publishing_notable_date_delete"),
]
