"""Fixtures shared by the tests: Keap REST v2 objects shaped as the official spec (`OrderV2`,
`Contact`, `Payment`) for the mapping's unit tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest


def cents(amount: int, currency: str = "USD") -> dict[str, Any]:
    """A `CurrencyValue` of `amount` minor units."""
    return {"amount": amount, "currency_code": currency, "formatted_amount": f"{amount}"}


def item(item_type: str, name: str, quantity: int, price: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": extra.pop("id", f"{name}-1"),
        "name": name,
        "quantity": quantity,
        "item_type": item_type,
        "price_per_unit": cents(price, extra.pop("currency", "USD")),
        **extra,
    }


def order(**overrides: Any) -> dict[str, Any]:
    """Order 1042 (invoice 2087): 2 workshop tickets, shipping, a promo and sales tax; unpaid."""
    body: dict[str, Any] = {
        "id": "1042",
        "invoice_id": "2087",
        "title": "Spring workshop order",
        "status": "SENT",
        "order_type": "OFFLINE",
        "source_type": "API",
        "creation_time": "2024-03-01T15:04:05Z",
        "modification_time": "2024-03-01T15:04:05Z",
        "order_time": "2024-03-01T15:00:00Z",
        "due_time": "2024-03-31T15:00:00Z",
        "contact": {
            "id": "311",
            "email": "zoe@example.com",
            "given_name": "Zoë",
            "family_name": "Fernández",
        },
        "order_items": [
            item(
                "PRODUCT",
                "Workshop ticket",
                2,
                4999,
                product={"id": "7", "name": "Workshop", "sku": "WS-1", "taxable": True},
            ),
            item("SHIPPING", "Shipping", 1, 750),
            item("DISCOUNT_ORDER_TOTAL", "Spring promo", 1, -1000),
            item("TAX", "Sales tax", 1, 665),
        ],
        "total": cents(10413),
        "total_paid": cents(0),
        "total_due": cents(10413),
        "refund_total": cents(0),
        "custom_fields": [],
    }
    body.update(overrides)
    return body


def contact(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "311",
        "given_name": "Zoë",
        "family_name": "Fernández",
        "company": None,
        "email_addresses": [
            {"email": "zoe.work@example.com", "field": "EMAIL2"},
            {"email": "zoe@example.com", "field": "EMAIL1"},
        ],
        "phone_numbers": [{"number": "+1 555 0100", "field": "PHONE1", "type": "Work"}],
        "addresses": [
            {
                "field": "SHIPPING",
                "line1": "9 Dock Rd",
                "locality": "Peoria",
                "country_code": "USA",
            },
            {
                "field": "BILLING",
                "line1": "1 Main St",
                "locality": "Springfield",
                "region": "Illinois",
                "region_code": "US-IL",
                "postal_code": "62701",
                "country_code": "USA",
            },
        ],
    }
    body.update(overrides)
    return body


def payment(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "5001",
        "type": "Credit Card",
        "amount": 104.13,
        "note": "Paid at the door",
        "status": "COMPLETED",
        "payment_time": "2024-03-02T09:00:00Z",
        "update_time": "2024-03-02T09:00:05Z",
        "contact_id": "311",
        "order_ids": ["1042"],
    }
    body.update(overrides)
    return body


@pytest.fixture
def payloads() -> SimpleNamespace:
    """Builders of spec-shaped Keap objects: `order()`, `contact()`, `payment()`, `item()`..."""
    return SimpleNamespace(cents=cents, item=item, order=order, contact=contact, payment=payment)
