"""Benchmark of source-keap: reading 50,000 orders with their payments (sync mode 2), from the
beginning and from an invoice date.

The sandbox runs in this process, on loopback, seeded with a deterministic Keap account of
50,000 one-time orders (plus the orders of a few subscriptions), 5,000 contacts and their
payments, refunds and voids. `source-keap read` runs as a subprocess (its peak memory is its own,
see `peak_memory`) with OAuth and the catalog of sync mode 2: `invoices` on `updated_at` and
`payments`. Keap's real rate limits apply (1,500 calls a minute per OAuth client).

Two first syncs of the same account, each with a refresh token of its own: from the beginning,
and from the invoice date 90 days before the account's last day (the orders dated since, in the
account's time zone, whenever created: about half of them).

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
from dataclasses import dataclass
from pathlib import Path

from options import parser
from peak_memory import PeakMemory

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

SECTION = "source-keap: 50,000 orders with their payments"

ORDERS = int(os.environ.get("BENCH_ORDERS", "50000"))
DATE_START_DAYS = 90
CONTACTS = 5_000
SMOKE_ORDERS, SMOKE_CONTACTS = 200, 20
TARGET_CALLS_PER_INVOICE = 0.005
CONNECTOR = Path(sys.executable).with_name("source-keap")
# The catalog of sync mode 2: `invoices` on `updated_at`, and `payments`.
CATALOG = (
    Path(__file__).parents[1] / "destination-xero" / "integration_tests" / "configured_catalog.json"
)


@dataclass
class Read:
    """One `source-keap read` from a start point: what it emitted and what it cost."""

    start: dict
    records: collections.Counter
    seconds: float
    peak_mib: float
    calls: collections.Counter  # Keap endpoint -> calls

    @property
    def invoices(self) -> int:
        return self.records["invoices"]

    @property
    def per_invoice(self) -> float:
        return sum(self.calls.values()) / self.invoices


def start_points(seeded: dict) -> list[dict]:
    """From the beginning, and from the invoice date `DATE_START_DAYS` before the account's end."""
    day = dt.date.fromisoformat(seeded["end"][:10]) - dt.timedelta(days=DATE_START_DAYS)
    return [
        {"start_type": "beginning"},
        {"start_type": "invoice_date", "invoice_date": day.isoformat()},
    ]


def config(url: str, credentials: dict, start: dict) -> dict:
    return {"credentials": credentials, "start_from": start, "api_url": url}


def read_from(sandbox: Sandbox, url: str, start: dict, work: str) -> Read | None:
    """A first sync from `start`, with a refresh token of its own; None when it failed."""
    credentials = sandbox.keap.connector_credentials()
    credentials["refresh_token"] = sandbox.keap.auth.mint_refresh_token().value
    config_path = Path(work, "config.json")
    config_path.write_text(json.dumps(config(url, credentials, start)))
    sandbox.stats.reset()
    records, seconds, peak_mib, code = read(config_path, CATALOG)
    if code != 0:
        print(f"source-keap read from {start} failed with exit code {code}", file=sys.stderr)
        return None
    calls = collections.Counter(
        {
            endpoint.removeprefix("keap "): count
            for endpoint, count in sandbox.stats.snapshot()["by_endpoint"].items()
            if endpoint.startswith("keap ")
        }
    )
    return Read(start, records, seconds, peak_mib, calls)


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
    reads: list[Read] = []
    with SandboxServer(sandbox) as server, tempfile.TemporaryDirectory() as work:
        seeded = sandbox.seed(keap={"orders": orders, "contacts": contacts})["keap"]
        for start in start_points(seeded):
            done = read_from(sandbox, server.url, start, work)
            if done is None:
                return 1
            reads.append(done)

    account = f"{seeded['orders']:,} orders, {contacts:,} contacts, {seeded['payments']:,} payments"
    beginning, dated = reads
    day = dated.start["invoice_date"]
    verdicts = "; ".join(
        f"{name} **{r.per_invoice:.4f}, "
        f"{'met' if r.per_invoice <= TARGET_CALLS_PER_INVOICE else 'missed'}**"
        for name, r in (("from the beginning", beginning), (f"from {day}", dated))
    )
    print(
        "`source-keap read` with OAuth and the catalog of sync mode 2 (`invoices` on "
        "`updated_at`, and `payments`), under Keap's real limits (1,500 calls a minute per OAuth "
        "client): two first syncs of the same account, from the beginning and from the invoice "
        f"date {DATE_START_DAYS} days before its last day ({day}: the orders dated since in the "
        "account's time zone, New York, whenever created). Target: at most "
        f"{TARGET_CALLS_PER_INVOICE} Keap calls per invoice, contacts included: {verdicts}.\n"
    )
    print(f"Account: {account}.\n")
    print(f"| figure | from the beginning | from {day} |")
    print("| --- | ---: | ---: |")
    rows = {
        "invoices read": lambda r: f"{r.invoices:,}",
        "payments read": lambda r: f"{r.records['payments']:,}",
        "Keap calls (token, contacts and payments included)": lambda r: (
            f"{sum(r.calls.values()):,}"
        ),
        "Keap calls per invoice": lambda r: f"{r.per_invoice:.4f}",
        "records per second": lambda r: f"{(r.invoices + r.records['payments']) / r.seconds:,.0f}",
        "peak memory (RSS of source-keap)": lambda r: f"{r.peak_mib:,.0f} MiB",
        "wall time": lambda r: f"{r.seconds:,.1f} s",
    }
    for name, value in rows.items():
        print(f"| {name} | {value(beginning)} | {value(dated)} |")
    print(f"\n| Keap endpoint | from the beginning | from {day} |")
    print("| --- | ---: | ---: |")
    for endpoint in sorted(beginning.calls.keys() | dated.calls.keys()):
        print(f"| `{endpoint}` | {beginning.calls[endpoint]} | {dated.calls[endpoint]} |")
    print(
        "\nPer stream, the orders are listed a page of 1,000 at a time (from an invoice date, "
        "after one call for the orders created before the day and dated on or after it, which "
        "`payments` takes as `invoices` was given it); each page's payments are looked up once, "
        "by `invoices`, which keeps them for `payments`. Contacts are looked up by ID for each "
        "page, and the whole contact list read a page further for every such call, until it "
        "ends: then none is looked up again."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
