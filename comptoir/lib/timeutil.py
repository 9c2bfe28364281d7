"""Aware-time helpers: UTC in storage, the workspace's time zone on screen.

Dates from the outside (feeds, e-mails, APIs) arrive in every format and often without a
zone; everything here returns aware datetimes and treats a missing zone as UTC, so that a
naive value never reaches the database.
"""

from __future__ import annotations

import functools
import math
import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.utils import parsedate_to_datetime

from django.utils import timezone

__all__ = [
    "ensure_aware",
    "is_valid_timezone",
    "local_day_bounds",
    "now",
    "parse_datetime_any",
    "to_zone",
    "zone_of",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_YYYYMMDD = re.compile(r"\d{8}")
# Nothing legitimate is longer; a cap keeps junk input from costing anything.
_MAX_TEXT = 128


def now() -> datetime:
    """The current time, aware, in UTC (``django.utils.timezone.now``, so time_machine works)."""
    current = timezone.now()
    if timezone.is_naive(current):
        # Only with USE_TZ=False, which Comptoir does not use; stay aware regardless.
        current = current.replace(tzinfo=UTC)
    return current


def zone_of(tz: tzinfo | str) -> tzinfo:
    """``tz`` as a time zone: a ``tzinfo`` as is, an IANA name read, anything else a ``ValueError``."""
    if isinstance(tz, tzinfo):
        return tz
    if not is_valid_timezone(tz):
        raise ValueError(f"unknown time zone: {tz!r}")
    return zoneinfo.ZoneInfo(tz)


def ensure_aware(dt: datetime, tz: tzinfo | str = UTC) -> datetime:
    """Return ``dt`` unchanged if aware; a naive ``dt`` is read as wall time in ``tz``.

    ``tz`` is a tzinfo or an IANA name; an unknown name raises ``ValueError``. For a wall time
    that happens twice (autumn DST change) the first occurrence is used; for one that does not
    exist (spring change) the offset from before the change is used, as PEP 495 specifies.
    """
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        return dt
    return dt.replace(tzinfo=zone_of(tz))


def to_zone(dt: datetime, tzname: str) -> datetime:
    """Return ``dt`` expressed in the IANA zone ``tzname`` (a naive ``dt`` is taken as UTC).

    Raises ``ValueError`` for an unknown zone name.
    """
    return ensure_aware(dt).astimezone(zone_of(tzname))


# Files some systems keep beside the zones: they are not zone names, and "localtime" means
# whatever the server happens to be set to.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(
        name for name in zoneinfo.available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    )


def is_valid_timezone(name: object) -> bool:
    """True if ``name`` is an IANA time zone name known to this system (``Europe/Paris``, ``UTC``).

    Case-sensitive, as the names are; anything that is not a string is not a zone.
    """
    if not isinstance(name, str) or not name or len(name) > 64:
        return False
    # The system's list rather than "does ZoneInfo load it": ZoneInfo opens any file under
    # the zoneinfo directory, including some that are not zones.
    return name in _known_zones()


def _from_epoch(number: int | float) -> datetime:
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError("not a finite number")
    magnitude = abs(number)
    # Seconds up to 1e11 (year 5138), then milliseconds, microseconds, nanoseconds: each unit
    # takes over where the previous one would be absurd, which is how APIs actually differ.
    if magnitude >= 1e17:
        delta = timedelta(microseconds=number / 1000)
    elif magnitude >= 1e14:
        delta = timedelta(microseconds=number)
    elif magnitude >= 1e11:
        delta = timedelta(milliseconds=number)
    else:
        delta = timedelta(seconds=number)
    return _EPOCH + delta


def _parse_text(text: str) -> datetime | None:
    text = text.strip()
    if not text or len(text) > _MAX_TEXT:
        return None
    if _YYYYMMDD.fullmatch(text):
        # 20260329 is a date for people, even though it is also a number.
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    if _NUMBER.fullmatch(text):
        return _from_epoch(float(text) if "." in text else int(text))
    for candidate in (text, text.upper()):
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    # RFC 2822 (feeds, e-mail) and HTTP dates. An unknown zone name (CEST) or -0000 comes
    # back naive and is taken as UTC: off by a few hours beats no date at all.
    return parsedate_to_datetime(text)


def parse_datetime_any(value: object) -> datetime | None:
    """Parse a date found in the wild into an aware UTC datetime, or None; never raises.

    Understands ISO 8601 / RFC 3339 (``2026-03-29T10:00:00+02:00``, ``20260329T080000Z``,
    a date alone is midnight UTC), RFC 2822 and HTTP dates (``Sun, 29 Mar 2026 10:00:00
    +0200``), epoch timestamps as numbers or digit strings in seconds, milliseconds,
    microseconds or nanoseconds (told apart by magnitude), ``datetime`` and ``date``
    objects. Values without a zone are taken as UTC. An 8-digit string is read as a
    ``YYYYMMDD`` date.
    """
    try:
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, datetime):
            result: datetime | None = value
        elif isinstance(value, date):
            result = datetime.combine(value, time.min)
        elif isinstance(value, int | float):
            result = _from_epoch(value)
        elif isinstance(value, bytes):
            result = _parse_text(value.decode("utf-8", "replace"))
        elif isinstance(value, str):
            result = _parse_text(value)
        else:
            return None
        if result is None:
            return None
        return ensure_aware(result).astimezone(UTC)
    except (ValueError, TypeError, OverflowError, OSError, IndexError):
        return None


def local_day_bounds(day: date, tzname: str) -> tuple[datetime, datetime]:
    """Return the aware UTC instants ``[start, end)`` of the calendar ``day`` in ``tzname``.

    ``end`` is the start of the next day, so a day is 23 or 25 hours long across a DST change
    (Europe/Paris: 2026-03-29 and 2026-10-25). Where local midnight does not exist, the day
    starts at the first instant that does. Raises ``ValueError`` for an unknown zone and
    ``TypeError`` for a datetime, whose own zone would be ambiguous here.
    """
    if isinstance(day, datetime):
        raise TypeError("local_day_bounds takes a date, not a datetime")
    zone = zone_of(tzname)
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def retry_after_seconds(value: object, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value: delta-seconds or an HTTP date.

    Returns None for a missing or unreadable value; a date in the past gives 0.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
