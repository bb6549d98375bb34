"""Xero's books against Keap's, invoice by invoice, to the cent (read from the sandbox's state).

Keap → Xero: every Keap invoice (of an order not written from Xero) against its Xero invoice.
Xero's amount due is the total less what the customer paid and was not given back; Keap keeps
a refunded payment in `total_paid` and reports the refund apart (`refund_total`), so its balance
to compare is `total - (total_paid - refund_total)`.

Xero → Keap: every invoice raised in Xero (not one destination-xero wrote) of the statuses
source-xero reads by default, against the Keap order that holds its InvoiceID. Payments do not
travel back, so the Keap order's amount due is its total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.table import Table

from invoice_model.connector.xero.marks import invoice_written_by_sync
from invoice_model.money import from_minor_units, minor_units
from keap_xero_sandbox import Sandbox
from source_xero.config import DEFAULT_STATUSES


@dataclass(frozen=True)
class InvoiceCheck:
    number: str  # Keap's invoice ID, Xero's invoice number
    currency: str
    keap_total: Decimal
    keap_due: Decimal
    xero_total: Decimal | None  # None: not in Xero
    xero_due: Decimal | None

    @property
    def matches(self) -> bool:
        return (self.xero_total, self.xero_due) == (self.keap_total, self.keap_due)


@dataclass(frozen=True)
class OrderCheck:
    """An invoice raised in Xero against the Keap order written from it."""

    number: str  # Xero's invoice number
    currency: str
    xero_total: Decimal
    xero_due: Decimal
    keap_order: str | None  # None: not in Keap
    keap_total: Decimal | None

    @property
    def matches(self) -> bool:
        return self.keap_total == self.xero_total


def keap_to_xero_checks(sandbox: Sandbox, tenant_id: str) -> list[InvoiceCheck]:
    """Every Keap invoice (of an order not written from Xero) against its Xero invoice."""
    marker = str(sandbox.keap.account.xero_invoice_field.id)
    books = sandbox.xero.dump()["tenants"][tenant_id]
    in_xero = {i["InvoiceNumber"]: i for i in books["invoices"] if i["Status"] != "DELETED"}
    checks = []
    for order in sandbox.dump("keap")["orders"]:
        if any(v["id"] == marker and v["content"] for v in order.get("custom_fields") or []):
            continue
        currency = order["total"]["currency_code"]
        total = _amount(order["total"])
        kept = _amount(order["total_paid"]) - _amount(order["refund_total"])
        invoice = in_xero.get(order["invoice_id"])
        checks.append(
            InvoiceCheck(
                number=order["invoice_id"],
                currency=currency,
                keap_total=total,
                keap_due=total - kept,
                xero_total=_decimal(invoice, "Total"),
                xero_due=_decimal(invoice, "AmountDue"),
            )
        )
    return sorted(checks, key=lambda c: int(c.number))


def xero_to_keap_checks(sandbox: Sandbox, tenant_id: str) -> list[OrderCheck]:
    marker = str(sandbox.keap.account.xero_invoice_field.id)
    orders = {}
    for order in sandbox.dump("keap")["orders"]:
        for value in order.get("custom_fields") or []:
            if value["id"] == marker and value["content"]:
                orders[value["content"]] = order
    checks = []
    for invoice in sandbox.xero.dump()["tenants"][tenant_id]["invoices"]:
        read = invoice["Status"] in DEFAULT_STATUSES
        if not read or invoice_written_by_sync(invoice.get("Url")):
            continue
        order = orders.get(invoice["InvoiceID"])
        checks.append(
            OrderCheck(
                number=invoice["InvoiceNumber"],
                currency=invoice["CurrencyCode"],
                xero_total=Decimal(str(invoice["Total"])),
                xero_due=Decimal(str(invoice["AmountDue"])),
                keap_order=order["id"] if order else None,
                keap_total=_amount(order["total"]) if order else None,
            )
        )
    return sorted(checks, key=lambda c: c.number)


def orders_view(title: str, checks: list[OrderCheck]) -> Table:
    matched = sum(check.matches for check in checks)
    table = Table(title=f"{title}: {matched} of {len(checks)} match to the cent")
    for column in (
        "Xero invoice",
        "currency",
        "Xero total",
        "Xero due",
        "Keap order",
        "Keap total",
    ):
        table.add_column(
            column, justify="right" if "total" in column or "due" in column else "left"
        )
    table.add_column("")
    for check in checks:
        table.add_row(
            check.number,
            check.currency,
            _text(check.xero_total, check.currency),
            _text(check.xero_due, check.currency),
            check.keap_order or "missing",
            _text(check.keap_total, check.currency),
            "[green]✓[/green]" if check.matches else "[red]✗[/red]",
        )
    return table


def checks_view(title: str, checks: list[InvoiceCheck]) -> Table:
    matched = sum(check.matches for check in checks)
    table = Table(title=f"{title}: {matched} of {len(checks)} invoices match to the cent")
    for column in ("invoice", "currency", "Keap total", "Xero total", "Keap due", "Xero due", ""):
        table.add_column(column, justify="left" if column in ("invoice", "currency") else "right")
    for check in checks:
        table.add_row(
            check.number,
            check.currency,
            _text(check.keap_total, check.currency),
            _text(check.xero_total, check.currency),
            _text(check.keap_due, check.currency),
            _text(check.xero_due, check.currency),
            "[green]✓[/green]" if check.matches else "[red]✗[/red]",
        )
    return table


def _amount(value: dict[str, Any]) -> Decimal:
    return from_minor_units(value["amount"], value["currency_code"])


def _decimal(invoice: dict[str, Any] | None, field: str) -> Decimal | None:
    return None if invoice is None else Decimal(str(invoice[field]))


def _text(value: Decimal | None, currency: str) -> str:
    """An amount with its currency's places (Xero answers 24.6 for 24.60)."""
    if value is None:
        return "missing"
    shown = value.quantize(Decimal(1).scaleb(-minor_units(currency)))
    return str(shown if shown == value else value)
