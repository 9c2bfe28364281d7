"""The e-reputation dashboard's figures on a small known data set, in the reader's time zone."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from comptoir.listening import stats
from comptoir.listening.models import Topic

from . import watchdata as wd

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def paris(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def known(workspace):
    """Eight messages in the first week of March (Paris time), two the week before, one just after."""
    brand = wd.topic(workspace, "Vélo Lyon", Topic.Kind.BRAND, "#2f6fdf")
    rival = wd.topic(workspace, "Cyclopolis", Topic.Kind.COMPETITOR, "#d9480f")
    other = wd.topic(workspace, "Roue Libre", Topic.Kind.COMPETITOR, "#2b8a3e")
    theme = wd.topic(workspace, "Pistes cyclables", Topic.Kind.THEME, "#7048e8")
    src = wd.source(workspace, "Veille presse")
    i = wd.store(src, [
        wd.Msg(paris(2, 10), "Super atelier", "positive", "marie", "https://www.leprogres.fr/a1", 1000),
        wd.Msg(paris(3, 9), "Vélo Lyon pire que Cyclopolis", "negative", "jean", "https://mastodon.social/@jean/1", 50,
               "mastodon"),
        wd.Msg(paris(3, 18), "Vélo Lyon organise une balade", "neutral"),
        wd.Msg(paris(5, 8), "Encore en retard", "negative", "jean", "https://mastodon.social/@jean/2", 60, "mastodon"),
        wd.Msg(paris(5, 20), "Cyclopolis c'est top", "positive", "paul", "https://blog.example.org/x", 10),
        wd.Msg(paris(6, 11), "Roue Libre recrute", "positive", reach=5),
        wd.Msg(paris(6, 12), "Nouvelle piste rue Garibaldi", "neutral"),
        wd.Msg(paris(7, 23, 30), "Vélo Lyon merci", "positive"),  # 22:30 UTC: still 7 March in Paris
        wd.Msg(paris(8, 0, 30), "Vélo Lyon après minuit", "negative"),  # 23:30 UTC on 7 March, but 8 March in Paris
        wd.Msg(paris(24, 10, month=2), "Bravo Vélo Lyon", "positive"),
        wd.Msg(paris(27, 10, month=2), "Vélo Lyon déçoit", "negative"),
    ])
    wd.mention(brand, [i[0], i[1], i[2], i[3], i[7], i[8], i[9], i[10]])
    wd.mention(rival, [i[1], i[4]])
    wd.mention(other, [i[5]])
    wd.mention(theme, [i[6]])
    return {"brand": brand, "rival": rival, "other": other, "theme": theme, "items": i}


def week():
    return stats.period_for("custom", "Europe/Paris", since=date(2026, 3, 1), until=date(2026, 3, 7))


def test_the_key_figures_count_a_message_once_and_compare_with_the_week_before(workspace, known):
    board = stats.dashboard(workspace, week(), "Europe/Paris", now=NOW)
    f = board.figures
    assert (f["total"], f["positive"], f["neutral"], f["negative"]) == (8, 4, 2, 2)
    assert f["reach"] == 1000 + 50 + 60 + 10 + 5
    assert f["net"] == 25.0  # (4 − 2) / 8
    assert (board.previous["total"], board.previous["net"]) == (2, 0.0)
    assert f["change"] == 300.0 and f["net_change"] == 25.0


def test_share_of_voice_counts_each_topic_and_the_brand_once(workspace, known):
    board = stats.dashboard(workspace, week(), "Europe/Paris", now=NOW)
    rows = [(r["name"], r["count"], r["share"], r["us"]) for r in board.share_of_voice]
    assert rows == [("Vélo Lyon", 5, 62.5, True), ("Cyclopolis", 2, 25.0, False), ("Roue Libre", 1, 12.5, False)]


def test_top_authors_sites_and_topics(workspace, known):
    board = stats.dashboard(workspace, week(), "Europe/Paris", now=NOW)
    assert [(a["handle"], a["mentions"], a["reach"], a["negative_share"]) for a in board.authors] == [
        ("jean", 2, 60, 100), ("marie", 1, 1000, 0), ("paul", 1, 10, 0)]
    assert [(s["site"], s["mentions"], s["reach"]) for s in board.sites] == [
        ("Veille presse", 4, 5), ("mastodon.social", 2, 110), ("leprogres.fr", 1, 1000), ("blog.example.org", 1, 10)]
    assert [(t["topic"].name, t["mentions"], t["net"]) for t in board.topics] == [
        ("Vélo Lyon", 5, 0.0), ("Cyclopolis", 2, 0.0), ("Pistes cyclables", 1, 0.0), ("Roue Libre", 1, 100.0)]


def test_the_volume_is_per_day_in_the_readers_time_zone(workspace, known):
    board = stats.dashboard(workspace, week(), "Europe/Paris", now=NOW)
    assert board.series["labels"] == [f"2026-03-0{d}" for d in range(1, 8)]
    assert [r["total"] for r in board.series["rows"]] == [0, 1, 2, 0, 2, 2, 1]
    negative = next(d for d in board.series["datasets"] if d["key"] == "negative")
    assert negative["data"] == [0, 0, 1, 0, 1, 0, 0]
    # In UTC the message of 00:30 on 8 March (Paris) is still 7 March.
    utc = stats.dashboard(workspace, stats.period_for("custom", "UTC", since=date(2026, 3, 1), until=date(2026, 3, 7)), "UTC",
                          now=NOW)
    assert utc.figures["total"] == 9


def test_a_topic_filter_and_a_day_by_the_hour(workspace, known):
    board = stats.dashboard(workspace, week(), "Europe/Paris", topic=known["rival"], now=NOW)
    assert (board.figures["total"], board.figures["net"]) == (2, 0.0)
    day = stats.period_for("custom", "Europe/Paris", since=date(2026, 3, 7), until=date(2026, 3, 7))
    board = stats.dashboard(workspace, day, "Europe/Paris", now=NOW)
    assert board.series["hourly"] and len(board.series["labels"]) == 24
    assert board.series["labels"][23] == "2026-03-07T23:00" and board.series["rows"][23]["total"] == 1


def test_the_day_clocks_change_has_23_hours(workspace, known):
    day = stats.period_for("custom", "Europe/Paris", since=date(2026, 3, 29), until=date(2026, 3, 29))
    board = stats.dashboard(workspace, day, "Europe/Paris", topic=known["brand"], now=NOW)
    assert board.figures["total"] == 0 and day.length == timedelta(hours=23)


def test_a_week_under_way_is_compared_with_the_same_stretch_of_the_week_before(workspace, known):
    period = stats.period_for("7d", "Europe/Paris", today=date(2026, 3, 3))
    with time_machine.travel(datetime(2026, 3, 3, 12, tzinfo=PARIS), tick=False):
        board = stats.dashboard(workspace, period, "Europe/Paris")
    start, end = board.figures["previous_start"], board.figures["previous_end"]
    assert start == datetime(2026, 2, 18, tzinfo=PARIS) and end == datetime(2026, 2, 24, 12, tzinfo=PARIS)


def test_the_dashboard_page_shows_the_figures_and_the_chart_data(workspace, cm, as_user, known):
    cm.time_zone = "Europe/Paris"
    cm.language = "en"
    cm.save()
    with time_machine.travel(NOW, tick=False):
        response = as_user(cm).get("/w/velo/listening/dashboard/?period=custom&since=2026-03-01&until=2026-03-07")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="kpi-mentions">8<' in body and "+25.0" in body and "+300 %" in body
    data = json.loads(body.split('id="dashboard-data" type="application/json">')[1].split("</script>")[0])
    assert [v["value"] for v in data["voice"]] == [5, 2, 1]
    assert data["volume"]["labels"][0] == "2026-03-01"
    assert "<script>" not in body.split('id="dashboard-data"')[0].split("</head>")[1]  # no inline script (CSP)


def test_the_dashboard_costs_a_handful_of_queries(workspace, cm, as_user, known, django_assert_max_num_queries):
    client = as_user(cm)
    client.get("/w/velo/")
    with django_assert_max_num_queries(18):
        assert client.get("/w/velo/listening/dashboard/?period=90d").status_code == 200


@pytest.mark.parametrize("tz, expected", [
    # 28 March 23:30 UTC is 29 March in Paris (winter, +1); 29 March 22:30 UTC is 30 March (summer, +2).
    ("Europe/Paris", [1, 2, 1]),
    # India is 5 h 30 ahead: 29 March 18:45 UTC is already 30 March there.
    ("Asia/Kolkata", [1, 1, 2]),
    ("UTC", [2, 2, 0]),
])
def test_days_follow_summer_time_and_half_hour_zones(workspace, tz, expected):
    brand = wd.topic(workspace, "Vélo Lyon")
    at = [datetime(2026, 3, 28, 10, tzinfo=UTC), datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
          datetime(2026, 3, 29, 18, 45, tzinfo=UTC), datetime(2026, 3, 29, 22, 30, tzinfo=UTC)]
    wd.mention(brand, wd.store(wd.source(workspace), [wd.Msg(t) for t in at]))
    period = stats.period_for("custom", tz, since=date(2026, 3, 28), until=date(2026, 3, 30))
    board = stats.dashboard(workspace, period, tz, now=NOW)
    assert [r["total"] for r in board.series["rows"]] == expected
