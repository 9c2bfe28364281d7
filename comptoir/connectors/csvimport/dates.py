"""Dates as export tools write them, in French and English.

Understood: ISO 8601 (``2025-03-04``, ``2025-03-04T14:22:10Z``, with or without offset),
numeric day/month/year with ``/``, ``-`` or ``.`` and an optional time (``04/03/2025 14:22``,
``3/4/2025 2:22 PM``, ``04.03.25 14h22``), dates in words (``3 mars 2025``, ``mardi 4 mars 2025
à 14h22``, ``1er mars 2025``, ``March 3, 2025 2:22 PM``, ``3 Mar 2025``), X's API format
(``Wed Oct 10 20:19:24 +0000 2018``), RFC 2822 (``Tue, 04 Mar 2025 14:22:10 +0100``) and Unix
epochs in seconds or milliseconds. Relative dates ("il y a 3 jours", "2 days ago") are not
dates: the export cannot say what they were relative to.

A date without an offset is read in the given time zone; every result is aware UTC.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import unicodedata
from zoneinfo import ZoneInfo

MIN_YEAR, MAX_YEAR = 1990, 2100

MONTHS = {
    # French (accents removed), full and abbreviated
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "octobre": 10,
    "novembre": 11, "decembre": 12, "dec": 12,
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
}  # fmt: skip
_IGNORED_WORDS = frozenset(
    {
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "le", "a", "at",
        "on", "the", "of", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "lun",
        "mer", "jeu", "ven", "sam", "dim", "utc", "gmt", "z",
    }
)  # fmt: skip

_EPOCH = re.compile(r"\d{9,10}(?:\.\d+)?|\d{12,13}")
_NUMERIC = re.compile(
    r"(?P<a>\d{1,4})[/.\-](?P<b>\d{1,2})[/.\-](?P<c>\d{1,4})"
    r"(?:(?:\s+a\s+|\s*,\s*|\s+|t)(?P<time>.+))?"
)
_TIME = re.compile(
    r"(?P<h>\d{1,2})\s*(?:[:h]\s*(?P<m>\d{2})?(?::(?P<s>\d{2})(?:[.,]\d+)?)?)\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?"
    r"|(?P<h2>\d{1,2})\s*(?P<ampm2>am|pm)",
)
_TWITTER = re.compile(
    r"[a-z]{3} (?P<mon>[a-z]{3}) (?P<d>\d{1,2}) (?P<t>\d{2}:\d{2}:\d{2}) (?P<off>[+-]\d{4}) (?P<y>\d{4})"
)


def _plain(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _time(text: str | None) -> tuple[int, int, int] | None:
    """(hour, minute, second) from "14:22", "14h22", "2:22 PM", "14h"; None if not a time."""
    if not text:
        return (0, 0, 0)
    text = text.strip().rstrip("z").strip()
    match = _TIME.fullmatch(text)
    if not match:
        return None
    if match["h2"]:
        hour, minute, second, ampm = int(match["h2"]), 0, 0, match["ampm2"]
    else:
        hour, minute, second, ampm = (
            int(match["h"]),
            int(match["m"] or 0),
            int(match["s"] or 0),
            match["ampm"],
        )
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    return hour, minute, second


def _build(year: int, month: int, day: int, clock: tuple[int, int, int] | None) -> dt.datetime | None:
    if clock is None or not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.datetime(year, month, day, *clock)  # noqa: DTZ001 - made aware by the caller
    except ValueError:
        return None


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) <= 2 else year


def _numeric(match: re.Match[str], order: str) -> dt.datetime | None:
    a, b, c = match["a"], match["b"], match["c"]
    clock = _time(match["time"])
    if len(a) == 4:  # 2025/03/04: year first is always year-month-day
        return _build(int(a), int(b), int(c), clock)
    if len(c) not in (2, 4):
        return None
    first, second, year = int(a), int(b), _year(c)
    day, month = (first, second) if order == "dmy" else (second, first)
    # A day above 12 settles it: 25/03 is day first even in a month-first export.
    return _build(year, month, day, clock) or _build(year, day, month, clock)


def _words(text: str) -> dt.datetime | None:
    clock_text = None
    time_match = re.search(
        r"\d{1,2}\s*[:h]\s*\d{2}(?::\d{2})?\s*(?:am|pm)?|\d{1,2}\s*(?:am|pm)\b|\d{1,2}h\b", text
    )
    if time_match:
        clock_text = time_match.group(0)
        text = text[: time_match.start()] + " " + text[time_match.end() :]
    tokens = [t for t in re.split(r"[\s,.\-/]+", text) if t and t not in _IGNORED_WORDS]
    month = day = year = None
    for token in tokens:
        token = re.sub(r"^(\d{1,2})(?:er|e|st|nd|rd|th)$", r"\1", token)
        if token in MONTHS and month is None:
            month = MONTHS[token]
        elif token.isdigit() and len(token) == 4 and year is None:
            year = int(token)
        elif token.isdigit() and len(token) <= 2 and day is None:
            day = int(token)
        else:
            return None  # an unknown word: better refuse than guess
    if month is None or day is None or year is None:
        return None
    return _build(year, month, day, _time(clock_text))


def parse_date(value: str, *, tz: dt.tzinfo | str = "Europe/Paris", order: str = "dmy") -> dt.datetime | None:
    """The aware UTC datetime ``value`` stands for, or None when it is not a date.

    ``order`` ("dmy" or "mdy") settles numeric dates such as 03/04/2025; ``tz`` is the zone of
    dates written without an offset.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    text = " ".join(_plain(value).strip().strip("\"'").split())
    if not text or len(text) > 64:
        return None
    parsed: dt.datetime | None = None
    if _EPOCH.fullmatch(text):
        seconds = float(text) / (1000 if len(text) >= 12 else 1)
        parsed = dt.datetime.fromtimestamp(seconds, dt.UTC)
    elif twitter := _TWITTER.fullmatch(text):
        month = MONTHS.get(twitter["mon"])
        if month:
            try:
                parsed = dt.datetime.strptime(
                    f"{twitter['y']}-{month:02d}-{twitter['d']} {twitter['t']} {twitter['off']}",
                    "%Y-%m-%d %H:%M:%S %z",
                )
            except ValueError:
                parsed = None
    else:
        parsed = _iso(text)
        if parsed is None and (numeric := _NUMERIC.fullmatch(text)):
            parsed = _numeric(numeric, order)
        if parsed is None and re.search(r"[+-]\d{4}$|\bgmt$", text):
            parsed = _rfc2822(text)
        if parsed is None and re.search(r"[a-z]", text):
            parsed = _words(text)
    if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(dt.UTC)


def _iso(text: str) -> dt.datetime | None:
    if not re.match(r"\d{4}-\d{2}-\d{2}", text):
        return None
    candidate = text.upper().replace(" UTC", "+00:00")
    try:
        return dt.datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _rfc2822(text: str) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
