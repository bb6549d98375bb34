"""Keap's rate limits: per API key, per OAuth client and per app; the `x-keap-*` headers; 429s
with Apigee's fault body and no Retry-After; injected faults that look the same."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from keap_xero_sandbox import Sandbox

from .conftest import REST, KeapClient


@pytest.fixture
def pat(keap_sandbox: Sandbox, credentials: dict) -> KeapClient:
    headers = {"X-Keap-API-Key": credentials["personal_access_token"]}
    return KeapClient(f"{keap_sandbox.url}{REST}", headers)


def next_midnight_ms(sandbox: Sandbox) -> int:
    now = sandbox.clock.now()
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return int(midnight.timestamp() * 1000)


def test_an_api_key_gets_ten_calls_a_second(keap_sandbox, pat):
    answers = [pat.get("/orders") for _ in range(11)]
    keap_sandbox.clock.advance(1)
    after_a_second = pat.get("/orders")

    assert [a.status_code for a in answers] == [200] * 10 + [429]
    refused = answers[-1]
    assert (
        refused.json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.SpikeArrestViolation"
    )
    assert "messagesPerPeriod=10" in refused.json()["fault"]["faultstring"]
    assert "Retry-After" not in refused.headers
    assert after_a_second.status_code == 200


def test_api_key_headers_report_its_minute_and_day(keap_sandbox, pat):
    response = pat.get("/orders")

    headers = response.headers
    assert headers["x-keap-product-throttle-limit"] == "240"
    assert headers["x-keap-product-throttle-time-unit"] == "minute"
    assert headers["x-keap-product-throttle-used"] == "1"
    assert headers["x-keap-product-throttle-available"] == "239"
    assert headers["x-keap-product-quota-limit"] == "30000"
    assert headers["x-keap-product-quota-time-unit"] == "day"
    assert headers["x-keap-product-quota-available"] == "29999"
    assert int(headers["x-keap-product-quota-expiry-time"]) == next_midnight_ms(keap_sandbox)


def test_an_api_key_gets_240_calls_a_minute(keap_sandbox, pat):
    statuses = []
    for _ in range(24):
        statuses += [pat.get("/businessProfile").status_code for _ in range(10)]
        keap_sandbox.clock.advance(1)
    refused = pat.get("/businessProfile")
    keap_sandbox.clock.advance(60)
    next_minute = pat.get("/businessProfile")

    assert statuses == [200] * 240
    assert refused.status_code == 429
    assert refused.json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation"
    assert refused.headers["x-keap-product-throttle-available"] == "0"
    assert "Retry-After" not in refused.headers
    assert next_minute.status_code == 200


def test_oauth_headers_report_the_clients_minute_and_day_and_the_apps(api):
    headers = api.get("/orders").headers

    assert headers["x-keap-product-throttle-limit"] == "1500"
    assert headers["x-keap-product-quota-limit"] == "150000"
    assert headers["x-keap-product-quota-used"] == "1"
    assert headers["x-keap-tenant-id"] == "sandbox.infusionsoft.com"
    assert headers["x-keap-tenant-throttle-limit"] == "10000|250000"
    assert headers["x-keap-tenant-throttle-time-unit"] == "minute|day"
    assert headers["x-keap-tenant-throttle-interval"] == "1|1"
    assert headers["x-keap-tenant-throttle-used"] == "1|1"
    assert "x-keap-product-spike-limit" not in headers


def test_the_daily_quota_ends_at_midnight_utc_and_refused_calls_are_not_counted(keap_sandbox, api):
    keap_sandbox.keap.limits.configure("client_day", 3)
    answers = [api.get("/orders") for _ in range(5)]
    keap_sandbox.clock.set(dt.datetime.fromtimestamp(next_midnight_ms(keap_sandbox) / 1000, dt.UTC))
    tomorrow = api.get("/orders")

    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[-1]
    assert refused.json() == {
        "fault": {
            "faultstring": "Rate limit quota violation. Quota limit  exceeded. "
            "Identifier : keap-sandbox-client",
            "detail": {"errorcode": "policies.ratelimit.QuotaViolation"},
        }
    }
    assert refused.headers["x-keap-product-quota-available"] == "0"
    assert refused.headers["x-keap-product-quota-used"] == "3"
    assert tomorrow.status_code == 200
    assert tomorrow.headers["x-keap-product-quota-used"] == "1"


def test_oauth_clients_meet_the_spike_arrest_at_25_a_second(keap_sandbox, api):
    answers = [api.get("/businessProfile").status_code for _ in range(26)]

    assert answers == [200] * 25 + [429]


def test_the_app_limit_counts_every_credential(keap_sandbox, api, pat):
    keap_sandbox.keap.limits.configure("tenant_minute", 2)

    first, second, third = api.get("/orders"), pat.get("/orders"), api.get("/orders")

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert third.json()["fault"]["faultstring"].endswith("Identifier : sandbox.infusionsoft.com")
    assert third.headers["x-keap-tenant-throttle-available"].startswith("0|")


def test_limits_can_be_switched_off(keap_sandbox, pat):
    keap_sandbox.keap.limits.enabled = False

    assert all(pat.get("/businessProfile").ok for _ in range(12))


def test_an_injected_429_looks_like_keaps(keap_sandbox, api):
    keap_sandbox.faults.add(api="keap", path=f"{REST}/orders", status=429, count=1)

    throttled = api.get("/orders")
    after = api.get("/orders")

    assert throttled.status_code == 429
    assert throttled.json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation"
    assert throttled.headers["x-keap-product-throttle-available"] == "0"
    assert throttled.headers["x-keap-product-quota-limit"] == "150000"
    assert "Retry-After" not in throttled.headers
    assert after.status_code == 200


@pytest.mark.parametrize(
    ("status", "shape"),
    [(500, "error"), (502, "fault"), (503, "fault"), (504, "fault"), (401, "fault")],
)
def test_injected_failures_have_keaps_bodies(keap_sandbox, api, status, shape):
    keap_sandbox.faults.add(api="keap", path=f"{REST}/*", status=status, count=1)

    response = api.get("/orders")

    assert response.status_code == status
    body = response.json()
    if shape == "fault":
        assert body["fault"]["faultstring"]
        assert body["fault"]["detail"]["errorcode"]
    else:
        assert body["code"] == status
        assert body["status"] == "Internal Server Error"


def test_an_injected_failure_of_the_token_endpoint_speaks_oauth(keap_sandbox, credentials):
    keap_sandbox.faults.add(api="keap", path="/token", status=500, count=1)

    response = requests.post(
        f"{keap_sandbox.url}/token",
        data={"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]},
        timeout=10,
    )

    assert response.status_code == 500
    assert response.json()["error"] == "server_error"


def test_calls_are_counted_per_tenant(keap_sandbox, api):
    api.get("/orders")
    api.get("/contacts")

    assert keap_sandbox.stats.count("keap", tenant="sandbox.infusionsoft.com") == 2
    assert keap_sandbox.stats.count("keap", endpoint="/crm/rest/v2/orders") == 1
