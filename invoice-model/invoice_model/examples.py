"""Valid example records of both streams, for documentation and for tests across the workspace.

Each call returns a fresh dict; pass keyword overrides for the top-level fields a case needs.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from invoice_model.money import line_amount, to_json_number

OBSERVED_CACHE = "pyairbyte-0.71-duckdb-cache.json"


def invoice(**overrides: Any) -> dict[str, Any]:
    """A paid Keap invoice: a product with a line discount, shipping, a discount line and tax."""
    record: dict[str, Any] = {
        "source": "keap",
        "source_id": "1042",
        "source_invoice_id": "2087",
        "number": None,
        "reference": "Spring workshop order",
        "status": "paid",
        "issue_date": "2024-03-01",
        "due_date": "2024-03-31",
        "currency": "USD",
        "contact": {
            "source_id": "311",
            "name": "Zoë Fernández",
            "first_name": "Zoë",
            "last_name": "Fernández",
            "company": None,
            "email": "zoe@example.com",
            "phone": "+1 555 0100",
            "billing_address": {
                "line1": "1 Main St",
                "line2": None,
                "city": "Springfield",
                "region": "IL",
                "postal_code": "62701",
                "country_code": "USA",
            },
        },
        "line_items": [
            line("product", "Workshop ticket", 2, 49.99, discount=5, sku="WS-1"),
            line("shipping", "Shipping", 1, 7.5),
            line("discount", "Spring promo", 1, -10),
            line("tax", "Sales tax", 1, 6.65, taxable=False),
        ],
        "instalments": None,
        "subtotal": 92.48,
        "tax": 6.65,
        "total": 99.13,
        "amount_paid": 99.13,
        "amount_due": 0,
        "created_at": "2024-03-01T15:04:05.000Z",
        "updated_at": "2024-03-02T09:00:00.000Z",
        "paid_at": "2024-03-02T09:00:00.000Z",
        "written_by_sync": False,
    }
    record.update(overrides)
    return record


def line(
    kind: str,
    description: str,
    quantity: float,
    unit_amount: float,
    *,
    discount: float = 0,
    sku: str | None = None,
    taxable: bool = True,
) -> dict[str, Any]:
    """A USD line whose line_amount is computed from its quantity, price and discount."""
    amount = line_amount(quantity, unit_amount, "USD", discount)
    return {
        "source_id": None,
        "kind": kind,
        "description": description,
        "sku": sku,
        "quantity": quantity,
        "unit_amount": unit_amount,
        "discount": discount,
        "line_amount": to_json_number(amount, "USD"),
        "tax_amount": None,
        "taxable": taxable,
    }


def payment(**overrides: Any) -> dict[str, Any]:
    """The payment that paid `invoice()` in full."""
    record: dict[str, Any] = {
        "source": "keap",
        "source_id": "5001",
        "invoice_source_id": "1042",
        "invoice_source_invoice_id": "2087",
        "invoice_number": None,
        "amount": 99.13,
        "currency": "USD",
        "date": "2024-03-02",
        "method": "Credit Card",
        "reference": "Paid at the door",
        "status": "completed",
        "updated_at": "2024-03-02T09:00:00.000Z",
        "written_by_sync": False,
    }
    record.update(overrides)
    return record


def cached_by_pyairbyte() -> dict[str, list[dict[str, Any]]]:
    """Records by stream as PyAirbyte 0.71 hands them to a destination from its default DuckDB
    cache (`destination.write(read_result)`), seen on the destination's stdin: `_airbyte_*`
    columns added, numbers as decimal strings, timestamps without their zone. Two invoices (one
    in USD with a tax line and a part payment, one in JPY) and that payment. Not valid records:
    `StreamContract.restored` reads them back into the ones their source emitted.
    """
    text = resources.files("invoice_model").joinpath("observed", OBSERVED_CACHE).read_text("utf-8")
    observed = json.loads(text)
    return {stream: observed[stream] for stream in ("invoices", "payments")}
