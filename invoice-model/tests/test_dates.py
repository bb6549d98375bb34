"""Every date form Keap and Xero use, into aware UTC values and back out in the record form."""

import datetime as dt

import pytest

from invoice_model import dates

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Xero MS-JSON, with and without offset; the offset never shifts the UTC instant.
        ("/Date(1573755038314+0000)/", dt.datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)),
        ("/Date(1573755038314)/", dt.datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)),
        ("/Date(1573755038314+1300)/", dt.datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)),
        ("/Date(1573755038314-0800)/", dt.datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)),
        ("/Date(0+0000)/", dt.datetime(1970, 1, 1, tzinfo=UTC)),
        ("/Date(-86400000+0000)/", dt.datetime(1969, 12, 31, tzinfo=UTC)),
        # ISO-8601: Z, offsets, milliseconds, microseconds, naive (= UTC), 7-digit fractions.
        ("2024-05-21T14:30:00Z", dt.datetime(2024, 5, 21, 14, 30, tzinfo=UTC)),
        ("2017-01-01T22:17:59.039Z", dt.datetime(2017, 1, 1, 22, 17, 59, 39000, tzinfo=UTC)),
        ("2024-05-21T14:30:00+02:00", dt.datetime(2024, 5, 21, 12, 30, tzinfo=UTC)),
        ("2020-02-06T12:17:43.202-08:00", dt.datetime(2020, 2, 6, 20, 17, 43, 202000, tzinfo=UTC)),
        ("2019-03-11T00:00:00", dt.datetime(2019, 3, 11, tzinfo=UTC)),
        ("2019-12-07T18:46:19.5165400", dt.datetime(2019, 12, 7, 18, 46, 19, 516540, tzinfo=UTC)),
        # Plain dates.
        ("2024-02-29", dt.datetime(2024, 2, 29, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text, expected):
    parsed = dates.parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "yesterday", "10:00", "P1D", "2024-13-01", "2023-02-29", "/Date(abc)/", None, 17],
)
def test_unparseable_values_raise(bad):
    with pytest.raises(dates.DateParseError):
        dates.parse_datetime(bad)


def test_parse_date_takes_the_utc_calendar_day():
    assert dates.parse_date("/Date(1573689600000+0000)/") == dt.date(2019, 11, 14)
    assert dates.parse_date("2024-05-21T23:30:00-02:00") == dt.date(2024, 5, 22)
    assert dates.parse_date("2024-05-21") == dt.date(2024, 5, 21)
    assert dates.parse_date(dt.date(2024, 5, 21)) == dt.date(2024, 5, 21)


def test_aware_and_naive_datetimes():
    naive = dt.datetime(2024, 1, 1, 12)  # noqa: DTZ001 (naive on purpose)
    assert dates.parse_datetime(naive) == dt.datetime(2024, 1, 1, 12, tzinfo=UTC)
    berlin = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert dates.parse_datetime(berlin) == dt.datetime(2024, 1, 1, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/Date(1573755038314+0000)/", "2019-11-14T18:10:38.314Z"),
        ("2024-05-21T14:30:00+02:00", "2024-05-21T12:30:00.000Z"),
        ("2019-12-07T18:46:19.5165400", "2019-12-07T18:46:19.516Z"),
        ("2024-05-21", "2024-05-21T00:00:00.000Z"),
    ],
)
def test_format_datetime_is_the_one_record_form(value, expected):
    assert dates.format_datetime(value) == expected


def test_record_form_sorts_like_time():
    values = ["2024-05-21T14:30:00Z", "2024-05-21T14:30:00.5Z", "2024-05-21T14:29:59.999Z"]
    formatted = [dates.format_datetime(v) for v in values]
    assert sorted(formatted) == [
        dates.format_datetime(v) for v in sorted(values, key=dates.parse_datetime)
    ]


def test_ms_date_round_trip():
    moment = dt.datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)
    assert dates.format_ms_date(moment) == "/Date(1573755038314+0000)/"
    assert dates.format_ms_date(moment, offset=False) == "/Date(1573755038314)/"
    assert dates.parse_datetime(dates.format_ms_date(moment)) == moment
    assert dates.format_ms_date("1969-12-31") == "/Date(-86400000+0000)/"


def test_format_date():
    assert dates.format_date("/Date(1573755038314+0000)/") == "2019-11-14"


def test_start_of_day_in_a_time_zone():
    assert dates.start_of_day(dt.date(2024, 3, 1)) == dt.datetime(2024, 3, 1, tzinfo=UTC)
    assert dates.start_of_day(dt.date(2024, 3, 1), "America/New_York") == dt.datetime(
        2024, 3, 1, 5, tzinfo=UTC
    )
    # Summer time: New York is UTC-4 on 1 July.
    assert dates.start_of_day(dt.date(2024, 7, 1), "America/New_York") == dt.datetime(
        2024, 7, 1, 4, tzinfo=UTC
    )
    with pytest.raises(dates.DateParseError, match="IANA"):
        dates.start_of_day(dt.date(2024, 3, 1), "Mars/Olympus")
