"""Indonesian dates: day and month names, numeric and ISO forms, WIB/WITA/WIT; None, never a guess."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.corpus.dates import MONTHS, combine, parse_date, parse_time

WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))
WIT = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jum'at, 26/04/2024 18:13 WIB", datetime(2024, 4, 26, 18, 13, tzinfo=WIB)),
        ("Jumat, 26/04/2024 18:13 WIB", datetime(2024, 4, 26, 18, 13, tzinfo=WIB)),
        ("17 Juni 2020", datetime(2020, 6, 17)),
        ("Selasa, 17 September 2019 21:12 WIB", datetime(2019, 9, 17, 21, 12, tzinfo=WIB)),
        ("Rabu, 4 Nopember 2015 | 21:04 WITA", datetime(2015, 11, 4, 21, 4, tzinfo=WITA)),
        ("Kamis, 12 Agt 2019 08.30 WIT", datetime(2019, 8, 12, 8, 30, tzinfo=WIT)),
        ("Sen, 2 Des 2019", datetime(2019, 12, 2)),
        ("Sabtu, 10 Pebruari 2018 pukul 07:00 WIB", datetime(2018, 2, 10, 7, 0, tzinfo=WIB)),
        ("Minggu, 1 Mei 2016", datetime(2016, 5, 1)),
        ("30 Okt 2019", datetime(2019, 10, 30)),
        ("2019-09-17", datetime(2019, 9, 17)),
        ("2016-02-16T14:38:23+07:00", datetime(2016, 2, 16, 14, 38, 23, tzinfo=WIB)),
        ("2015-11-05T10:00:26Z", datetime(2015, 11, 5, 10, 0, 26, tzinfo=UTC)),
        ("2015-11-05 T10:08:58Z".replace(" T", "T"), datetime(2015, 11, 5, 10, 8, 58, tzinfo=UTC)),
        ("05-11-2015 10:00", datetime(2015, 11, 5, 10, 0)),
        ("Friday, February 17, 2017", datetime(2017, 2, 17)),
        ("November 4, 2015 | 09:12 pm", datetime(2015, 11, 4, 21, 12)),
        ("4 Nov 2015 12:05 AM", datetime(2015, 11, 4, 0, 5)),
    ],
)
def test_readable_dates(text: str, expected: datetime) -> None:
    parsed = parse_date(text)
    assert parsed == expected
    assert (parsed.utcoffset() if parsed else None) == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    ["Jumat (19/06)", "Senin (23/9)", "21:12 WIB", "31/02/2020", "kemarin sore", "", None, "2019", "Agustus 2019"],
)
def test_unreadable_dates_are_none(text: str | None) -> None:
    assert parse_date(text) is None


def test_earliest_date_in_a_text_wins() -> None:
    """A page's date line comes before the dates its body mentions."""
    assert parse_date("Selasa, 16 Februari 2016 | 14:38 WIB komentar ... Selasa (16/2/2016) 1/1/2017") == datetime(
        2016, 2, 16, 14, 38, tzinfo=WIB
    )


def test_every_month_name_and_abbreviation_maps_to_its_month() -> None:
    for name, month in MONTHS.items():
        assert parse_date(f"3 {name} 2019") == datetime(2019, month, 3)
        assert parse_date(f"3 {name.upper()} 2019") == datetime(2019, month, 3)


def test_time_of_day_joins_a_date_only_record() -> None:
    day = parse_date("2019-09-17")
    assert combine(day, "21:12 WIB") == datetime(2019, 9, 17, 21, 12, tzinfo=WIB)
    assert combine(day, "07:51:00") == datetime(2019, 9, 17, 7, 51)
    assert combine(day, "-") == datetime(2019, 9, 17)
    assert combine(day, "10 Sep 2019") == datetime(2019, 9, 17)
    assert combine(None, "21:12 WIB") is None
    assert combine(date(2019, 9, 17), None) == datetime(2019, 9, 17)
    assert parse_time("25:00") is None


@given(st.text(max_size=200))
def test_parse_date_never_raises(text: str) -> None:
    result = parse_date(text)
    assert result is None or isinstance(result, datetime)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)))
def test_numeric_dates_round_trip(day: date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y")) == datetime(day.year, day.month, day.day)
    assert parse_date(day.isoformat()) == datetime(day.year, day.month, day.day)
