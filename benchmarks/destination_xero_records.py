"""Deterministic contract records for the destination-xero benchmark: paid invoices with one to
three product lines, shipping and a tax line, spread evenly over a set of contacts, and the
payment that paid each one.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from invoice_model import examples
from invoice_model.dates import format_datetime
from invoice_model.money import quantize, to_json_number

PRODUCTS = [
    ("Workshop ticket", "WS-1", 49.99),
    ("Coaching hour", "CH-1", 120),
    ("E-book", "EB-7", 9.5),
]
TAX_RATE = Decimal("0.0725")
START = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)


def contact(number: int) -> dict[str, Any]:
    return {
        "source_id": str(1_000 + number),
        "name": f"Customer {number:05d}",
        "first_name": "Customer",
        "last_name": f"{number:05d}",
        "company": None,
        "email": f"customer{number:05d}@example.com",
        "phone": None,
        "billing_address": None,
    }


def invoices_and_payments(
    invoices: int, contacts: int, seed: int = 7
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(invoice, payment) pairs; every contact has its share of the invoices, in random order."""
    rng = random.Random(seed)
    owners = [n % contacts for n in range(invoices)]
    rng.shuffle(owners)
    for n, owner in enumerate(owners):
        lines = []
        for description, sku, price in rng.sample(PRODUCTS, rng.randint(1, 3)):
            lines.append(examples.line("product", description, rng.randint(1, 3), price, sku=sku))
        lines.append(examples.line("shipping", "Shipping", 1, 7.5))
        subtotal = sum(Decimal(str(line["line_amount"])) for line in lines)
        tax = quantize(subtotal * TAX_RATE, "USD")
        lines.append(examples.line("tax", "Sales tax", 1, float(tax), taxable=False))
        total = subtotal + tax
        at = format_datetime(START + dt.timedelta(minutes=n))
        day = at[:10]
        invoice = examples.invoice(
            source_id=str(100_000 + n),
            source_invoice_id=str(200_000 + n),
            reference=f"Order {100_000 + n}",
            issue_date=day,
            due_date=day,
            contact=contact(owner),
            line_items=lines,
            subtotal=to_json_number(subtotal, "USD"),
            tax=to_json_number(tax, "USD"),
            total=to_json_number(total, "USD"),
            amount_paid=to_json_number(total, "USD"),
            amount_due=0,
            created_at=at,
            updated_at=at,
            paid_at=at,
        )
        payment = examples.payment(
            source_id=str(300_000 + n),
            invoice_source_id=invoice["source_id"],
            invoice_source_invoice_id=invoice["source_invoice_id"],
            amount=to_json_number(total, "USD"),
            date=day,
            reference=None,
            updated_at=at,
        )
        yield invoice, payment
