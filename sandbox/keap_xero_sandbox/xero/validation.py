"""Xero's limits on what one element of a write may hold: field lengths, the characters of an
invoice number, email addresses, amounts; and the characters no request may carry.

Lengths are Xero's documented maximums (the Invoices and Contacts pages of the Accounting API
and the `maxLength`s of its OpenAPI spec), counted as .NET counts a string: in UTF-16 code units,
so an emoji is two. A field over its length refuses the element with a validation error, as
every per-element rule does (`summarizeErrors=false` answers it in `ValidationErrors`).

A character XML 1.0 cannot carry (the C0 controls but tab, line feed and carriage return;
U+FFFE, U+FFFF; lone surrogates) refuses the whole request, every element of it, with a
`PostDataInvalidException`, as Xero answers such a character in a posted document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from keap_xero_sandbox.xero.models import ContactDraft, InvoiceDraft, LineDraft

CONTACT_NAME_MAX = 255
CONTACT_NUMBER_MAX = 50
INVOICE_NUMBER_MAX = 255
REFERENCE_MAX = 255
DESCRIPTION_MAX = 4000
# "LineAmount ... (can't exceed 9,999,999,999.99)" (Invoices: Elements for LineItems).
MAX_LINE_AMOUNT = Decimal("9999999999.99")

# (draft attribute, what Xero calls the field, its maximum length)
CONTACT_FIELDS = (
    ("contact_number", "Contact Number", CONTACT_NUMBER_MAX),
    ("account_number", "Account Number", 50),
    ("first_name", "First Name", 255),
    ("last_name", "Last Name", 255),
    ("email", "Email Address", 255),
)
ADDRESS_FIELDS = (
    ("line1", "Address Line 1", 500),
    ("line2", "Address Line 2", 500),
    ("city", "City", 255),
    ("region", "Region", 255),
    ("postal_code", "Postal Code", 50),
    ("country", "Country", 50),
)
PHONE_FIELDS = (
    ("number", "Phone Number", 50),
    ("area_code", "Phone Area Code", 10),
    ("country_code", "Phone Country Code", 20),
)
REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Xero takes an address with no spaces, one @ and a dot in its domain; "umlauts not supported".
EMAIL = re.compile(r"^[!-?A-~]+@[!-?A-~]+\.[!-?A-~]+$")


def length(text: str) -> int:
    """A string's length as .NET counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def refused_character(body: Any, path: str = "") -> tuple[str, str] | None:
    """The first character no request may carry, and where it is (`Invoices[0].Reference`)."""
    for where, text in _strings(body, path):
        found = REFUSED.search(text)
        if found:
            return found[0], where
    return None


def contact_problems(name: str, draft: ContactDraft) -> list[str]:
    """What Xero refuses in a contact element of this name."""
    found = []
    if length(name) > CONTACT_NAME_MAX:
        found.append(f"The contact name must not be more than {CONTACT_NAME_MAX} characters long.")
    found += _too_long(draft, CONTACT_FIELDS)
    for address in draft.addresses or ():
        found += _too_long(address, ADDRESS_FIELDS)
    for phone in draft.phones or ():
        found += _too_long(phone, PHONE_FIELDS)
    if draft.email and not EMAIL.match(draft.email):
        found.append("Email address must be valid.")
    return found


def invoice_problems(draft: InvoiceDraft, number: str | None, kind: str) -> list[str]:
    """What Xero refuses in an invoice element's own fields (its lines: `line_problems`)."""
    found = []
    if number is not None and length(number) > INVOICE_NUMBER_MAX:
        found.append(f"Invoice Number must not be more than {INVOICE_NUMBER_MAX} characters long.")
    elif (
        number is not None and kind == "ACCREC" and not (number.isascii() and number.isprintable())
    ):
        found.append("Invoice Number must contain printable ASCII characters only.")
    if draft.reference is not None and length(draft.reference) > REFERENCE_MAX:
        found.append(f"Reference must not be more than {REFERENCE_MAX} characters long.")
    return found


def line_problems(draft: LineDraft) -> list[str]:
    """What Xero refuses in one line before pricing it."""
    found = []
    if draft.description is not None and length(draft.description) > DESCRIPTION_MAX:
        found.append(f"Description must not be more than {DESCRIPTION_MAX} characters long.")
    if any(
        abs(v) > MAX_LINE_AMOUNT for v in (draft.unit_amount, draft.line_amount) if v is not None
    ):
        found.append("Line item amounts can't exceed 9,999,999,999.99.")
    return found


def line_amount_problems(amount: Decimal) -> list[str]:
    """What Xero refuses in a line once priced (quantity x unit amount)."""
    if abs(amount) > MAX_LINE_AMOUNT:
        return ["Line item amounts can't exceed 9,999,999,999.99."]
    return []


def _too_long(record: Any, fields: tuple[tuple[str, str, int], ...]) -> list[str]:
    return [
        f"{label} must not be more than {limit} characters long."
        for attribute, label, limit in fields
        if isinstance(value := getattr(record, attribute), str) and length(value) > limit
    ]


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, path)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
