"""Reading both sides' books: money as Keap shows it on an order, the payments Xero holds for
Keap's, and Xero's books against Keap's own as the sandbox holds them (`assert_exact`)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import Any

from invoice_model import Money
from keap_xero_sandbox.sandbox import Sandbox

PAYMENT_REFERENCE = re.compile(r"^Keap payment (\d+)\b")
# Keap payments that are money received (a voided one is `NONE`, a pending charge `PENDING`).
RECEIVED = ("COMPLETED", "APPROVED")


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


def assert_exact(sandbox: Sandbox, xero: dict[str, Any]) -> None:
    """Xero's books against Keap's own, as the sandbox holds them (not as a source read them),
    for a connection of sync mode 2 from the beginning: every invoice once, with its currency,
    total and amount paid net of refunds to the cent; every payment received and not wholly
    refunded or voided exactly once, with the amount kept; no other payment of Keap's."""
    account = sandbox.keap.account
    with account.lock:
        orders = [o for o in account.orders if not _written_by_sync(o)]
        payments = list(account.payments)
    numbers = Counter(i["InvoiceNumber"] for i in xero["invoices"])
    assert sorted(numbers) == sorted(str(o.invoice_id) for o in orders), "every invoice"
    assert max(numbers.values(), default=1) == 1, "no invoice twice"
    by_number = {i["InvoiceNumber"]: i for i in xero["invoices"]}
    wrong = {}
    for order in orders:
        invoice = by_number[str(order.invoice_id)]
        expected = (
            order.currency,
            Money.from_minor(order.total, order.currency).amount,
            Money.from_minor(order.total_paid - order.refund_total, order.currency).amount,
        )
        found = (invoice["CurrencyCode"], money(invoice["Total"]), money(invoice["AmountPaid"]))
        if found != expected:
            wrong[order.invoice_id] = (found, expected)
    assert not wrong, f"invoices (currency, total, paid) in Xero vs Keap: {wrong}"
    kept = {
        str(p.id): [Money.from_minor(p.amount - p.refunded_amount, p.currency).amount]
        for p in payments
        if p.counts and p.status in RECEIVED and p.amount > p.refunded_amount
    }
    in_xero = live_xero_payments(xero)
    lost = sorted(set(kept) - set(in_xero), key=int)
    extra = sorted(set(in_xero) - set(kept), key=int)
    amounts = {i: (in_xero[i], kept[i]) for i in kept if in_xero.get(i, kept[i]) != kept[i]}
    assert (lost, extra, amounts) == ([], [], {}), (
        f"payments lost {lost}, not Keap's {extra}, amounts (Xero, Keap) {amounts}"
    )


def _written_by_sync(order: Any) -> bool:
    """An order destination-keap wrote (its Xero Invoice ID custom field is set)."""
    return any(value not in (None, "") for value in order.custom_fields.values())
