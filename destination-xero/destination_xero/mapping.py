"""The record contract in Xero's terms: contacts, sales invoices and payments.

Pure functions, no calls: what a record should look like in Xero, and whether what Xero holds
already looks like that. Amounts are `Decimal` throughout and become JSON numbers only at the
end, at the currency's precision (4 places for quantities and unit prices, as `unitdp=4`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from destination_xero.books import Books
from destination_xero.config import InvoiceSettings, SourceTaxLines, XeroCalculatedTax
from destination_xero.fitting import (
    CONTACT_NAME_MAX,
    CONTACT_NUMBER_MAX,
    INVOICE_NUMBER_MAX,
    PAYMENT_REFERENCE_MAX,
    REFERENCE_MAX,
    cut,
    fit_record,
    fitted,
    length,
)
from invoice_model.connector.destination import RecordError
from invoice_model.connector.xero.marks import PAYMENT_REFERENCE, SOURCE_LINKS, SOURCE_NAMES
from invoice_model.contract import INVOICES, UNIT_PLACES
from invoice_model.dates import parse_date, parse_datetime
from invoice_model.money import quantize, round_to, to_decimal, to_json_number

XERO_AMOUNT_PLACES = 2  # Xero keeps line amounts and totals to 2 places, whatever the currency
# UTC-12 (Baker Island, "anywhere on Earth") is the last time zone in which a day ends.
LATEST_DAY_END = dt.timedelta(hours=12)


def source_link(record: Mapping[str, Any]) -> str:
    """The invoice's `Url` ("Go to ..." in Xero): the source's address of the record, which marks
    the invoice as written by this destination (`invoice_model.connector.xero.marks`). It is how
    an invoice number is known to be ours before it is updated, and how the Xero → Keap direction
    recognises invoices not to send back.
    """
    template = SOURCE_LINKS.get(record["source"])
    if template is None:
        raise RecordError(f"records from {record['source']} are not written to Xero")
    return template.format(source_id=record["source_id"])


def paid_invoice_link(payment: Mapping[str, Any]) -> str:
    """The `Url` this destination gives the invoice a payment record pays."""
    return source_link({"source": payment["source"], "source_id": payment["invoice_source_id"]})


# Contacts


def contact_name(contact: Mapping[str, Any], *, suffixed: bool = False) -> str:
    """The name a new Xero contact gets; `suffixed` when the plain name belongs to another (the
    name then cut so that the suffix fits Xero's length).
    """
    name = " ".join(str(contact["name"]).split())
    if not suffixed:
        return name
    suffix = f" ({contact['source_id']})"
    return cut(name, CONTACT_NAME_MAX - length(suffix)) + suffix


def contact_payload(contact: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A new Xero contact for a source contact; its ContactNumber is the source contact ID."""
    number = str(contact["source_id"])
    if len(number) > CONTACT_NUMBER_MAX:
        raise RecordError(
            f"contact ID {number!r} is longer than Xero's {CONTACT_NUMBER_MAX}-character "
            "ContactNumber"
        )
    payload: dict[str, Any] = {"Name": name, "ContactNumber": number}
    for field, key in (
        ("first_name", "FirstName"),
        ("last_name", "LastName"),
        ("email", "EmailAddress"),
    ):
        if contact.get(field):
            payload[key] = contact[field]
    if contact.get("phone"):
        payload["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": contact["phone"]}]
    address = contact.get("billing_address") or {}
    fields = {
        "AddressLine1": address.get("line1"),
        "AddressLine2": address.get("line2"),
        "City": address.get("city"),
        "Region": address.get("region"),
        "PostalCode": address.get("postal_code"),
        "Country": address.get("country_code"),
    }
    if any(fields.values()):
        # POBOX is Xero's postal (billing) address; STREET is where goods go.
        payload["Addresses"] = [{"AddressType": "POBOX", **{k: v for k, v in fields.items() if v}}]
    return payload


# Invoices


@dataclass(frozen=True)
class InvoiceDraft:
    """A record as a Xero invoice: the body to send (without InvoiceID) and its total."""

    number: str
    body: dict[str, Any]
    total: Decimal

    @property
    def status(self) -> str:
        return self.body["Status"]


def template_values(record: Mapping[str, Any]) -> dict[str, str | None]:
    """Placeholder values of an invoice record, or of the invoice a payment record pays."""
    if "invoice_source_id" in record:  # a payment
        return {
            "source": record["source"],
            "source_id": record["invoice_source_id"],
            "source_invoice_id": record["invoice_source_invoice_id"],
            "number": record["invoice_number"],
            "reference": None,
        }
    return {
        "source": record["source"],
        "source_id": record["source_id"],
        "source_invoice_id": record["source_invoice_id"],
        "number": record["number"],
        "reference": record["reference"],
    }


def invoice_number(record: Mapping[str, Any], settings: InvoiceSettings) -> str:
    """The InvoiceNumber of an invoice record, or of the invoice a payment record pays."""
    number = settings.number_template.render(template_values(record), required=True).strip()
    if "," in number:
        raise RecordError(f"invoice number {number!r} has a comma, which Xero look-ups split on")
    if not number or len(number) > INVOICE_NUMBER_MAX:
        shown = repr(number) if len(number) <= 40 else f"{number[:40]!r}..."
        raise RecordError(f"invoice number {shown} must have 1 to 255 characters")
    if not (number.isascii() and number.isprintable()):
        raise RecordError(
            f"invoice number {number!r} has characters Xero does not take in an invoice number "
            "(printable ASCII only)"
        )
    return number


def invoice_reference(
    record: Mapping[str, Any], settings: InvoiceSettings
) -> tuple[str, list[str]]:
    """The Reference of an invoice record, fitted to Xero, and a note for each change."""
    notes: list[str] = []
    text = settings.reference_template.render(template_values(record), required=False)
    return fitted("Reference", text, REFERENCE_MAX, notes), notes


def fit(
    stream: str, record: Mapping[str, Any], settings: InvoiceSettings
) -> tuple[dict[str, Any], list[str]]:
    """The record fitted to what Xero keeps (`fitting.fit_record`), and a note for each change,
    those of the fields the mapping composes (an invoice's and a payment's Reference) included.
    """
    record, notes = fit_record(stream, record)
    if stream == INVOICES.name:
        notes += invoice_reference(record, settings)[1]
    else:
        notes += _payment_reference(record)[1]
    return record, notes


def due_date(record: Mapping[str, Any], due_days: int) -> dt.date:
    """The source's due date; else the issue date when paid in full on it; else the last
    instalment of a payment plan; else the issue date plus `due_days`.
    """
    if record.get("due_date"):
        return parse_date(record["due_date"])
    issued = parse_date(record["issue_date"])
    paid_when_raised = record["status"] == "paid" and record.get("paid_at")
    if paid_when_raised and parse_datetime(record["paid_at"]) < end_of_day_everywhere(issued):
        return issued
    instalments = record.get("instalments") or []
    if instalments:
        return max(parse_date(instalment["due_date"]) for instalment in instalments)
    return issued + dt.timedelta(days=due_days)


def end_of_day_everywhere(day: dt.date) -> dt.datetime:
    """The instant `day` has ended in every time zone: midnight after it in UTC-12, the last
    zone to see a day end (12:00 UTC the next day).

    An issue date is a day in the source account's time zone, which the record does not carry;
    `paid_at` is an instant. A payment before this instant may have been made on the issue day
    wherever the source is, so it counts as paid when raised: a same-day payment is never
    missed, and a payment made early the next morning (up to 12 hours plus the zone's offset
    from UTC) may be taken for a same-day one, which only moves the due date of an invoice that
    is already paid.
    """
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return midnight + LATEST_DAY_END


def build_invoice(
    record: Mapping[str, Any], contact_id: str, settings: InvoiceSettings, books: Books
) -> InvoiceDraft:
    """The Xero sales invoice for an invoice record, its total equal to the source's, or a
    `RecordError` saying why Xero cannot hold it as the source has it.
    """
    currency = record["currency"]
    total = to_decimal(record["total"])
    if total < 0:
        raise RecordError(
            f"its total {total} {currency} is negative: a Xero sales invoice cannot be, and "
            "this destination writes no credit notes"
        )
    pairs = [_line(line, currency, settings, books) for line in record["line_items"]]
    tax = settings.tax
    if isinstance(tax, SourceTaxLines):
        lines = [xero for xero, _ in pairs]
        carried = sum(
            (to_decimal(line["tax_amount"]) for line in record["line_items"] if line["tax_amount"]),
            Decimal(0),
        )
        if carried:
            lines.append(_amount_line("Tax", carried, tax.account_code, currency))
        amount_types = "NoTax"
        xero_total = sum((_xero_line_amount(line) for line in lines), Decimal(0))
        if xero_total != total:
            raise RecordError(
                f"Xero would total its lines {xero_total} {currency}, the source's total is "
                f"{total}: Xero rounds each line to 2 places"
            )
    else:
        lines = _with_rounding_line(record, pairs, tax, books)
        amount_types = "Exclusive"
    status = "DRAFT" if record["status"] == "draft" else settings.status
    number = invoice_number(record, settings)
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "InvoiceNumber": number,
        "Reference": invoice_reference(record, settings)[0],
        "Url": source_link(record),
        "Date": parse_date(record["issue_date"]).isoformat(),
        "DueDate": due_date(record, settings.due_days).isoformat(),
        "CurrencyCode": currency,
        "LineAmountTypes": amount_types,
        "Status": status,
        "LineItems": lines,
    }
    return InvoiceDraft(number, body, total)


def _line(
    line: Mapping[str, Any], currency: str, settings: InvoiceSettings, books: Books
) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """A contract line as a Xero line (before tax handling), with the line it came from."""
    kind = line["kind"]
    tax = settings.tax
    account = {
        "shipping": settings.shipping_account_code,
        "discount": settings.discount_account_code,
        "fee": settings.fee_account_code,
        "tax": tax.account_code if isinstance(tax, SourceTaxLines) else "",
    }.get(kind, settings.sales_account_code)
    xero: dict[str, Any] = {
        "Description": line["description"],
        "Quantity": to_json_number(line["quantity"], currency, UNIT_PLACES),
        "UnitAmount": to_json_number(line["unit_amount"], currency, UNIT_PLACES),
    }
    sku = line.get("sku")
    if settings.match_items_by_sku and sku and sku in books.items and kind != "tax":
        xero["ItemCode"] = sku
        account = books.items[sku] or account
    xero["AccountCode"] = account
    if to_decimal(line["discount"]):
        xero["DiscountAmount"] = to_json_number(line["discount"], currency)
    return xero, line


def _xero_line_amount(line: Mapping[str, Any]) -> Decimal:
    """A line amount as Xero works it out: quantity x unit amount - discount, to 2 places."""
    exact = to_decimal(line["Quantity"]) * to_decimal(line["UnitAmount"])
    return round_to(exact - to_decimal(line.get("DiscountAmount", 0)), XERO_AMOUNT_PLACES)


def _amount_line(description: str, amount: Decimal, account: str, currency: str) -> dict[str, Any]:
    return {
        "Description": description,
        "Quantity": 1,
        "UnitAmount": to_json_number(amount, currency),
        "AccountCode": account,
    }


def _with_rounding_line(
    record: Mapping[str, Any],
    lines: list[tuple[dict[str, Any], Mapping[str, Any]]],
    tax: XeroCalculatedTax,
    books: Books,
) -> list[dict[str, Any]]:
    """Tax types on every line, the source's tax lines dropped, and a rounding line when Xero's
    total (tax rounded per line, half up) differs from the source's within the tolerance.
    """
    currency = record["currency"]
    kept: list[dict[str, Any]] = []
    expected = Decimal(0)
    for xero, line in lines:
        if line["kind"] == "tax":
            continue
        tax_type = tax.tax_type if line["taxable"] else tax.exempt_tax_type
        rate = books.tax_rates[tax_type].effective_rate if tax_type in books.tax_rates else 0
        amount = to_decimal(line["line_amount"])
        expected += amount + quantize(amount * rate / 100, currency)
        kept.append({**xero, "TaxType": tax_type})
    difference = to_decimal(record["total"]) - expected
    if difference:
        if abs(difference) > tax.tolerance:
            raise RecordError(
                f"with tax type {tax.tax_type} Xero's total would be {expected}, the source's "
                f"is {record['total']}: the difference {difference} is beyond the rounding "
                f"tolerance {tax.tolerance}"
            )
        rounding = _amount_line("Rounding", difference, tax.rounding_account_code, currency)
        kept.append({**rounding, "TaxType": tax.exempt_tax_type})
    return kept


def changed_fields(desired: Mapping[str, Any], existing: Mapping[str, Any]) -> list[str]:
    """The fields of `desired` (an invoice body) that `existing` (Xero's invoice) lacks or holds
    differently; only what the destination writes is compared, amounts as numbers.
    """
    changed = [
        key
        for key in ("InvoiceNumber", "Reference", "Url", "CurrencyCode", "LineAmountTypes")
        if (desired.get(key) or "") != (existing.get(key) or "")
    ]
    if desired["Contact"]["ContactID"] != (existing.get("Contact") or {}).get("ContactID"):
        changed.append("Contact")
    for key in ("Date", "DueDate"):
        if not existing.get(key) or parse_date(existing[key]).isoformat() != desired[key]:
            changed.append(key)
    old_lines = existing.get("LineItems") or []
    new_lines = desired["LineItems"]
    if len(old_lines) != len(new_lines) or any(
        not _same_line(new, old) for new, old in zip(new_lines, old_lines, strict=True)
    ):
        changed.append("LineItems")
    return changed


def _same_line(desired: Mapping[str, Any], existing: Mapping[str, Any]) -> bool:
    for key, value in desired.items():
        held = existing.get(key)
        if key in ("Quantity", "UnitAmount", "DiscountAmount"):
            if held is None or to_decimal(held) != to_decimal(value):
                return False
        elif (held or "") != value:
            return False
    return not (existing.get("DiscountAmount") and "DiscountAmount" not in desired)


# Payments


def payment_reference(record: Mapping[str, Any]) -> str:
    """`Keap payment 5001 · Credit Card · Paid at the door`: the source payment ID comes first,
    so the payment is recognised on the invoice whatever else the reference says (and whatever
    is cut to fit Xero).
    """
    return _payment_reference(record)[0]


def _payment_reference(record: Mapping[str, Any]) -> tuple[str, list[str]]:
    parts = [
        f"{SOURCE_NAMES.get(record['source'], record['source'])} payment {record['source_id']}"
    ]
    parts += [str(record[key]).strip() for key in ("method", "reference") if record.get(key)]
    notes: list[str] = []
    text = " · ".join(part for part in parts if part)
    return fitted("Reference", text, PAYMENT_REFERENCE_MAX, notes), notes


def payment_key(record: Mapping[str, Any]) -> str:
    """What identifies a source payment among an invoice's Xero payments."""
    return f"{record['source']}:{record['source_id']}"


def key_of_reference(reference: str | None) -> str | None:
    """The payment key a Xero payment's reference carries, if this destination wrote it."""
    match = PAYMENT_REFERENCE.match(reference or "")
    if match is None:
        return None
    return f"{match['source'].lower()}:{match['id']}"


def payment_payload(
    record: Mapping[str, Any], invoice_id: str, account_code: str
) -> dict[str, Any]:
    return {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": account_code},
        "Date": parse_date(record["date"]).isoformat(),
        "Amount": to_json_number(record["amount"], record["currency"]),
        "Reference": payment_reference(record),
    }
