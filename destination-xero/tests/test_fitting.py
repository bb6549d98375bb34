"""Records fitted to Xero's field limits: harmless text cut with a warning, values that would be
wrong shortened left out, identifiers that do not fit rejected; and, property-based, whatever a
record holds, what reaches Xero fits.
"""

from __future__ import annotations

import copy
import math
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from destination_xero.books import Books, TaxRate
from destination_xero.config import InvoiceSettings, read_settings
from destination_xero.fitting import REFUSED, length
from destination_xero.mapping import (
    build_invoice,
    contact_name,
    contact_payload,
    fit,
    payment_payload,
)
from invoice_model import examples
from invoice_model.connector.destination import RecordError
from invoice_model.connector.intake import Intake

if TYPE_CHECKING:
    from conftest import MakeConfig, XeroUser

    from keap_xero_sandbox.sandbox import Sandbox

LONG = "Lorem ipsum dolor sit amet. " * 358  # 10,024 characters


def xero_intake(settings: InvoiceSettings) -> Intake:
    """Records examined as destination-xero's write loop examines them."""
    return Intake("Xero", "xero", lambda stream, record: fit(stream, record, settings))


def test_text_beyond_xeros_limits_is_cut_with_a_warning_and_control_characters_removed(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    invoice = kit.invoice(1, reference=LONG)
    invoice["line_items"][0]["description"] = "Workshop\x00 ticket\x1b[0m " + LONG
    invoice["contact"].update(
        name="Zoë\x1b Fernández", email="zoë@example.com", phone="+1 555 0100 " * 6
    )
    payment = kit.payment(1, reference=LONG)
    written = kit.write(sandbox_config(), kit.sync([invoice], [payment]))
    assert written.error is None
    assert written.warnings == [
        "invoices record 1001: fitted to Xero: contact.name: characters Xero refuses (control "
        "characters) removed",
        "invoices record 1001: fitted to Xero: contact.email: left out, Xero would refuse it (not "
        "an email address Xero takes)",
        "invoices record 1001: fitted to Xero: contact.phone: left out, Xero would refuse it "
        "(longer than 50 characters)",
        "invoices record 1001: fitted to Xero: line_items[0].description: characters Xero "
        "refuses (control characters) removed",
        "invoices record 1001: fitted to Xero: line_items[0].description: cut from 10043 to "
        "Xero's 4000 characters",
        "invoices record 1001: fitted to Xero: Reference: cut from 10024 to Xero's 255 characters",
        "payments record 7001: fitted to Xero: Reference: cut from 10057 to Xero's 255 characters",
    ]
    held = xero.invoices()["5001"]
    description = held["LineItems"][0]["Description"]
    assert len(description) == 4000
    assert description.startswith("Workshop ticket[0m Lorem ipsum")
    assert description.endswith("…")
    assert len(held["Reference"]) == 255
    assert held["Total"] == 99.13
    assert held["Status"] == "PAID"
    [contact] = xero.books()["contacts"]
    assert contact["Name"] == "Zoë Fernández"
    assert "EmailAddress" not in contact
    payments = xero.books()["payments"]
    assert len(payments[0]["Reference"]) == 255
    assert payments[0]["Reference"].startswith("Keap payment 7001 · Credit Card · Lorem")


def test_an_invoice_number_that_does_not_fit_xero_rejects_the_invoice(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    config = sandbox_config(**{"invoices.invoice_number_template": "K-{number}"})
    invoices = [
        kit.invoice(1, number="7\x1b"),
        kit.invoice(2, number="Nº 8"),
        kit.invoice(3, number="9" * 300),
    ]
    written = kit.write(config, kit.sync(invoices))
    assert written.warnings == [
        "invoices record 1001: rejected: invoice number 'K-7\\x1b' has characters Xero does not "
        "take in an invoice number (printable ASCII only)",
        "invoices record 1002: rejected: invoice number 'K-Nº 8' has characters Xero does not "
        "take in an invoice number (printable ASCII only)",
        "invoices record 1003: rejected: invoice number 'K-9999999999999999999999999999999999999"
        "9'... must have 1 to 255 characters",
    ]
    assert kit.calls(sandbox, "PUT", "/Invoices") == 0


def test_a_suffixed_contact_name_still_fits_xero() -> None:
    contact = {**examples.invoice()["contact"], "name": "N" * 255}
    name = contact_name(contact, suffixed=True)
    assert length(name) == 255
    assert name.endswith("… (311)")


BOOKS = Books(
    name="Demo",
    base_currency="USD",
    lock_date=None,
    accounts={},
    tax_rates={"NONE": TaxRate("NONE", "Tax Exempt", "ACTIVE", Decimal(0))},
    items={},
)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from("\x00\x1b\ufffe"),
    max_size=300,
)
FIELDS = st.sampled_from(
    [
        ("reference",),
        ("number",),
        ("contact", "name"),
        ("contact", "email"),
        ("contact", "phone"),
        ("contact", "first_name"),
        ("contact", "billing_address", "line1"),
        ("contact", "billing_address", "postal_code"),
        ("line_items", 0, "description"),
        ("line_items", 2, "description"),
    ]
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.lists(
        st.tuples(FIELDS, TEXT | st.integers(0, 10_000).map(lambda n: "x" * n)), max_size=4
    )
)
@example(changes=[(("line_items", 0, "description"), "\x00\x1b")])
@example(changes=[(("contact", "name"), "N" * 300)])
@example(changes=[(("number",), "7\x1b")])
def test_whatever_text_a_record_holds_what_reaches_xero_fits(changes, config: MakeConfig) -> None:
    settings_ = read_settings(
        config(**{"invoices.invoice_number_template": "K-{number}-{source_id}"})
    )
    record = copy.deepcopy(examples.invoice(number="1"))
    for path, value in changes:
        holder: Any = record
        for part in path[:-1]:
            holder = holder[part]
        holder[path[-1]] = value
    examined = xero_intake(settings_.invoices).examine("invoices", record)
    if examined.record is None:
        assert examined.problem
        return
    try:
        body = build_invoice(examined.record, "contact-id", settings_.invoices, BOOKS).body
        contact = contact_payload(
            examined.record["contact"], contact_name(examined.record["contact"])
        )
    except RecordError:
        return
    for text, limit in [
        (body["InvoiceNumber"], 255),
        (body["Reference"], 255),
        *((line["Description"], 4000) for line in body["LineItems"]),
        (contact["Name"], 255),
        (contact.get("EmailAddress", ""), 255),
        *((p["PhoneNumber"], 50) for p in contact.get("Phones", [])),
        *((a.get("AddressLine1", ""), 500) for a in contact.get("Addresses", [])),
    ]:
        assert length(text) <= limit
        assert not REFUSED.search(text)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amount=st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.text(max_size=6),
    reference=TEXT,
)
@example(amount=math.nan, reference="")
@example(amount=1e308, reference="\x1b")
def test_whatever_a_payment_holds_it_is_rejected_or_its_payload_fits(
    amount, reference, config: MakeConfig
) -> None:
    settings_ = read_settings(config())
    examined = xero_intake(settings_.invoices).examine(
        "payments", examples.payment(amount=amount, reference=reference)
    )
    if examined.record is not None:
        payload = payment_payload(examined.record, "invoice-id", "090")
        assert length(payload["Reference"]) <= 255
        assert not REFUSED.search(payload["Reference"])
        assert math.isfinite(payload["Amount"])
