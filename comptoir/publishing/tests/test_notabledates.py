"""Notable dates: French public holidays, the world days list kept in the repo, the workspace's own dates."""

import json
import re
from datetime import date

import pytest
from django.utils import translation

from comptoir.publishing import notabledates
from comptoir.publishing.models import NotableDate


def test_the_world_days_file_has_at_least_60_real_looking_entries_in_both_languages():
    days = notabledates.world_days()
    assert len(days) >= 60
    seen = set()
    for entry in days:
        assert set(entry) <= {"month", "day", "rule", "name_en", "name_fr", "source"}, entry
        assert ("day" in entry) != ("rule" in entry), entry
        assert entry["name_en"].strip() and entry["name_fr"].strip(), entry
        assert re.match(r"https://[a-z0-9.-]+\.[a-z]{2,}(/|$)", entry["source"]), entry
        assert "'" not in entry["name_fr"], f"typographic apostrophe wanted: {entry['name_fr']}"
        key = (entry["month"], entry.get("day"), entry["name_en"])
        assert key not in seen, entry
        seen.add(key)
        for year in range(2024, 2031):  # leap and common years alike
            day = notabledates.world_day_date(entry, year)
            assert day.month == entry["month"] and day.year == year
    # Sorted by month, so that people editing it find their way.
    months = [e["month"] for e in days]
    assert months == sorted(months)
    raw = json.loads(notabledates.WORLD_DAYS_FILE.read_text(encoding="utf-8"))
    assert raw["_about"]


@pytest.mark.parametrize(("name_en", "year", "expected"), [
    ("World Habitat Day", 2026, date(2026, 10, 5)),  # first Monday of October
    ("World Maritime Day", 2026, date(2026, 9, 24)),  # last Thursday of September
    ("Father’s Day (France)", 2026, date(2026, 6, 21)),  # third Sunday of June
    ("World Day of Remembrance for Road Traffic Victims", 2025, date(2025, 11, 16)),
    ("International Women’s Day", 2027, date(2027, 3, 8)),
    ("World Bicycle Day", 2026, date(2026, 6, 3)),
])
def test_known_days_fall_on_their_dates(name_en, year, expected):
    entry = next(e for e in notabledates.world_days() if e["name_en"] == name_en)
    assert notabledates.world_day_date(entry, year) == expected


def test_nth_weekday_counts_from_both_ends():
    assert notabledates.nth_weekday(2026, 2, -1, "saturday") == date(2026, 2, 28)
    assert notabledates.nth_weekday(2026, 3, 1, "sunday") == date(2026, 3, 1)
    assert notabledates.nth_weekday(2024, 2, -1, "thursday") == date(2024, 2, 29)


@pytest.mark.django_db
def test_french_public_holidays_come_in_the_readers_language(workspace):
    with translation.override("fr"):
        found = notabledates.between(workspace, date(2026, 7, 14), date(2026, 7, 14))
    assert [(n.name, n.kind) for n in found] == [("Fête nationale", "holiday")]
    english = notabledates.between(workspace, date(2026, 5, 1), date(2026, 5, 1), language="en")
    assert ("Labor Day", "holiday") in [(n.name, n.kind) for n in english]
    # Easter Monday moves: 6 April 2026, 29 March 2027.
    assert any(n.kind == "holiday" for n in notabledates.between(workspace, date(2027, 3, 29), date(2027, 3, 29)))
    assert not any(n.kind == "holiday" for n in notabledates.between(workspace, date(2027, 4, 6), date(2027, 4, 6)))


@pytest.mark.django_db
def test_world_days_in_both_languages_and_own_dates_every_year(workspace, other_workspace):
    assert [n.name for n in notabledates.between(workspace, date(2026, 6, 3), date(2026, 6, 3), language="fr")] == [
        "Journée mondiale de la bicyclette"]
    assert [n.name for n in notabledates.between(workspace, date(2026, 6, 3), date(2026, 6, 3), language="en")] == [
        "World Bicycle Day"]
    NotableDate.objects.create(workspace=workspace, day=date(2024, 2, 29), name="Anniversaire de l’asso", every_year=True)
    NotableDate.objects.create(workspace=workspace, day=date(2026, 6, 3), name="Vélorution")
    NotableDate.objects.create(workspace=other_workspace, day=date(2026, 6, 3), name="Pas chez nous")
    june = [n.name for n in notabledates.between(workspace, date(2026, 6, 3), date(2026, 6, 3), language="fr")]
    assert june == ["Vélorution", "Journée mondiale de la bicyclette"]  # our own first
    # Every year from its first year; on 28 February when there is no 29th.
    feb = notabledates.between(workspace, date(2023, 2, 1), date(2024, 3, 1))
    assert [n.day for n in feb if n.kind == "own" and n.name.startswith("Anniv")] == [date(2024, 2, 29)]
    feb = notabledates.between(workspace, date(2025, 2, 1), date(2027, 3, 1))
    assert [n.day for n in feb if n.kind == "own" and n.name.startswith("Anniv")] == [date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28)]


@pytest.mark.django_db
def test_suggest_gives_the_nearest_dates_first(workspace):
    found = notabledates.suggest(workspace, date(2026, 6, 4), days=2)
    # At the same distance, the day ahead comes first (it can still be prepared).
    assert [n.day for n in found][:2] == [date(2026, 6, 5), date(2026, 6, 3)]
    assert all(abs((n.day - date(2026, 6, 4)).days) <= 2 for n in found)
    assert notabledates.suggest(workspace, date(2026, 6, 4), days=10_000)  # capped, not refused
    assert notabledates.between(workspace, date(2026, 6, 4), date(2026, 6, 1)) == []
