"""Keap → Xero end to end at 1,000, 10,000 and 100,000 orders, and a per-record integration.

For each size, a fresh in-process sandbox is seeded with a Keap account of that many one-time
orders (one contact per ten orders; payments, refunds and voids as the seeder makes them), and
sync mode 2 runs as the platform runs it: `source-keap read | destination-xero write`, two
subprocesses joined by an OS pipe (a `tee` keeps a copy of the records for the baseline), from
the beginning, on a fresh Xero organisation. Per size:

1. **limits off**: Keap and Xero calls, calls per record, records per second, peak memory of
   each connector (its own `VmHWM`, see `peak_memory`); Xero's books are then checked against
   Keap (every invoice once, every payment received once);
2. **no change**: the next sync, from the state the destination echoed: what a scheduled sync
   costs when nothing happened in Keap;
3. **Xero's real limits** (60 calls a minute, 5 in flight, 5,000 a day per organisation):
   the wall time they impose, computed from the calls of run 1, and where cheap (up to
   `RATE_LIMITED_UP_TO` orders) confirmed by a run with every limit on and the sandbox clock
   at `CLOCK_SPEED`x, timed on the sandbox clock;
4. **per-record baseline**: the same records written by `per_record_xero.py` to a fresh
   organisation (one invoice, one payment a call, a look-up per record).

    .venv/bin/python benchmarks/keap_to_xero.py [--sizes 1000,10000] [--out DIR] [--smoke]

Prints the section of RESULTS.md and writes `keap_to_xero.png` (calls, time and memory
against size) into DIR (default: this folder).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from configs import keap_source, xero_destination
from options import parser
from peak_memory import PeakMemory
from pipe import pipe

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

SECTION = "Keap → Xero end to end: 1,000 to 100,000 orders, against a per-record integration"

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CATALOG = HERE.parent / "destination-xero" / "integration_tests" / "configured_catalog.json"
SIZES = (1_000, 10_000, 100_000)
SMOKE_SIZES = (30,)
ORDERS_PER_CONTACT = 10
RATE_LIMITED_UP_TO = 10_000
CLOCK_SPEED = 4.0
# Xero's limits per app and organisation.
XERO_PER_MINUTE, XERO_PER_DAY, XERO_IN_FLIGHT = 60, 5_000, 5
# Targets at the largest size.
TARGET_CALLS_PER_RECORD = 0.025
TARGET_PEAK_MIB = 150
TARGET_NO_CHANGE_CALLS_PER_STREAM = 1
ACCOUNTING = "/api.xro/2.0/"
ORDER_LISTING = "keap GET /crm/rest/v2/orders"
INVOICE_LOOK_UPS = "xero GET /api.xro/2.0/Invoices"
STREAMS = 2


@dataclass
class Sync:
    """One sync, as the sandbox and the two processes saw it."""

    seconds: float
    sandbox_seconds: float
    records: Counter[str]
    received: int  # payments emitted as completed
    calls: dict[str, int]  # "keap GET /crm/rest/v2/orders" -> calls
    refused: int  # Xero 429s
    source_mib: float
    destination_mib: float
    states: list[dict[str, Any]]  # the last state the destination echoed, per stream

    def count(self, api: str, prefix: str = "") -> int:
        return sum(
            n
            for endpoint, n in self.calls.items()
            if endpoint.startswith(f"{api} ") and endpoint.split(" ", 2)[2].startswith(prefix)
        )

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def xero_accounting_calls(self) -> int:
        """The calls Xero's rate limits count (the identity service's token calls are not)."""
        return self.count("xero", ACCOUNTING)


@dataclass
class Size:
    orders: int
    account: dict[str, Any]
    fresh: Sync
    no_change: Sync
    limited: Sync | None
    baseline_calls: int
    baseline_by_endpoint: dict[str, int]
    baseline_outcomes: dict[str, int]
    baseline_seconds: float
    contacts: int
    books: dict[str, int]
    load: tuple[float, float]  # 1-minute load average before and after


class Pipeline:
    """`source-keap read | tee | destination-xero write` against one sandbox, joined by OS pipes
    (not relayed through this process, as the acceptance tests' pipeline is: the benchmark's
    own Python stays out of the data path it times)."""

    def __init__(self, sandbox: Sandbox, work: Path) -> None:
        self.sandbox = sandbox
        self.work = work
        work.mkdir(parents=True)
        self.source_config = work / "source.json"
        self.source_config.write_text(json.dumps(keap_source(sandbox)))
        self.destination_config = work / "destination.json"
        self.destination_config.write_text(json.dumps(xero_destination(sandbox)))
        self.runs = 0

    def sync(self, state: list[dict[str, Any]] | None = None) -> tuple[Sync, Path]:
        """One sync; returns its figures and the file holding the source's messages."""
        self.runs += 1
        read = [str(BIN / "source-keap"), "read", "--config", str(self.source_config)]
        read += ["--catalog", str(CATALOG)]
        if state is not None:
            state_path = self.work / f"state-{self.runs}.json"
            state_path.write_text(json.dumps(state))
            read += ["--state", str(state_path)]
        write = [str(BIN / "destination-xero"), "write", "--config", str(self.destination_config)]
        write += ["--catalog", str(CATALOG)]
        copy = self.work / f"source-{self.runs}.jsonl"
        echoed = self.work / f"destination-{self.runs}.jsonl"
        self.sandbox.stats.reset()
        sandbox_started = self.sandbox.clock.now()
        started = time.perf_counter()
        with echoed.open("wb") as output:
            sync = pipe(read, write, copy, output)
            source_memory = PeakMemory(sync.source.pid)
            destination_memory = PeakMemory(sync.destination.pid)
            codes = sync.wait()
        seconds = time.perf_counter() - started
        sandbox_seconds = (self.sandbox.clock.now() - sandbox_started).total_seconds()
        if codes != (0, 0, 0):
            tail = "\n".join(echoed.read_text().splitlines()[-5:])
            raise SystemExit(
                f"sync {self.runs} failed (source, tee, destination: {codes}):\n{tail}"
            )
        records, received = self._read_copy(copy)
        snapshot = self.sandbox.stats.snapshot()
        return (
            Sync(
                seconds=seconds,
                sandbox_seconds=sandbox_seconds,
                records=records,
                received=received,
                calls=dict(snapshot["by_endpoint"]),
                refused=self.sandbox.stats.count("xero", status=429),
                source_mib=source_memory.stop(),
                destination_mib=destination_memory.stop(),
                states=_last_states(echoed),
            ),
            copy,
        )

    def _read_copy(self, messages: Path) -> tuple[Counter[str], int]:
        """The records per stream and the payments received among them; the refresh token
        Keap rotated is kept, as the platform keeps the source's CONNECTOR_CONFIG message."""
        records: Counter[str] = Counter()
        received = 0
        with messages.open("rb") as lines:
            for line in lines:
                if line.startswith(b'{"type":"RECORD"'):
                    start = line.index(b'"stream":"') + len(b'"stream":"')
                    records[line[start : line.index(b'"', start)].decode()] += 1
                    received += b'"status":"completed"' in line
                elif line.startswith(b'{"type":"CONTROL"'):
                    config = json.loads(line)["control"]["connectorConfig"]["config"]
                    self.source_config.write_text(json.dumps(config))
        return records, received


def _last_states(echoed: Path) -> list[dict[str, Any]]:
    last: dict[str, dict[str, Any]] = {}
    for line in echoed.read_text().splitlines():
        message = json.loads(line)
        if message["type"] == "STATE":
            state = message["state"]
            state.pop("destinationStats", None)
            last[state["stream"]["stream_descriptor"]["name"]] = state
    return list(last.values())


def at_rest_mib(connector: str) -> float:
    """A connector's peak memory answering `spec`: what it takes before any record."""
    process = subprocess.Popen([str(BIN / connector), "spec"], stdout=subprocess.DEVNULL)  # noqa: S603
    memory = PeakMemory(process.pid)
    process.wait()
    return memory.stop()


def fresh_sandbox(server: SandboxServer, orders: int) -> dict[str, Any]:
    sandbox = server.sandbox
    sandbox.reset()
    return sandbox.seed(keap={"orders": orders, "contacts": contacts_for(orders)})["keap"]


def contacts_for(orders: int) -> int:
    return max(5, orders // ORDERS_PER_CONTACT)


def limits_off(sandbox: Sandbox) -> None:
    sandbox.xero.limits.enabled = False
    sandbox.keap.limits.enabled = False


def check_books(sandbox: Sandbox, sync: Sync) -> dict[str, int]:
    """Xero holds every Keap invoice once, and one payment per payment received."""
    ledger = sandbox.xero.ledger(sandbox.xero.default_ledger_id)
    numbers = Counter(invoice.invoice_number for invoice in ledger.invoices.values())
    invoices = {order["invoice_id"] for order in sandbox.dump("keap")["orders"]}
    if set(numbers) != invoices or max(numbers.values(), default=1) != 1:
        raise SystemExit("Xero does not hold every Keap invoice exactly once")
    counts = ledger.counts()
    if counts["payments"] != sync.received:
        raise SystemExit(f"{sync.received} payments received, {counts['payments']} in Xero")
    return counts


def baseline(sandbox: Sandbox, work: Path, records: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The per-record integration on a fresh organisation, limits off."""
    sandbox.xero.reset()
    limits_off(sandbox)
    config = work / "baseline.json"
    config.write_text(json.dumps(xero_destination(sandbox)))
    sandbox.stats.reset()
    answer = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, str(HERE / "per_record_xero.py"), str(records), str(config)],
        check=False,
        capture_output=True,
        text=True,
    )
    if answer.returncode != 0:
        raise SystemExit(f"the per-record client failed:\n{answer.stderr[-2000:]}")
    by_endpoint = {
        endpoint.removeprefix("xero "): n
        for endpoint, n in sandbox.stats.snapshot()["by_endpoint"].items()
        if endpoint.startswith("xero ")
    }
    return json.loads(answer.stdout), by_endpoint


def measure(server: SandboxServer, orders: int, work: Path) -> Size:
    load_before = os.getloadavg()[0]
    sandbox = server.sandbox
    account = fresh_sandbox(server, orders)
    limits_off(sandbox)
    pipeline = Pipeline(sandbox, work / "limits-off")
    fresh, records = pipeline.sync()
    books = check_books(sandbox, fresh)
    no_change, _ = pipeline.sync(fresh.states)

    limited = None
    if orders <= RATE_LIMITED_UP_TO:
        fresh_sandbox(server, orders)  # every limit on again
        sandbox.clock.set_speed(CLOCK_SPEED)
        limited, _ = Pipeline(sandbox, work / "limits-on").sync()
        sandbox.clock.set_speed(1.0)

    summary, by_endpoint = baseline(sandbox, work, records)
    return Size(
        orders=account["orders"],
        account=account,
        fresh=fresh,
        no_change=no_change,
        limited=limited,
        baseline_calls=sum(n for e, n in by_endpoint.items() if ACCOUNTING in e),
        baseline_by_endpoint=by_endpoint,
        baseline_outcomes=summary["outcomes"],
        baseline_seconds=summary["seconds"],
        contacts=contacts_for(orders),
        books=books,
        load=(load_before, os.getloadavg()[0]),
    )


# What Xero's limits make of a number of calls


def minutes_at_xero_pace(calls: int) -> float:
    """At 60 calls a minute (5 in flight is never the binding limit: it allows 60 calls a
    minute even at 5 seconds a call)."""
    return calls / XERO_PER_MINUTE


def xero_days(calls: int) -> int:
    return max(1, math.ceil(calls / XERO_PER_DAY))


def duration(minutes: float) -> str:
    if minutes < 1:
        return f"{minutes * 60:,.0f} s"
    if minutes < 90:
        return f"{minutes:,.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:,.1f} h"
    return f"{minutes / 60 / 24:,.0f} days"


# Report


def report(sizes: list[Size], at_rest: dict[str, float], plot_markdown: str) -> str:
    parts = [
        "Sync mode 2 (`invoices` on `updated_at`, and `payments`) from the beginning: "
        "`source-keap read | destination-xero write`, two subprocesses, into a fresh Xero "
        "organisation; Keap through OAuth; one Keap contact per ten orders. Records are what the "
        "source emitted: invoices, and payments (refunded and voided ones included).\n",
        _growth(sizes, at_rest),
        plot_markdown,
        _under_xero_limits(sizes),
        _against_per_record(sizes),
        _nothing_new(sizes),
        _by_endpoint(sizes[-1]),
        _accounts(sizes),
    ]
    return "\n".join(parts)


def _table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A Markdown table; `align` has a `:` for each right-aligned column (default: all)."""
    align = align or ":" * len(header)
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("| " + " | ".join("---:" if a == ":" else "---" for a in align) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _mib(value: float) -> str:
    return f"{value:,.0f} MiB"


def _growth(sizes: list[Size], at_rest: dict[str, float]) -> str:
    rows = [
        [
            f"{s.orders:,}",
            f"{s.fresh.total_records:,}",
            f"{s.fresh.count('keap'):,}",
            f"{s.fresh.xero_accounting_calls:,}",
            f"{s.fresh.xero_accounting_calls / s.fresh.total_records:.4f}",
            f"{s.fresh.total_records / s.fresh.seconds:,.0f}",
            f"{s.fresh.seconds:,.1f} s",
            _mib(s.fresh.source_mib),
            _mib(s.fresh.destination_mib),
        ]
        for s in sizes
    ]
    header = ["orders", "records", "Keap calls", "Xero calls", "Xero calls per record"]
    header += ["records/s", "wall time", "peak RSS source-keap", "peak RSS destination-xero"]
    largest = sizes[-1].fresh
    per_record = largest.xero_accounting_calls / largest.total_records
    peak = max(largest.source_mib, largest.destination_mib)
    return (
        "### Calls, speed and memory, limits off\n\n"
        + _table(header, rows)
        + "\nXero calls are those its rate limits count (under `/api.xro/2.0`); each sync also "
        "gets one token from Xero's identity service. Keap calls include its token and the "
        "look-ups of contacts and payments.\n\n"
        f"Targets at {sizes[-1].orders:,} orders: at most {TARGET_CALLS_PER_RECORD} Xero calls "
        f"per record, **{per_record:.4f}: {_verdict(per_record <= TARGET_CALLS_PER_RECORD)}**; "
        f"at most {TARGET_PEAK_MIB} MiB per process, **{peak:,.1f} MiB: "
        f"{_verdict(peak <= TARGET_PEAK_MIB)}**.\n"
        + _memory_growth(sizes, at_rest)
        + _why_calls(sizes[-1], per_record)
        + _why_memory(peak)
    )


def _memory_growth(sizes: list[Size], at_rest: dict[str, float]) -> str:
    """How the peaks grow from the smallest size to the largest (flat is the aim), and what
    each connector takes before any record."""
    small, large = sizes[0], sizes[-1]
    growth = (
        f"From {small.orders:,} to {large.orders:,} orders the peaks grow from "
        f"{small.fresh.source_mib:,.0f} to {large.fresh.source_mib:,.0f} MiB (source-keap) and "
        f"from {small.fresh.destination_mib:,.0f} to {large.fresh.destination_mib:,.0f} MiB "
        "(destination-xero). "
        if len(sizes) > 1
        else ""
    )
    rest = " and ".join(f"{mib:,.0f} MiB ({name})" for name, mib in at_rest.items())
    return (
        f"\n{growth}Answering `spec`, before any record, they take {rest}: the Python runtime "
        "and the libraries they import (the CDK's).\n"
    )


def _why_calls(largest: Size, per_record: float) -> str:
    """Where the Xero calls beyond one per 50 elements go, when the target is missed."""
    if per_record <= TARGET_CALLS_PER_RECORD:
        return ""
    fresh = largest.fresh
    look_ups = fresh.calls.get(INVOICE_LOOK_UPS, 0)
    rest = fresh.xero_accounting_calls - look_ups
    return (
        f"\nWhy the calls are over: {look_ups:,} of the {fresh.xero_accounting_calls:,} are "
        "invoice look-ups (`GET /Invoices`, about 200 numbers a call; a fresh organisation "
        "should need none, see destination-xero's README, Performance). Without them the sync "
        f"takes {rest:,} calls, {rest / fresh.total_records:.4f} per record.\n"
    )


def _why_memory(peak: float) -> str:
    """Where to look, when the memory target is missed."""
    if peak <= TARGET_PEAK_MIB:
        return ""
    return (
        "\nWhy the memory is over: what each connector keeps for a whole sync is in its README "
        "(Memory).\n"
    )


def _verdict(met: bool) -> str:
    return "met" if met else "missed"


def _under_xero_limits(sizes: list[Size]) -> str:
    rows = []
    for s in sizes:
        calls = s.fresh.xero_accounting_calls
        confirmed = "not run (computed only)"
        if s.limited is not None:
            limited = s.limited
            confirmed = (
                f"{duration(limited.sandbox_seconds / 60)} for {limited.xero_accounting_calls:,} "
                f"calls, {limited.refused} refused (429); {limited.seconds:,.0f} s of real time "
                f"at {CLOCK_SPEED:g}x"
            )
        rows.append(
            [
                f"{s.orders:,}",
                f"{calls:,}",
                duration(minutes_at_xero_pace(calls)),
                f"{calls / XERO_PER_DAY:.0%}",
                "yes" if calls <= XERO_PER_DAY else f"no: {xero_days(calls)} days",
                confirmed,
            ]
        )
    header = ["orders", "Xero calls", "at 60 calls a minute", "of a day's 5,000"]
    header += ["in one Xero day", "on the sandbox clock, every limit on"]
    largest = sizes[-1]
    calls = largest.fresh.xero_accounting_calls
    fits = "fits in one Xero day" if calls <= XERO_PER_DAY else "does not fit in one Xero day"
    return (
        "### What Xero's real limits make of it\n\n"
        f"Xero allows an app {XERO_PER_MINUTE} calls a minute, {XERO_IN_FLIGHT} in flight and "
        f"{XERO_PER_DAY:,} a day per organisation. The minute limit sets the pace: "
        f"{XERO_IN_FLIGHT} in flight would allow {XERO_PER_MINUTE} a minute even at "
        f"{XERO_IN_FLIGHT * 60 // XERO_PER_MINUTE} s a call.\n\n"
        + _table(header, rows, "::::--")
        + f"\nA {largest.orders:,}-invoice backfill ({largest.fresh.total_records:,} records) "
        f"takes {calls:,} Xero calls: it **{fits}**, in "
        f"{duration(minutes_at_xero_pace(calls))} at Xero's pace.\n"
    )


def _against_per_record(sizes: list[Size]) -> str:
    rows = [
        [
            f"{s.orders:,}",
            f"{s.fresh.xero_accounting_calls:,}",
            f"{s.baseline_calls:,}",
            f"{s.baseline_calls / s.fresh.xero_accounting_calls:,.0f}x",
            f"{s.fresh.xero_accounting_calls / XERO_PER_DAY:.2f}",
            f"{s.baseline_calls / XERO_PER_DAY:,.1f}",
        ]
        for s in sizes
    ]
    header = ["orders", "Xero calls: ours", "per record", "ratio"]
    header += ["Xero days of quota: ours", "per record"]
    largest = sizes[-1]
    outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(largest.baseline_outcomes.items()))
    endpoints = [[f"`{e}`", f"{n:,}"] for e, n in sorted(largest.baseline_by_endpoint.items())]
    return (
        "### Against a per-record integration\n\n"
        "The same records, written to a fresh organisation of the same Xero emulator by "
        "`per_record_xero.py`, as per-record integrations do: for an invoice, find its contact "
        "by number (create it when missing), find the invoice by number, create it; for a "
        "payment received, find its invoice, create the payment. One element per call. Days of "
        "quota: calls over the 5,000 one organisation may make in a day.\n\n"
        + _table(header, rows)
        + f"\nThe per-record client at {largest.orders:,} orders: {outcomes} "
        f"({largest.baseline_seconds:,.0f} s, limits off).\n\n"
        + _table(["per-record endpoint", "calls"], endpoints, "-:")
    )


def _calls(n: int) -> str:
    return f"{n:,} call" if n == 1 else f"{n:,} calls"


def _nothing_new(sizes: list[Size]) -> str:
    rows = []
    for s in sizes:
        quiet = s.no_change
        listings = quiet.calls.get(ORDER_LISTING, 0)
        others = ", ".join(
            f"`{e.removeprefix('keap ')}` {n}"
            for e, n in sorted(quiet.calls.items())
            if e.startswith("keap ") and e != ORDER_LISTING
        )
        rows.append(
            [
                f"{s.orders:,}",
                f"{quiet.count('xero')}",
                f"{quiet.count('keap')}",
                f"{listings}",
                others,
            ]
        )
    header = ["orders", "Xero calls", "Keap calls", "of which listing orders", "the others"]
    quiet = sizes[-1].no_change
    xero, keap = quiet.count("xero"), quiet.count("keap")
    listings = quiet.calls.get(ORDER_LISTING, 0)
    target = TARGET_NO_CHANGE_CALLS_PER_STREAM * STREAMS
    return (
        "### The next sync, with nothing new in Keap\n\n"
        "From the state the destination echoed, as the next scheduled sync (target: at most "
        f"{TARGET_NO_CHANGE_CALLS_PER_STREAM} call per stream, {target} for the two).\n\n"
        + _table(header, rows, "::::-")
        + f"\nXero: **{_calls(xero)}: {_verdict(xero <= target)}** (destination-xero signs in "
        "only when a record arrives). Keap: "
        f"**{_calls(keap)}: {_verdict(keap <= target)}**. The orders changed since the last sync "
        f"are listed ({listings}: `payments` takes a single page `invoices` was given); each "
        "sync lists the orders of the last second read again (Keap's filters work to the "
        "second), and source-keap leaves out those it read before as they are, before looking "
        "anything up for them: no contacts, payments, business profile or custom-field model. "
        "With OAuth, a token is refreshed once a day (Keap's access tokens last 24 hours): one "
        "more call on that sync, to Keap's token endpoint. Keap allows 150,000 calls a day, so "
        f"these cost {keap * 48 / 150_000:.2%} of it at a sync every 30 minutes.\n"
    )


def _by_endpoint(largest: Size) -> str:
    endpoints = sorted(set(largest.fresh.calls) | set(largest.no_change.calls))
    rows = []
    for endpoint in endpoints:
        api, call = endpoint.split(" ", 1)
        fresh, quiet = (
            largest.fresh.calls.get(endpoint, 0),
            largest.no_change.calls.get(endpoint, 0),
        )
        rows.append([f"{api.capitalize()} `{call}`", f"{fresh:,}", f"{quiet:,}"])
    return f"### Calls by endpoint at {largest.orders:,} orders\n\n" + _table(
        ["endpoint", "first sync", "next sync, nothing new"], rows, "-::"
    )


def _accounts(sizes: list[Size]) -> str:
    rows = [
        [
            f"{s.orders:,}",
            f"{s.contacts:,}",
            f"{s.account['payments']:,}",
            f"{s.account['refunds']:,}, {s.account['voided_payments']:,}",
            ", ".join(f"{v:,} {k}" for k, v in s.books.items()),
            f"{s.load[0]:.2f} → {s.load[1]:.2f}",
        ]
        for s in sizes
    ]
    header = ["orders", "contacts", "payments", "refunds, voids", "Xero after the first sync"]
    header += ["load average (1 min) before → after"]
    return (
        "### Accounts, and how busy the machine was\n\n"
        + _table(header, rows, ":::---")
        + "\nEvery invoice was checked to be in Xero exactly once after the first sync.\n"
    )


def plot(sizes: list[Size], path: Path) -> str:
    """The growth of calls, time and memory with size, as a small PNG; returns the Markdown
    that shows it (or says why there is none)."""
    try:
        import matplotlib  # noqa: PLC0415 (a benchmark-only dependency, `make bench` installs it)

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return "(No plot: matplotlib is not installed; `make bench` installs it.)\n"
    records = [s.fresh.total_records for s in sizes]
    figure, (calls, speed, memory) = plt.subplots(1, 3, figsize=(10, 3.2), dpi=100)
    calls.loglog(records, [s.fresh.xero_accounting_calls for s in sizes], "o-", label="ours")
    calls.loglog(records, [s.baseline_calls for s in sizes], "s--", label="per record")
    calls.axhline(XERO_PER_DAY, color="grey", linewidth=0.8, linestyle=":")
    calls.text(records[0], XERO_PER_DAY * 1.15, "Xero's daily limit", fontsize=7, color="grey")
    calls.set_title("Xero calls", fontsize=9)
    calls.legend(fontsize=7)
    speed.loglog(records, [s.fresh.seconds / 60 for s in sizes], "o-", label="limits off")
    speed.loglog(
        records,
        [minutes_at_xero_pace(s.fresh.xero_accounting_calls) for s in sizes],
        "s--",
        label="at Xero's 60 calls a minute",
    )
    speed.set_title("wall time (min)", fontsize=9)
    speed.legend(fontsize=7)
    memory.semilogx(records, [s.fresh.source_mib for s in sizes], "o-", label="source-keap")
    memory.semilogx(
        records, [s.fresh.destination_mib for s in sizes], "s-", label="destination-xero"
    )
    memory.axhline(TARGET_PEAK_MIB, color="grey", linewidth=0.8, linestyle=":")
    memory.text(records[0], TARGET_PEAK_MIB * 1.03, "target", fontsize=7, color="grey")
    memory.set_ylim(0, TARGET_PEAK_MIB * 1.2)
    memory.set_title("peak RSS (MiB)", fontsize=9)
    memory.legend(fontsize=7)
    for axes in (calls, speed, memory):
        axes.set_xlabel("records", fontsize=8)
        axes.tick_params(labelsize=7)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return f"![Xero calls, wall time and peak memory against records]({path.name})\n"


def main(argv: list[str]) -> int:
    options = parser(__doc__)
    options.add_argument("--sizes", help="comma-separated numbers of orders (default 1000,...)")
    args = options.parse_args(argv)
    chosen = [int(n) for n in args.sizes.split(",")] if args.sizes else None
    sizes = []
    with SandboxServer() as server, tempfile.TemporaryDirectory() as tmp:
        for orders in chosen or (SMOKE_SIZES if args.smoke else SIZES):
            print(f"keap_to_xero: {orders:,} orders ...", file=sys.stderr, flush=True)
            sizes.append(measure(server, orders, Path(tmp, str(orders))))
    at_rest = {
        connector: at_rest_mib(connector) for connector in ("source-keap", "destination-xero")
    }
    args.out.mkdir(parents=True, exist_ok=True)
    print(report(sizes, at_rest, plot(sizes, args.out / "keap_to_xero.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
