"""The record contract in Keap's terms: orders and their lines, contacts, manual payments.

Pure functions, no calls. Amounts are `Decimal` throughout and become JSON numbers (Keap's create
requests take doubles in major units) only at the end, at the currency's precision.

Keap holds an order line as a whole quantity of 1 or more times a price in the currency's minor
units; discounts are lines of their own, stored negative; tax is a line; an order's total is the
sum of its lines, in the account's currency. So an invoice line becomes:

- itself, when its quantity is whole and its unit price fits the currency, followed by a
  discount line for its discount, if any;
- otherwise (a fractional or zero quantity, a unit price with more places than the currency)
  one unit at its line amount, its name keeping the quantity and price: `Consulting (1.5 x 80)`;
- a discount line (one unit at the amount taken off) when its amount is negative.

Tax the record carries on lines becomes one `Tax` line. Before anything is sent, the sum of the
lines to write is checked against the invoice's total: a record Keap cannot hold to the cent is
rejected with the reason, never written wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

import iso3166

from invoice_model.connector.destination import RecordError
from invoice_model.dates import format_datetime, parse_date, parse_datetime, start_of_day
from invoice_model.money import Money, fits_minor_units, to_decimal, to_json_number

ORDER_TYPE = "OFFLINE"
# An invoice's day is written as noon of that day in the account's time zone, so that every
# reader of the order (Keap's app, source-keap) sees the same date, whatever the zone.
NOON = dt.timedelta(hours=12)
MAX_QUANTITY = 2**31 - 1  # Keap's quantity is an int32
KIND_TYPES = {
    "product": "OTHER",
    "service": "OTHER",
    "other": "OTHER",
    "shipping": "SHIPPING",
    "fee": "FEE",
    "tax": "TAX",
    "discount": "DISCOUNT",
}
LINE_DISCOUNT_TYPE = "DISCOUNT_PRODUCT"
# Keap's limits on a contact (CreateUpdateContactRequest, Address of a BILLING address).
CONTACT_LIMITS = {"given_name": 40, "family_name": 40, "company": 100, "phone": 40}
ADDRESS_LIMITS = {"line1": 75, "line2": 75, "locality": 50, "region": 50, "postal_code": 15}
EMAIL_MAX = 100

PAYMENT_NOTE = re.compile(r"^Xero payment (?P<id>[^\s·]+)")


def is_discount(item_type: str) -> bool:
    return item_type.startswith("DISCOUNT")


def keap_time(day: str | dt.date, time_zone: str) -> str:
    """The instant an invoice's day is written as: noon of that day in the account's zone."""
    return format_datetime(start_of_day(parse_date(day), time_zone) + NOON)


# Orders


@dataclass(frozen=True)
class Line:
    """One Keap order line: `quantity` units at `price` (a discount line's is taken off)."""

    item_type: str
    name: str
    quantity: int
    price: Decimal
    product_id: str | None = None

    def amount(self) -> Decimal:
        total = self.quantity * self.price
        return -total if is_discount(self.item_type) else total

    def body(self, currency: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "item_type": "PRODUCT" if self.product_id else self.item_type,
            "name": self.name,
            "quantity": self.quantity,
            "price_per_unit": to_json_number(self.price, currency),
        }
        if self.product_id:
            body["product_id"] = self.product_id
        return body

    def key(self, currency: str) -> tuple[Any, ...]:
        """What Keap shows back of the line, to tell whether it changed."""
        minor = Money(self.price, currency).minor
        return (
            "PRODUCT" if self.product_id else self.item_type,
            self.name,
            self.quantity,
            -minor if is_discount(self.item_type) else minor,
            self.product_id or "",
        )


@dataclass(frozen=True)
class Content:
    """What this destination writes of an order, comparable with what Keap holds."""

    title: str
    order_time: str
    due_time: str
    invoice_number: str
    sent: bool
    lines: str  # digest of the lines' keys

    def changes(self, held: Content) -> list[str]:
        """The fields that differ from `held`; an order sent in Keap is never un-sent."""
        return [
            f.name
            for f in fields(self)
            if getattr(self, f.name) != getattr(held, f.name)
            and not (f.name == "sent" and held.sent)
        ]


@dataclass(frozen=True)
class OrderDraft:
    """An invoice record as a Keap order, without its contact (resolved separately)."""

    xero_id: str
    currency: str
    fields: dict[str, Any]  # Keap's property names; no contact_id, no order_items
    lines: tuple[Line, ...]
    total: Decimal

    def body(self, contact_id: str) -> dict[str, Any]:
        return {
            "contact_id": contact_id,
            **self.fields,
            "order_items": [line.body(self.currency) for line in self.lines],
        }

    def content(self) -> Content:
        return Content(
            title=self.fields["order_title"],
            order_time=self.fields["order_time"],
            due_time=self.fields.get("due_time") or "",
            invoice_number=self.fields.get("invoice_number") or "",
            sent=bool(self.fields.get("sent_time")),
            lines=_digest(line.key(self.currency) for line in self.lines),
        )


# What `OrderDraft.content` field each Keap property of an update belongs to.
CONTENT_PROPERTIES = {
    "title": "order_title",
    "order_time": "order_time",
    "due_time": "due_time",
    "invoice_number": "invoice_number",
    "sent": "sent_time",
    "lines": "order_items",
}


def held_content(order: Mapping[str, Any]) -> Content:
    """The `Content` of an order as Keap shows it (`OrderV2`)."""
    keys = []
    for item in order.get("order_items") or []:
        price = item.get("price_per_unit") or {}
        keys.append(
            (
                str(item.get("item_type") or ""),
                str(item.get("name") or ""),
                int(item.get("quantity") or 0),
                int(price.get("amount") or 0) if isinstance(price, Mapping) else 0,
                str((item.get("product") or {}).get("id") or ""),
            )
        )
    return Content(
        title=str(order.get("title") or ""),
        order_time=_instant(order.get("order_time")),
        due_time=_instant(order.get("due_time")),
        invoice_number=str(order.get("invoice_number") or ""),
        sent=bool(order.get("sent_time")),
        lines=_digest(keys),
    )


def order_draft(
    record: Mapping[str, Any],
    *,
    currency: str,
    time_zone: str,
    marker_id: str,
    products: Mapping[str, str],
) -> OrderDraft:
    """The Keap order for an invoice record, its total equal to the invoice's; a `RecordError`
    when Keap cannot hold it exactly."""
    if record["currency"] != currency:
        raise RecordError(
            f"it is in {record['currency']}, and Keap creates orders in the account's currency "
            f"{currency}: writing it would change its amounts"
        )
    total = to_decimal(record["total"])
    if total < 0:
        raise RecordError(f"its total {total} is negative: a Keap order cannot hold a credit")
    lines = [
        line
        for source in record["line_items"]
        for line in invoice_lines(source, currency, products)
    ]
    carried = sum(
        (to_decimal(line["tax_amount"]) for line in record["line_items"] if line["tax_amount"]),
        Decimal(0),
    )
    if carried < 0:
        raise RecordError(f"the tax carried on its lines is {carried}: Keap's tax line cannot be")
    if carried:
        lines.append(Line("TAX", "Tax", 1, carried))
    written = sum((line.amount() for line in lines), Decimal(0))
    if written != total:
        raise RecordError(
            f"Keap's order would total {written} {currency}, the invoice {total}: not written"
        )
    order_time = keap_time(record["issue_date"], time_zone)
    fields_: dict[str, Any] = {
        "order_title": order_title(record),
        "order_time": order_time,
        "order_type": ORDER_TYPE,
        "custom_fields": [{"id": marker_id, "content": record["source_id"]}],
        "external_create_time": record["created_at"],
        "external_update_time": record["updated_at"],
    }
    if record["due_date"]:
        fields_["due_time"] = keap_time(record["due_date"], time_zone)
    if record["number"]:
        fields_["invoice_number"] = record["number"]
    if record["status"] != "draft":
        fields_["sent_time"] = order_time
    return OrderDraft(record["source_id"], currency, fields_, tuple(lines), total)


def order_title(record: Mapping[str, Any]) -> str:
    """`INV-0042 · Spring order`: the invoice's number and reference, as the order's title."""
    parts = [_clean(record.get("number")), _clean(record.get("reference"))]
    return " · ".join(part for part in parts if part) or "Xero invoice"


def invoice_lines(
    line: Mapping[str, Any], currency: str, products: Mapping[str, str]
) -> list[Line]:
    """The Keap lines of one invoice line (see the module docstring)."""
    kind = line["kind"]
    name = _clean(line["description"]) or kind.capitalize()
    quantity = to_decimal(line["quantity"])
    unit = to_decimal(line["unit_amount"])
    discount = to_decimal(line["discount"])
    amount = to_decimal(line["line_amount"])
    if quantity > MAX_QUANTITY:
        raise RecordError(f"line {name!r}: quantity {quantity} is more than Keap holds")
    whole = quantity >= 1 and quantity == quantity.to_integral_value()
    as_is = whole and unit >= 0 and fits_minor_units(unit, currency)
    if amount < 0:
        shown = name if quantity == 1 else f"{name} ({_number(quantity)} x {_number(unit)})"
        return [Line("DISCOUNT", shown, 1, -amount)]
    item_type = "OTHER" if kind == "discount" else KIND_TYPES[kind]  # nothing taken off
    if not as_is:
        return [Line(item_type, f"{name} ({_number(quantity)} x {_number(unit)})", 1, amount)]
    sku = _clean(line.get("sku"))
    product_id = products.get(sku) if sku and kind not in ("tax", "discount") else None
    lines = [Line(item_type, name, int(quantity), unit, product_id)]
    if discount:
        lines.append(Line(LINE_DISCOUNT_TYPE, f"Discount: {name}", 1, discount))
    return lines


# Contacts


@dataclass(frozen=True)
class Person:
    """How a contact is recognised in Keap: email, else name and company (folded)."""

    email: str | None
    given_name: str
    family_name: str
    company: str

    @property
    def name_key(self) -> tuple[str, str, str]:
        return (_fold(self.given_name), _fold(self.family_name), _fold(self.company))


def person(contact: Mapping[str, Any]) -> Person:
    """A record's contact as Keap will hold it. A contact with neither a person's name nor a
    company (an organisation known by its name alone) is a company of that name."""
    given = _clean(contact.get("first_name"))[: CONTACT_LIMITS["given_name"]]
    family = _clean(contact.get("last_name"))[: CONTACT_LIMITS["family_name"]]
    company = _clean(contact.get("company"))
    if not (given or family or company):
        company = _clean(contact.get("name"))
    email = _clean(contact.get("email")).lower() or None
    if email is not None and len(email) > EMAIL_MAX:
        raise RecordError(f"its contact's email has more than Keap's {EMAIL_MAX} characters")
    return Person(email, given, family, company[: CONTACT_LIMITS["company"]])


def same_contact(who: Person, contact: Mapping[str, Any]) -> bool:
    """Whether an order's contact, as its `BasicContact` shows it, is the record's contact as far
    as Keap shows: the same email, or, for a contact without one, the same name."""
    if who.email:
        return who.email == str(contact.get("email") or "").strip().lower()
    shown = (_clean(contact.get("given_name")), _clean(contact.get("family_name")))
    return (_fold(who.given_name), _fold(who.family_name)) == tuple(_fold(n) for n in shown)


def person_of(keap_contact: Mapping[str, Any]) -> tuple[list[str], Person]:
    """A Keap contact (`Contact`, with `company` and `email_addresses`): all its emails, and
    its primary one with its name and company."""
    emails = [
        str(entry.get("email") or "").strip().lower()
        for entry in keap_contact.get("email_addresses") or []
        if entry.get("email")
    ]
    company = keap_contact.get("company")
    return emails, Person(
        emails[0] if emails else None,
        _clean(keap_contact.get("given_name")),
        _clean(keap_contact.get("family_name")),
        _clean(company.get("company_name")) if isinstance(company, Mapping) else "",
    )


def contact_body(contact: Mapping[str, Any], who: Person) -> dict[str, Any]:
    """A new Keap contact (`CreateUpdateContactRequest`); a `RecordError` when it has none of
    the email, phone or address Keap needs."""
    body: dict[str, Any] = {}
    if who.given_name:
        body["given_name"] = who.given_name
    if who.family_name:
        body["family_name"] = who.family_name
    if who.company:
        body["company"] = {"company_name": who.company}
    if who.email:
        body["email_addresses"] = [{"email": who.email, "field": "EMAIL1"}]
    phone = _clean(contact.get("phone"))[: CONTACT_LIMITS["phone"]]
    if phone:
        body["phone_numbers"] = [{"number": phone, "field": "PHONE1"}]
    address = billing_address(contact.get("billing_address") or {})
    if address:
        body["addresses"] = [address]
    if not any(k in body for k in ("email_addresses", "phone_numbers", "addresses")):
        raise RecordError(
            f"its contact {contact['name']!r} has no email, phone or address, one of which "
            "Keap needs to create a contact: add one in Xero, or create the contact in Keap"
        )
    return body


def billing_address(address: Mapping[str, Any]) -> dict[str, Any] | None:
    """Keap's BILLING address (lines cut to Keap's lengths; the country as ISO alpha-3, and the
    country and region left out when the country is not one Keap knows)."""
    values = {
        "line1": address.get("line1"),
        "line2": address.get("line2"),
        "locality": address.get("city"),
        "postal_code": address.get("postal_code"),
    }
    found = {k: _clean(v)[: ADDRESS_LIMITS[k]] for k, v in values.items() if _clean(v)}
    country = iso3166.countries.get(_clean(address.get("country_code")), None)
    if country is not None:
        found["country_code"] = country.alpha3
        region = _clean(address.get("region"))[: ADDRESS_LIMITS["region"]]
        if region:
            found["region"] = region
    return {"field": "BILLING", **found} if found else None


# Payments


def payment_note(record: Mapping[str, Any]) -> str:
    """`Xero payment 5f1c... · Bank transfer · INV-0042`: the Xero PaymentID comes first, so the
    payment is recognised on its order whatever else the note says."""
    parts = [f"Xero payment {record['source_id']}"]
    parts += [_clean(record.get(key)) for key in ("method", "reference")]
    return " · ".join(part for part in parts if part)


def key_of_note(note: Any) -> str | None:
    """The Xero PaymentID a Keap payment's note carries, if this destination recorded it."""
    match = PAYMENT_NOTE.match(str(note or ""))
    return match["id"] if match else None


def payment_body(record: Mapping[str, Any], payment_type: str, time_zone: str) -> dict[str, Any]:
    """A manual payment (`RestCreatePaymentRequest`)."""
    return {
        "payment_amount": to_json_number(record["amount"], record["currency"]),
        "payment_method_type": payment_type,
        "apply_to_commissions": False,
        "payment_time": keap_time(record["date"], time_zone),
        "notes": payment_note(record),
    }


def _instant(value: Any) -> str:
    return format_datetime(parse_datetime(value)) if value else ""


def _digest(keys: Any) -> str:
    return hashlib.sha256(repr(list(keys)).encode()).hexdigest()


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _clean(value: Any) -> str:
    """Text as Keap keeps it: whitespace runs as one space, no control characters."""
    text = "".join(c for c in str(value or "") if unicodedata.category(c) != "Cc")
    return " ".join(text.split())


def _fold(value: str) -> str:
    return value.casefold()
