"""Dates and times as Keap and Xero send them, and the one form records carry.

Records carry timestamps as ISO-8601 UTC with milliseconds (`2024-05-21T14:30:00.000Z`): fixed
width, so cursor values compare correctly as strings too; dates as `YYYY-MM-DD`.

Accepted on input:
- Xero's MS-JSON dates `/Date(1573755038314+0000)/`, with or without the offset; the milliseconds
  are UTC epoch and the offset only says which zone the value was displayed in;
- ISO-8601 with or without milliseconds and offset (a missing offset means UTC, as both APIs
  document), with `Z` or `+hh:mm`;
- plain dates `YYYY-MM-DD` (midnight UTC when a timestamp is wanted).
"""

from __future__ import annotations

import datetime as dt
import re

import pendulum

UTC = dt.UTC

_MS_DATE = re.compile(r"^/Date\((?P<ms>-?\d+)(?P<offset>[+-]\d{4})?\)/$")


class DateParseError(ValueError):
    """A value that is not a date or time in any form Keap or Xero uses."""


def parse_datetime(value: str | dt.datetime | dt.date) -> dt.datetime:
    """Any supported form -> an aware `datetime` in UTC."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        raise DateParseError(f"{value!r} is not a date or time")
    text = value.strip()
    if text.startswith("/Date("):
        return _parse_ms_date(text)
    try:
        parsed = pendulum.parse(text, tz="UTC", strict=True, exact=True)
    except ValueError as error:  # pendulum's ParserError is one
        raise DateParseError(f"{value!r} is not an ISO-8601 date or time") from error
    if isinstance(parsed, pendulum.DateTime):
        return _plain_utc(parsed)
    if isinstance(parsed, pendulum.Date):
        return dt.datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
    raise DateParseError(f"{value!r} is a time or duration, not a date or time")


def parse_date(value: str | dt.datetime | dt.date) -> dt.date:
    """Any supported form -> the calendar date it names (in UTC for timestamps)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return parse_datetime(value).date()


def format_datetime(value: str | dt.datetime | dt.date) -> str:
    """The record form: `2024-05-21T14:30:00.000Z`."""
    moment = parse_datetime(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_date(value: str | dt.datetime | dt.date) -> str:
    """The record form of a date: `2024-05-21`."""
    return parse_date(value).isoformat()


def format_ms_date(value: str | dt.datetime | dt.date, *, offset: bool = True) -> str:
    """Xero's MS-JSON form, `/Date(1573755038314+0000)/` (no offset in envelope timestamps)."""
    moment = parse_datetime(value)
    millis = (moment - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(milliseconds=1)
    return f"/Date({millis}+0000)/" if offset else f"/Date({millis})/"


def start_of_day(day: dt.date, timezone: str = "UTC") -> dt.datetime:
    """The UTC instant at which `day` begins in `timezone` (an IANA name)."""
    try:
        local = pendulum.datetime(day.year, day.month, day.day, tz=timezone)
    except ValueError as error:  # pendulum's InvalidTimezone is one
        raise DateParseError(f"{timezone!r} is not an IANA time zone") from error
    return _plain_utc(local)


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def _parse_ms_date(text: str) -> dt.datetime:
    match = _MS_DATE.match(text)
    if not match:
        raise DateParseError(f"{text!r} is not an MS-JSON date like /Date(1573755038314+0000)/")
    epoch = dt.datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + dt.timedelta(milliseconds=int(match["ms"]))


def _plain_utc(moment: pendulum.DateTime) -> dt.datetime:
    """pendulum -> standard library, so callers never depend on pendulum's types."""
    utc = moment.in_timezone("UTC")
    return dt.datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tzinfo=UTC
    )
