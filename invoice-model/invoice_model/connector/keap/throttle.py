"""Keap's rate-limit headers: how many calls are left, per minute and per day.

Keap (on Apigee) reports each limit in a family of headers, `x-keap-<scope>-<kind>-<field>`:
the per-app daily quota (`product-quota`, with `-expiry-time` in epoch milliseconds), the per-app
per-minute throttle (`product-throttle`) and the per-account limits (`tenant-throttle`). Some
accounts send one header for two windows, pipe-delimited (`time-unit: minute|day`,
`limit: 10000|250000`); both forms are read. Keap sends no `Retry-After`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

UTC = dt.UTC
_FAMILIES = ("product-quota", "product-throttle", "tenant-throttle")
_DAY = "day"


@dataclass(frozen=True)
class Allowance:
    """One rate-limit window as Keap reports it after a call."""

    family: str
    time_unit: str
    limit: int | None
    available: int | None
    resets_at: dt.datetime | None = None

    @property
    def is_daily(self) -> bool:
        return self.time_unit == _DAY

    @property
    def is_spent(self) -> bool:
        return self.available is not None and self.available <= 0

    def describe(self) -> str:
        window = "day" if self.is_daily else (self.time_unit or "window")
        return f"{self.family}: {self.available}/{self.limit} left this {window}"


def allowances(headers: Mapping[str, str]) -> list[Allowance]:
    """Every window the headers of one response report (none when Keap sent no headers)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    return [allowance for family in _FAMILIES for allowance in _family(lowered, family)]


def spent_daily_allowance(headers: Mapping[str, str]) -> Allowance | None:
    """The daily window with nothing left, if the headers report one."""
    return next((a for a in allowances(headers) if a.is_daily and a.is_spent), None)


def next_utc_midnight(now: dt.datetime) -> dt.datetime:
    """When Keap's daily quotas reset when the headers do not say."""
    return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=UTC)


def _family(headers: Mapping[str, str], family: str) -> Iterator[Allowance]:
    prefix = f"x-keap-{family}-"
    units = _split(headers.get(prefix + "time-unit"))
    if not units:
        return
    limits = _split(headers.get(prefix + "limit"))
    available = _split(headers.get(prefix + "available"))
    used = _split(headers.get(prefix + "used"))
    expiry = _epoch_ms(headers.get(prefix + "expiry-time"))
    for index, unit in enumerate(units):
        limit = _int_at(limits, index)
        left = _int_at(available, index)
        if left is None and limit is not None and _int_at(used, index) is not None:
            left = limit - (_int_at(used, index) or 0)
        yield Allowance(family, unit.lower(), limit, left, expiry if unit.lower() == _DAY else None)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in value.split("|")] if value else []


def _int_at(values: list[str], index: int) -> int | None:
    if index >= len(values):
        return None
    try:
        return int(values[index])
    except ValueError:
        return None


def _epoch_ms(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, UTC) if value else None
    except (ValueError, OverflowError, OSError):
        return None
