"""What a person watching a write sees: a line per flush with what became of its records, the
Keap calls spent and the time waited for Keap's rate limits; and a wait for a rate limit told as
it begins, with how long, against the catalog's streams being written."""

from __future__ import annotations

import json

from airbyte_cdk.models import Level

ORDERS = "/crm/rest/v2/orders"


def test_a_throttled_write_tells_of_its_wait_against_the_streams_written(keap, kit, capsys):
    keap.sandbox.faults.add(api="keap", method="POST", path=ORDERS, status=429, count=1)
    written = kit.write(keap.config(), kit.sync([kit.invoice(1)]), ["invoices"])
    assert written.error is None

    # Told while the write loop waits (it yields nothing meanwhile): straight to stdout.
    told = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    [log] = [m["log"]["message"] for m in told if m["type"] == "LOG"]
    assert log.startswith("Keap: waiting ")
    assert log.endswith(" s for Keap's rate limit (429); writing invoices")
    statuses = [m["trace"]["stream_status"] for m in told if m["type"] == "TRACE"]
    assert [
        (s["stream_descriptor"]["name"], s["status"], [r["type"] for r in s["reasons"]])
        for s in statuses
    ] == [("invoices", "RUNNING", ["RATE_LIMITED"])]

    [flush] = [m for m in written.logs(Level.INFO) if m.startswith("Keap: flushed")]
    assert flush.startswith("Keap: flushed 1 records (invoices: 1 created); ")
    assert f"; {keap.calls()} Keap calls so far, " in flush  # an API key: no token calls
    assert flush.endswith(" s waited for Keap's rate limits")
