"""Listening screens: the e-reputation dashboard (URL patterns of this module are gathered by ``listening/urls.py``)."""

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import stats
from ..alerts import decorate
from ..models import Alert, Mention, Topic

PERIOD_CHOICES = [("7d", _("7 days")), ("30d", _("30 days")), ("90d", _("90 days"))]
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


class PeriodForm(forms.Form):
    period = forms.ChoiceField(required=False, choices=[("7d", "7d"), ("30d", "30d"), ("90d", "90d"), ("custom", "custom")])
    since = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    until = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    topic = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    FIELD_NAMES = {"period": _("Period"), "since": _("From"), "until": _("To"), "topic": _("Topic")}

    def __init__(self, data, topics, *args, **kwargs):
        super().__init__({k: data.get(k, "") for k in self.base_fields}, *args, **kwargs)
        self.fields["topic"].choices = [("", "")] + [(str(t.pk), t.name) for t in topics]
        self.fields["topic"].error_messages["invalid_choice"] = _("Choose a topic from the list.")
        self.fields["period"].error_messages["invalid_choice"] = _("Choose 7 days, 30 days, 90 days or your own dates.")
        for name in ("since", "until"):
            self.fields[name].error_messages["invalid"] = _("Enter a date as YYYY-MM-DD, e.g. 2026-03-31.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") != "custom":
            return cleaned
        since, until = cleaned.get("since"), cleaned.get("until")
        for name, day in (("since", since), ("until", until)):
            if name in self.errors:
                continue
            if day is None:
                self.add_error(name, _("Choose both dates of your period."))
            elif not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, _("Choose a date between %(first)s and %(last)s.") % {
                    "first": date_format(FIRST_DAY), "last": date_format(LAST_DAY)})
        if since and until and not self.errors:
            if since > until:
                self.add_error("until", _("The end date is before the start date."))
            elif (until - since).days >= stats.MAX_CUSTOM_DAYS:
                self.add_error("until", _("Choose a period of at most %(days)d days.") % {"days": stats.MAX_CUSTOM_DAYS})
        return cleaned

    def error_summary(self) -> list[str]:
        return [f"{self.FIELD_NAMES.get(field, field)}: {message}"
                for field, messages in self.errors.items() for message in messages]


def _chart_data(board: stats.Dashboard, sentiment_rows: list[dict]) -> dict:
    """What the charts draw: plain lists and strings (the page's tables hold the same figures)."""
    return {
        "volume": {"labels": board.series.get("labels", []), "datasets": board.series.get("datasets", []),
                   "hourly": board.series.get("hourly", False)},
        "sentiment": [{"label": str(r["label"]), "color": r["color"], "value": r["count"]} for r in sentiment_rows],
        "voice": [{"label": r["name"], "color": r["color"], "value": r["count"]} for r in board.share_of_voice],
        "topics": [{"label": t["topic"].name, "color": t["topic"].color, "value": t["mentions"]} for t in board.topics],
    }


@login_required
def dashboard(request, slug):
    membership = get_membership(request, slug, roles.VIEW_STREAM)
    workspace = membership.workspace
    tz = request.user.time_zone
    topics = list(Topic.objects.filter(workspace=workspace, archived_at__isnull=True))
    form = PeriodForm(request.GET, topics)
    alerts = decorate(Alert.objects.filter(workspace=workspace, status=Alert.Status.OPEN).select_related("topic")[:3])
    context = {"topics": topics, "form": form, "alerts": alerts, "period_choices": PERIOD_CHOICES,
               "can_manage": roles.has_perm(membership.role, roles.MANAGE_LISTENING)}
    if not topics:
        return render(request, "listening/dashboard.html", context | {"empty": "topics"})
    if not form.is_valid():
        context |= {"filter_errors": form.error_summary(), "period": stats.period_for("30d", tz)}
        return render(request, "listening/dashboard.html", context, status=400)
    data = form.cleaned_data
    period = stats.period_for(data.get("period") or "30d", tz, since=data.get("since"), until=data.get("until"))
    topic = next((t for t in topics if t.pk == data.get("topic")), None)
    board = stats.dashboard(workspace, period, tz, topic=topic, topics=topics)
    if not board.figures["total"] and not Mention.objects.filter(workspace=workspace).exists():
        context["empty"] = "mentions"
    rows = _sentiment_rows(board.figures)
    context |= {"board": board, "period": period, "topic": topic, "chart_data": _chart_data(board, rows),
                "sentiment_rows": rows}
    return render(request, "listening/dashboard.html", context)


def _sentiment_rows(figures: dict) -> list[dict]:
    read_total = figures["total"]
    rows = []
    for s in ("positive", "neutral", "negative"):
        rows.append({"key": s, "label": stats.SENTIMENT_LABELS[s], "count": figures[s], "color": stats.SENTIMENT_COLORS[s],
                     "share": round(100 * figures[s] / read_total, 1) if read_total else 0})
    unread = read_total - figures["positive"] - figures["neutral"] - figures["negative"]
    if unread:
        rows.append({"key": "unknown", "label": stats.SENTIMENT_LABELS[""], "count": unread, "color": stats.SENTIMENT_COLORS[""],
                     "share": round(100 * unread / read_total, 1)})
    return rows


urlpatterns: list = [
    path("w/<slug:slug>/listening/dashboard/", dashboard, name="listening_dashboard"),
]
