"""Records fitted to what Xero keeps: its documented field lengths and the characters it refuses.

Xero counts lengths in UTF-16 code units, as .NET does (an emoji is two), and refuses a request
whose body holds a character XML 1.0 cannot carry (NUL, ESC and the other C0 controls but tab,
line feed and carriage return; U+FFFE, U+FFFF; lone surrogates): the whole request, every
element of a batch with it. So before a record is mapped:

- those characters are removed from its text;
- free text that stays meaningful when shortened (a line description, a reference, a name, an
  address line) is cut to Xero's length, ending in `…`;
- a value that would be wrong shortened or is one Xero refuses (an email address, a phone
  number, a postal code, a country) is left out;

each change noted, for a warning naming the record and the field. Identifiers are never fitted:
a record whose invoice number does not fit Xero is rejected when it is mapped (`mapping`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from invoice_model.contract import INVOICES

# Xero's documented limits (Accounting API: Invoices, Contacts, Types).
INVOICE_NUMBER_MAX = 255
REFERENCE_MAX = 255
DESCRIPTION_MAX = 4000
CONTACT_NAME_MAX = 255
CONTACT_NUMBER_MAX = 50
PAYMENT_REFERENCE_MAX = 255
CUT, LEAVE_OUT = "cut", "leave out"
# Contract fields of a contact: Xero's limit for the field each goes to, and how it is fitted.
CONTACT_FIELDS: dict[tuple[str, ...], tuple[int, str]] = {
    ("name",): (CONTACT_NAME_MAX, CUT),
    ("first_name",): (255, CUT),
    ("last_name",): (255, CUT),
    ("email",): (255, LEAVE_OUT),
    ("phone",): (50, LEAVE_OUT),
    ("billing_address", "line1"): (500, CUT),
    ("billing_address", "line2"): (500, CUT),
    ("billing_address", "city"): (255, CUT),
    ("billing_address", "region"): (255, CUT),
    ("billing_address", "postal_code"): (50, LEAVE_OUT),
    ("billing_address", "country_code"): (50, LEAVE_OUT),
}

REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What Xero takes as an email address: no spaces, one @, a dot in the domain, no umlauts.
EMAIL = re.compile(r"^[!-?A-~]+@[!-?A-~]+\.[!-?A-~]+$")
ELLIPSIS = "…"


def length(text: str) -> int:
    """Length as Xero counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean(text: str) -> str:
    """The text without the characters Xero refuses."""
    return REFUSED.sub("", text)


def cut(text: str, limit: int) -> str:
    """The text shortened to `limit` code units, ending in `…` when shortened."""
    if length(text) <= limit:
        return text
    kept, units = [], 0
    for character in text:
        units += length(character)
        if units > limit - length(ELLIPSIS):
            break
        kept.append(character)
    return "".join(kept) + ELLIPSIS


def fitted(field: str, value: str, limit: int, notes: list[str]) -> str:
    """`value` cleaned and cut to `limit`, with a note for each change."""
    text = clean(value)
    if text != value:
        notes.append(f"{field}: characters Xero refuses (control characters) removed")
    shortened = cut(text, limit)
    if shortened != text:
        notes.append(f"{field}: cut from {length(text)} to Xero's {limit} characters")
    return shortened


def fit_record(stream: str, record: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record with its text fitted to Xero (see module), and a note for each change."""
    notes: list[str] = []
    if stream != INVOICES.name:
        return dict(record), notes
    contact = _fit_contact(record["contact"], notes)
    lines = []
    for index, line in enumerate(record["line_items"]):
        description = fitted(
            f"line_items[{index}].description", line["description"], DESCRIPTION_MAX, notes
        )
        if not description.strip():
            description = str(line["kind"]).capitalize()
            notes.append(f"line_items[{index}].description: nothing left; {description!r} instead")
        lines.append(
            line if description == line["description"] else {**line, "description": description}
        )
    return {**record, "contact": contact, "line_items": lines}, notes


def _fit_contact(contact: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    fitted_contact: dict[str, Any] = dict(contact)
    if isinstance(contact.get("billing_address"), Mapping):
        fitted_contact["billing_address"] = dict(contact["billing_address"])
    for path, (limit, how) in CONTACT_FIELDS.items():
        holder = fitted_contact
        for part in path[:-1]:
            holder = holder.get(part) or {}
        value = holder.get(path[-1])
        if not isinstance(value, str) or not value:
            continue
        field = "contact." + ".".join(path)
        if how == CUT:
            holder[path[-1]] = fitted(field, value, limit, notes)
        elif length(value) > limit or clean(value) != value or not _acceptable(path, value):
            holder[path[-1]] = None
            notes.append(
                f"{field}: left out, Xero would refuse it ({_why_not(path, value, limit)})"
            )
    return fitted_contact


def _acceptable(path: tuple[str, ...], value: str) -> bool:
    return path != ("email",) or bool(EMAIL.match(value))


def _why_not(path: tuple[str, ...], value: str, limit: int) -> str:
    if clean(value) != value:
        return "control characters"
    if length(value) > limit:
        return f"longer than {limit} characters"
    return "not an email address Xero takes"
