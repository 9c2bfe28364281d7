import datetime as dt

import pytest

from comptoir.connectors.csvimport.dates import parse_date

UTC = dt.UTC


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        ("2025-03-04", "dmy", dt.datetime(2025, 3, 3, 23, 0, tzinfo=UTC)),
        ("2025-03-04T14:22:10Z", "dmy", dt.datetime(2025, 3, 4, 14, 22, 10, tzinfo=UTC)),
        ("2025-03-04 14:22:10+02:00", "dmy", dt.datetime(2025, 3, 4, 12, 22, 10, tzinfo=UTC)),
        ("2025-03-04 14:22:10 UTC", "dmy", dt.datetime(2025, 3, 4, 14, 22, 10, tzinfo=UTC)),
        ("04/03/2025 14:22", "dmy", dt.datetime(2025, 3, 4, 13, 22, tzinfo=UTC)),
        ("04/03/2025 14h22", "dmy", dt.datetime(2025, 3, 4, 13, 22, tzinfo=UTC)),
        ("04/03/2025 à 14h22", "dmy", dt.datetime(2025, 3, 4, 13, 22, tzinfo=UTC)),
        ("04.03.25", "dmy", dt.datetime(2025, 3, 3, 23, 0, tzinfo=UTC)),
        ("3/4/2025 2:22 PM", "mdy", dt.datetime(2025, 3, 4, 13, 22, tzinfo=UTC)),
        ("03/04/2025 12:05 am", "mdy", dt.datetime(2025, 3, 3, 23, 5, tzinfo=UTC)),
        ("25/03/2025", "mdy", dt.datetime(2025, 3, 24, 23, 0, tzinfo=UTC)),  # 25 cannot be a month
        ("2025/03/04", "mdy", dt.datetime(2025, 3, 3, 23, 0, tzinfo=UTC)),
        ("3 mars 2025", "dmy", dt.datetime(2025, 3, 2, 23, 0, tzinfo=UTC)),
        ("1er mars 2025", "dmy", dt.datetime(2025, 2, 28, 23, 0, tzinfo=UTC)),
        ("mardi 4 mars 2025 à 14h22", "dmy", dt.datetime(2025, 3, 4, 13, 22, tzinfo=UTC)),
        ("4 févr. 2025", "dmy", dt.datetime(2025, 2, 3, 23, 0, tzinfo=UTC)),
        ("15 août 2025 9h", "dmy", dt.datetime(2025, 8, 15, 7, 0, tzinfo=UTC)),
        ("March 3, 2025", "mdy", dt.datetime(2025, 3, 2, 23, 0, tzinfo=UTC)),
        ("Mar 3, 2025 2:22 PM", "mdy", dt.datetime(2025, 3, 3, 13, 22, tzinfo=UTC)),
        ("Tuesday, 4 March 2025", "dmy", dt.datetime(2025, 3, 3, 23, 0, tzinfo=UTC)),
        ("Wed Oct 10 20:19:24 +0000 2018", "mdy", dt.datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        ("Tue, 04 Mar 2025 14:22:10 +0100", "dmy", dt.datetime(2025, 3, 4, 13, 22, 10, tzinfo=UTC)),
        ("1741098130", "dmy", dt.datetime(2025, 3, 4, 14, 22, 10, tzinfo=UTC)),
        ("1741098130000", "dmy", dt.datetime(2025, 3, 4, 14, 22, 10, tzinfo=UTC)),
        (
            "30/03/2025 02:30",
            "dmy",
            dt.datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
        ),  # DST gap: kept, not refused
    ],
)
def test_dates_in_many_formats_become_aware_utc(value, order, expected):
    assert parse_date(value, tz="Europe/Paris", order=order) == expected


@pytest.mark.parametrize(
    "value",
    ["", "32/13/2024", "31/02/2025", "il y a 3 jours", "2 days ago", "hier", "3 mars", "13:45",
     "2025-13-01", "99999999999999", "01/01/1850", "mars mars 2025", "25:00 04/03/2025", "x" * 100],
)  # fmt: skip
def test_what_is_not_a_date_gives_none(value):
    assert parse_date(value) is None
