"""Reading Keap's rate-limit headers, in both the plain and the pipe-delimited form."""

import datetime as dt

from invoice_model.connector.keap.throttle import (
    allowances,
    next_utc_midnight,
    spent_daily_allowance,
)

PLAIN = {
    "x-keap-product-quota-limit": "150000",
    "x-keap-product-quota-time-unit": "day",
    "x-keap-product-quota-interval": "1",
    "x-keap-product-quota-available": "149990",
    "x-keap-product-quota-used": "10",
    "x-keap-product-quota-expiry-time": "1723680000000",
    "x-keap-product-throttle-limit": "1500",
    "x-keap-product-throttle-time-unit": "minute",
    "x-keap-product-throttle-interval": "1",
    "x-keap-product-throttle-available": "1490",
    "x-keap-product-throttle-used": "10",
}


def test_plain_headers_give_each_window():
    found = {(a.family, a.time_unit): a for a in allowances(PLAIN)}
    daily = found[("product-quota", "day")]
    assert (daily.limit, daily.available) == (150000, 149990)
    assert daily.resets_at == dt.datetime(2024, 8, 15, tzinfo=dt.UTC)
    minute = found[("product-throttle", "minute")]
    assert (minute.limit, minute.available, minute.resets_at) == (1500, 1490, None)
    assert spent_daily_allowance(PLAIN) is None


def test_pipe_delimited_tenant_headers_give_two_windows():
    headers = {
        "X-Keap-Tenant-Throttle-Limit": "10000|250000",
        "X-Keap-Tenant-Throttle-Time-Unit": "minute|day",
        "X-Keap-Tenant-Throttle-Interval": "1|1",
        "X-Keap-Tenant-Throttle-Used": "12|250000",
    }
    minute, day = allowances(headers)
    assert (minute.time_unit, minute.limit, minute.available) == ("minute", 10000, 9988)
    assert (day.time_unit, day.limit, day.available) == ("day", 250000, 0)
    assert spent_daily_allowance(headers) == day


def test_a_spent_minute_is_not_a_spent_day():
    headers = {**PLAIN, "x-keap-product-throttle-available": "0"}
    assert spent_daily_allowance(headers) is None
    headers = {**PLAIN, "x-keap-product-quota-available": "0"}
    assert spent_daily_allowance(headers).family == "product-quota"


def test_no_headers_no_windows():
    assert allowances({"Content-Type": "application/json"}) == []


def test_quota_resets_at_the_next_utc_midnight():
    late = dt.datetime(2024, 2, 28, 23, 59, 59, tzinfo=dt.UTC)
    assert next_utc_midnight(late) == dt.datetime(2024, 2, 29, tzinfo=dt.UTC)
