"""What a person watching a write sees: a line per flush with what became of its records, the
Xero calls spent and the time waited for Xero's rate limits; and a wait for a rate limit told as
it begins, with how long, against the catalog's streams being written (never a stream named
after the HTTP client, which no catalog has)."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import TYPE_CHECKING

from airbyte_cdk.models import Level

if TYPE_CHECKING:
    import pytest
    from conftest import MakeConfig

    from keap_xero_sandbox.sandbox import Sandbox


def accounting_calls(sandbox: Sandbox) -> int:
    return len([c for c in sandbox.stats.calls("xero") if c.path.startswith("/api.xro/2.0/")])


def test_every_flush_reports_its_records_the_calls_spent_and_the_time_waited(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    invoices = [kit.invoice(n) for n in range(3)]
    written = kit.write(sandbox_config(), kit.sync(invoices, [kit.payment(n) for n in range(3)]))

    assert written.error is None
    flushes = [m for m in written.logs(Level.INFO) if m.startswith("Xero: flushed")]
    assert [m.split(";")[0] for m in flushes] == [
        "Xero: flushed 3 records (invoices: 3 created)",
        "Xero: flushed 3 records (payments: 3 created)",
    ]
    assert flushes[-1].endswith(
        f"; {accounting_calls(sandbox)} Xero calls so far, 0.0 s waited for Xero's rate limits"
    )


def test_a_wait_for_the_minute_limit_is_told_as_it_begins_against_the_streams_written(
    kit: SimpleNamespace,
    sandbox: Sandbox,
    sandbox_config: MakeConfig,
    capsys: pytest.CaptureFixture,
) -> None:
    sandbox.faults.add(
        api="xero",
        method="PUT",
        path="/api.xro/2.0/Invoices",
        status=429,
        headers={"Retry-After": "2"},
    )
    invoices = [kit.invoice(n) for n in range(3)]
    written = kit.write(sandbox_config(), kit.sync(invoices, [kit.payment(n) for n in range(3)]))
    assert written.error is None

    # Told while the write loop waits (it yields nothing meanwhile): straight to stdout, where
    # the CDK would have printed its own status of the wait, for a stream named "xero".
    told = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    logs = [m["log"]["message"] for m in told if m["type"] == "LOG"]
    assert logs == ["Xero: waiting 2 s for Xero's limit of calls a minute; writing invoices"]
    statuses = [m["trace"]["stream_status"] for m in told if m["type"] == "TRACE"]
    assert [
        (s["stream_descriptor"]["name"], s["status"], [r["type"] for r in s["reasons"]])
        for s in statuses
    ] == [("invoices", "RUNNING", ["RATE_LIMITED"])]
    assert statuses[0]["reasons"][0]["rate_limited"]["quota_reset"] > 0

    [flush] = [m for m in written.logs(Level.INFO) if m.startswith("Xero: flushed 3 records (inv")]
    waited = float(re.search(r"([0-9.]+) s waited", flush)[1])
    assert waited >= 2
