"""Xero's invoices, payments and contacts as records, read through the connector from invoices
written into the Xero emulator: money to the cent whatever the line amount types, discounts and
currencies; statuses; contacts; loop prevention. Every record is checked against the contract
by `SyncRun`.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from airbyte_cdk.models import FailureType

if TYPE_CHECKING:
    from conftest import XeroSandbox

KEAP_LINK = "https://api.infusionsoft.com/crm/rest/v2/orders/1042"


def line(**fields: Any) -> dict[str, Any]:
    return {"Description": "Widget", "Quantity": 1, "AccountCode": "200", **fields}


def same_money(record: dict[str, Any], invoice: dict[str, Any]) -> None:
    """The record's money is Xero's, to the cent."""
    for ours, xeros in (
        ("subtotal", "SubTotal"),
        ("tax", "TotalTax"),
        ("total", "Total"),
        ("amount_paid", "AmountPaid"),
    ):
        assert Decimal(str(record[ours])) == Decimal(str(invoice[xeros])), (ours, invoice)
    if invoice["Status"] not in ("VOIDED", "DELETED"):
        assert Decimal(str(record["amount_due"])) == Decimal(str(invoice["AmountDue"]))


@pytest.mark.parametrize("amount_types", ["Exclusive", "Inclusive", "NoTax"])
def test_each_line_amount_type_reconciles_to_the_cent(xero: XeroSandbox, amount_types: str):
    lines = [
        line(Quantity=3, UnitAmount=19.99, TaxType="TAX001"),
        line(Quantity=1.5, UnitAmount=33.3333, TaxType="TAX002", DiscountRate=12.5),
        line(Quantity=2, UnitAmount=10.01, TaxType="TAX001", DiscountAmount=1.37),
        line(Quantity=1, UnitAmount=7.5, TaxType="NONE", AccountCode="210"),
        line(Quantity=1, UnitAmount=-5, TaxType="TAX001", Description="Promo"),
    ]
    invoice = xero.user.invoice(LineAmountTypes=amount_types, LineItems=lines)
    record = xero.read(xero.config(), xero.catalog("invoices")).records("invoices")[0]
    same_money(record, invoice)
    for ours, xeros in zip(record["line_items"], invoice["LineItems"], strict=True):
        tax = Decimal(str(xeros["TaxAmount"])) if amount_types != "NoTax" else Decimal(0)
        stated = Decimal(str(xeros["LineAmount"]))
        net = stated - tax if amount_types == "Inclusive" else stated
        assert Decimal(str(ours["line_amount"])) == net
        assert Decimal(str(ours["tax_amount"])) == tax
        assert ours["source_id"] == xeros["LineItemID"]
    assert record["line_items"][1]["discount"] > 0  # the 12.5 % taken off
    if amount_types == "Exclusive":
        assert record["line_items"][2]["discount"] == 1.37
        assert record["line_items"][1]["unit_amount"] == 33.3333
    assert record["line_items"][3]["taxable"] is False
    assert record["line_items"][0]["taxable"] is (amount_types != "NoTax")


def test_a_hundred_random_invoices_of_every_kind_reconcile(xero: XeroSandbox):
    rng = random.Random(12)  # noqa: S311 (a reproducible mix, not cryptography)
    contact = xero.user.contact("Ada")
    tax_types = ("TAX001", "TAX002", "NONE")
    invoices = []
    for n in range(100):
        lines = []
        for _ in range(rng.randint(1, 4)):
            extra: dict[str, Any] = {}
            if rng.random() < 0.3:
                extra["DiscountRate"] = rng.choice((5, 10, 12.5, 33.3))
            elif rng.random() < 0.2:
                extra["DiscountAmount"] = round(rng.uniform(0.01, 3), 2)
            lines.append(
                line(
                    Quantity=rng.choice((1, 2, 3, 0.5, 1.3333, 7)),
                    UnitAmount=round(rng.uniform(0.5, 400), rng.choice((2, 4))),
                    TaxType=rng.choice(tax_types),
                    **extra,
                )
            )
        invoices.append(
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact["ContactID"]},
                "Date": "2024-05-01",
                "DueDate": "2024-05-31",
                "Status": "AUTHORISED",
                "LineAmountTypes": rng.choice(("Exclusive", "Inclusive", "NoTax")),
                "CurrencyCode": rng.choice(("USD", "EUR", "GBP")),
                "InvoiceNumber": f"R-{n:03d}",
                "LineItems": lines,
            }
        )
    written = [
        *xero.user.call("PUT", "/Invoices", {"Invoices": invoices[:50]})["Invoices"],
        *xero.user.call("PUT", "/Invoices", {"Invoices": invoices[50:]})["Invoices"],
    ]
    assert all(not w.get("ValidationErrors") for w in written)
    run = xero.read(xero.config(), xero.catalog("invoices"))
    by_id = run.by_id("invoices")
    assert len(by_id) == 100
    for invoice in written:
        record = by_id[invoice["InvoiceID"]]
        same_money(record, invoice)
        assert record["currency"] == invoice["CurrencyCode"]


def test_statuses_map_to_the_contract_and_a_paid_invoice_says_when(xero: XeroSandbox):
    contact = xero.user.contact("Ada")
    made = {
        status: xero.user.invoice(contact, Status=status, InvoiceNumber=f"S-{status}")
        for status in ("DRAFT", "SUBMITTED", "AUTHORISED")
    }
    paid = xero.user.invoice(contact, InvoiceNumber="S-PAID")
    xero.user.pay(paid, Date="2024-06-02")
    voided = xero.user.invoice(contact, InvoiceNumber="S-VOIDED")
    xero.user.update(voided["InvoiceID"], Status="VOIDED")
    deleted = xero.user.invoice(contact, Status="DRAFT", InvoiceNumber="S-DELETED")
    xero.user.update(deleted["InvoiceID"], Status="DELETED")
    statuses = ["AUTHORISED", "PAID", "VOIDED", "DRAFT", "SUBMITTED"]
    run = xero.read(xero.config(statuses=statuses), xero.catalog("invoices"))
    found = {r["number"]: r for r in run.records("invoices")}
    assert {number: r["status"] for number, r in found.items()} == {
        "S-DRAFT": "draft",
        "S-SUBMITTED": "draft",
        "S-AUTHORISED": "open",
        "S-PAID": "paid",
        "S-VOIDED": "void",
        "S-DELETED": "void",
    }
    assert found["S-PAID"]["paid_at"] == "2024-06-02T00:00:00.000Z"
    assert found["S-PAID"]["amount_due"] == 0
    assert found["S-AUTHORISED"]["paid_at"] is None
    assert found["S-AUTHORISED"]["due_date"] == "2024-05-31"
    assert found["S-AUTHORISED"]["created_at"] == "2024-05-01T00:00:00.000Z"
    assert made["AUTHORISED"]["InvoiceID"] == found["S-AUTHORISED"]["source_id"]


def test_by_default_drafts_and_submitted_invoices_are_not_read(xero: XeroSandbox):
    contact = xero.user.contact("Ada")
    for status in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        xero.user.invoice(contact, Status=status, InvoiceNumber=f"S-{status}")
    run = xero.read(xero.config(), xero.catalog("invoices"))
    assert [r["number"] for r in run.records("invoices")] == ["S-AUTHORISED"]
    only_drafts = xero.read(xero.config(statuses=["DRAFT"]), xero.catalog("invoices"))
    assert [r["number"] for r in only_drafts.records("invoices")] == ["S-DRAFT"]


def test_the_invoice_contact_comes_with_its_details(xero: XeroSandbox):
    company = xero.user.contact(
        "Fernández Workshops",
        FirstName="Zoë",
        LastName="Fernández",
        EmailAddress="zoe@example.com",
        Phones=[
            {"PhoneType": "MOBILE", "PhoneNumber": "555 0199"},
            {
                "PhoneType": "DEFAULT",
                "PhoneNumber": "555 0100",
                "PhoneAreaCode": "217",
                "PhoneCountryCode": "1",
            },
        ],
        Addresses=[
            {"AddressType": "STREET", "AddressLine1": "9 Dock Rd", "City": "Peoria"},
            {
                "AddressType": "POBOX",
                "AddressLine1": "PO Box 12",
                "AddressLine2": "Suite 4",
                "AddressLine3": "Building B",
                "City": "Springfield",
                "Region": "IL",
                "PostalCode": "62701",
                "Country": "USA",
            },
        ],
    )
    person = xero.user.contact("Ada Lovelace", FirstName="Ada", LastName="Lovelace")
    xero.user.invoice(company, InvoiceNumber="C-1")
    xero.user.invoice(person, InvoiceNumber="C-2")
    run = xero.read(xero.config(), xero.catalog("invoices"))
    contacts = {r["number"]: r["contact"] for r in run.records("invoices")}
    assert contacts["C-1"] == {
        "source_id": company["ContactID"],
        "name": "Fernández Workshops",
        "first_name": "Zoë",
        "last_name": "Fernández",
        "company": "Fernández Workshops",
        "email": "zoe@example.com",
        "phone": "+1 217 555 0100",
        "billing_address": {
            "line1": "PO Box 12",
            "line2": "Suite 4, Building B",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62701",
            "country_code": "USA",
        },
    }
    assert contacts["C-2"]["company"] is None
    assert contacts["C-2"]["billing_address"] is None


def test_payments_in_the_invoice_currency_and_deleted_ones_voided(xero: XeroSandbox):
    invoice = xero.user.invoice(CurrencyCode="EUR", InvoiceNumber="E-1")
    kept = xero.user.pay(invoice, 20, Reference="Bank transfer 77", Date="2024-05-11")
    dropped = xero.user.pay(invoice, 5)
    xero.user.delete_payment(dropped["PaymentID"])
    run = xero.read(xero.config(), xero.catalog("payments", "invoices"))
    payments = run.by_id("payments")
    assert payments[kept["PaymentID"]] == {
        "source": "xero",
        "source_id": kept["PaymentID"],
        "invoice_source_id": invoice["InvoiceID"],
        "invoice_source_invoice_id": None,
        "invoice_number": "E-1",
        "amount": 20,
        "currency": "EUR",
        "date": "2024-05-11",
        "method": None,
        "reference": "Bank transfer 77",
        "status": "completed",
        "updated_at": payments[kept["PaymentID"]]["updated_at"],
        "written_by_sync": False,
    }
    assert payments[dropped["PaymentID"]]["status"] == "voided"
    [record] = run.records("invoices")
    assert record["currency"] == "EUR"
    assert record["amount_paid"] == 20


def test_bills_and_their_payments_are_not_sales(xero: XeroSandbox):
    bill = xero.user.invoice(Type="ACCPAY", InvoiceNumber="B-1", LineItems=[line(UnitAmount=10)])
    xero.user.pay(bill, 10)
    run = xero.read(xero.config(), xero.catalog("invoices", "payments"))
    assert run.records("invoices") == run.records("payments") == []


@pytest.mark.parametrize("include", [False, True], ids=["left out", "included and marked"])
def test_what_destination_xero_wrote_is_left_out_or_marked(xero: XeroSandbox, include: bool):
    contact = xero.user.contact("Ada")
    ours = xero.user.invoice(contact, InvoiceNumber="2087", Url=KEAP_LINK)
    theirs = xero.user.invoice(contact, InvoiceNumber="X-1", Url="https://shop.example.com/o/1")
    native = xero.user.invoice(contact, InvoiceNumber="X-2")
    written = xero.user.pay(ours, 10, Reference="Keap payment 5001 · Credit Card")
    received = xero.user.pay(native, 10, Reference="Cheque payment 12")
    config = xero.config(include_written_by_sync=include)
    run = xero.read(config, xero.catalog("invoices", "payments"))
    marks = {r["source_id"]: r["written_by_sync"] for r in run.records("invoices")}
    payment_marks = {r["source_id"]: r["written_by_sync"] for r in run.records("payments")}
    if include:
        assert marks == {
            ours["InvoiceID"]: True,
            theirs["InvoiceID"]: False,
            native["InvoiceID"]: False,
        }
        assert payment_marks == {written["PaymentID"]: True, received["PaymentID"]: False}
    else:
        assert marks == {theirs["InvoiceID"]: False, native["InvoiceID"]: False}
        assert payment_marks == {received["PaymentID"]: False}


def test_loop_prevention_passes_the_invoices_it_leaves_out(frozen: XeroSandbox):
    """A page of nothing but invoices destination-xero wrote still moves the read on."""
    xero = frozen
    contact = xero.user.contact("Ada")
    for n in range(5):
        xero.sandbox.clock.advance(1)
        xero.user.invoice(contact, InvoiceNumber=f"K-{n}", Url=KEAP_LINK.replace("1042", str(n)))
    xero.sandbox.clock.advance(1)
    native = xero.user.invoice(contact, InvoiceNumber="X-1")
    config = xero.config(_page_size=2)
    first = xero.read(config, xero.catalog("invoices"))
    assert first.ids("invoices") == [native["InvoiceID"]]
    again = xero.read(config, xero.catalog("invoices"), first.last_states())
    assert again.ids("invoices") == []


def test_an_amount_its_currency_cannot_hold_ends_the_sync_naming_the_invoice(xero: XeroSandbox):
    xero.user.invoice(
        CurrencyCode="JPY",
        InvoiceNumber="J-1",
        LineItems=[line(UnitAmount=100.5, TaxType="NONE")],
    )
    run = xero.read(xero.config(), xero.catalog("invoices"), fails=True)
    [error] = [e.trace.error for e in run.errors if e.trace.error.stream_descriptor]
    assert error.failure_type == FailureType.system_error
    assert error.message.startswith("Xero invoice J-1: ")
    assert "more decimal places than JPY" in error.message
    assert "correct it in Xero" in error.message
