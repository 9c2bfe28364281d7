"""Business time: when a team works, how many working minutes lie between two instants, and when N working minutes
from now fall. Used by the inbox's response-time targets ("first answer within 4 business hours").

Working hours are written in the team's local time, per weekday (``"0"`` is Monday … ``"6"`` Sunday)::

    {"0": [["09:00", "12:30"], ["14:00", "18:00"]], "1": [["09:00", "18:00"]], …}

A weekday that is missing, or has no range, is a day off; ``"24:00"`` ends a range at midnight. Empty hours (``{}``,
or no range on any day) mean round the clock, 7 days a week. A range never runs past midnight (write two ranges on
two days), ranges of a day are written in order and do not overlap; :func:`check_hours` says what is wrong, in the
reader's language. Public holidays (any container of :class:`datetime.date`, such as the ``holidays`` package's
``country_holidays("FR")``) are days off whatever the hours say; holidays do not apply to round-the-clock hours.

Minutes are real elapsed minutes: on the night clocks change, a range from 00:00 to 06:00 holds 5 hours in spring
and 7 in autumn (Europe/Paris). A wall time the spring change skips is read as PEP 495 does (the offset from before
the change); two ranges the change would make overlap count their common minutes once.

Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .timeutil import is_valid_timezone, zone_of

__all__ = [
    "DAY_NAMES",
    "MAX_RANGES",
    "Hours",
    "add_business_minutes",
    "business_minutes_between",
    "check_hours",
    "country_holidays",
    "is_supported_country",
    "normalise_hours",
    "preset",
]

Hours = dict[str, list[list[str]]]
MAX_RANGES = 3
# How far ahead the search for working time goes before giving up (hours that never come, holidays every day).
MAX_DAYS = 3660
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")
DAY_NAMES = (gettext_lazy("Monday"), gettext_lazy("Tuesday"), gettext_lazy("Wednesday"), gettext_lazy("Thursday"),
             gettext_lazy("Friday"), gettext_lazy("Saturday"), gettext_lazy("Sunday"))
_NO_HOLIDAYS: frozenset[date] = frozenset()


def preset(name: str) -> Hours:
    """Ready-made hours: ``"mon-fri-9-18"``, ``"mon-fri-9-12-14-18"`` (a lunch break), ``"always"`` (round the clock).
    Raises ``KeyError`` for another name."""
    week = [str(d) for d in range(5)]
    return {
        "mon-fri-9-18": {d: [["09:00", "18:00"]] for d in week},
        "mon-fri-9-12-14-18": {d: [["09:00", "12:00"], ["14:00", "18:00"]] for d in week},
        "always": {},
    }[name]


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _day_name(day: str) -> str:
    return str(DAY_NAMES[int(day)])


def check_hours(hours: Any) -> list[str]:
    """What is wrong with ``hours``, one translated sentence per problem (an empty list: they are fine).

    Refused: anything but a mapping of weekdays ``"0"``–``"6"`` to lists of ``[start, end]`` pairs of ``"HH:MM"``
    strings, more than :data:`MAX_RANGES` ranges a day, a range that ends at or before its start (overnight: split
    it over two days), ranges out of order or overlapping.
    """
    if not isinstance(hours, Mapping):
        return [_("Working hours must list, for each weekday, ranges such as 09:00–18:00.")]
    problems: list[str] = []
    for day, ranges in hours.items():
        if not isinstance(day, str) or day not in {str(d) for d in range(7)}:
            problems.append(_("“%(day)s” is not a weekday: use 0 (Monday) to 6 (Sunday).") % {"day": str(day)[:20]})
            continue
        name = _day_name(day)
        if ranges is None:
            continue
        if not isinstance(ranges, list | tuple):
            problems.append(_("%(day)s: give a list of ranges such as 09:00–18:00.") % {"day": name})
            continue
        if len(ranges) > MAX_RANGES:
            problems.append(_("%(day)s: at most %(max)s ranges a day.") % {"day": name, "max": MAX_RANGES})
            continue
        previous_end = -1
        for pair in ranges:
            if (not isinstance(pair, list | tuple) or len(pair) != 2
                    or not all(isinstance(v, str) and _TIME.fullmatch(v) for v in pair)):
                problems.append(_("%(day)s: write each range as two times such as 09:00 and 18:00.") % {"day": name})
                break
            start, end = _minutes(pair[0]), _minutes(pair[1])
            if pair[0] == "24:00":
                problems.append(_("%(day)s: a range cannot start at 24:00.") % {"day": name})
                break
            if end <= start:
                problems.append(_("%(day)s: the range %(start)s–%(end)s ends before it starts. A range cannot run past "
                                  "midnight: end it at 24:00 and start the next day at 00:00.") % {
                    "day": name, "start": pair[0], "end": pair[1]})
                break
            if start < previous_end:
                problems.append(_("%(day)s: the range %(start)s–%(end)s overlaps the one before it, or comes before "
                                  "it: write the ranges in order, without overlap.") % {
                    "day": name, "start": pair[0], "end": pair[1]})
                break
            previous_end = end
    return problems


def normalise_hours(hours: Mapping[str, Any]) -> Hours:
    """Checked ``hours`` (see :func:`check_hours`) with the days off left out and the days in order."""
    return {day: [list(pair) for pair in hours[day]] for day in sorted(hours) if hours[day]}


def is_supported_country(code: str) -> bool:
    """True if the ``holidays`` package knows the public holidays of this two-letter country code (``FR``)."""
    import holidays

    return isinstance(code, str) and code.upper() in holidays.list_supported_countries()


def country_holidays(code: str) -> Container[date]:
    """The public holidays of ``code`` (``FR``), for any year (computed as years are asked); none for ``""``."""
    if not code:
        return _NO_HOLIDAYS
    import holidays

    return holidays.country_holidays(code.upper())


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs aware datetimes")
    return moment.astimezone(UTC)


def _always(hours: Mapping[str, Any]) -> bool:
    return not any(hours.get(str(d)) for d in range(7))


def _local(day: date, value: str, zone: tzinfo) -> datetime:
    if value == "24:00":
        moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    else:
        moment = datetime.combine(day, time(*map(int, value.split(":"))), tzinfo=zone)
    return moment.astimezone(UTC)


def _intervals(after: datetime, hours: Mapping[str, Any], zone: tzinfo, holidays: Container[date],
               ) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals in UTC, in order, without overlap, from the local day before ``after``'s (a range ending
    at 24:00 the day before may still be open) up to :data:`MAX_DAYS` later."""
    first = after.astimezone(zone).date() - timedelta(days=1)
    last_end: datetime | None = None
    for offset in range(MAX_DAYS):
        day = first + timedelta(days=offset)
        if day in holidays:
            continue
        spans = sorted((_local(day, a, zone), _local(day, b, zone)) for a, b in hours.get(str(day.weekday())) or ())
        for start, end in spans:
            if last_end is not None and start < last_end:
                start = last_end
            if end <= start:
                continue
            last_end = end
            yield start, end
    raise ValueError(f"no working time within {MAX_DAYS} days")


def add_business_minutes(start: datetime, minutes: float, hours: Mapping[str, Any], tz: tzinfo | str,
                         holidays: Container[date] = _NO_HOLIDAYS) -> datetime:
    """The instant (UTC) when ``minutes`` working minutes have passed since ``start`` (an aware datetime).

    Outside working hours the count starts at the next opening; ``0`` minutes gives ``start`` back. A result that
    falls exactly at a closing time is that closing time (not the next opening). ``hours`` must pass
    :func:`check_hours`; ``tz`` is a tzinfo or an IANA name (``ValueError`` if unknown). ``ValueError`` too if no
    working time comes within :data:`MAX_DAYS` days.
    """
    start = _aware(start)
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    left = timedelta(minutes=minutes)
    if not left or _always(hours):
        return start + left
    for begin, end in _intervals(start, hours, zone_of(tz), holidays):
        if end <= start:
            continue
        begin = max(begin, start)
        if left <= end - begin:
            return begin + left
        left -= end - begin
    raise AssertionError("unreachable: _intervals raises when it runs out")  # pragma: no cover


def business_minutes_between(a: datetime, b: datetime, hours: Mapping[str, Any], tz: tzinfo | str,
                             holidays: Container[date] = _NO_HOLIDAYS) -> float:
    """Working minutes from ``a`` to ``b`` (aware datetimes); negative when ``b`` comes before ``a``."""
    a, b = _aware(a), _aware(b)
    if b < a:
        return -business_minutes_between(b, a, hours, tz, holidays)
    if _always(hours):
        return (b - a).total_seconds() / 60
    total = timedelta()
    try:
        for begin, end in _intervals(a, hours, zone_of(tz), holidays):
            if begin >= b:
                break
            overlap = min(end, b) - max(begin, a)
            if overlap > timedelta():
                total += overlap
    except ValueError:
        if not isinstance(tz, tzinfo) and not is_valid_timezone(tz):
            raise
        # No working time left within MAX_DAYS: what was counted is all there is.
    return total.total_seconds() / 60
