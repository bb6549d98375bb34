"""Benchmark of source-keap: reading 50,000 orders with their payments (sync mode 2).

The sandbox runs in this process, on loopback, seeded with a deterministic Keap account of
50,000 one-time orders (plus the orders of a few subscriptions), 5,000 contacts and their
payments, refunds and voids. `source-keap read` runs as a subprocess (its peak memory is its own,
see `peak_memory`) with OAuth and the catalog of sync mode 2: `invoices` on `updated_at` and
`payments`. Keap's real rate limits apply (1,500 calls a minute per OAuth client).

From the beginning by default; `BENCH_START_DAYS=90` starts from the invoice date 90 days
before the account's last day instead (the orders dated since, in the account's time zone).

Prints its section of RESULTS.md: Keap calls (contacts, payments and the token included) per
invoice, records per second, peak memory and wall time, and the calls by endpoint.

    .venv/bin/python benchmarks/source_keap.py [--smoke]
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from options import parser
from peak_memory import PeakMemory

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

SECTION = "source-keap: 50,000 orders with their payments"

ORDERS = int(os.environ.get("BENCH_ORDERS", "50000"))
START_DAYS = os.environ.get("BENCH_START_DAYS")
CONTACTS = 5_000
SMOKE_ORDERS, SMOKE_CONTACTS = 200, 20
TARGET_CALLS_PER_INVOICE = 0.005
CONNECTOR = Path(sys.executable).with_name("source-keap")
# The catalog of sync mode 2: `invoices` on `updated_at`, and `payments`.
CATALOG = (
    Path(__file__).parents[1] / "destination-xero" / "integration_tests" / "configured_catalog.json"
)


def start_from(seeded: dict) -> dict:
    """From the beginning, or from the invoice date `START_DAYS` before the account's end."""
    if START_DAYS is None:
        return {"start_type": "beginning"}
    day = dt.date.fromisoformat(seeded["end"][:10]) - dt.timedelta(days=int(START_DAYS))
    return {"start_type": "invoice_date", "invoice_date": day.isoformat()}


def config(sandbox: Sandbox, url: str, start: dict) -> dict:
    return {
        "credentials": sandbox.keap.connector_credentials(),
        "start_from": start,
        "api_url": url,
    }


def read(config_path: Path, catalog_path: Path) -> tuple[collections.Counter, float, float, int]:
    """Runs `source-keap read`; returns records per stream, wall seconds, peak RSS in MiB and
    the exit code."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 (our own console script, loopback only)
        [str(CONNECTOR), "read", "--config", str(config_path), "--catalog", str(catalog_path)],
        stdout=subprocess.PIPE,
    )
    memory = PeakMemory(process.pid)
    records: collections.Counter = collections.Counter()
    for line in process.stdout or ():
        if line.startswith(b'{"type":"RECORD"'):
            records[json.loads(line)["record"]["stream"]] += 1
    process.wait()
    elapsed = time.perf_counter() - started
    return records, elapsed, memory.stop(), process.returncode


def main(argv: list[str]) -> int:
    smoke = parser(__doc__).parse_args(argv).smoke
    orders, contacts = (SMOKE_ORDERS, SMOKE_CONTACTS) if smoke else (ORDERS, CONTACTS)
    sandbox = Sandbox()
    with SandboxServer(sandbox) as server, tempfile.TemporaryDirectory() as work:
        seeded = sandbox.seed(keap={"orders": orders, "contacts": contacts})["keap"]
        config_path = Path(work, "config.json")
        start = start_from(seeded)
        config_path.write_text(json.dumps(config(sandbox, server.url, start)))
        sandbox.stats.reset()

        records, seconds, peak_mib, code = read(config_path, CATALOG)
        snapshot = sandbox.stats.snapshot()

    if code != 0:
        print(f"source-keap read failed with exit code {code}", file=sys.stderr)
        return 1
    invoices, payments = records["invoices"], records["payments"]
    calls = snapshot["by_api"].get("keap", 0)
    account = f"{seeded['orders']:,} orders, {contacts:,} contacts, {seeded['payments']:,} payments"
    per_invoice = calls / invoices
    verdict = "met" if per_invoice <= TARGET_CALLS_PER_INVOICE else "missed"
    print(
        "`source-keap read` with OAuth and the catalog of sync mode 2 (`invoices` on "
        "`updated_at`, and `payments`), under Keap's real limits (1,500 calls a minute per OAuth "
        f"client). Target: at most {TARGET_CALLS_PER_INVOICE} Keap calls per invoice, contacts "
        f"included: **{per_invoice:.4f}, {verdict}**.\n"
    )
    print(f"Account: {account}; start point: {json.dumps(start)}\n")
    print("| figure | value |")
    print("| --- | --- |")
    print(f"| invoices read | {invoices:,} |")
    print(f"| payments read | {payments:,} |")
    print(f"| Keap calls (token, contacts and payments included) | {calls:,} |")
    print(f"| Keap calls per invoice | {calls / invoices:.4f} |")
    print(f"| records per second | {(invoices + payments) / seconds:,.0f} |")
    print(f"| peak memory (RSS of source-keap) | {peak_mib:,.0f} MiB |")
    print(f"| wall time | {seconds:,.1f} s |")
    print("\n| Keap endpoint | calls |")
    print("| --- | --- |")
    for endpoint, count in snapshot["by_endpoint"].items():
        if endpoint.startswith("keap "):
            print(f"| `{endpoint.removeprefix('keap ')}` | {count} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
