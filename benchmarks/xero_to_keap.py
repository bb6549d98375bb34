"""Xero → Keap end to end, and the next sync when nothing was raised in Xero.

A fresh in-process sandbox is seeded with a Xero organisation of sales invoices (authorised and
paid, some paid in part) and an empty Keap account; then the direction runs as the platform runs
it: `source-xero read | destination-keap write`, two subprocesses joined by an OS pipe (a `tee`
keeps a copy of what the source sent), with the catalog invoice-sync uses for this direction
(invoices only), Xero's OAuth app and Keap's OAuth client, limits off so that calls are counted,
not waited for:

1. **first sync**, from the beginning: every invoice becomes one Keap order, matching to the
   cent (checked);
2. **next sync, nothing new**: from the state the destination echoed, with the configs each
   connector handed back (their rotated refresh tokens), as the next scheduled sync.

Target (issue "no-change syncs of each direction"): at most 1 call per stream, to each API.

    .venv/bin/python benchmarks/xero_to_keap.py [--invoices N] [--smoke]
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from configs import keap_destination, xero_source
from options import parser
from pipe import last_states, pipe

from invoice_model.money import from_minor_units
from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

SECTION = "Xero → Keap end to end: the next sync when nothing is new"

INVOICES, SMOKE_INVOICES = 1_000, 20
INVOICES_PER_CONTACT = 10
STATUSES = {"AUTHORISED": 1, "PAID": 1}
BIN = Path(sys.executable).parent
STREAMS = ("invoices",)  # what invoice-sync syncs in this direction
TARGET_CALLS_PER_STREAM = 1


@dataclass
class Sync:
    """One sync as the sandbox and the two processes saw it."""

    records: int
    calls: Counter[str]  # "xero GET /api.xro/2.0/Invoices" -> calls

    def count(self, api: str) -> int:
        return sum(n for endpoint, n in self.calls.items() if endpoint.startswith(f"{api} "))


class Direction:
    """source-xero → destination-keap on one sandbox, each connector's config as it last
    handed it back, the state as the destination last echoed it."""

    def __init__(self, sandbox: Sandbox, work: Path) -> None:
        self.sandbox = sandbox
        self.work = work
        self.configs = {"source": xero_source(sandbox), "destination": keap_destination(sandbox)}
        self.states: list[dict[str, Any]] = []
        self.catalog = work / "catalog.json"
        self.catalog.write_text(json.dumps(catalog()))

    def sync(self, name: str) -> Sync:
        for side, config in self.configs.items():
            (self.work / f"{side}.json").write_text(json.dumps(config))
        read = [str(BIN / "source-xero"), "read", "--config", str(self.work / "source.json")]
        read += ["--catalog", str(self.catalog)]
        if self.states:
            (self.work / "state.json").write_text(json.dumps(self.states))
            read += ["--state", str(self.work / "state.json")]
        write = [str(BIN / "destination-keap"), "write", "--config"]
        write += [str(self.work / "destination.json"), "--catalog", str(self.catalog)]
        sent, echoed = self.work / f"{name}-sent.jsonl", self.work / f"{name}-echoed.jsonl"
        self.sandbox.stats.reset()
        with echoed.open("wb") as output:
            codes = pipe(read, write, sent, output).wait()
        if codes != (0, 0, 0):
            tail = "\n".join(echoed.read_text().splitlines()[-5:])
            raise SystemExit(f"{name} failed (source, tee, destination: {codes}):\n{tail}")
        records = self._hand_back("source", sent)
        self._hand_back("destination", echoed)
        self.states = last_states(echoed)
        calls = Counter(self.sandbox.stats.snapshot()["by_endpoint"])
        return Sync(records=records, calls=calls)

    def _hand_back(self, side: str, output: Path) -> int:
        """The config a connector handed back (a CONTROL message), kept as the platform keeps
        it; the records among its messages."""
        records = 0
        for line in output.read_text().splitlines():
            records += line.startswith('{"type":"RECORD"')
            if line.startswith('{"type":"CONTROL"'):
                self.configs[side] = json.loads(line)["control"]["connectorConfig"]["config"]
        return records


def catalog() -> dict[str, Any]:
    """Invoices on `updated_at`, upserted by `source_id`, as invoice-sync configures both."""
    stream = {
        "name": "invoices",
        "json_schema": {},
        "supported_sync_modes": ["full_refresh", "incremental"],
        "source_defined_cursor": True,
        "default_cursor_field": ["updated_at"],
        "source_defined_primary_key": [["source_id"]],
    }
    configured = {
        "stream": stream,
        "sync_mode": "incremental",
        "cursor_field": ["updated_at"],
        "destination_sync_mode": "append_dedup",
        "primary_key": [["source_id"]],
    }
    return {"streams": [configured]}


def unmatched(sandbox: Sandbox) -> list[str]:
    """The Xero invoices that are not exactly one Keap order of the same total."""
    marker = str(sandbox.keap.account.xero_invoice_field.id)
    orders: dict[str, list[Decimal]] = {}
    for order in sandbox.dump("keap")["orders"]:
        for value in order["custom_fields"]:
            if value["id"] == marker and value["content"]:
                total = from_minor_units(order["total"]["amount"], order["total"]["currency_code"])
                orders.setdefault(value["content"], []).append(total)
    books = sandbox.xero.dump()["tenants"][sandbox.xero.default_ledger_id]
    return [
        invoice["InvoiceNumber"]
        for invoice in books["invoices"]
        if invoice["Type"] == "ACCREC"
        and orders.get(invoice["InvoiceID"]) != [Decimal(str(invoice["Total"]))]
    ]


def main(argv: list[str]) -> int:
    options = parser(__doc__)
    options.add_argument("--invoices", type=int, default=INVOICES)
    args = options.parse_args(argv)
    invoices = SMOKE_INVOICES if args.smoke else args.invoices
    contacts = max(1, invoices // INVOICES_PER_CONTACT)
    with SandboxServer() as server, tempfile.TemporaryDirectory() as work:
        sandbox = server.sandbox
        sandbox.reset()
        sandbox.seed(
            xero={
                "invoices": invoices,
                "contacts": contacts,
                "statuses": STATUSES,
                "payments": invoices // 5,
            }
        )
        sandbox.xero.limits.enabled = False
        sandbox.keap.limits.enabled = False
        direction = Direction(sandbox, Path(work))
        first = direction.sync("first sync")
        wrong = unmatched(sandbox)
        if wrong:
            raise SystemExit(
                f"{len(wrong)} Xero invoices not once in Keap to the cent: {wrong[:5]}"
            )
        again = direction.sync("next sync, nothing new")
    report(invoices, contacts, first, again)
    return 0 if met(again) or args.smoke else 1


def met(sync: Sync) -> bool:
    return not sync.records and all(
        sync.count(api) <= TARGET_CALLS_PER_STREAM * len(STREAMS) for api in ("xero", "keap")
    )


def report(invoices: int, contacts: int, first: Sync, again: Sync) -> None:
    print(
        f"A Xero organisation of {invoices:,} sales invoices (authorised and paid, a fifth paid in "
        f"part) over {contacts:,} contacts, into an empty Keap account; invoices only, as "
        "invoice-sync syncs this direction. The first sync writes each as one Keap order (checked "
        "to the cent); the next runs from the state the destination echoed and the configs both "
        "connectors handed back, nothing having changed in Xero.\n"
    )
    print("| sync | records | Xero calls | Keap calls |")
    print("| --- | ---: | ---: | ---: |")
    for name, sync in (("first", first), ("next, nothing new", again)):
        print(f"| {name} | {sync.records:,} | {sync.count('xero'):,} | {sync.count('keap'):,} |")
    verdict = "met" if met(again) else "missed"
    print(
        f"\nThe next sync, nothing new: Xero {again.count('xero')} call(s), Keap "
        f"{again.count('keap')}; target at most {TARGET_CALLS_PER_STREAM} call per stream to each "
        f"API ({len(STREAMS)} stream): **{verdict}**. source-xero asks Xero for what changed since "
        "its cursor (`If-Modified-Since`), one page when nothing did, with the access token it "
        "handed back; destination-keap signs in and reads the account only once a record comes, "
        "so a sync that brings none costs Keap nothing.\n"
    )
    print("| endpoint | first sync | next sync, nothing new |")
    print("| --- | ---: | ---: |")
    for endpoint in sorted(set(first.calls) | set(again.calls)):
        api, call = endpoint.split(" ", 1)
        print(
            f"| {api.capitalize()} `{call}` | {first.calls[endpoint]:,} "
            f"| {again.calls[endpoint]:,} |"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
