"""Rate limits as Xero documents them, their headers, and faults that look like Xero's own."""

from __future__ import annotations

import contextlib

import pytest
import requests

from keap_xero_sandbox.xero.access import CONCURRENT, limit_key
from keap_xero_sandbox.xero.emulator import OAUTH_CLIENT_ID


def limit(sandbox, name: str, value: int, seconds: float | None = None) -> None:
    body = {"name": name, "limit": value}
    if seconds is not None:
        body["seconds"] = seconds
    answer = requests.post(f"{sandbox.url}/_sandbox/limits/xero", json=body, timeout=30)
    assert answer.status_code == 200, answer.text


def remaining(answer) -> tuple[int, int, int]:
    headers = answer.headers
    return (
        int(headers["X-MinLimit-Remaining"]),
        int(headers["X-DayLimit-Remaining"]),
        int(headers["X-AppMinLimit-Remaining"]),
    )


def test_every_answer_reports_what_is_left_of_each_limit(xero):
    first = remaining(xero.get("/Organisation"))
    second = remaining(xero.get("/Accounts"))
    assert first == (59, 4999, first[2])
    assert second == (58, 4998, first[2] - 1)
    refused = xero.get("/Accounts", params={"where": "nonsense =="})
    assert refused.status_code == 400
    assert remaining(refused) == (57, 4997, first[2] - 2)


def test_the_61st_call_in_a_minute_is_429_with_retry_after_and_costs_nothing(xero, sandbox):
    sandbox.clock.freeze()
    for _ in range(60):
        assert xero.get("/Organisation").status_code == 200
    sandbox.clock.advance(20)
    refused = xero.get("/Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert refused.headers["Retry-After"] == "40"
    assert remaining(refused)[:2] == (0, 4940)
    sandbox.clock.advance(40)
    again = xero.get("/Organisation")
    assert again.status_code == 200
    assert remaining(again)[:2] == (59, 4939)


def test_limits_are_kept_per_organisation(xero, sandbox):
    limit(sandbox, "minute", 2)
    xero.get("/Organisation")
    xero.get("/Organisation")
    assert xero.get("/Organisation").status_code == 429
    other = xero.for_tenant(xero.second).get("/Organisation")
    assert other.status_code == 200
    assert remaining(other)[0] == 1


def test_the_day_limit_says_day_and_waits_for_its_own_window(xero, sandbox):
    sandbox.clock.freeze()
    limit(sandbox, "day", 3)
    for _ in range(3):
        xero.get("/Organisation")
        sandbox.clock.advance(500)
    refused = xero.get("/Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) == 24 * 3600 - 3 * 500


def test_the_app_minute_limit_spans_organisations(xero, sandbox):
    limit(sandbox, "app-minute", 3)
    assert xero.get("/Organisation").status_code == 200
    assert xero.for_tenant(xero.second).get("/Organisation").status_code == 200
    assert xero.get("/connections").status_code == 200, "tenantless calls count for the app"
    refused = xero.for_tenant(xero.second).get("/Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "appminute"


def test_retry_after_is_in_real_seconds_when_the_clock_runs_fast(xero, sandbox):
    sandbox.clock.freeze()
    limit(sandbox, "minute", 1)
    xero.get("/Organisation")
    sandbox.clock.set_speed(60)
    refused = xero.get("/Organisation")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"


def test_a_sixth_concurrent_call_is_refused(xero, sandbox):
    key = limit_key(OAUTH_CLIENT_ID, xero.demo)
    with contextlib.ExitStack() as busy:
        for _ in range(5):  # five calls in progress, held in-process
            assert busy.enter_context(sandbox.xero.limits.in_flight(CONCURRENT, key))
        sixth = xero.get("/Organisation")
        elsewhere = xero.for_tenant(xero.second).get("/Organisation")
    assert sixth.status_code == 429
    assert sixth.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert "Retry-After" not in sixth.headers
    assert elsewhere.status_code == 200
    assert xero.get("/Organisation").status_code == 200


def test_limits_can_be_switched_off(xero, sandbox):
    limit(sandbox, "minute", 1)
    requests.post(f"{sandbox.url}/_sandbox/limits/xero", json={"enabled": False}, timeout=30)
    assert [xero.get("/Organisation").status_code for _ in range(3)] == [200, 200, 200]


# faults


def test_an_injected_429_looks_like_xeros_own(xero, sandbox):
    sandbox.clock.freeze()
    xero.get("/Organisation")
    sandbox.faults.add(api="xero", path="/api.xro/2.0/Invoices*", status=429, count=2)
    for _ in range(2):
        refused = xero.get("/Invoices")
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "minute"
        assert refused.headers["Retry-After"] == "60"
        assert remaining(refused)[:2] == (59, 4999)
    assert xero.get("/Invoices").status_code == 200


def test_an_injected_daily_429_names_the_day(xero, sandbox):
    sandbox.faults.add(
        api="xero", path="/api.xro/2.0/*", status=429, headers={"X-Rate-Limit-Problem": "day"}
    )
    refused = xero.get("/Contacts")
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 3600


@pytest.mark.parametrize(
    ("status", "title"),
    [(503, "Service Unavailable"), (500, "Internal Server Error"), (401, "Unauthorized")],
)
def test_injected_errors_carry_xeros_bodies(xero, sandbox, status, title):
    sandbox.faults.add(api="xero", path="/api.xro/2.0/Invoices", status=status)
    answer = xero.get("/Invoices")
    assert answer.status_code == status
    assert answer.json()["Title"] == title
    assert answer.json()["Status"] == status


def test_a_429_storm_with_a_seeded_probability_is_repeatable(xero, sandbox):
    def storm() -> list[int]:
        sandbox.faults.clear()
        sandbox.faults.add(
            api="xero", path="/api.xro/2.0/*", status=429, count=None, probability=0.5, seed=3
        )
        return [xero.get("/Currencies").status_code for _ in range(12)]

    first = storm()
    assert 429 in first
    assert 200 in first
    assert storm() == first


def test_a_dropped_connection_is_a_connection_error(xero, sandbox):
    sandbox.faults.add(api="xero", path="/api.xro/2.0/Organisation", kind="drop")
    with pytest.raises(requests.ConnectionError):
        xero.get("/Organisation")
    assert xero.get("/Organisation").status_code == 200


def test_calls_are_counted_per_endpoint_and_tenant(xero, sandbox):
    xero.get("/Organisation")
    xero.for_tenant(xero.second).get("/Organisation")
    xero.get("/Invoices", params={"page": 1})
    stats = sandbox.stats
    assert stats.count("xero", endpoint="/api.xro/2.0/Organisation") == 2
    assert stats.count("xero", endpoint="/api.xro/2.0/Organisation", tenant=xero.second) == 1
    assert stats.count("xero", method="GET", endpoint="/api.xro/2.0/Invoices") == 1
