"""The e-reputation figures: volume, sentiment, share of voice, top authors, sites and topics, per period.

Everything is counted in the database (a handful of aggregate queries, whatever the number of mentions).
A message several topics found is one mention, except in the share of voice, where each topic counts it
(a message comparing us with a competitor is a voice for both).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Lower, StrIndex, Substr, TruncDay, TruncHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.lib.timeutil import local_day_bounds

from .models import Mention, Topic

PERIODS = {"7d": 7, "30d": 30, "90d": 90}
MAX_CUSTOM_DAYS = 366
HOURLY_UP_TO = timedelta(days=2)
SHARE_FROM = 3  # mentions in an hour before its share of negative ones is drawn
TOP = 10
SENTIMENTS = ("positive", "neutral", "negative", "")
SENTIMENT_LABELS = {"positive": _("Positive"), "neutral": _("Neutral"), "negative": _("Negative"), "": _("Not read yet")}
SENTIMENT_COLORS = {"positive": "#2b8a3e", "neutral": "#868e96", "negative": "#c92a2a", "": "#d0d5dd"}


@dataclass
class Period:
    key: str
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    hourly: bool

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self, now: datetime) -> tuple[datetime, datetime]:
        """The same stretch just before, as far as this one has run (a week begun yesterday is compared with the
        first two days of the week before, not the whole of it)."""
        until = min(self.end, max(now, self.start))
        return self.start - self.length, until - self.length


def period_for(key: str, tz: str, *, since: date | None = None, until: date | None = None,
               today: date | None = None) -> Period:
    """The period ``key`` (7d, 30d, 90d, or custom with ``since``/``until``) in the reader's time zone."""
    today = today or timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(tz)).date()
    if key == "custom" and since and until:
        first, last = since, until
    else:
        key = key if key in PERIODS else "30d"
        first, last = today - timedelta(days=PERIODS[key] - 1), today
    start = local_day_bounds(first, tz)[0]
    end = local_day_bounds(last, tz)[1]
    return Period(key, first, last, start, end, hourly=end - start <= HOURLY_UP_TO)


def _scope(workspace, topic: Topic | None, start: datetime, end: datetime) -> QuerySet:
    mentions = Mention.objects.filter(workspace=workspace, published_at__gte=start, published_at__lt=end)
    return mentions.filter(topic=topic) if topic is not None else mentions


def once_per_message(mentions: QuerySet, topic: Topic | None) -> QuerySet:
    """The mentions with one row per message: within a topic they already are; across topics keep the first."""
    if topic is not None:
        return mentions
    firsts = mentions.order_by().values("item").annotate(first=Min("pk")).values("first")
    return Mention.objects.filter(pk__in=Subquery(firsts))


def _sentiment_counts() -> dict:
    return {
        "total": Count("pk"),
        "positive": Count("pk", filter=Q(sentiment="positive")),
        "neutral": Count("pk", filter=Q(sentiment="neutral")),
        "negative": Count("pk", filter=Q(sentiment="negative")),
        "reach": Coalesce(Sum("reach"), 0),
    }


def net_sentiment(figures: dict) -> float | None:
    """(positive − negative) / (positive + neutral + negative), as a percentage; None without any read mention."""
    read = figures["positive"] + figures["neutral"] + figures["negative"]
    if not read:
        return None
    return round(100 * (figures["positive"] - figures["negative"]) / read, 1)


def _change(now_value: float | None, before: float | None, *, relative: bool) -> float | None:
    if now_value is None or before is None:
        return None
    if not relative:
        return round(now_value - before, 1)
    if not before:
        return None
    return round(100 * (now_value - before) / before, 1)


def site_expression():
    """The host of the message's address (without www.), or its source's name when it has none."""
    url = Lower("item__url")
    rest = Substr(url, StrIndex(url, Value("://")) + 3)
    host = Substr(rest, 1, StrIndex(Concat(rest, Value("/")), Value("/")) - 1)
    bare = Case(When(item__url__istartswith="http://www.", then=Substr(host, 5)),
                When(item__url__istartswith="https://www.", then=Substr(host, 5)),
                default=host, output_field=CharField())
    return Case(When(item__url__istartswith="http", then=bare), default=F("item__source__label"), output_field=CharField())


@dataclass
class Dashboard:
    period: Period
    figures: dict
    previous: dict
    series: dict = field(default_factory=dict)
    share_of_voice: list = field(default_factory=list)
    authors: list = field(default_factory=list)
    sites: list = field(default_factory=list)
    topics: list = field(default_factory=list)


def dashboard(workspace, period: Period, tz: str, topic: Topic | None = None, topics: list[Topic] | None = None,
              now: datetime | None = None) -> Dashboard:
    """Every figure of the e-reputation dashboard for ``period`` (and one topic, or all)."""
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(tz)
    topics = topics if topics is not None else list(Topic.objects.filter(workspace=workspace, archived_at__isnull=True))
    mentions = _scope(workspace, topic, period.start, period.end)
    once = once_per_message(mentions, topic)
    figures = once.aggregate(**_sentiment_counts())
    prev_start, prev_end = period.previous(now)
    previous = once_per_message(_scope(workspace, topic, prev_start, prev_end), topic).aggregate(**_sentiment_counts())
    figures["net"], previous["net"] = net_sentiment(figures), net_sentiment(previous)
    figures["change"] = _change(figures["total"], previous["total"], relative=True)
    figures["net_change"] = _change(figures["net"], previous["net"], relative=False)
    figures["previous_start"], figures["previous_end"] = prev_start, prev_end
    return Dashboard(
        period=period, figures=figures, previous=previous,
        series=_series(once, period, zone) if figures["total"] else {"labels": [], "datasets": [], "rows": []},
        share_of_voice=_share_of_voice(workspace, topics, period) if figures["total"] or topic else [],
        authors=_authors(once) if figures["total"] else [],
        sites=_sites(once) if figures["total"] else [],
        topics=_topics(mentions, topics) if figures["total"] else [],
    )


def _buckets(period: Period, zone) -> list:
    if period.hourly:
        first = period.start.astimezone(UTC)
        return [first + timedelta(hours=h) for h in range(int(period.length.total_seconds() // 3600))]
    return [period.first_day + timedelta(days=d) for d in range((period.last_day - period.first_day).days + 1)]


def _offsets(zone, start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
    """The zone's UTC offset over [start, end): (from, offset) at start and at each change (summer time)."""
    def offset(t: datetime) -> timedelta:
        return t.astimezone(zone).utcoffset() or timedelta(0)

    changes = [(start, offset(start))]
    t = start
    while t < end:
        after = min(t + timedelta(hours=1), end)
        if offset(after) != changes[-1][1]:
            low, high = t, after  # the change is in this hour: find its minute
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == changes[-1][1] else (low, middle)
            changes.append((high, offset(high)))
        t = after
    return changes


def local_day(zone, start: datetime, end: datetime):
    """The reader's calendar day of ``published_at``, as an expression the database computes.

    SQLite's own ``date(…, '+120 minutes')`` per stretch of constant offset: Django's day truncation there
    calls Python for every row (about 9 µs each, most of the dashboard's time at 100,000 mentions).
    """
    if connection.vendor != "sqlite":
        return TruncDay("published_at", tzinfo=zone)

    def shifted(delta: timedelta):
        minutes = int(delta.total_seconds() // 60)
        return Func(F("published_at"), Value(f"{minutes:+d} minutes"), function="date", output_field=CharField())

    changes = _offsets(zone, start, end)
    if len(changes) == 1:
        return shifted(changes[0][1])
    whens = [When(published_at__lt=until, then=shifted(delta)) for (_s, delta), (until, _d) in zip(changes, changes[1:], strict=False)]
    return Case(*whens, default=shifted(changes[-1][1]), output_field=CharField())


def _series(once: QuerySet, period: Period, zone) -> dict:
    """Mentions per day (per hour for two days or less), stacked by sentiment."""
    if period.hourly:
        trunc = TruncHour("published_at", tzinfo=zone)
    else:
        trunc = local_day(zone, period.start, period.end)
    rows = once.annotate(bucket=trunc).values("bucket", "sentiment").annotate(n=Count("pk")).order_by()
    counts: dict = {}
    for row in rows:
        bucket = row["bucket"]
        if isinstance(bucket, str):
            key = date.fromisoformat(bucket)
        else:
            key = bucket.astimezone(UTC) if period.hourly else bucket.astimezone(zone).date()
        sentiment = row["sentiment"] if row["sentiment"] in SENTIMENTS else ""
        counts.setdefault(key, dict.fromkeys(SENTIMENTS, 0))[sentiment] += row["n"]
    buckets = _buckets(period, zone)
    labels = [timezone.localtime(b, zone).strftime("%Y-%m-%dT%H:%M") if period.hourly else b.isoformat() for b in buckets]
    table = []
    for bucket, label in zip(buckets, labels, strict=True):
        c = counts.get(bucket, dict.fromkeys(SENTIMENTS, 0))
        when = timezone.localtime(bucket, zone) if period.hourly else bucket
        table.append({"when": when, "label": label, **c, "total": sum(c.values())})
    datasets = [{"key": s or "unknown", "label": str(SENTIMENT_LABELS[s]), "color": SENTIMENT_COLORS[s],
                 "data": [row[s] for row in table]} for s in SENTIMENTS if any(row[s] for row in table)]
    return {"labels": labels, "datasets": datasets, "rows": table, "hourly": period.hourly}


def _share_of_voice(workspace, topics: list[Topic], period: Period) -> list[dict]:
    """Our brand (every brand topic, a message once) against each competitor (its own mentions)."""
    brands = [t for t in topics if t.kind == Topic.Kind.BRAND]
    competitors = [t for t in topics if t.kind == Topic.Kind.COMPETITOR]
    if not brands or not competitors:
        return []
    scope = Mention.objects.filter(workspace=workspace, published_at__gte=period.start, published_at__lt=period.end,
                                   topic__in=[*brands, *competitors])
    aggregates = {"us": Count("item", distinct=True, filter=Q(topic__in=brands))}
    aggregates |= {f"t{t.pk}": Count("pk", filter=Q(topic=t)) for t in competitors}
    row = scope.aggregate(**aggregates)
    rows = [{"name": ", ".join(t.name for t in brands), "color": brands[0].color, "count": row["us"], "us": True,
             "topic": brands[0] if len(brands) == 1 else None}]
    rows += [{"name": t.name, "color": t.color, "count": row[f"t{t.pk}"], "us": False, "topic": t} for t in competitors]
    total = sum(r["count"] for r in rows)
    for r in rows:
        r["share"] = round(100 * r["count"] / total, 1) if total else 0.0
    return rows


def _authors(once: QuerySet) -> list[dict]:
    """Who talks about us most, with their audience and how negative they are."""
    rows = (once.filter(item__author__isnull=False)
            .values("item__author", "item__author__handle", "item__author__network", "item__author__display_name")
            .annotate(n=Count("pk"), reach=Coalesce(Max("reach"), 0), negative=Count("pk", filter=Q(sentiment="negative")))
            .order_by("-n", "-reach", "item__author__handle")[:TOP])
    return [{"id": r["item__author"], "handle": r["item__author__handle"], "network": r["item__author__network"],
             "name": r["item__author__display_name"], "mentions": r["n"], "reach": r["reach"],
             "negative_share": round(100 * r["negative"] / r["n"]) if r["n"] else 0} for r in rows]


def _sites(once: QuerySet) -> list[dict]:
    """The sites and external communities where we are mentioned: the message's host, or its source."""
    rows = (once.annotate(site=site_expression()).values("site")
            .annotate(n=Count("pk"), reach=Coalesce(Sum("reach"), 0), negative=Count("pk", filter=Q(sentiment="negative")))
            .order_by("-n", "-reach", "site")[:TOP])
    return [{"site": r["site"] or "—", "mentions": r["n"], "reach": r["reach"],
             "negative_share": round(100 * r["negative"] / r["n"]) if r["n"] else 0} for r in rows]


def _topics(mentions: QuerySet, topics: list[Topic]) -> list[dict]:
    by_id = {t.pk: t for t in topics}
    rows = (mentions.values("topic").annotate(n=Count("pk"), positive=Count("pk", filter=Q(sentiment="positive")),
                                              neutral=Count("pk", filter=Q(sentiment="neutral")),
                                              negative=Count("pk", filter=Q(sentiment="negative")))
            .order_by("-n", "topic__name")[:TOP])
    result = []
    for r in rows:
        topic = by_id.get(r["topic"])
        if topic is None:
            continue  # archived: counted in the totals, not listed
        result.append({"topic": topic, "mentions": r["n"], "net": net_sentiment(r),
                       "negative_share": round(100 * r["negative"] / r["n"]) if r["n"] else 0})
    return result


# An incident's figures: its messages hour by hour, the peak, the share of negative ones. -----------------

def incident_series(incident, tz: str, now: datetime | None = None) -> dict:
    """The incident's messages per hour (per day past two weeks) and the share of negative ones, from its start."""
    from .models import IncidentItem

    zone = zoneinfo.ZoneInfo(tz)
    now = now or timezone.now()
    links = IncidentItem.objects.filter(incident=incident, item__published_at__isnull=False)
    bounds = links.aggregate(first=Min("item__published_at"), last=Max("item__published_at"))
    if bounds["first"] is None:
        return {"labels": [], "counts": [], "negative_share": [], "rows": [], "hourly": True}
    start = min(bounds["first"], incident.collect_since or bounds["first"])
    end = max(incident.closed_at or now, bounds["last"])
    hourly = end - start <= timedelta(days=14)
    trunc = TruncHour("item__published_at", tzinfo=zone) if hourly else TruncDay("item__published_at", tzinfo=zone)
    rows = links.annotate(bucket=trunc).values("bucket").annotate(
        n=Count("pk"), negative=Count("pk", filter=Q(item__sentiment="negative"))).order_by("bucket")
    counts = {}
    for row in rows:
        key = row["bucket"].astimezone(UTC) if hourly else row["bucket"].astimezone(zone).date()
        counts[key] = (row["n"], row["negative"])
    if hourly:
        first = timezone.localtime(start, zone).replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        buckets = []
        while first <= end and len(buckets) < 24 * 14 + 1:
            buckets.append(first)
            first += timedelta(hours=1)
    else:
        day, last = timezone.localtime(start, zone).date(), timezone.localtime(end, zone).date()
        buckets = [day + timedelta(days=d) for d in range((last - day).days + 1)]
    table = []
    for bucket in buckets:
        n, negative = counts.get(bucket, (0, 0))
        when = timezone.localtime(bucket, zone) if hourly else bucket
        label = when.strftime("%Y-%m-%dT%H:%M") if hourly else when.isoformat()
        table.append({"when": when, "label": label, "count": n, "negative": negative,
                      "negative_share": round(100 * negative / n) if n else None})
    # The chart draws the share only where there are enough mentions for it to mean something.
    share = [r["negative_share"] if r["count"] >= SHARE_FROM else None for r in table]
    return {"labels": [r["label"] for r in table], "counts": [r["count"] for r in table],
            "negatives": [r["negative"] for r in table], "negative_share": share, "rows": table, "hourly": hourly}


def incident_figures(incident, tz: str) -> dict:
    """Total, first and last message, peak hour, negative share and reach of an incident's messages."""
    from .models import IncidentItem

    zone = zoneinfo.ZoneInfo(tz)
    links = IncidentItem.objects.filter(incident=incident)
    figures = links.aggregate(total=Count("pk"), negative=Count("pk", filter=Q(item__sentiment="negative")),
                              read=Count("pk", filter=~Q(item__sentiment="")),
                              first=Min("item__published_at"), last=Max("item__published_at"))
    reach = (Mention.objects.filter(item__in=links.values("item")).values("item").annotate(r=Max("reach"))
             .order_by().values_list("r", flat=True))
    figures["reach"] = sum(reach)
    figures["negative_share"] = round(100 * figures["negative"] / figures["read"]) if figures["read"] else None
    peak = (links.filter(item__published_at__isnull=False).annotate(hour=TruncHour("item__published_at", tzinfo=zone))
            .values("hour").annotate(n=Count("pk")).order_by("-n", "hour").first())
    figures["peak_hour"] = timezone.localtime(peak["hour"], zone) if peak else None
    figures["peak_count"] = peak["n"] if peak else 0
    return figures

