"""The calendar as data: weeks and days in the reader's time zone, posts placed on their day, filters, alarms."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from comptoir.publishing import calendar
from comptoir.publishing.models import Campaign, Post, Variant

from .calendarfixtures import channel, post

pytestmark = pytest.mark.django_db
PARIS = "Europe/Paris"


def _day(period, day):
    return next(d for d in period.days if d.day == day)


def _ids(period, day):
    return [e.id for e in _day(period, day).entries]


@time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False)
def test_a_month_runs_from_the_monday_before_its_first_day_to_the_sunday_after_its_last(workspace):
    period = calendar.build(workspace, "month", date(2026, 3, 17), PARIS)
    assert period.start == date(2026, 2, 23) and period.end == date(2026, 4, 5)
    assert len(period.weeks) == 6 and all(len(w) == 7 for w in period.weeks)
    assert period.anchor == date(2026, 3, 1)
    assert period.previous == date(2026, 2, 1) and period.next == date(2026, 4, 1)
    assert _day(period, date(2026, 3, 10)).is_today
    assert _day(period, date(2026, 3, 9)).is_past and not _day(period, date(2026, 3, 11)).is_past
    assert not _day(period, date(2026, 2, 28)).in_range and _day(period, date(2026, 3, 1)).in_range


@time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False)
def test_posts_sit_on_their_local_day_across_the_spring_dst_change(workspace):
    # 28 March 23:30 UTC is 29 March 00:30 in Paris (still winter time, UTC+1): the 29th, not the 28th.
    just_after_midnight = post(workspace, datetime(2026, 3, 28, 23, 30, tzinfo=UTC), title="minuit et demie")
    # 29 March 01:30 UTC is 03:30 in Paris: the clocks went from 02:00 to 03:00.
    after_the_change = post(workspace, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), title="après le changement")
    # 29 March 22:30 UTC is 30 March 00:30 in summer time (UTC+2).
    next_day = post(workspace, datetime(2026, 3, 29, 22, 30, tzinfo=UTC), title="lendemain")
    period = calendar.build(workspace, "week", date(2026, 3, 26), PARIS)
    assert period.start == date(2026, 3, 23) and period.end == date(2026, 3, 29)
    assert _ids(period, date(2026, 3, 29)) == [just_after_midnight.pk, after_the_change.pk]
    assert _ids(period, date(2026, 3, 28)) == []
    entry = _day(period, date(2026, 3, 29)).entries[1]
    assert (entry.at.hour, entry.at.minute) == (3, 30)
    assert next_day.pk not in [e.id for e in period.entries]
    assert _ids(calendar.build(workspace, "week", date(2026, 3, 30), PARIS), date(2026, 3, 30)) == [next_day.pk]


@time_machine.travel(datetime(2026, 10, 1, 9, 0, tzinfo=UTC), tick=False)
def test_the_autumn_week_has_seven_days_and_the_25_hour_sunday_keeps_its_late_posts(workspace):
    # 25 October 2026: 03:00 CEST becomes 02:00 CET. 22:30 UTC is 23:30 CET, still the 25th.
    late = post(workspace, datetime(2026, 10, 25, 22, 30, tzinfo=UTC))
    period = calendar.build(workspace, "week", date(2026, 10, 25), PARIS)
    assert [d.day.day for d in period.days] == [19, 20, 21, 22, 23, 24, 25]
    assert _ids(period, date(2026, 10, 25)) == [late.pk]
    assert _day(period, date(2026, 10, 25)).at_hour(23)[0].id == late.pk


@time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False)
def test_a_post_at_a_month_boundary_belongs_to_the_month_of_the_readers_time_zone(workspace, cm):
    # 31 March 22:30 UTC: 1 April 00:30 in Paris, 31 March 18:30 in New York.
    boundary = post(workspace, datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    in_paris = calendar.build(workspace, "month", date(2026, 4, 1), PARIS)
    assert _ids(in_paris, date(2026, 4, 1)) == [boundary.pk]
    cm.time_zone = "America/New_York"
    assert workspace.time_zone == PARIS
    zone = calendar.zone_for(cm, workspace)
    assert zone == "America/New_York"
    in_new_york = calendar.build(workspace, "month", date(2026, 3, 1), zone)
    assert _ids(in_new_york, date(2026, 3, 31)) == [boundary.pk]
    assert _day(in_new_york, date(2026, 3, 31)).entries[0].at.hour == 18
    # March's grid in Paris shows 1 April as a day outside the month, with the post.
    march_in_paris = calendar.build(workspace, "month", date(2026, 3, 1), PARIS)
    assert not _day(march_in_paris, date(2026, 4, 1)).in_range
    assert _ids(march_in_paris, date(2026, 4, 1)) == [boundary.pk]


def test_a_reader_without_a_valid_zone_sees_the_workspaces(workspace, cm):
    cm.time_zone = "Mars/Olympus"
    assert calendar.zone_for(cm, workspace) == PARIS


@time_machine.travel(datetime(2026, 5, 20, 9, 0, tzinfo=UTC), tick=False)
def test_published_posts_sit_on_their_publication_day_with_links_to_what_went_out(workspace):
    masto, bsky = channel(workspace), channel(workspace, "bluesky", "velo.bsky.test")
    published = post(workspace, datetime(2026, 5, 4, 8, 0, tzinfo=UTC), status=Post.Status.PUBLISHED,
                     published_at=datetime(2026, 5, 5, 8, 0, tzinfo=UTC), channels=[masto, bsky],
                     states=[Variant.State.SENT, Variant.State.SENT])
    period = calendar.build(workspace, "month", date(2026, 5, 1), PARIS)
    assert _ids(period, date(2026, 5, 4)) == [] and _ids(period, date(2026, 5, 5)) == [published.pk]
    entry = _day(period, date(2026, 5, 5)).entries[0]
    assert entry.published and not entry.movable and not entry.has_alarm
    assert [v.icon for v in entry.variants] == ["bi-mastodon", "bi-bluesky"]
    assert all(v.remote_url.startswith("https://masto.test/") for v in entry.variants)


@time_machine.travel(datetime(2026, 5, 20, 9, 0, tzinfo=UTC), tick=False)
@pytest.mark.parametrize("state", [Variant.State.FAILED, Variant.State.LATE, Variant.State.UNKNOWN])
def test_a_failed_late_or_unknown_delivery_raises_the_alarm(workspace, state):
    masto, bsky = channel(workspace), channel(workspace, "bluesky", "velo.bsky.test")
    p = post(workspace, datetime(2026, 5, 19, 8, 0, tzinfo=UTC), channels=[masto, bsky],
             states=[Variant.State.SENT, state])
    entry = calendar.build(workspace, "month", date(2026, 5, 1), PARIS).entries[0]
    assert entry.id == p.pk and entry.has_alarm
    assert [v.is_alarm for v in entry.variants] == [False, True]
    only_problems = calendar.build(workspace, "month", date(2026, 5, 1), PARIS,
                                   calendar.Filters(status=calendar.STATUS_PROBLEM))
    assert [e.id for e in only_problems.entries] == [p.pk]


@time_machine.travel(datetime(2026, 5, 1, 9, 0, tzinfo=UTC), tick=False)
def test_filters_by_channel_status_and_campaign_and_unscheduled_drafts(workspace, other_workspace):
    masto, bsky = channel(workspace), channel(workspace, "bluesky", "velo.bsky.test")
    launch = Campaign.objects.create(workspace=workspace, name="Fête du vélo", color="#2f9e44")
    a = post(workspace, datetime(2026, 5, 10, 8, 0, tzinfo=UTC), channels=[masto], campaign=launch)
    b = post(workspace, datetime(2026, 5, 11, 8, 0, tzinfo=UTC), channels=[bsky], status=Post.Status.DRAFT)
    post(other_workspace, datetime(2026, 5, 10, 8, 0, tzinfo=UTC), title="ailleurs")
    draft = post(workspace, None, status=Post.Status.DRAFT, title="sans date")
    every = calendar.build(workspace, "month", date(2026, 5, 1), PARIS)
    assert [e.id for e in every.entries] == [a.pk, b.pk]
    assert every.entries[0].campaign_color == "#2f9e44" and every.entries[1].campaign_color == ""
    assert [p.pk for p in every.unscheduled] == [draft.pk]

    def ids(**kw):
        return [e.id for e in calendar.build(workspace, "month", date(2026, 5, 1), PARIS, calendar.Filters(**kw)).entries]

    assert ids(channel=masto.pk) == [a.pk]
    assert ids(status="draft") == [b.pk]
    assert ids(campaign=launch.pk) == [a.pk]
    assert ids(channel=bsky.pk, campaign=launch.pk) == []


def test_filters_read_from_a_query_string_ignore_garbage():
    f = calendar.Filters.from_query({"channel": "12", "status": "scheduled", "campaign": "x"})
    assert (f.channel, f.status, f.campaign) == (12, "scheduled", None)
    f = calendar.Filters.from_query({"channel": "-1", "status": "<script>", "campaign": "9" * 40})
    assert not f.active
    assert calendar.Filters(channel=3, status="problem").query_items() == [("channel", "3"), ("status", "problem")]
