"""Benchmark of destination-xero: 10,000 invoices, 10,000 payments, 2,000 contacts.

`destination-xero write` runs as a subprocess (its peak memory is its own, see `peak_memory`)
against an in-process sandbox on loopback, three times:

1. rate limits off, on a fresh organisation: Xero calls, calls per record, records per second;
2. the same records again on the organisation run 1 left: what a rerun costs (look-ups only);
3. Xero's real limits (60 calls a minute, 5 in flight), on a sandbox clock running faster than
   real time: wall time as the sandbox clock measured it, i.e. as long as it would take Xero.

Records come as a source sends them: the invoices, then the payments, with a state message
every 1,000 records. Prints a markdown table.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from destination_runs import Destination, Run, record_message, state_message
from destination_xero_records import invoices_and_payments

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

INVOICES = 10_000
CONTACTS = 2_000
STATE_EVERY = 1_000
# Sandbox seconds per real second in the rate-limited run. The connector's own work counts
# this many times over on the sandbox clock, so it is kept low: Xero's limit (60 calls a
# minute) is what should set the pace.
CLOCK_SPEED = 4.0
CONNECTOR = Path(sys.executable).with_name("destination-xero")
CATALOG = Path(__file__).parents[1] / "destination-xero/integration_tests/configured_catalog.json"
write = Destination("xero", CONNECTOR, CATALOG).write


def messages(path: Path) -> int:
    """Write the input of `write` to `path`; returns the number of records."""
    pairs = list(invoices_and_payments(INVOICES, CONTACTS))
    count = 0
    with path.open("w") as out:
        for stream, records in (
            ("invoices", [i for i, _ in pairs]),
            ("payments", [p for _, p in pairs]),
        ):
            for n, record in enumerate(records, 1):
                out.write(json.dumps(record_message(stream, record)) + "\n")
                count += 1
                if n % STATE_EVERY == 0 or n == len(records):
                    out.write(json.dumps(state_message(stream, record["updated_at"])) + "\n")
    return count


def destination_config(sandbox: Sandbox) -> dict[str, Any]:
    """The sandbox's custom connection and the demo company's accounts."""
    credentials = sandbox.xero.credentials()["custom_connection"]
    return {
        "credentials": {
            "auth_type": "custom_connection",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        },
        "invoices": {
            "sales_account_code": "200",
            "shipping_account_code": "210",
            "tax": {"mode": "source_tax_lines", "tax_account_code": "820"},
        },
        "payments": {"account_code": "090"},
        "advanced": {"api_base_url": sandbox.url, "identity_base_url": sandbox.url},
    }


def organisation_counts(sandbox: Sandbox) -> dict[str, int]:
    return sandbox.xero.ledger(sandbox.xero.default_ledger_id).counts()


def main() -> int:
    records = 0
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp, SandboxServer() as server:
        work = Path(tmp)
        input_path = work / "input.jsonl"
        records = messages(input_path)
        sandbox = server.sandbox

        sandbox.reset()
        sandbox.xero.limits.enabled = False
        runs.append(
            write(sandbox, destination_config(sandbox), input_path, work, "fresh, limits off")
        )
        counts = organisation_counts(sandbox)
        runs.append(
            write(sandbox, destination_config(sandbox), input_path, work, "rerun, limits off")
        )
        if organisation_counts(sandbox) != counts:
            raise SystemExit("the rerun changed the organisation")

        sandbox.reset()
        sandbox.clock.set_speed(CLOCK_SPEED)
        runs.append(
            write(sandbox, destination_config(sandbox), input_path, work, "fresh, real limits")
        )

    print(
        f"{records:,} records ({INVOICES:,} invoices and their payments, {CONTACTS:,} contacts); "
        f"Xero then holds {counts}.\n"
    )
    print(
        "| run | Xero calls | of which 429 | calls/record | records/s (real) "
        "| wall time (sandbox clock) | peak RSS |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for run in runs:
        print(
            f"| {run.name} | {run.calls:,} | {run.calls_429} | {run.calls / records:.4f} | "
            f"{records / run.real_seconds:,.0f} | {run.sandbox_seconds / 60:.1f} min | "
            f"{run.peak_rss_mib:.0f} MiB |"
        )
    print(
        f"\nThe rate-limited run took {runs[2].real_seconds:.0f} s of real time with the sandbox "
        f"clock at {CLOCK_SPEED:g}x; at 60 calls a minute, its "
        f"{runs[2].calls - runs[2].calls_429} accepted calls need at least "
        f"{(runs[2].calls - runs[2].calls_429) / 60:.1f} min.\n"
    )
    print("| endpoint | " + " | ".join(run.name for run in runs) + " |")
    print("| --- |" + " ---: |" * len(runs))
    endpoints = sorted({endpoint for run in runs for endpoint in run.by_endpoint})
    for endpoint in endpoints:
        counts = " | ".join(str(run.by_endpoint.get(endpoint, 0)) for run in runs)
        print(f"| `{endpoint.removeprefix('xero ')}` | {counts} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
