"""Reading both sides' books: money as Keap shows it on an order, and the payments Xero holds for
Keap's."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from invoice_model import Money

PAYMENT_REFERENCE = re.compile(r"^Keap payment (\d+)\b")


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def keap_total(order: dict[str, Any]) -> Decimal:
    value = order["total"]
    return Money.from_minor(value["amount"], value["currency_code"]).amount


def keap_kept(order: dict[str, Any]) -> Decimal:
    """What the customer paid and was not given back: Keap keeps `total_paid` when it refunds."""
    currency = order["total"]["currency_code"]
    paid, refunded = order["total_paid"]["amount"], order["refund_total"]["amount"]
    return Money.from_minor(paid - refunded, currency).amount


def paid_in_full(order: dict[str, Any]) -> bool:
    """Paid in full and not refunded in part: what sync mode 3 waits for."""
    return keap_kept(order) >= keap_total(order) and (
        keap_total(order) > 0 or order["status"] == "PAID"
    )


def live_xero_payments(books: dict[str, Any]) -> dict[str, list[Decimal]]:
    """The amounts under which each Keap payment ID is in Xero (deleted payments left out)."""
    found: dict[str, list[Decimal]] = {}
    for payment in books["payments"]:
        match = PAYMENT_REFERENCE.match(payment.get("Reference") or "")
        if match and payment.get("Status") != "DELETED":
            found.setdefault(match[1], []).append(money(payment["Amount"]))
    return found
