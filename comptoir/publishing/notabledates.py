"""Notable dates to plan around: French public holidays, international and world days, the workspace's own dates.

Public holidays come from the ``holidays`` library; world days from ``data/world_days.json`` (a list kept in
the repo, each entry with its source); the workspace's own from ``NotableDate`` rows (``every_year`` ones
come back each year, a 29 February on the 28th in other years).
"""

from __future__ import annotations

import calendar as pycalendar
import functools
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays
from django.utils import translation

from .models import NotableDate

WORLD_DAYS_FILE = Path(__file__).parent / "data" / "world_days.json"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The widest range asked at once (a calendar shows at most six weeks; the API caps its own ranges below this).
MAX_RANGE_DAYS = 800


class Kind:
    HOLIDAY = "holiday"
    WORLD_DAY = "world_day"
    OWN = "own"


@dataclass(frozen=True)
class Notable:
    day: date
    name: str
    kind: str  # Kind.*
    source: str = ""
    note: str = ""
    id: int | None = None  # the NotableDate row of the workspace's own dates

    @property
    def icon(self) -> str:
        return {Kind.HOLIDAY: "bi-flag", Kind.WORLD_DAY: "bi-globe2", Kind.OWN: "bi-star"}[self.kind]


def _language() -> str:
    return "fr" if (translation.get_language() or "fr").startswith("fr") else "en"


@functools.cache
def world_days() -> tuple[dict, ...]:
    """The entries of the world days file, as written."""
    with WORLD_DAYS_FILE.open(encoding="utf-8") as f:
        return tuple(json.load(f)["days"])


def nth_weekday(year: int, month: int, nth: int, weekday: str) -> date:
    """The ``nth`` ``weekday`` of the month (1 = the first, -1 = the last)."""
    target = WEEKDAYS.index(weekday)
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(target - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year, month, pycalendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - target) % 7 + 7 * (-nth - 1))


def world_day_date(entry: dict, year: int) -> date:
    if "rule" in entry:
        return nth_weekday(year, entry["month"], int(entry["rule"]["nth"]), entry["rule"]["weekday"])
    return date(year, entry["month"], entry["day"])


def _years(start: date, end: date) -> range:
    return range(start.year, end.year + 1)


def _holidays(start: date, end: date, language: str) -> list[Notable]:
    found = holidays.France(years=list(_years(start, end)), language="fr" if language == "fr" else "en_US")
    return [Notable(day, str(name), Kind.HOLIDAY, "https://www.service-public.fr/particuliers/vosdroits/F2405")
            for day, name in found.items() if start <= day <= end]


def _world(start: date, end: date, language: str) -> list[Notable]:
    out = []
    for year in _years(start, end):
        for entry in world_days():
            day = world_day_date(entry, year)
            if start <= day <= end:
                out.append(Notable(day, entry[f"name_{language}"], Kind.WORLD_DAY, entry.get("source", "")))
    return out


def _own(workspace, start: date, end: date) -> list[Notable]:
    out = []
    rows = NotableDate.objects.filter(workspace=workspace)
    for row in rows:
        if not row.every_year:
            if start <= row.day <= end:
                out.append(Notable(row.day, row.name, Kind.OWN, note=row.note, id=row.pk))
            continue
        for year in _years(start, end):
            if year < row.day.year:
                continue
            last = pycalendar.monthrange(year, row.day.month)[1]
            day = date(year, row.day.month, min(row.day.day, last))
            if start <= day <= end:
                out.append(Notable(day, row.name, Kind.OWN, note=row.note, id=row.pk))
    return out


def between(workspace, start: date, end: date, *, language: str | None = None) -> list[Notable]:
    """Every notable date from ``start`` to ``end`` (both included), sorted by day: own dates first on a day."""
    if end < start:
        return []
    if (end - start).days > MAX_RANGE_DAYS:
        end = start + timedelta(days=MAX_RANGE_DAYS)
    language = language or _language()
    order = {Kind.OWN: 0, Kind.HOLIDAY: 1, Kind.WORLD_DAY: 2}
    found = _own(workspace, start, end) + _holidays(start, end, language) + _world(start, end, language)
    return sorted(found, key=lambda n: (n.day, order[n.kind], n.name))


def by_day(workspace, start: date, end: date) -> dict[date, list[Notable]]:
    days: dict[date, list[Notable]] = {}
    for notable in between(workspace, start, end):
        days.setdefault(notable.day, []).append(notable)
    return days


def suggest(workspace, around_date: date, days: int = 7) -> list[Notable]:
    """Notable dates within ``days`` days of ``around_date``, nearest first (for the editor, when planning)."""
    days = max(0, min(int(days), 60))
    found = between(workspace, around_date - timedelta(days=days), around_date + timedelta(days=days))
    return sorted(found, key=lambda n: (abs((n.day - around_date).days), n.day < around_date, n.day))
