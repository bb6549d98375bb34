"""Xero's invoices, payments and contacts as records: the contract's `invoices` and `payments`
(`invoice_model`), and contacts as Xero has them.

Money is read into `Decimal` and written with at most the currency's minor units. Xero states a
line's amount as its `LineAmountTypes` say:

- `Exclusive` and `NoTax`: `LineAmount` is before tax, as the contract's `line_amount` is;
- `Inclusive`: `LineAmount` includes the line's tax, so the contract's `line_amount` is
  `LineAmount - TaxAmount` and the unit amount is taken out of tax in the same proportion.

Either way each line keeps the contract's rule `line_amount = round(quantity x unit_amount -
discount)` (the discount is what Xero's `DiscountRate` or `DiscountAmount` took off), and the
record's subtotal, tax and total are Xero's own `SubTotal`, `TotalTax` and `Total`, to the cent;
should Xero's totals ever differ from the sum of its lines (a rounding of its own), a line
states the difference rather than the record losing a cent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from invoice_model.connector.xero.marks import invoice_written_by_sync, payment_written_by_sync
from invoice_model.contract import UNIT_PLACES
from invoice_model.dates import format_date, format_datetime
from invoice_model.money import (
    MoneyError,
    fits_minor_units,
    line_amount,
    quantize,
    round_to,
    to_decimal,
    to_json_number,
)

STATUSES = {
    "DRAFT": "draft",
    "SUBMITTED": "draft",  # awaiting approval: not issued yet
    "AUTHORISED": "open",
    "PAID": "paid",
    "VOIDED": "void",
    "DELETED": "void",
}
PAYMENT_STATUSES = {"AUTHORISED": "completed", "DELETED": "voided"}
# Xero's postal address is the one invoices are sent to; the street address is a fallback.
ADDRESS_TYPES = ("POBOX", "STREET")
PHONE_TYPES = ("DEFAULT", "MOBILE", "DDI")
ZERO = Decimal(0)


class XeroRecordError(ValueError):
    """An invoice or payment Xero sent that cannot be stated in the contract."""


def invoice_record(
    invoice: Mapping[str, Any], contact: Mapping[str, Any] | None, *, written_by_sync: bool
) -> dict[str, Any]:
    """A Xero sales invoice (as a page of `GET /Invoices` carries it, with `unitdp=4`) as an
    `invoices` record; `contact` is its contact as `contact_details` gives it, when known."""
    label = f"invoice {invoice.get('InvoiceNumber') or invoice.get('InvoiceID')}"
    try:
        return _invoice_record(invoice, contact, written_by_sync)
    except (KeyError, TypeError, ValueError) as error:  # DateParseError is a ValueError
        raise XeroRecordError(f"Xero {label}: {error}") from error


def _invoice_record(
    invoice: Mapping[str, Any], contact: Mapping[str, Any] | None, written_by_sync: bool
) -> dict[str, Any]:
    currency = str(invoice["CurrencyCode"]).upper()
    money = _Money(currency)
    status = STATUSES.get(invoice["Status"])
    if status is None:
        raise ValueError(f"status {invoice['Status']!r} is not one Xero documents for invoices")
    subtotal = money.read(invoice, "SubTotal")
    tax = money.read(invoice, "TotalTax")
    total = money.read(invoice, "Total")
    if subtotal + tax != total:
        raise ValueError(f"Total {total} is not SubTotal {subtotal} + TotalTax {tax}")
    lines = _lines(invoice, money)
    lines += _adjustments(lines, subtotal, tax, money)
    paid = money.read(invoice, "AmountPaid") + money.read(invoice, "AmountCredited")
    issued = format_date(invoice["Date"])
    return {
        "source": "xero",
        "source_id": str(invoice["InvoiceID"]),
        "source_invoice_id": None,
        "number": invoice.get("InvoiceNumber") or None,
        "reference": invoice.get("Reference") or None,
        "status": status,
        "issue_date": issued,
        "due_date": format_date(invoice["DueDate"]) if invoice.get("DueDate") else None,
        "currency": currency,
        # A contact the Contacts endpoint did not return: as the invoice carries it.
        "contact": dict(contact) if contact else contact_details(invoice["Contact"]),
        "line_items": lines,
        "instalments": None,
        "subtotal": money.json(subtotal),
        "tax": money.json(tax),
        "total": money.json(total),
        "amount_paid": money.json(paid),
        "amount_due": money.json(total - paid),
        # Xero keeps no creation time for invoices: the day the invoice is dated stands for it.
        "created_at": format_datetime(issued),
        "updated_at": format_datetime(invoice["UpdatedDateUTC"]),
        "paid_at": _paid_at(invoice) if status == "paid" else None,
        "written_by_sync": written_by_sync,
    }


def _lines(invoice: Mapping[str, Any], money: _Money) -> list[dict[str, Any]]:
    """Every line of the invoice, before tax, each keeping the contract's line rule."""
    inclusive = invoice.get("LineAmountTypes") == "Inclusive"
    no_tax = invoice.get("LineAmountTypes") == "NoTax"
    lines = []
    for index, line in enumerate(invoice.get("LineItems") or [], 1):
        stated = money.read(line, "LineAmount")
        tax = ZERO if no_tax else money.read(line, "TaxAmount")
        amount = stated - tax if inclusive else stated
        quantity = round_to(_number(line.get("Quantity"), Decimal(1)), UNIT_PLACES)
        unit = _number(line.get("UnitAmount"), stated / quantity if quantity else stated)
        if inclusive and stated:
            unit = unit * amount / stated
        discounted = bool(line.get("DiscountRate") or line.get("DiscountAmount"))
        quantity, unit, discount = _priced(
            quantity, round_to(unit, UNIT_PLACES), amount, money, discounted=discounted
        )
        lines.append(
            {
                "source_id": line.get("LineItemID"),
                "kind": "product" if line.get("ItemCode") else "other",
                "description": line.get("Description") or line.get("ItemCode") or f"Line {index}",
                "sku": line.get("ItemCode") or None,
                "quantity": _unit_json(quantity),
                "unit_amount": _unit_json(unit),
                "discount": money.json(discount),
                "line_amount": money.json(amount),
                "tax_amount": money.json(tax),
                "taxable": bool(tax) or (not no_tax and line.get("TaxType") not in (None, "NONE")),
            }
        )
    return lines


def _priced(
    quantity: Decimal, unit: Decimal, amount: Decimal, money: _Money, *, discounted: bool
) -> tuple[Decimal, Decimal, Decimal]:
    """Quantity, unit amount and discount that give exactly `amount` by the contract's rule.

    A discounted line's discount is what its quantity and unit amount lose on the way to its
    amount. When that cannot hold (a unit amount taken out of tax, or worked out by Xero from
    the line amount; a line discounted to nothing), the unit amount is the amount shared out
    over the quantity; as a last resort the line is one unit of its amount.
    """
    lost = money.round(quantity * unit) - amount
    candidates = [(quantity, unit, lost if discounted else ZERO)]
    if quantity:
        candidates.append((quantity, round_to(amount / quantity, UNIT_PLACES), ZERO))
    candidates += [(quantity, unit, lost), (Decimal(1), amount, ZERO)]
    for q, u, discount in candidates:
        if discount >= 0 and line_amount(q, u, money.currency, discount) == amount:
            return q, u, discount
    raise AssertionError("one unit of the amount always holds")  # pragma: no cover


def _adjustments(
    lines: Sequence[Mapping[str, Any]], subtotal: Decimal, tax: Decimal, money: _Money
) -> list[dict[str, Any]]:
    """Lines stating what Xero's totals hold beyond the sum of its lines (none, as a rule)."""
    found = []
    off_subtotal = subtotal - sum((money.read(line, "line_amount") for line in lines), ZERO)
    off_tax = tax - sum((money.read(line, "tax_amount") for line in lines), ZERO)
    for kind, description, difference in (
        ("other", "Rounding (Xero)", off_subtotal),
        ("tax", "Tax rounding (Xero)", off_tax),
    ):
        if difference:
            found.append(
                {
                    "source_id": None,
                    "kind": kind,
                    "description": description,
                    "sku": None,
                    "quantity": 1,
                    "unit_amount": money.json(difference),
                    "discount": 0,
                    "line_amount": money.json(difference),
                    "tax_amount": None if kind == "tax" else 0,
                    "taxable": False,
                }
            )
    return found


def payment_record(
    payment: Mapping[str, Any], currency: str, *, written_by_sync: bool
) -> dict[str, Any]:
    """A payment on a sales invoice (as `GET /Payments` lists it) as a `payments` record, in
    the currency of the invoice it pays."""
    try:
        money = _Money(currency)
        invoice = payment["Invoice"]
        return {
            "source": "xero",
            "source_id": str(payment["PaymentID"]),
            "invoice_source_id": str(invoice["InvoiceID"]),
            "invoice_source_invoice_id": None,
            "invoice_number": invoice.get("InvoiceNumber") or None,
            "amount": money.json(money.read(payment, "Amount")),
            "currency": money.currency,
            "date": format_date(payment["Date"]),
            "method": None,  # Xero records the account paid into, not how the customer paid
            "reference": payment.get("Reference") or None,
            "status": PAYMENT_STATUSES[payment["Status"]],
            "updated_at": format_datetime(payment["UpdatedDateUTC"]),
            "written_by_sync": written_by_sync,
        }
    except (KeyError, TypeError, ValueError) as error:
        raise XeroRecordError(f"Xero payment {payment.get('PaymentID')}: {error}") from error


def contact_details(contact: Mapping[str, Any]) -> dict[str, Any]:
    """A Xero contact as an invoice record's `contact`.

    Xero has one name per contact, a company's or a person's, beside the person's first and last
    name: when the two differ, the name is the company's.
    """
    first, last = contact.get("FirstName") or None, contact.get("LastName") or None
    name = str(contact.get("Name") or "").strip() or " ".join(filter(None, (first, last)))
    person = " ".join(filter(None, (first, last)))
    return {
        "source_id": str(contact["ContactID"]),
        "name": name or contact.get("EmailAddress") or str(contact["ContactID"]),
        "first_name": first,
        "last_name": last,
        "company": name if person and name.casefold() != person.casefold() else None,
        "email": contact.get("EmailAddress") or None,
        "phone": _phone(contact.get("Phones") or []),
        "billing_address": _address(contact.get("Addresses") or []),
    }


def contact_record(contact: Mapping[str, Any]) -> dict[str, Any]:
    """A contact as Xero has it, its MS-JSON timestamps in the records' ISO form."""
    record = dict(contact)
    for key in ("UpdatedDateUTC",):
        if record.get(key):
            record[key] = format_datetime(record[key])
    return record


def is_written_by_sync(invoice: Mapping[str, Any]) -> bool:
    return invoice_written_by_sync(invoice.get("Url"))


def is_payment_written_by_sync(payment: Mapping[str, Any]) -> bool:
    return payment_written_by_sync(payment.get("Reference"))


class _Money:
    """Amounts of one currency: read exactly, refused when they do not fit its minor units."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        try:
            quantize(0, currency)
        except MoneyError as error:
            raise ValueError(str(error)) from None

    def read(self, data: Mapping[str, Any], key: str) -> Decimal:
        value = data.get(key)
        amount = ZERO if value is None else to_decimal(value)
        if not fits_minor_units(amount, self.currency):
            raise ValueError(f"{key} {amount} has more decimal places than {self.currency} has")
        return amount

    def round(self, value: Decimal) -> Decimal:
        return quantize(value, self.currency)

    def json(self, value: Decimal) -> int | float:
        return to_json_number(value, self.currency)


def _number(value: Any, default: Decimal) -> Decimal:
    return default if value is None else to_decimal(value)


def _unit_json(value: Decimal) -> int | float:
    normal = round_to(value, UNIT_PLACES).normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def _paid_at(invoice: Mapping[str, Any]) -> str:
    """The day Xero says the invoice was paid in full (it keeps no time), else its last change."""
    paid_on = invoice.get("FullyPaidOnDate")
    return format_datetime(paid_on or invoice["UpdatedDateUTC"])


def _phone(phones: Sequence[Mapping[str, Any]]) -> str | None:
    by_type = {p.get("PhoneType"): p for p in phones if p.get("PhoneNumber")}
    for phone_type in PHONE_TYPES:
        phone = by_type.get(phone_type)
        if phone is not None:
            country = f"+{phone['PhoneCountryCode']}" if phone.get("PhoneCountryCode") else None
            parts = (country, phone.get("PhoneAreaCode"), phone["PhoneNumber"])
            return " ".join(str(part) for part in parts if part)
    return None


def _address(addresses: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    by_type = {a.get("AddressType"): a for a in addresses}
    for address_type in ADDRESS_TYPES:
        address = by_type.get(address_type) or {}
        line2 = ", ".join(
            str(address[key])
            for key in ("AddressLine2", "AddressLine3", "AddressLine4")
            if address.get(key)
        )
        fields = {
            "line1": address.get("AddressLine1") or None,
            "line2": line2 or None,
            "city": address.get("City") or None,
            "region": address.get("Region") or None,
            "postal_code": address.get("PostalCode") or None,
            "country_code": address.get("Country") or None,
        }
        if any(fields.values()):
            return fields
    return None
