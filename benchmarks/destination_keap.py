"""Benchmark of destination-keap: 5,000 Xero invoices over 1,000 contacts into a fresh Keap account,
then the same records again.

`destination-keap write` runs as a subprocess (its peak memory is its own, see `peak_memory`)
with OAuth, against an in-process sandbox on loopback under Keap's real limits (25 calls a second,
1,500 a minute per OAuth client): Keap creates orders one per call, so what is measured is how
few calls come on top of them. Records come as a source sends them, a state message every 1,000.

Targets: at most 1.25 Keap calls per invoice on a fresh account (contacts and look-ups
included), and at most one call per 500 records when the same records come again.

`--invoices N --contacts M` runs it at another size (`--smoke`: a tiny one); the targets
are checked at the full size. Exits non-zero when the account does not hold each invoice once,
or a target is missed. Prints a markdown table.
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from configs import keap_destination
from destination_runs import Destination, Run, record_message, state_message
from destination_xero_records import invoices_and_payments
from options import parser

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

SECTION = "destination-keap: 5,000 Xero invoices over 1,000 contacts"

INVOICES = 5_000
CONTACTS = 1_000
SMOKE_INVOICES, SMOKE_CONTACTS = 40, 8
STATE_EVERY = 1_000
CALLS_PER_INVOICE = 1.25
RECORDS_PER_REPLAY_CALL = 500
CONNECTOR = Path(sys.executable).with_name("destination-keap")
CATALOG = Path(__file__).parents[1] / "destination-keap/integration_tests/configured_catalog.json"
write = Destination("keap", CONNECTOR, CATALOG).write


def xero_invoices(invoices: int, contacts: int) -> Iterator[dict[str, Any]]:
    """The destination-xero benchmark's invoices as Xero's: Xero IDs and numbers, open."""
    for invoice, _ in invoices_and_payments(invoices, contacts):
        n = int(invoice["source_id"]) - 100_000
        contact = dict(
            invoice["contact"], source_id=_uuid("contact", invoice["contact"]["source_id"])
        )
        yield {
            **invoice,
            "source": "xero",
            "source_id": _uuid("invoice", n),
            "source_invoice_id": None,
            "number": f"INV-{n:05d}",
            "status": "open",
            "contact": contact,
            "amount_paid": 0,
            "amount_due": invoice["total"],
            "paid_at": None,
        }


def _uuid(kind: str, n: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"xero:{kind}:{n}"))


def messages(path: Path, invoices: int, contacts: int) -> int:
    """Write the input of `write` to `path`; returns the number of records."""
    count = 0
    with path.open("w") as out:
        for count, record in enumerate(xero_invoices(invoices, contacts), 1):
            out.write(json.dumps(record_message("invoices", record)) + "\n")
            if count % STATE_EVERY == 0 or count == invoices:
                out.write(json.dumps(state_message("invoices", record["updated_at"])) + "\n")
    return count


def account_counts(sandbox: Sandbox) -> dict[str, int]:
    state = sandbox.dump("keap")
    return {"orders": len(state["orders"]), "contacts": len(state["contacts"])}


def main(argv: list[str]) -> int:
    options = parser(__doc__)
    options.add_argument("--invoices", type=int, default=INVOICES)
    options.add_argument("--contacts", type=int, default=CONTACTS)
    args = options.parse_args(argv)
    if args.smoke:
        args.invoices, args.contacts = SMOKE_INVOICES, SMOKE_CONTACTS
    with tempfile.TemporaryDirectory() as tmp, SandboxServer() as server:
        work = Path(tmp)
        input_path = work / "input.jsonl"
        records = messages(input_path, args.invoices, args.contacts)
        sandbox = server.sandbox
        sandbox.reset()
        fresh = write(sandbox, keap_destination(sandbox), input_path, work, "fresh account")
        counts = account_counts(sandbox)
        replay = write(sandbox, fresh.config, input_path, work, "the same records again")
        runs = [fresh, replay]
        if account_counts(sandbox) != counts or counts["orders"] != args.invoices:
            raise SystemExit(f"the account holds {account_counts(sandbox)} after {counts}")

    print(f"{records:,} invoices over {args.contacts:,} contacts; Keap then holds {counts}.\n")
    print(
        "| run | Keap calls | of which 429 | calls per invoice | records/s | wall time | peak RSS |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for run in runs:
        seconds = run.real_seconds
        print(
            f"| {run.name} | {run.calls:,} | {run.calls_429} | {run.calls / records:.4f} | "
            f"{records / seconds:,.0f} | {seconds:.0f} s | {run.peak_rss_mib:.0f} MiB |"
        )
    print("\n| endpoint | " + " | ".join(run.name for run in runs) + " |")
    print("| --- |" + " ---: |" * len(runs))
    for endpoint in sorted({e for run in runs for e in run.by_endpoint}):
        counted = " | ".join(str(run.by_endpoint.get(endpoint, 0)) for run in runs)
        print(f"| `{endpoint.removeprefix('keap ')}` | {counted} |")
    return _missed_targets(records, fresh, replay, full=args.invoices >= INVOICES)


def _missed_targets(records: int, fresh: Run, replay: Run, *, full: bool) -> int:
    """Non-zero when a target is missed (checked at the full size, where they are set)."""
    fresh_target = records * CALLS_PER_INVOICE
    replay_target = records / RECORDS_PER_REPLAY_CALL
    missed = [
        f"{name}: {run.calls} calls, target at most {target:g}"
        for name, run, target in (("fresh", fresh, fresh_target), ("replay", replay, replay_target))
        if run.calls > target
    ]
    print(
        f"\nTargets: at most {fresh_target:,.0f} calls on a fresh account, {replay_target:g} on "
        f"the replay{'' if full else ' (checked at the full size only)'}: "
        + ("missed: " + "; ".join(missed) if missed else "met")
    )
    return 1 if full and missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
