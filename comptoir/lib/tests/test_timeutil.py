"""Aware-time helpers, with the two 2026 DST changes of Europe/Paris as reference days."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.lib.timeutil import (
    ensure_aware,
    is_valid_timezone,
    local_day_bounds,
    now,
    parse_datetime_any,
    to_zone,
)

PARIS = ZoneInfo("Europe/Paris")


def test_now_is_aware_utc_and_follows_the_test_clock():
    with time_machine.travel(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), tick=False):
        current = now()
    assert current == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert current.utcoffset() == timedelta(0)


def test_now_stays_aware_when_django_time_zone_support_is_off(settings):
    settings.USE_TZ = False
    assert now().tzinfo is not None


def test_ensure_aware_reads_a_naive_time_as_wall_time_in_the_given_zone():
    assert ensure_aware(datetime(2026, 6, 1, 12, 0)) == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    in_paris = ensure_aware(datetime(2026, 6, 1, 12, 0), "Europe/Paris")
    assert in_paris.astimezone(UTC) == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert ensure_aware(datetime(2026, 1, 1, 12, 0), PARIS).utcoffset() == timedelta(hours=1)


def test_ensure_aware_leaves_an_aware_time_alone():
    aware = datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert ensure_aware(aware, "Europe/Paris") is aware


def test_ensure_aware_takes_the_first_of_two_identical_autumn_wall_times():
    ambiguous = ensure_aware(datetime(2026, 10, 25, 2, 30), "Europe/Paris")
    assert ambiguous.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_ensure_aware_refuses_an_unknown_zone():
    with pytest.raises(ValueError, match="unknown time zone"):
        ensure_aware(datetime(2026, 1, 1), "Europe/Lutece")


def test_to_zone_converts_and_reads_naive_values_as_utc():
    converted = to_zone(datetime(2026, 7, 14, 20, 0, tzinfo=UTC), "Europe/Paris")
    assert (converted.hour, converted.utcoffset()) == (22, timedelta(hours=2))
    assert to_zone(datetime(2026, 7, 14, 20, 0), "America/Montreal").hour == 16
    with pytest.raises(ValueError):
        to_zone(datetime(2026, 7, 14), "Mars/Olympus")


@pytest.mark.parametrize(
    "name", ["Europe/Paris", "UTC", "America/Montreal", "Africa/Abidjan", "Pacific/Noumea", "America/Argentina/Buenos_Aires"]
)
def test_it_accepts_iana_zone_names(name):
    assert is_valid_timezone(name)


@pytest.mark.parametrize(
    "name",
    ["", "europe/paris", "Europe", "Paris", "Europe/Lutece", "../../etc/passwd", "/etc/localtime", "localtime",
     "Europe/../UTC", "UTC\x00", None, 42, "A" * 300],
)
def test_it_refuses_what_is_not_a_zone_name(name):
    assert not is_valid_timezone(name)


# --- parse_datetime_any -----------------------------------------------------------------------

PARIS_NOON_UTC = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-29T10:00:00Z",
        "2026-03-29T12:00:00+02:00",
        "2026-03-29T12:00:00+0200",
        "2026-03-29t10:00:00z",
        "20260329T100000Z",
        "2026-03-29 10:00:00",  # no zone: UTC
        "  2026-03-29T10:00:00.000Z\n",
        "Sun, 29 Mar 2026 12:00:00 +0200",
        "Sun, 29 Mar 2026 10:00:00 GMT",
        "29 Mar 2026 06:00:00 EDT",
        "Sun, 29 Mar 2026 10:00:00 -0000",
        "1774778400",
        "1774778400000",
        1774778400,
        1774778400.0,
        1774778400000,
        1774778400000000,
        1774778400000000000,
        b"2026-03-29T10:00:00Z",
        datetime(2026, 3, 29, 12, 0, tzinfo=PARIS),
        datetime(2026, 3, 29, 10, 0),
    ],
)
def test_it_parses_the_usual_formats_into_aware_utc(value):
    parsed = parse_datetime_any(value)
    assert parsed == PARIS_NOON_UTC
    assert parsed.tzinfo is UTC


def test_it_keeps_sub_second_precision():
    assert parse_datetime_any("2026-03-29T10:00:00.123456789Z") == PARIS_NOON_UTC.replace(microsecond=123456)
    assert parse_datetime_any(1774778400123) == PARIS_NOON_UTC.replace(microsecond=123000)


def test_a_date_alone_is_midnight_utc():
    assert parse_datetime_any("2026-03-29") == datetime(2026, 3, 29, tzinfo=UTC)
    assert parse_datetime_any("20260329") == datetime(2026, 3, 29, tzinfo=UTC)
    assert parse_datetime_any(date(2026, 3, 29)) == datetime(2026, 3, 29, tzinfo=UTC)


def test_an_unknown_zone_abbreviation_is_read_as_utc():
    assert parse_datetime_any("Sun, 29 Mar 2026 10:00:00 CEST") == PARIS_NOON_UTC


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "junk", "hier", "2026-02-30", "2026-13-01T00:00:00Z", "Sun, 29 Mar 2026 25:00:00 +0200",
     "nan", "inf", float("nan"), float("inf"), 10**30, -(10**30), "9" * 500, True, [], {}, object(), "1e5"],
)
def test_it_returns_none_for_junk(value):
    assert parse_datetime_any(value) is None


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(max_size=60),
        st.binary(max_size=60),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.datetimes(timezones=st.none() | st.timezones()),
        st.dates(),
    )
)
def test_parse_datetime_any_never_raises_and_answers_aware_utc_or_none(value):
    parsed = parse_datetime_any(value)
    assert parsed is None or (parsed.tzinfo is UTC)


# --- local_day_bounds -------------------------------------------------------------------------


def test_an_ordinary_paris_day_is_24_hours():
    start, end = local_day_bounds(date(2026, 3, 28), "Europe/Paris")
    assert start == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)


def test_the_spring_forward_day_in_paris_is_23_hours():
    start, end = local_day_bounds(date(2026, 3, 29), "Europe/Paris")
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=23)
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_the_fall_back_day_in_paris_is_25_hours():
    start, end = local_day_bounds(date(2026, 10, 25), "Europe/Paris")
    assert start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=25)


def test_consecutive_days_touch_without_gap_or_overlap():
    _, end_saturday = local_day_bounds(date(2026, 10, 24), "Europe/Paris")
    start_sunday, _ = local_day_bounds(date(2026, 10, 25), "Europe/Paris")
    assert end_saturday == start_sunday


def test_a_day_whose_midnight_does_not_exist_starts_at_its_first_real_instant():
    # Chile moves its clocks from 00:00 to 01:00 on 2026-09-06.
    start, end = local_day_bounds(date(2026, 9, 6), "America/Santiago")
    assert start == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert start.astimezone(ZoneInfo("America/Santiago")).hour == 1
    assert end - start == timedelta(hours=23)


def test_local_day_bounds_refuses_unknown_zones_and_datetimes():
    with pytest.raises(ValueError):
        local_day_bounds(date(2026, 3, 29), "Europe/Lutece")
    with pytest.raises(TypeError):
        local_day_bounds(datetime(2026, 3, 29, 12, 0), "Europe/Paris")


def test_retry_after_reads_seconds_and_http_dates():
    from datetime import UTC, datetime

    from comptoir.lib.timeutil import retry_after_seconds

    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(" 5 ") == 5.0
    assert retry_after_seconds("Mon, 23 Nov 2026 12:01:30 GMT", now=now) == 90.0
    assert retry_after_seconds("Mon, 23 Nov 2026 11:00:00 GMT", now=now) == 0.0
    for junk in (None, "", "soon", "-5", "1.5", 42, "Mon, 99 Foo"):
        assert retry_after_seconds(junk, now=now) is None
