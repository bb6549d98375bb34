"""Xero's limits and a misbehaving network, against the Xero emulator: minute limits waited out as
`Retry-After` says, storms of 429s, the daily limit ending the sync after its last saved state
(and the next sync going on from there), dropped connections and 5xx retried.

Waits are checked by lower bounds on the times the sandbox saw the calls, never by upper ones.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from typing import TYPE_CHECKING

import pytest
from airbyte_cdk.models import FailureType, Status

from source_xero import SourceXero

if TYPE_CHECKING:
    from conftest import XeroSandbox


def moments(xero: XeroSandbox, endpoint: str) -> list[tuple[dt.datetime, int]]:
    return [
        (dt.datetime.fromisoformat(call.at), call.status)
        for call in xero.sandbox.stats.calls()
        if call.endpoint == f"/api.xro/2.0/{endpoint}"
    ]


def test_a_storm_of_429s_is_waited_out_as_retry_after_says(
    xero: XeroSandbox, capsys: pytest.CaptureFixture[str]
):
    xero.user.seed(contacts=2, invoices=4, statuses={"AUTHORISED": 1})
    xero.sandbox.stats.reset()
    xero.sandbox.faults.add(
        api="xero",
        method="GET",
        path="/api.xro/2.0/Invoices",
        status=429,
        count=3,
        headers={"Retry-After": "1"},
    )
    run = xero.read(xero.config(), xero.catalog("invoices"))
    assert len(run.ids("invoices")) == 4
    calls = moments(xero, "Invoices")
    assert [status for _, status in calls] == [429, 429, 429, 200]
    for (before, _), (after, _) in itertools.pairwise(calls):
        assert (after - before).total_seconds() >= 1
    # The platform sees the stream held back by the rate limit, under its own name.
    out = capsys.readouterr().out
    assert '"name":"invoices"},"status":"RUNNING","reasons":[{"type":"RATE_LIMITED"' in out


def test_xeros_minute_limit_paces_a_long_read(frozen: XeroSandbox):
    xero = frozen
    xero.user.seed(contacts=2, invoices=12, spacing=1, statuses={"AUTHORISED": 1})
    xero.sandbox.clock.set_speed(1)
    xero.sandbox.xero.limits.configure("minute", 3, 2)  # 3 calls in 2 seconds
    xero.sandbox.stats.reset()
    run = xero.read(xero.config(_page_size=3), xero.catalog("invoices"))
    assert sorted(run.ids("invoices")) == sorted(xero.user.ledger.invoices)
    assert 429 in [status for _, status in moments(xero, "Invoices") + moments(xero, "Contacts")]


def test_the_daily_limit_ends_the_sync_after_its_last_state_and_the_next_one_goes_on(
    frozen: XeroSandbox,
):
    xero = frozen
    xero.user.seed(contacts=2, invoices=10, spacing=1, statuses={"AUTHORISED": 1})
    config = xero.config(_page_size=3)
    # The custom connection's day: the token call does not count, three pages do.
    xero.sandbox.xero.limits.configure("day", 3)
    first = xero.read(config, xero.catalog("invoices", "payments", "contacts"), fails=True)
    errors = [m.trace.error for m in first.errors]
    assert {e.failure_type for e in errors} == {FailureType.transient_error}
    assert errors[0].stream_descriptor.name == "invoices"
    assert errors[0].message.startswith(
        "Xero's daily call limit for this organisation is used up until "
    )
    assert "(in 23 h 59 min)" in errors[0].message or "(in 24 h 0 min)" in errors[0].message
    assert "The sync stopped after its last saved state" in errors[0].message
    assert first.records("payments") == first.records("contacts") == []
    # Stopped at once: no call for payments, none for the contacts stream (only the look-ups
    # of the invoices' contacts, by IDs).
    assert xero.api_calls("Payments") == 0
    assert all(
        "IDs=" in call.query for call in xero.sandbox.stats.calls() if "Contacts" in call.path
    )
    read_before = first.ids("invoices")
    assert 0 < len(read_before) < 10
    # A day later the next sync goes on from the last saved state.
    xero.sandbox.clock.advance(24 * 3600)
    xero.sandbox.xero.limits.configure("day", 5_000)
    second = xero.read(config, xero.catalog("invoices"), first.last_states("invoices"))
    assert sorted(read_before + second.ids("invoices")) == sorted(xero.user.ledger.invoices)


def test_dropped_connections_and_5xx_are_retried_and_not_called_rate_limits(xero: XeroSandbox):
    xero.user.seed(contacts=2, invoices=3, statuses={"AUTHORISED": 1})
    xero.sandbox.faults.add(api="xero", path="/api.xro/2.0/Invoices", kind="drop", count=1)
    xero.sandbox.faults.add(api="xero", path="/api.xro/2.0/Payments", status=503, count=2)
    run = xero.read(xero.config(), xero.catalog("invoices", "payments"))
    assert len(run.ids("invoices")) == 3
    retries = [line for line in run.logs() if "retryable error" in line]
    assert any("Xero could not be reached" in line for line in retries)
    assert any("Xero answered GET /api.xro/2.0/Payments with 503" in line for line in retries)
    assert not any("rate limit" in line.lower() for line in run.logs())


def test_check_at_the_daily_limit_says_when_calls_are_allowed_again(xero: XeroSandbox):
    xero.sandbox.faults.add(
        api="xero",
        path="/api.xro/2.0/Invoices",
        status=429,
        headers={"X-Rate-Limit-Problem": "day"},
    )
    status = SourceXero().check(logging.getLogger("airbyte"), xero.config())
    assert status.status == Status.FAILED
    assert status.message.startswith("Xero's daily call limit for this organisation is used up")
