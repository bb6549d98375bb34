"""`invoice-sync demo` (`make demo`): the product end to end, against the sandbox on loopback.

A realistic Keap account is seeded, and a Xero organisation with a few invoices raised in Xero;
the first run (mode 2, from the beginning, Xero → Keap on) brings every Keap invoice and payment
into Xero and Xero's own invoices into Keap; then new orders, payments and a refund arrive in
Keap and an invoice is raised in Xero, and a second, incremental run brings just those, nothing
looping back. The demo closes with each direction's figures and every invoice's total and amount
due on both sides, to the cent.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from invoice_sync import report
from invoice_sync.connection import Connection
from invoice_sync.directions import Plan
from invoice_sync.history import RunRecord
from invoice_sync.reconcile import (
    checks_view,
    keap_to_xero_checks,
    orders_view,
    xero_to_keap_checks,
)
from invoice_sync.runner import run
from invoice_sync.sandbox import (
    DEMO_KEAP_ACCOUNT,
    DEMO_XERO_BOOKS,
    Shop,
    XeroBooks,
    demo_tenant,
    write_connection,
)
from keap_xero_sandbox import Sandbox, SandboxServer

COLUMNS = ("read", "written", "unchanged", "rejected")
MARKER = ".invoice-sync-demo"  # a folder the demo made, and may empty again


def demo(folder: Path) -> int:
    console = Console()
    started = time.monotonic()
    if not _fresh(folder):
        console.print(f"{folder} is not empty and not a demo folder: choose another --folder")
        return 2
    with SandboxServer() as server:
        sandbox = server.sandbox
        connection = _accounts(console, sandbox, folder)
        runs = [_run(console, connection, "First run: everything so far")]
        console.print()
        console.rule("Meanwhile, in Keap and in Xero")
        console.print(_meanwhile(sandbox))
        runs.append(_run(console, connection, "Second run: incremental, just what changed"))
        matched = _reconciliation(console, sandbox, runs)
        console.print(
            f"Demo finished in {time.monotonic() - started:.0f} s; "
            f"the run log: invoice-sync log {connection.path}"
        )
    return 0 if matched and all(r.status == "succeeded" for r in runs) else 1


def _fresh(folder: Path) -> bool:
    """An empty folder for the demo, emptied if an earlier demo made it; False if it holds
    anything else."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            return False
        shutil.rmtree(folder)  # a fresh sandbox: the last demo's state means nothing to it
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by invoice-sync demo; emptied by the next demo\n")
    return True


def _accounts(console: Console, sandbox: Sandbox, folder: Path) -> Connection:
    """The seeded Keap shop and Xero organisation, and a connection file for both directions."""
    seeded = sandbox.seed(keap=DEMO_KEAP_ACCOUNT)["keap"]
    sandbox.seed(xero={**DEMO_XERO_BOOKS, "tenants": [demo_tenant(sandbox)]})
    console.rule("[bold]invoice-sync demo")
    console.print(
        f"Sandbox on {sandbox.url}: a Keap shop with {seeded['orders']} orders "
        f"({seeded['invoices']} invoices, {seeded['payments']} payments, "
        f"{seeded['refunds']} refunds) in USD, EUR, GBP and JPY, and a Xero organisation "
        "(Demo Company (US)) with a few invoices raised in Xero."
    )
    path = write_connection(folder, sandbox, mode=2, start="beginning", xero_to_keap=True)
    console.print(
        f"Connection file: {path} (mode 2, invoices and payments, from the beginning; "
        "Xero → Keap on)"
    )
    return Connection.load(path)


def _meanwhile(sandbox: Sandbox) -> str:
    """New orders, payments and a refund in Keap, an invoice raised in Xero; what happened."""
    shop = Shop(sandbox)
    new = [shop.new_order(), shop.new_order(quantity=1), shop.new_order(currency="EUR")]
    shop.pay(new[0])
    part = (shop.due(new[1]) / 2).quantize(Decimal("0.01"))
    shop.pay(new[1], part)
    keap = sandbox.dump("keap")
    status = {order["id"]: order["status"] for order in keap["orders"]}
    refunded = next(
        p for p in keap["payments"] if p["amount"] > 0 and status.get(p["order_ids"][0]) == "PAID"
    )
    payment, paid = refunded["id"], refunded["order_ids"][0]
    shop.refund(payment)
    XeroBooks(sandbox).raise_invoice(
        "Harbour Café", "orders@harbour-cafe.example", "Catering, spring launch", Decimal(480)
    )
    return (
        f"Keap: 3 new orders ({', '.join(new)}); order {new[0]} paid in full, order {new[1]} "
        f"paid {part} of its total; payment {payment} of order {paid} refunded. "
        "Xero: an invoice raised for Harbour Café (480.00)."
    )


def _reconciliation(console: Console, sandbox: Sandbox, runs: list[RunRecord]) -> bool:
    """Each direction's figures, then every invoice on both sides; whether all match."""
    console.print()
    console.rule("Reconciliation")
    console.print(_totals_view(runs))
    tenant = demo_tenant(sandbox)
    invoices = keap_to_xero_checks(sandbox, tenant)
    console.print(checks_view("Keap → Xero, every invoice", invoices))
    console.print("Keap's amount due is its total less what was paid and not refunded.")
    orders = xero_to_keap_checks(sandbox, tenant)
    console.print(orders_view("Xero → Keap, every invoice raised in Xero", orders))
    console.print("Payments stay in Xero: Keap's orders carry the invoices' totals.")
    return all(check.matches for check in [*invoices, *orders])


def _run(console: Console, connection: Connection, title: str) -> RunRecord:
    console.print()
    console.rule(title)

    def starting(plan: Plan) -> None:
        console.print(f"[bold]{plan.direction.title}[/bold]: {plan.description}")

    record = run(connection, on_start=starting)
    console.print(report.run_view(record))
    return record


def _totals_view(runs: list[RunRecord]) -> Table:
    """Per direction and stream, the columns summed over the demo's runs, with calls spent."""
    table = Table(title="Both runs, per direction")
    table.add_column("direction")
    table.add_column("stream")
    for column in (*COLUMNS, "calls"):
        table.add_column(column, justify="right")
    totals: dict[tuple[str, str], Counter[str]] = {}
    calls: Counter[str] = Counter()
    for record in runs:
        for direction in record.directions:
            calls[direction.title] += direction.total_calls
            for stream, figures in direction.streams.items():
                counter = totals.setdefault((direction.title, stream), Counter())
                counter.update({c: getattr(figures, c) for c in COLUMNS})
    shown: set[str] = set()
    for (title, stream), counter in totals.items():
        first = title not in shown
        shown.add(title)
        table.add_row(
            title if first else "",
            stream,
            *(str(counter[c]) for c in COLUMNS),
            str(calls[title]) if first else "",
        )
    return table
