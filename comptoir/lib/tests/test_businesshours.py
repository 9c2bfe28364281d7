"""Business time, with Europe/Paris's 2026 clock changes (29 March, 25 October) and French public holidays."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.lib.businesshours import (
    add_business_minutes,
    business_minutes_between,
    check_hours,
    country_holidays,
    is_supported_country,
    normalise_hours,
    preset,
)

PARIS = ZoneInfo("Europe/Paris")
OFFICE = preset("mon-fri-9-12-14-18")
FR = country_holidays("FR")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_minutes_inside_one_range_are_plain_minutes():
    # Tuesday 3 March 2026, 10:00 in Paris.
    assert add_business_minutes(paris(2026, 3, 3, 10), 60, OFFICE, "Europe/Paris") == paris(2026, 3, 3, 11)


def test_the_lunch_break_and_the_night_do_not_count():
    # 11:30 + 60 min: 30 before lunch, 30 after → 14:30.
    assert add_business_minutes(paris(2026, 3, 3, 11, 30), 60, OFFICE, "Europe/Paris") == paris(2026, 3, 3, 14, 30)
    # 17:00 + 4 h: 1 h today, 3 h tomorrow morning → Wednesday 12:00 (a closing time stays the closing time).
    assert add_business_minutes(paris(2026, 3, 3, 17), 240, OFFICE, "Europe/Paris") == paris(2026, 3, 4, 12)


def test_a_message_on_friday_evening_is_due_on_monday():
    due = add_business_minutes(paris(2026, 3, 6, 19), 120, OFFICE, "Europe/Paris")
    assert due == paris(2026, 3, 9, 11)
    assert business_minutes_between(paris(2026, 3, 6, 19), due, OFFICE, "Europe/Paris") == 120


def test_public_holidays_are_days_off():
    # Friday 1 May 2026 is Labour Day: a message on Thursday 17:30 with 1 h is due on Monday 4 May at 09:30.
    assert date(2026, 5, 1) in FR
    due = add_business_minutes(paris(2026, 4, 30, 17, 30), 60, OFFICE, "Europe/Paris", FR)
    assert due == paris(2026, 5, 4, 9, 30)
    assert add_business_minutes(paris(2026, 4, 30, 17, 30), 60, OFFICE, "Europe/Paris") == paris(2026, 5, 1, 9, 30)


def test_empty_hours_mean_round_the_clock():
    start = paris(2026, 3, 7, 23)  # a Saturday night
    assert add_business_minutes(start, 90, {}, "Europe/Paris") == start + timedelta(minutes=90)
    assert business_minutes_between(start, start + timedelta(hours=5), {}, "Europe/Paris") == 300
    assert add_business_minutes(start, 90, {"0": [], "5": []}, "Europe/Paris") == start + timedelta(minutes=90)


def test_the_spring_change_night_has_one_hour_less():
    night = {"6": [["00:00", "06:00"]]}  # Sunday 29 March 2026: 02:00 becomes 03:00
    assert business_minutes_between(paris(2026, 3, 29, 0), paris(2026, 3, 29, 7), night, "Europe/Paris") == 5 * 60
    assert add_business_minutes(paris(2026, 3, 29, 0), 150, night, "Europe/Paris").astimezone(PARIS) == paris(
        2026, 3, 29, 3, 30)


def test_the_autumn_change_night_has_one_hour_more():
    night = {"6": [["00:00", "06:00"]]}  # Sunday 25 October 2026: 03:00 becomes 02:00 again
    assert business_minutes_between(paris(2026, 10, 25, 0), paris(2026, 10, 25, 7), night, "Europe/Paris") == 7 * 60
    assert add_business_minutes(paris(2026, 10, 25, 0), 7 * 60, night, "Europe/Paris") == paris(2026, 10, 25, 6)


def test_a_week_of_office_hours_across_a_clock_change_is_still_forty_hours():
    hours = preset("mon-fri-9-18")
    for monday in (paris(2026, 3, 23), paris(2026, 3, 30), paris(2026, 10, 19), paris(2026, 10, 26)):
        assert business_minutes_between(monday, monday + timedelta(days=7), hours, "Europe/Paris") == 45 * 60


def test_ranges_in_the_skipped_hour_never_count_twice():
    hours = {"6": [["01:00", "02:50"], ["03:00", "04:00"]]}
    minutes = business_minutes_between(paris(2026, 3, 29, 0), paris(2026, 3, 29, 5), hours, "Europe/Paris")
    assert minutes == 120  # 01:00 → 04:00 is two real hours that night


def test_24_00_ends_the_day():
    hours = {"0": [["22:00", "24:00"]], "1": [["00:00", "02:00"]]}
    assert add_business_minutes(paris(2026, 3, 2, 23), 120, hours, "Europe/Paris") == paris(2026, 3, 3, 1)


def test_time_before_b_minus_after_is_negative():
    assert business_minutes_between(paris(2026, 3, 3, 11), paris(2026, 3, 3, 10), OFFICE, "Europe/Paris") == -60


def test_naive_datetimes_and_unknown_zones_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(datetime(2026, 3, 3, 10), 10, OFFICE, "Europe/Paris")  # noqa: DTZ001
    with pytest.raises(ValueError, match="time zone"):
        add_business_minutes(paris(2026, 3, 3, 10), 10, OFFICE, "Mars/Olympus")
    with pytest.raises(ValueError):
        add_business_minutes(paris(2026, 3, 3, 10), -1, OFFICE, "Europe/Paris")


def test_hours_that_never_come_give_an_error_not_a_hang():
    every_day = {d for d in (date(2026, 1, 1) + timedelta(days=n) for n in range(4000))}
    with pytest.raises(ValueError, match="no working time"):
        add_business_minutes(paris(2026, 1, 2), 10, OFFICE, "Europe/Paris", every_day)


@pytest.mark.parametrize("hours, expected", [
    ({"0": [["18:00", "09:00"]]}, "ends before it starts"),
    ({"0": [["09:00", "09:00"]]}, "ends before it starts"),
    ({"0": [["14:00", "18:00"], ["09:00", "12:00"]]}, "overlaps"),
    ({"0": [["09:00", "13:00"], ["12:00", "18:00"]]}, "overlaps"),
    ({"0": [["09:00", "10:00"], ["11:00", "12:00"], ["13:00", "14:00"], ["15:00", "16:00"]]}, "at most 3"),
    ({"7": [["09:00", "18:00"]]}, "not a weekday"),
    ({"0": [["9h", "18h"]]}, "two times"),
    ({"0": [["25:00", "26:00"]]}, "two times"),
    ({"0": [["24:00", "24:00"]]}, "cannot start at 24:00"),
    ({"0": "09:00-18:00"}, "list of ranges"),
    ([["09:00", "18:00"]], "for each weekday"),
    ({"0": [[9, 18]]}, "two times"),
])
def test_check_hours_names_the_day_and_the_fix(hours, expected):
    problems = check_hours(hours)
    assert problems and expected in " ".join(problems), problems


def test_check_hours_speaks_french():
    from django.utils import translation

    with translation.override("fr"):
        [problem] = check_hours({"0": [["18:00", "09:00"]]})
    assert problem.startswith("lundi") or problem.startswith("Lundi")


def test_good_hours_pass_and_normalise_without_days_off():
    assert check_hours(OFFICE) == []
    assert check_hours({"0": [["00:00", "24:00"]], "6": []}) == []
    assert normalise_hours({"3": [["09:00", "18:00"]], "0": [], "1": None}) == {"3": [["09:00", "18:00"]]}


def test_supported_countries():
    assert is_supported_country("FR") and is_supported_country("be")
    assert not is_supported_country("ZZ") and not is_supported_country("")


# Properties --------------------------------------------------------------------------------------------------

HOURS = st.sampled_from([OFFICE, preset("mon-fri-9-18"), {"6": [["00:00", "06:00"]]},
                         {"0": [["22:00", "24:00"]], "1": [["00:00", "03:30"]], "5": [["01:30", "02:45"]]},
                         {"6": [["01:00", "02:50"], ["03:00", "04:00"]]}, {}])
ZONES = st.sampled_from(["Europe/Paris", "America/Montreal", "Pacific/Noumea", "UTC", "Australia/Lord_Howe"])
# Around the 2026 clock changes of both hemispheres, minute by minute.
INSTANTS = st.integers(0, 60 * 24 * 400).map(lambda m: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(start=INSTANTS, minutes=st.integers(0, 60 * 24 * 10), hours=HOURS, tz=ZONES, with_holidays=st.booleans())
def test_measuring_what_was_added_gives_the_minutes_back(start, minutes, hours, tz, with_holidays):
    holidays = FR if with_holidays else frozenset()
    due = add_business_minutes(start, minutes, hours, tz, holidays)
    assert due >= start
    assert business_minutes_between(start, due, hours, tz, holidays) == minutes


@settings(max_examples=200, deadline=None)
@given(start=INSTANTS, a=st.integers(0, 5000), b=st.integers(0, 5000), hours=HOURS, tz=ZONES)
def test_more_minutes_are_never_due_earlier(start, a, b, hours, tz):
    low, high = sorted((a, b))
    assert add_business_minutes(start, low, hours, tz) <= add_business_minutes(start, high, hours, tz)


@settings(max_examples=200, deadline=None)
@given(a=INSTANTS, b=INSTANTS, c=INSTANTS, hours=HOURS, tz=ZONES)
def test_business_time_adds_up_and_never_exceeds_real_time(a, b, c, hours, tz):
    a, b, c = sorted((a, b, c))
    ab = business_minutes_between(a, b, hours, tz)
    bc = business_minutes_between(b, c, hours, tz)
    assert ab + bc == business_minutes_between(a, c, hours, tz)
    assert 0 <= ab <= (b - a).total_seconds() / 60
