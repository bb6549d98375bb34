"""Reading Xero requests: JSON elements into drafts, and query parameters and headers.

Xero reads a body leniently (numbers as numbers or numeric strings, dates as `YYYY-MM-DD`,
ISO timestamps or `/Date(...)/`, a bare element or the `{"Invoices": [...]}` wrapper) but a
body it cannot read at all, or a field of the wrong type, fails the whole request with a 400
`PostDataInvalidException`, before any element is written.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from werkzeug.datastructures import MultiDict

from invoice_model.dates import DateParseError, parse_date, parse_datetime
from invoice_model.money import MoneyError, to_decimal
from keap_xero_sandbox.xero import validation
from keap_xero_sandbox.xero.errors import PostDataInvalid, QueryParseException
from keap_xero_sandbox.xero.models import (
    Address,
    ContactDraft,
    ContactRef,
    InvoiceDraft,
    LineDraft,
    PaymentDraft,
    Phone,
)

T = TypeVar("T")
Json = Mapping[str, Any]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
INVOICE_TYPES = (
    "ACCPAY",
    "ACCPAYCREDIT",
    "APOVERPAYMENT",
    "APPREPAYMENT",
    "ACCREC",
    "ACCRECCREDIT",
    "AROVERPAYMENT",
    "ARPREPAYMENT",
)
INVOICE_STATUSES = ("DRAFT", "SUBMITTED", "DELETED", "AUTHORISED", "PAID", "VOIDED")
PAYMENT_STATUSES = ("AUTHORISED", "DELETED")
ADDRESS_TYPES = ("POBOX", "STREET")
PHONE_TYPES = ("DEFAULT", "DDI", "MOBILE", "FAX", "OFFICE")


# bodies


def elements(raw: bytes, key: str) -> list[Json]:
    """The elements of a write body: `{"<key>": [...]}`, or one bare element."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise PostDataInvalid(f"Invalid JSON in the request body: {error}") from None
    refused = validation.refused_character(body)
    if refused is not None:
        character, where = refused
        raise PostDataInvalid(
            f"JSON for post data was invalid, hexadecimal value 0x{ord(character):02X}, is an "
            f"invalid character. ({where or 'body'})"
        )
    if isinstance(body, dict) and key in body:
        found = body[key]
        if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
            raise PostDataInvalid(f"{key} must be an array of objects")
        return found
    if isinstance(body, dict) and body:
        return [body]
    raise PostDataInvalid(f"The request body must hold {key}")


def _text(data: Json, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PostDataInvalid(f"{name} must be text")
    return str(value)


def _decimal(data: Json, name: str) -> Decimal | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    try:
        return to_decimal(value)
    except MoneyError:
        raise PostDataInvalid(f"{name} must be a number, not {value!r}") from None


def _date(data: Json, name: str) -> dt.date | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    try:
        return parse_date(value)
    except DateParseError:
        raise PostDataInvalid(f"{name} must be a date (YYYY-MM-DD), not {value!r}") from None


def _bool(data: Json, name: str) -> bool | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise PostDataInvalid(f"{name} must be true or false")


def _object(data: Json, name: str) -> Json | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PostDataInvalid(f"{name} must be an object")
    return value


def _objects(data: Json, name: str) -> list[Json] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise PostDataInvalid(f"{name} must be an array of objects")
    return value


def _one_of(value: str | None, allowed: Sequence[str], name: str) -> str | None:
    if value is None:
        return None
    for choice in allowed:
        if value.upper() == choice.upper():
            return choice
    raise PostDataInvalid(f"{value!r} is not a valid {name}")


def contact_draft(data: Json) -> ContactDraft:
    addresses = _objects(data, "Addresses")
    phones = _objects(data, "Phones")
    return ContactDraft(
        contact_id=_text(data, "ContactID"),
        name=_text(data, "Name"),
        contact_number=_text(data, "ContactNumber"),
        account_number=_text(data, "AccountNumber"),
        status=_one_of(
            _text(data, "ContactStatus"), ("ACTIVE", "ARCHIVED", "GDPRREQUEST"), "ContactStatus"
        ),
        first_name=_text(data, "FirstName"),
        last_name=_text(data, "LastName"),
        email=_text(data, "EmailAddress"),
        addresses=None if addresses is None else [_address(a) for a in addresses],
        phones=None if phones is None else [_phone(p) for p in phones],
        default_currency=_text(data, "DefaultCurrency"),
    )


def _address(data: Json) -> Address:
    return Address(
        address_type=_one_of(_text(data, "AddressType"), ADDRESS_TYPES, "AddressType") or "POBOX",
        line1=_text(data, "AddressLine1"),
        line2=_text(data, "AddressLine2"),
        line3=_text(data, "AddressLine3"),
        line4=_text(data, "AddressLine4"),
        city=_text(data, "City"),
        region=_text(data, "Region"),
        postal_code=_text(data, "PostalCode"),
        country=_text(data, "Country"),
    )


def _phone(data: Json) -> Phone:
    return Phone(
        phone_type=_one_of(_text(data, "PhoneType"), PHONE_TYPES, "PhoneType") or "DEFAULT",
        number=_text(data, "PhoneNumber"),
        area_code=_text(data, "PhoneAreaCode"),
        country_code=_text(data, "PhoneCountryCode"),
    )


CONTACT_KEYS = ("ContactID", "ContactNumber", "Name")


def contact_ref(data: Json) -> ContactRef:
    """An invoice's `Contact`: anything beyond its ID, number and name also updates it."""
    extra = {k: v for k, v in data.items() if k not in CONTACT_KEYS}
    return ContactRef(
        contact_id=_text(data, "ContactID"),
        contact_number=_text(data, "ContactNumber"),
        name=_text(data, "Name"),
        details=contact_draft(extra) if extra else None,
    )


def line_draft(data: Json) -> LineDraft:
    return LineDraft(
        line_item_id=_text(data, "LineItemID"),
        description=_text(data, "Description"),
        quantity=_decimal(data, "Quantity"),
        unit_amount=_decimal(data, "UnitAmount"),
        line_amount=_decimal(data, "LineAmount"),
        tax_amount=_decimal(data, "TaxAmount"),
        item_code=_text(data, "ItemCode"),
        account_code=_text(data, "AccountCode"),
        account_id=_text(data, "AccountID"),
        tax_type=_text(data, "TaxType"),
        discount_rate=_decimal(data, "DiscountRate"),
        discount_amount=_decimal(data, "DiscountAmount"),
    )


def invoice_draft(data: Json) -> InvoiceDraft:
    contact = _object(data, "Contact")
    lines = _objects(data, "LineItems")
    return InvoiceDraft(
        invoice_id=_text(data, "InvoiceID"),
        type=_one_of(_text(data, "Type"), INVOICE_TYPES, "invoice Type"),
        contact=None if contact is None else contact_ref(contact),
        line_items=None if lines is None else [line_draft(line) for line in lines],
        date=_date(data, "Date"),
        due_date=_date(data, "DueDate"),
        line_amount_types=_one_of(
            _text(data, "LineAmountTypes"), ("Exclusive", "Inclusive", "NoTax"), "LineAmountTypes"
        ),
        invoice_number=_text(data, "InvoiceNumber"),
        reference=_text(data, "Reference"),
        currency_code=(_text(data, "CurrencyCode") or "").upper() or None,
        currency_rate=_decimal(data, "CurrencyRate"),
        status=_one_of(_text(data, "Status"), INVOICE_STATUSES, "invoice Status"),
        url=_text(data, "Url"),
        branding_theme_id=_text(data, "BrandingThemeID"),
        sent_to_contact=_bool(data, "SentToContact"),
        expected_payment_date=_date(data, "ExpectedPaymentDate"),
        planned_payment_date=_date(data, "PlannedPaymentDate"),
    )


def payment_draft(data: Json) -> PaymentDraft:
    invoice = _object(data, "Invoice") or {}
    account = _object(data, "Account") or {}
    return PaymentDraft(
        invoice_id=_text(invoice, "InvoiceID"),
        invoice_number=_text(invoice, "InvoiceNumber") or _text(data, "InvoiceNumber"),
        account_id=_text(account, "AccountID"),
        account_code=_text(account, "Code") or _text(data, "Code"),
        date=_date(data, "Date"),
        amount=_decimal(data, "Amount"),
        currency_rate=_decimal(data, "CurrencyRate"),
        reference=_text(data, "Reference"),
        is_reconciled=_bool(data, "IsReconciled"),
        status=_one_of(_text(data, "Status"), PAYMENT_STATUSES, "payment Status"),
    )


def drafts(raw: bytes, key: str, read: Callable[[Json], T]) -> list[T]:
    """Every element of a write body as a draft; one unreadable element fails them all."""
    return [read(element) for element in elements(raw, key)]


# queries and headers


def flag(args: MultiDict[str, str], name: str, default: bool = False) -> bool:
    value = args.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise QueryParseException(f"{name} must be true or false, not {value!r}")


def integer(args: MultiDict[str, str], name: str) -> int | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise QueryParseException(f"{name} must be a whole number, not {value!r}") from None


def listed(args: MultiDict[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated filter (`IDs=a,b`); repeated parameters add up."""
    values = []
    for raw in args.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return tuple(values)


def unit_places(args: MultiDict[str, str]) -> int:
    """`unitdp=4` gives unit amounts 4 decimal places; anything else keeps Xero's 2."""
    return 4 if integer(args, "unitdp") == 4 else 2


def modified_since(value: str | None) -> dt.datetime | None:
    """`If-Modified-Since` as Xero reads it: ISO 8601 (UTC when no offset) or an HTTP date."""
    if not value or not value.strip():
        return None
    try:
        return parse_datetime(value)
    except DateParseError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise QueryParseException(f"If-Modified-Since {value!r} is not a date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def page_request(args: MultiDict[str, str]) -> tuple[int, int] | None:
    """(page, page size) when the call pages, None when it asks for everything."""
    page = integer(args, "page")
    if page is None:
        return None
    size = integer(args, "pageSize") or DEFAULT_PAGE_SIZE
    return max(page, 1), min(max(size, 1), MAX_PAGE_SIZE)


def page_of(items: Sequence[T], page: int, size: int) -> list[T]:
    start = (page - 1) * size
    return list(items[start : start + size])
