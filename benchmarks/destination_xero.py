"""Benchmark of destination-xero: 10,000 invoices, 10,000 payments, 2,000 contacts.

`destination-xero write` runs as a subprocess (its peak memory is its own, see `peak_memory`)
against an in-process sandbox on loopback, three times:

1. rate limits off, on a fresh organisation: Xero calls, calls per record, records per second;
2. the same records again on the organisation run 1 left: what a rerun costs (look-ups only);
3. Xero's real limits (60 calls a minute, 5 in flight), on a sandbox clock running faster than
   real time: wall time as the sandbox clock measured it, i.e. as long as it would take Xero.

Records come as a source sends them: the invoices, then the payments, with a state message
every 1,000 records. Prints its section of RESULTS.md.

    .venv/bin/python benchmarks/destination_xero.py [--smoke]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from configs import xero_destination
from destination_runs import Destination, Run, record_message, state_message
from destination_xero_records import invoices_and_payments
from options import parser

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

SECTION = "destination-xero: 10,000 invoices, 10,000 payments, 2,000 contacts"

INVOICES, CONTACTS = 10_000, 2_000
SMOKE_INVOICES, SMOKE_CONTACTS = 60, 12
TARGET_CALLS_PER_RECORD = 0.025
STATE_EVERY = 1_000
# Sandbox seconds per real second in the rate-limited run. The connector's own work counts
# this many times over on the sandbox clock, so it is kept low: Xero's limit (60 calls a
# minute) is what should set the pace.
CLOCK_SPEED = 4.0
CONNECTOR = Path(sys.executable).with_name("destination-xero")
CATALOG = Path(__file__).parents[1] / "destination-xero/integration_tests/configured_catalog.json"
write = Destination("xero", CONNECTOR, CATALOG).write


def messages(path: Path, invoices: int, contacts: int) -> int:
    """Write the input of `write` to `path`; returns the number of records."""
    pairs = list(invoices_and_payments(invoices, contacts))
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


def organisation_counts(sandbox: Sandbox) -> dict[str, int]:
    return sandbox.xero.ledger(sandbox.xero.default_ledger_id).counts()


def main(argv: list[str]) -> int:
    smoke = parser(__doc__).parse_args(argv).smoke
    invoices, contacts = (SMOKE_INVOICES, SMOKE_CONTACTS) if smoke else (INVOICES, CONTACTS)
    records = 0
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp, SandboxServer() as server:
        work = Path(tmp)
        input_path = work / "input.jsonl"
        records = messages(input_path, invoices, contacts)
        sandbox = server.sandbox

        sandbox.reset()
        sandbox.xero.limits.enabled = False
        runs.append(
            write(sandbox, xero_destination(sandbox), input_path, work, "fresh, limits off")
        )
        counts = organisation_counts(sandbox)
        runs.append(
            write(sandbox, xero_destination(sandbox), input_path, work, "rerun, limits off")
        )
        if organisation_counts(sandbox) != counts:
            raise SystemExit("the rerun changed the organisation")

        sandbox.reset()
        sandbox.clock.set_speed(CLOCK_SPEED)
        runs.append(
            write(sandbox, xero_destination(sandbox), input_path, work, "fresh, real limits")
        )

    fresh = runs[0].calls / records
    print(
        "`destination-xero write` into a fresh sandbox organisation, then the same records "
        "again; then the fresh run under Xero's real limits (60 calls a minute, 5 in flight) "
        f"with the sandbox clock at {CLOCK_SPEED:g}x, wall time measured on the sandbox's clock. "
        f"Target: at most {TARGET_CALLS_PER_RECORD} calls per record on a fresh organisation: "
        f"**{fresh:.4f}, {'met' if fresh <= TARGET_CALLS_PER_RECORD else 'missed'}**.\n"
    )
    print(
        f"{records:,} records ({invoices:,} invoices and their payments, {contacts:,} contacts); "
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
    sys.exit(main(sys.argv[1:]))
