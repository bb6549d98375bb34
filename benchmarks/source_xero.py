"""Benchmark of source-xero: 50,000 sales invoices with their payments and contacts.

The sandbox runs in this process, on loopback, seeded with a deterministic Xero organisation:
5,000 contacts and 50,000 sales invoices (authorised, paid, voided), paid in full or in part,
their changes spaced a second apart on the sandbox clock as in a real organisation. Then:

1. `source-xero read` as a subprocess (its peak memory is its own, see `peak_memory`) with the
   OAuth2 app and every stream, from the beginning: Xero calls (the token included) per record,
   every record once, records per second, peak memory;
2. the same again with the state and the config (its rotated refresh token and access token)
   the first run handed back, nothing having changed: calls per stream;
3. in the same run, a reader with today's access pattern (Airbyte's source-xero 2.0.1): pages
   of 100 (its `page_size` is not a name Xero knows), no `If-Modified-Since`, every list read in
   full on every sync; our ratio to it.

Xero's rate limits are off, so that calls are counted, not waited for; at Xero's 60 calls a
minute and 5,000 a day each figure says how long a sync would take and how much of a day's
calls it spends. Prints markdown tables; exits non-zero if a record is missing or repeated.

    .venv/bin/python benchmarks/source_xero.py [--smoke]
    BENCH_INVOICES=300 BENCH_CONTACTS=30 .venv/bin/python benchmarks/source_xero.py
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from configs import xero_source
from options import parser
from peak_memory import PeakMemory

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

SECTION = "source-xero: 50,000 sales invoices with their payments and contacts"

INVOICES = int(os.environ.get("BENCH_INVOICES", "50000"))
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "5000"))
SMOKE_INVOICES, SMOKE_CONTACTS = 120, 12
STATUSES = {"AUTHORISED": 4, "PAID": 5, "VOIDED": 1}
TARGET_CALLS_PER_RECORD = 0.0011
TARGET_PEAK_MIB = 150
CONNECTOR = Path(sys.executable).with_name("source-xero")
CATALOG = (
    Path(__file__).parents[1] / "source-xero" / "integration_tests" / "configured_catalog.json"
)
KEYS = {"invoices": "source_id", "payments": "source_id", "contacts": "ContactID"}
RESOURCES = {"invoices": "Invoices", "payments": "Payments", "contacts": "Contacts"}


@dataclass
class Run:
    """One read: what it emitted, what it cost, and what it handed back."""

    name: str
    records: dict[str, list[str]] = field(default_factory=lambda: collections.defaultdict(list))
    states: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    calls: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    peak_mib: float = 0.0
    exit_code: int = 0

    @property
    def record_count(self) -> int:
        return sum(len(ids) for ids in self.records.values())

    @property
    def call_count(self) -> int:
        return sum(self.calls.values())


def read(name: str, sandbox: Sandbox, work: Path, cfg: dict[str, Any], state: Any = None) -> Run:
    """`source-xero read` as a subprocess, its output read as it comes."""
    run = Run(name)
    config_path = Path(work, f"{name}-config.json")
    config_path.write_text(json.dumps(cfg))
    command = [str(CONNECTOR), "read", "--config", str(config_path), "--catalog", str(CATALOG)]
    if state is not None:
        state_path = Path(work, f"{name}-state.json")
        state_path.write_text(json.dumps(list(state.values())))
        command += ["--state", str(state_path)]
    sandbox.stats.reset()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE)  # noqa: S603 (our own script)
    memory = PeakMemory(process.pid)
    for line in process.stdout or ():
        if line.startswith(b'{"type":"RECORD"'):
            record = json.loads(line)["record"]
            run.records[record["stream"]].append(record["data"][KEYS[record["stream"]]])
        elif line.startswith(b'{"type":"STATE"'):
            state_message = json.loads(line)["state"]
            run.states[state_message["stream"]["stream_descriptor"]["name"]] = state_message
        elif line.startswith(b'{"type":"CONTROL"'):
            run.config = json.loads(line)["control"]["connectorConfig"]["config"]
    run.exit_code = process.wait()
    run.seconds = time.perf_counter() - started
    run.peak_mib = memory.stop()
    run.calls = calls_by_endpoint(sandbox)
    return run


def calls_by_endpoint(sandbox: Sandbox) -> dict[str, int]:
    return {
        key.removeprefix("xero "): count
        for key, count in sandbox.stats.snapshot()["by_endpoint"].items()
        if key.startswith("xero ")
    }


def todays_reader(sandbox: Sandbox, url: str) -> Run:
    """Today's access pattern, as Airbyte's source-xero 2.0.1 reads: a page of 100 at a time
    (it asks for `page_size=100`, which Xero does not know, so its default of 100 applies), no
    `If-Modified-Since`, to the end of every list on every sync, with a custom connection's
    token."""
    run = Run("today's reader")
    custom = sandbox.xero.credentials()["custom_connection"]
    sandbox.stats.reset()
    started = time.perf_counter()
    token = requests.post(
        f"{url}/connect/token",
        data={"grant_type": "client_credentials"},
        auth=(custom["client_id"], custom["client_secret"]),
        timeout=60,
    ).json()["access_token"]
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
    for stream, resource in RESOURCES.items():
        for item in _pages_of_100(session, f"{url}/api.xro/2.0/{resource}", resource):
            if stream == "invoices" and item.get("Type") != "ACCREC":
                continue
            key = {"invoices": "InvoiceID", "payments": "PaymentID", "contacts": "ContactID"}
            run.records[stream].append(item[key[stream]])
    run.seconds = time.perf_counter() - started
    run.calls = calls_by_endpoint(sandbox)
    return run


def _pages_of_100(session: requests.Session, url: str, key: str) -> Iterator[dict[str, Any]]:
    page = 1
    while True:
        answer = session.get(url, params={"page": page, "page_size": 100}, timeout=120)
        answer.raise_for_status()
        items = answer.json()[key]
        yield from items
        if len(items) < 100:
            return
        page += 1


def expected(sandbox: Sandbox) -> dict[str, set[str]]:
    """What the organisation holds: every sales invoice, payment and contact."""
    ledger = sandbox.xero.ledger(sandbox.xero.default_ledger_id)
    return {
        "invoices": {i.invoice_id for i in ledger.invoices.values() if i.type == "ACCREC"},
        "payments": set(ledger.payments),
        "contacts": set(ledger.contacts),
    }


def once_each(run: Run, wanted: dict[str, set[str]]) -> list[str]:
    """What is wrong with the records of a run that should have emitted each record once."""
    problems = []
    for stream, ids in wanted.items():
        got = run.records.get(stream, [])
        if len(got) != len(set(got)):
            problems.append(f"{stream}: {len(got) - len(set(got))} emitted twice")
        if set(got) != ids:
            problems.append(f"{stream}: {len(ids - set(got))} missing, {len(set(got) - ids)} extra")
    return problems


def per_stream(run: Run) -> dict[str, int]:
    return {s: run.calls.get(f"GET /api.xro/2.0/{r}", 0) for s, r in RESOURCES.items()}


def main(argv: list[str]) -> int:
    smoke = parser(__doc__).parse_args(argv).smoke
    invoices, contacts = (SMOKE_INVOICES, SMOKE_CONTACTS) if smoke else (INVOICES, CONTACTS)
    sandbox = Sandbox()
    sandbox.clock.freeze()
    with SandboxServer(sandbox) as server, tempfile.TemporaryDirectory() as work:
        seeded = sandbox.seed(
            xero={
                "contacts": contacts,
                "invoices": invoices,
                "payments": invoices // 5,  # part payments
                "statuses": STATUSES,
                "spacing": 1,
            }
        )["xero"]["tenants"][sandbox.xero.default_ledger_id]
        sandbox.clock.set_speed(1)
        sandbox.xero.limits.enabled = False
        wanted = expected(sandbox)
        ours = read("full", sandbox, Path(work), xero_source(sandbox))
        again = read("no change", sandbox, Path(work), ours.config or {}, ours.states)
        today = todays_reader(sandbox, server.url)

    failures = [f"source-xero read exited with {r.exit_code}" for r in (ours, again) if r.exit_code]
    failures += once_each(ours, wanted)
    failures += [f"today's reader: {p}" for p in once_each(today, wanted)]
    if again.record_count:
        failures.append(f"the sync where nothing changed emitted {again.record_count} records")
    report(seeded, ours, again, today)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


def report(seeded: dict[str, Any], ours: Run, again: Run, today: Run) -> None:
    invoices = sum(seeded["invoices"].values())
    print(
        f"Organisation: {invoices:,} sales invoices ({_mix(seeded['invoices'])}), "
        f"{seeded['payments']:,} payments, {seeded['contacts']:,} contacts\n"
    )
    ratio = ours.call_count / ours.record_count
    print("| figure | source-xero | today's reader | target |")
    print("| --- | ---: | ---: | --- |")
    print(
        f"| records read (invoices, payments, contacts) | {ours.record_count:,} "
        f"| {today.record_count:,} | each once |"
    )
    print(
        f"| Xero calls, full read (token included) | {ours.call_count:,} | {today.call_count:,} | |"
    )
    print(
        f"| Xero calls per record | {ratio:.5f} | {today.call_count / today.record_count:.5f} "
        f"| ≤ {TARGET_CALLS_PER_RECORD} ({_met(ratio <= TARGET_CALLS_PER_RECORD)}) |"
    )
    print(f"| today's reader's calls / ours | {today.call_count / ours.call_count:.1f}x | 1x | |")
    calm = per_stream(again)
    print(
        f"| Xero calls, sync where nothing changed | {again.call_count} "
        f"({', '.join(f'{s} {n}' for s, n in calm.items())}) | {today.call_count:,} "
        f"| ≤ 1 per stream ({_met(max(calm.values()) <= 1)}) |"
    )
    print(
        f"| time at Xero's 60 calls a minute, full read | {ours.call_count / 60:.1f} min "
        f"| {today.call_count / 60:.1f} min | |"
    )
    print(
        f"| share of a day's 5,000 calls, full read | {ours.call_count / 50:.1f} % "
        f"| {today.call_count / 50:.1f} % | |"
    )
    print(f"| records per second (limits off) | {ours.record_count / ours.seconds:,.0f} | | |")
    print(
        f"| peak memory (RSS of source-xero) | {ours.peak_mib:,.0f} MiB | "
        f"| ≤ {TARGET_PEAK_MIB} MiB ({_met(ours.peak_mib <= TARGET_PEAK_MIB)}) |"
    )
    print(f"| wall time, full read | {ours.seconds:,.1f} s | {today.seconds:,.1f} s | |")
    print("\n| endpoint | full read | nothing changed | today's reader |")
    print("| --- | ---: | ---: | ---: |")
    for endpoint in sorted(set(ours.calls) | set(again.calls) | set(today.calls)):
        print(
            f"| `{endpoint}` | {ours.calls.get(endpoint, 0)} | {again.calls.get(endpoint, 0)} "
            f"| {today.calls.get(endpoint, 0)} |"
        )


def _mix(statuses: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {status.lower()}" for status, count in statuses.items())


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
