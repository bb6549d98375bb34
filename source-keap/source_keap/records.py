"""Keap REST v2 objects -> records of the shared contract (`invoice_model`).

Pure functions over the JSON Keap returns, so each rule can be read and tested on its own:

- an order is an invoice: Keap keeps one invoice per one-time order, under its own ID sequence,
  so a record carries both (`source_id` = order ID, `source_invoice_id` = invoice ID);
- money arrives as `CurrencyValue` in minor units and stays exact (`Money`);
- lines keep Keap's order and kind; discount lines are negative lines of their own;
- totals are recomputed from the lines (the contract's invariants), and a disagreement with
  Keap's own `total` is reported, never hidden;
- calendar dates (issue, due, payment day) are the day in the Keap account's time zone, as
  Keap shows them; instants stay UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from invoice_model.dates import format_datetime, parse_datetime
from invoice_model.money import Money, line_amount, to_decimal, to_json_number

SOURCE = "keap"
UNIT_PLACES = 4

KINDS: Mapping[str, str] = {
    "PRODUCT": "product",
    "UPSELL": "product",
    "SUBSCRIPTION": "product",
    "PROGRAM": "product",
    "SERVICE": "service",
    "SHIPPING": "shipping",
    "TAX": "tax",
    "DISCOUNT": "discount",
    "DISCOUNT_FREE_TRIAL": "discount",
    "DISCOUNT_ORDER_TOTAL": "discount",
    "DISCOUNT_PRODUCT": "discount",
    "DISCOUNT_PRODUCT_CATEGORY": "discount",
    "DISCOUNT_SHIPPING": "discount",
    "FEE": "fee",
    "FINANCE_CHARGE": "fee",
    "TIP": "other",
    "OTHER": "other",
    "UNKNOWN": "other",
}

# Payments that count as money received; refunds are reported on the payment they refund.
_COMPLETED_PAYMENTS = frozenset({"COMPLETED", "APPROVED"})


class KeapRecordError(ValueError):
    """A Keap object that cannot become a valid record; says which object and why."""


# What reading a Keap object not shaped as documented raises (a KeapRecordError is a ValueError).
_MALFORMED = (AttributeError, KeyError, TypeError, ValueError)


def local_date(moment: str | dt.datetime, time_zone: str) -> str:
    """The calendar day (YYYY-MM-DD) an instant falls on in `time_zone`."""
    return parse_datetime(moment).astimezone(_zone(time_zone)).date().isoformat()


@functools.cache
def _zone(time_zone: str) -> dt.tzinfo:
    return dt.UTC if time_zone == "UTC" else zoneinfo.ZoneInfo(time_zone)


def currency_of(order: Mapping[str, Any], default: str | None) -> str:
    for field in ("total", "total_paid", "total_due"):
        value = order.get(field)
        if isinstance(value, Mapping) and value.get("currency_code"):
            return str(value["currency_code"]).upper()
    if default:
        return default.upper()
    raise KeapRecordError("it has no currency, and the Keap account names none")


def money(value: Any, currency: str) -> Money:
    """A `CurrencyValue` (minor units), or a bare number in major units as older Keap sends."""
    if value is None:
        return Money(Decimal(0), currency)
    if isinstance(value, Mapping):
        return Money.from_currency_value(value, currency)
    return Money(to_decimal(value), currency)


def contact_details(contact: Mapping[str, Any], fallback: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's `contact`: the full Keap contact, else the order's `BasicContact`."""
    source = contact or fallback
    contact_id = str(source.get("id") or fallback.get("id") or "")
    if not contact_id:
        raise KeapRecordError("it has no contact")
    first = _text(source.get("given_name")) or _text(fallback.get("given_name"))
    last = _text(source.get("family_name")) or _text(fallback.get("family_name"))
    company_value = source.get("company")
    company = (
        _text(company_value.get("company_name")) if isinstance(company_value, Mapping) else None
    )
    email = _slot(source.get("email_addresses"), "EMAIL1", "email") or _text(fallback.get("email"))
    phone = _slot(source.get("phone_numbers"), "PHONE1", "number")
    full_name = " ".join(part for part in (first, last) if part) or None
    return {
        "source_id": contact_id,
        "name": company or full_name or email or f"Keap contact {contact_id}",
        "first_name": first,
        "last_name": last,
        "company": company,
        "email": email,
        "phone": phone,
        "billing_address": _billing_address(source.get("addresses")),
    }


def line_item(item: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """One contract line from a Keap `OrderItem`; discount lines carry a negative unit amount."""
    kind = KINDS.get(str(item.get("item_type") or "UNKNOWN").upper(), "other")
    quantity = to_decimal(item.get("quantity") or 0)
    price = money(item.get("price_per_unit"), currency).amount
    item_discount = money(item.get("discount"), currency).amount
    if kind == "discount":
        unit_amount = -abs(price) if price else -abs(item_discount) / (quantity or 1)
        discount = Decimal(0)
    else:
        unit_amount = price
        discount = abs(item_discount)
    product = item.get("product") if isinstance(item.get("product"), Mapping) else {}
    amount = line_amount(quantity, unit_amount, currency, discount)
    return {
        "source_id": _text(item.get("id")),
        "kind": kind,
        "description": _text(item.get("name"))
        or _text(item.get("description"))
        or _text(product.get("name"))
        or kind.capitalize(),
        "sku": _text(product.get("sku")),
        "quantity": to_json_number(quantity, currency, UNIT_PLACES),
        "unit_amount": to_json_number(unit_amount, currency, UNIT_PLACES),
        "discount": to_json_number(discount, currency),
        "line_amount": to_json_number(amount, currency),
        "tax_amount": None,
        "taxable": bool(product.get("taxable")) if kind not in ("tax", "discount") else False,
    }


def _line(item: Mapping[str, Any], currency: str) -> dict[str, Any]:
    try:
        return line_item(item, currency)
    except _MALFORMED as error:
        line_id = item.get("id") if isinstance(item, Mapping) else None
        raise KeapRecordError(f"line {line_id}: {_problem(error)}") from error


def paid_at(order: Mapping[str, Any], payments: Iterable[Mapping[str, Any]]) -> str:
    """When a settled order was paid in full: the time of its last payment received, the one
    that completed it; an order with nothing to pay, when it was created."""
    times = [
        parse_datetime(p["payment_time"]) for p in payments if p.get("payment_time") and _counts(p)
    ]
    return format_datetime(max(times) if times else order["creation_time"])


def invoice_record(
    order: Mapping[str, Any],
    *,
    contact: Mapping[str, Any],
    payments: Sequence[Mapping[str, Any]],
    time_zone: str,
    default_currency: str | None,
    written_by_sync: bool,
) -> dict[str, Any]:
    """The `invoices` record of a Keap order (its full contact and its payments looked up by
    the caller, in batches; payments are needed only for a paid order)."""
    order_id = _text(order.get("id"))
    if not order_id:
        raise KeapRecordError("order without an id")
    try:
        currency = currency_of(order, default_currency)
        lines = [_line(item, currency) for item in order.get("order_items") or []]
        tax = _sum(li["line_amount"] for li in lines if li["kind"] == "tax")
        subtotal = _sum(li["line_amount"] for li in lines if li["kind"] != "tax")
        total = subtotal + tax
        amount_paid = _net_paid(order, currency)
        amount_due = total - amount_paid
        when_paid = paid_at(order, payments) if _settled(order, total, amount_due) else None
        return {
            "source": SOURCE,
            "source_id": order_id,
            "source_invoice_id": _text(order.get("invoice_id")),
            "number": _text(order.get("invoice_number")),
            "reference": _text(order.get("title")),
            "status": _status(order, when_paid, amount_paid),
            "issue_date": local_date(order.get("order_time") or order["creation_time"], time_zone),
            "due_date": local_date(order["due_time"], time_zone) if order.get("due_time") else None,
            "currency": currency,
            "contact": contact_details(contact, order.get("contact") or {}),
            "line_items": lines,
            "instalments": _instalments(order.get("payment_plan"), currency),
            "subtotal": to_json_number(subtotal, currency),
            "tax": to_json_number(tax, currency),
            "total": to_json_number(total, currency),
            "amount_paid": to_json_number(amount_paid, currency),
            "amount_due": to_json_number(amount_due, currency),
            "created_at": format_datetime(order["creation_time"]),
            "updated_at": format_datetime(order.get("modification_time") or order["creation_time"]),
            "paid_at": when_paid,
            "written_by_sync": written_by_sync,
        }
    except _MALFORMED as error:
        raise KeapRecordError(f"order {order_id}: {_problem(error)}") from error


def paid_in_full(
    order: Mapping[str, Any], default_currency: str | None, *, net_of_refunds: bool = True
) -> bool:
    """Whether the order's invoice is paid (by Keap's stated total), net of refunds; such an
    order's record has a `paid_at`. Without `net_of_refunds`: whether it was paid in full and
    only refunds since made it owe again (Keap keeps `total_paid` when it refunds, not when a
    payment is voided)."""
    try:
        currency = currency_of(order, default_currency)
        total = money(order.get("total"), currency).amount
        paid = _net_paid(order, currency) if net_of_refunds else _gross_paid(order, currency)
        return _settled(order, total, total - paid)
    except _MALFORMED as error:
        raise KeapRecordError(f"order {order.get('id')}: {_problem(error)}") from error


def paid_in_full_since(
    order: Mapping[str, Any],
    payments: Iterable[Mapping[str, Any]],
    since: str,
    default_currency: str | None,
) -> bool:
    """Whether the order's invoice was paid in full, net of refunds, at some moment after
    `since` (an instant in the record form; "" for ever), replaying its payments received and
    its refunds in time order. A voided payment never counts: it cancels one recorded by
    mistake."""
    try:
        currency = currency_of(order, default_currency)
        total = money(order.get("total"), currency).amount
        moves = sorted(
            (_time_of(p), _amount(p, currency))
            for p in payments
            if _counts(p) and _amount(p, currency)
        )
        paid = sum((amount for when, amount in moves if when <= since), Decimal(0))
        most = paid
        for when, amount in moves:
            if when > since:
                paid += amount
                most = max(most, paid)
        return _settled(order, total, total - most)
    except _MALFORMED as error:
        raise KeapRecordError(f"order {order.get('id')}: {_problem(error)}") from error


def _net_paid(order: Mapping[str, Any], currency: str) -> Decimal:
    """Paid net of refunds, as the contract says: Keap keeps `total_paid` when it refunds."""
    return _gross_paid(order, currency) - money(order.get("refund_total"), currency).amount


def _gross_paid(order: Mapping[str, Any], currency: str) -> Decimal:
    return money(order.get("total_paid"), currency).amount


def _settled(order: Mapping[str, Any], total: Decimal, amount_due: Decimal) -> bool:
    return amount_due <= 0 and (total > 0 or _keap_status(order) == "PAID")


def keap_total(order: Mapping[str, Any], currency: str) -> Decimal | None:
    """Keap's own total of the order, to check the lines against."""
    return money(order["total"], currency).amount if order.get("total") is not None else None


# A Keap payment is read here for `keap.PAYMENT_FIELDS` only (the fields kept between streams).
def payment_records(
    payments: Iterable[Mapping[str, Any]],
    order: Mapping[str, Any],
    *,
    time_zone: str,
    default_currency: str | None,
    written_by_sync: bool,
) -> list[dict[str, Any]]:
    """The `payments` records of an order's Keap payments (all of them, refunds included, as
    `/sales/payments` lists them), each refund taken off the payment it gave money back on."""
    listed = list(payments)
    refunds = refunds_by_payment(listed, order, default_currency)
    found = []
    for payment in listed:
        record = payment_record(
            payment,
            order,
            refunded=refunds.get(_text(payment.get("id")) or ""),
            time_zone=time_zone,
            default_currency=default_currency,
            written_by_sync=written_by_sync,
        )
        if record is not None:
            found.append(record)
    return found


@dataclass(frozen=True)
class Refunded:
    """What was given back on one payment, and when the last refund of it was made."""

    amount: Decimal
    last_time: str | None = None


def refunds_by_payment(
    payments: Sequence[Mapping[str, Any]], order: Mapping[str, Any], default_currency: str | None
) -> dict[str, Refunded]:
    """How much of each of an order's payments was refunded, by payment ID.

    Keap lists a refund as a payment of its own, negative, on the same order, and the refunded
    payment names its latest refund (`refund_payment_id`). A payment refunded more than once
    names only the last: a refund that no payment names went, earlier, to a payment refunded
    again later, and is taken off the first such payment received before it with that much
    left. A payment naming a refund that is not listed takes what the order's `refund_total`
    says was given back beyond the refunds listed.
    """
    try:
        currency = currency_of(order, default_currency)
        refunds = {_text(p.get("id")) or "": p for p in payments if _amount(p, currency) < 0}
        received = sorted(
            (p for p in payments if _amount(p, currency) > 0),
            key=lambda p: (_time_of(p), len(_text(p.get("id")) or ""), _text(p.get("id")) or ""),
        )
        refunded = [p for p in received if _text(p.get("refund_payment_id"))]
        given: dict[str, Refunded] = {}

        def give_back(payment: Mapping[str, Any], amount: Decimal, when: str | None) -> None:
            payment_id = _text(payment.get("id")) or ""
            before = given.get(payment_id, Refunded(Decimal(0)))
            times = [t for t in (before.last_time, when) if t]
            given[payment_id] = Refunded(before.amount + amount, max(times) if times else None)

        def room(payment: Mapping[str, Any]) -> Decimal:
            taken = given.get(_text(payment.get("id")) or "", Refunded(Decimal(0))).amount
            return _amount(payment, currency) - taken

        unlisted = []
        for payment in refunded:
            refund = refunds.pop(_text(payment.get("refund_payment_id")) or "", None)
            if refund is None:
                unlisted.append(payment)
            else:
                give_back(payment, -_amount(refund, currency), _time_of(refund))

        def refunded_around(payment: Mapping[str, Any], when: str) -> bool:
            """Received before `when`, and not last refunded before it."""
            last = given.get(_text(payment.get("id")) or "", Refunded(Decimal(0))).last_time
            return _time_of(payment) <= when and (last is None or last >= when)

        for refund in sorted(refunds.values(), key=_time_of):
            amount = -_amount(refund, currency)
            payment = next(
                (p for p in refunded if refunded_around(p, _time_of(refund)) and room(p) >= amount),
                None,
            )
            if payment is not None:
                give_back(payment, amount, _time_of(refund))
        beyond = money(order.get("refund_total"), currency).amount - sum(
            (r.amount for r in given.values()), Decimal(0)
        )
        for payment in unlisted:
            amount = min(room(payment), max(beyond, Decimal(0)))
            give_back(payment, amount, None)
            beyond -= amount
        return given
    except _MALFORMED as error:
        raise KeapRecordError(
            f"the refunds of order {order.get('id')}: {_problem(error)}"
        ) from error


def _amount(payment: Mapping[str, Any], currency: str) -> Decimal:
    return money(payment.get("amount"), currency).amount


def _time_of(payment: Mapping[str, Any]) -> str:
    when = payment.get("payment_time") or payment.get("update_time")
    return format_datetime(when) if when else ""


def payment_record(
    payment: Mapping[str, Any],
    order: Mapping[str, Any],
    *,
    refunded: Refunded | None = None,
    time_zone: str,
    default_currency: str | None,
    written_by_sync: bool,
) -> dict[str, Any] | None:
    """The `payments` record of a Keap payment against `order`, given what was refunded of it;
    None for what is not a payment received (a pending charge, or the negative entry of a
    refund, told on its payment).

    The amount is what was received and kept: a payment refunded in part stays `completed` with
    the rest, one refunded in full is `refunded` (with the amount it had), so the completed
    payments of an order add up to what its invoice says was paid. It changes when a refund is
    made, whether or not Keap moves the payment's own `update_time`.
    """
    payment_id = _text(payment.get("id"))
    try:
        currency = currency_of(order, default_currency)
        amount = money(payment.get("amount"), currency)
        status = _payment_status(payment)
        if status is None or amount.amount <= 0:
            return None
        kept = amount.amount - (refunded.amount if refunded else 0)
        if status == "completed" and kept <= 0:
            status = "refunded"
        when = payment.get("payment_time") or payment["update_time"]
        changes = [format_datetime(payment.get("update_time") or when)]
        if refunded is not None and refunded.last_time:
            changes.append(refunded.last_time)
        return {
            "source": SOURCE,
            "source_id": payment_id,
            "invoice_source_id": _text(order["id"]),
            "invoice_source_invoice_id": _text(order.get("invoice_id")),
            "invoice_number": _text(order.get("invoice_number")),
            "amount": (Money(kept, currency) if status == "completed" else amount).to_json(),
            "currency": currency,
            "date": local_date(when, time_zone),
            "method": _text(payment.get("type")),
            "reference": _text(payment.get("note")),
            "status": status,
            "updated_at": max(changes),
            "written_by_sync": written_by_sync,
        }
    except _MALFORMED as error:
        raise KeapRecordError(
            f"payment {payment_id} of order {_text(order.get('id'))}: {_problem(error)}"
        ) from error


def _problem(error: Exception) -> str:
    """What is wrong, in words: a missing field is named as such."""
    if isinstance(error, KeyError):
        return f"it has no {error.args[0]}"
    return str(error)


def _status(order: Mapping[str, Any], when_paid: str | None, amount_paid: Decimal) -> str:
    """`draft` only for a Keap draft nobody has paid towards: Keap takes payments on an order it
    never sent, but money received means the invoice was issued (and a ledger such as Xero
    takes payments only on an issued invoice)."""
    if when_paid is not None:
        return "paid"
    return "draft" if _keap_status(order) == "DRAFT" and amount_paid <= 0 else "open"


def _keap_status(order: Mapping[str, Any]) -> str:
    return str(order.get("status") or "").upper()


def _sum(amounts: Iterable[Any]) -> Decimal:
    return sum((to_decimal(amount) for amount in amounts), Decimal(0))


def _counts(payment: Mapping[str, Any]) -> bool:
    return str(payment.get("status") or "").upper() in _COMPLETED_PAYMENTS


def _payment_status(payment: Mapping[str, Any]) -> str | None:
    """Keap's `Payment.status`: `NONE` is what a voided payment is left with; a `PENDING` charge
    is not money received yet. Refunds are taken off by `payment_record`."""
    if _counts(payment):
        return "completed"
    return "voided" if str(payment.get("status") or "").upper() == "NONE" else None


def _instalments(plan: Any, currency: str) -> list[dict[str, Any]] | None:
    if not isinstance(plan, Mapping) or not plan.get("payment_plan_items"):
        return None
    return [
        {
            "due_date": item["due_date"],
            "amount": money(item.get("amount_due"), currency).to_json(),
        }
        for item in plan["payment_plan_items"]
    ]


def _billing_address(addresses: Any) -> dict[str, Any] | None:
    if not isinstance(addresses, list) or not addresses:
        return None
    billing = next((a for a in addresses if a.get("field") == "BILLING"), None)
    if billing is None:
        return None
    return {
        "line1": _text(billing.get("line1")),
        "line2": _text(billing.get("line2")),
        "city": _text(billing.get("locality")),
        "region": _text(billing.get("region_code") or billing.get("region")),
        "postal_code": _text(billing.get("postal_code") or billing.get("zip_code")),
        "country_code": _text(billing.get("country_code")),
    }


def _slot(entries: Any, preferred: str, key: str) -> str | None:
    """The value in Keap's `preferred` slot (EMAIL1, PHONE1), else the first one given."""
    if not isinstance(entries, list):
        return None
    chosen = next((e for e in entries if e.get("field") == preferred), None)
    chosen = chosen or next((e for e in entries if _text(e.get(key))), None)
    return _text(chosen.get(key)) if chosen else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
