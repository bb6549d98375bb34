"""The record contract → Xero, without calls: invoices under each tax option, due dates,
contacts, payments, and recognising what Xero already holds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from destination_xero.books import Books, TaxRate
from destination_xero.config import read_settings
from destination_xero.ledger import content_digest
from destination_xero.mapping import (
    build_invoice,
    contact_name,
    contact_payload,
    due_date,
    invoice_number,
    key_of_reference,
    payment_key,
    payment_payload,
    payment_reference,
)
from invoice_model import examples
from invoice_model.connector.destination import RecordError
from invoice_model.dates import format_ms_date
from invoice_model.money import quantize, to_decimal

if TYPE_CHECKING:
    from conftest import MakeConfig

CONTACT_ID = "5b4f4c7e-0000-4000-8000-000000000311"


def books(rate: str = "7.25", items: dict[str, str | None] | None = None) -> Books:
    return Books(
        name="Demo Company (US)",
        base_currency="USD",
        lock_date=None,
        accounts={},
        tax_rates={
            "TAX001": TaxRate("TAX001", "Sales Tax", "ACTIVE", Decimal(rate)),
            "NONE": TaxRate("NONE", "Tax Exempt", "ACTIVE", Decimal(0)),
        },
        items=items or {},
    )


XERO_TAX = {
    "invoices.tax": {
        "mode": "xero_calculated",
        "tax_type": "TAX001",
        "rounding_account_code": "860",
    }
}


def xero_total(body: dict[str, Any], rates: dict[str, Decimal]) -> Decimal:
    """The total Xero computes for a body: line amounts, plus tax per line rounded half up."""
    total = Decimal(0)
    for line in body["LineItems"]:
        amount = quantize(
            to_decimal(line["Quantity"]) * to_decimal(line["UnitAmount"])
            - to_decimal(line.get("DiscountAmount", 0)),
            "USD",
        )
        rate = rates.get(line.get("TaxType", ""), Decimal(0))
        if body["LineAmountTypes"] == "Exclusive":
            total += quantize(amount * rate / 100, "USD")
        total += amount
    return total


def test_source_tax_lines_keep_the_total_exact_with_no_xero_tax(config: MakeConfig) -> None:
    record = examples.invoice()
    settings = read_settings(config(**{"invoices.shipping_account_code": "420"}))
    draft = build_invoice(record, CONTACT_ID, settings.invoices, books())
    body = draft.body
    assert body["LineAmountTypes"] == "NoTax"
    assert [line["AccountCode"] for line in body["LineItems"]] == ["200", "420", "200", "820"]
    assert body["LineItems"][0]["DiscountAmount"] == 5
    assert all("TaxType" not in line for line in body["LineItems"])
    assert xero_total(body, {}) == draft.total == Decimal("99.13")


def test_tax_carried_on_lines_becomes_one_tax_line(config: MakeConfig) -> None:
    lines = [
        {**examples.line("product", "Ticket", 1, 100), "tax_amount": 8.25},
        {**examples.line("service", "Setup", 1, 50), "tax_amount": 4.13},
    ]
    record = examples.invoice(
        line_items=lines,
        subtotal=150,
        tax=12.38,
        total=162.38,
        amount_paid=0,
        amount_due=162.38,
        status="open",
        paid_at=None,
    )
    draft = build_invoice(record, CONTACT_ID, read_settings(config()).invoices, books())
    assert draft.body["LineItems"][-1] == {
        "Description": "Tax",
        "Quantity": 1,
        "UnitAmount": 12.38,
        "AccountCode": "820",
    }
    assert xero_total(draft.body, {}) == Decimal("162.38")


@pytest.mark.parametrize(
    ("rate", "rounding"), [("7.2", Decimal("-0.01")), ("7.25", Decimal("-0.05"))]
)
def test_xero_calculated_tax_adds_a_rounding_line_within_tolerance(
    rate: str, rounding: Decimal, config: MakeConfig
) -> None:
    record = examples.invoice()
    the_books = books(rate)
    draft = build_invoice(record, CONTACT_ID, read_settings(config(**XERO_TAX)).invoices, the_books)
    body = draft.body
    assert body["LineAmountTypes"] == "Exclusive"
    assert [line["Description"] for line in body["LineItems"]][-1] == "Rounding"
    assert to_decimal(body["LineItems"][-1]["UnitAmount"]) == rounding
    assert "Sales tax" not in [line["Description"] for line in body["LineItems"]]
    assert [line["TaxType"] for line in body["LineItems"]] == ["TAX001", "TAX001", "TAX001", "NONE"]
    rates = {t: r.effective_rate for t, r in the_books.tax_rates.items()}
    assert xero_total(body, rates) == draft.total == Decimal("99.13")


def test_xero_calculated_tax_with_no_difference_has_no_rounding_line(config: MakeConfig) -> None:
    lines = [examples.line("product", "Ticket", 1, 100)]
    record = examples.invoice(line_items=lines, subtotal=100, tax=0, total=100, amount_paid=100)
    draft = build_invoice(
        record, CONTACT_ID, read_settings(config(**XERO_TAX)).invoices, books("0")
    )
    assert [line["Description"] for line in draft.body["LineItems"]] == ["Ticket"]


def test_xero_calculated_tax_beyond_the_tolerance_rejects_the_record(config: MakeConfig) -> None:
    with pytest.raises(RecordError, match=r"beyond the rounding tolerance 0\.05"):
        build_invoice(
            examples.invoice(), CONTACT_ID, read_settings(config(**XERO_TAX)).invoices, books("20")
        )


def test_skus_match_items_and_their_sales_account_when_enabled(config: MakeConfig) -> None:
    settings = read_settings(config(**{"invoices.match_items_by_sku": True}))
    draft = build_invoice(
        examples.invoice(), CONTACT_ID, settings.invoices, books(items={"WS-1": "260"})
    )
    first = draft.body["LineItems"][0]
    assert (first["ItemCode"], first["AccountCode"]) == ("WS-1", "260")
    plain = build_invoice(
        examples.invoice(),
        CONTACT_ID,
        read_settings(config()).invoices,
        books(items={"WS-1": "260"}),
    )
    assert "ItemCode" not in plain.body["LineItems"][0]


def test_invoice_header_fields(config: MakeConfig) -> None:
    settings = read_settings(
        config(**{"invoices.reference_template": "Keap order {source_id}: {reference}"})
    )
    body = build_invoice(examples.invoice(), CONTACT_ID, settings.invoices, books()).body
    assert body["InvoiceNumber"] == "2087"
    assert body["Reference"] == "Keap order 1042: Spring workshop order"
    assert body["Url"] == "https://api.infusionsoft.com/crm/rest/v2/orders/1042"
    assert (body["Date"], body["DueDate"], body["Status"]) == (
        "2024-03-01",
        "2024-03-31",
        "AUTHORISED",
    )
    assert body["Contact"] == {"ContactID": CONTACT_ID}


def test_a_source_draft_stays_a_draft_whatever_the_configured_status(config: MakeConfig) -> None:
    record = examples.invoice(status="draft", amount_paid=0, amount_due=99.13, paid_at=None)
    draft = build_invoice(record, CONTACT_ID, read_settings(config()).invoices, books())
    assert draft.status == "DRAFT"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "2024-03-31"),  # the source's own due date
        (
            {"due_date": None, "paid_at": "2024-03-01T10:00:00.000Z"},
            "2024-03-01",
        ),  # paid when raised
        (
            {"due_date": None, "paid_at": "2024-03-02T02:00:00.000Z"},
            "2024-03-01",
        ),  # 21:00 on 1 March in New York: paid when raised
        (
            {"due_date": None, "paid_at": "2024-03-02T11:59:59.999Z"},
            "2024-03-01",
        ),  # still 1 March in UTC-12
        (
            {"due_date": None, "paid_at": "2024-03-02T12:00:00.000Z"},
            "2024-03-31",
        ),  # 2 March everywhere: paid later, issue date + 30 days
        (
            {"due_date": None, "paid_at": "2024-02-29T23:00:00.000Z"},
            "2024-03-01",
        ),  # before the issue date (in UTC): paid when raised
        (
            {
                "due_date": None,
                "status": "open",
                "paid_at": None,
                "instalments": [
                    {"due_date": "2024-04-01", "amount": 50},
                    {"due_date": "2024-05-01", "amount": 49.13},
                ],
            },
            "2024-05-01",
        ),
    ],
)
def test_due_date_rule(changes: dict[str, Any], expected: str) -> None:
    assert due_date(examples.invoice(**changes), 30) == dt.date.fromisoformat(expected)


def test_an_invoice_number_must_survive_the_look_up(config: MakeConfig) -> None:
    settings = read_settings(config(**{"invoices.invoice_number_template": "{number}"})).invoices
    with pytest.raises(RecordError, match="needs number"):
        invoice_number(examples.invoice(number=None), settings)
    with pytest.raises(RecordError, match="comma"):
        invoice_number(examples.invoice(number="1,042"), settings)


def test_a_payment_names_the_invoice_number_its_invoice_got(config: MakeConfig) -> None:
    settings = read_settings(config()).invoices
    assert invoice_number(examples.payment(), settings) == invoice_number(
        examples.invoice(), settings
    )


def test_contact_payload_carries_the_source_id_as_contact_number() -> None:
    contact = examples.invoice()["contact"]
    payload = contact_payload(contact, contact_name(contact))
    assert payload["ContactNumber"] == "311"
    assert payload["Name"] == "Zoë Fernández"
    assert payload["EmailAddress"] == "zoe@example.com"
    assert payload["Addresses"] == [
        {
            "AddressType": "POBOX",
            "AddressLine1": "1 Main St",
            "City": "Springfield",
            "Region": "IL",
            "PostalCode": "62701",
            "Country": "USA",
        }
    ]
    assert contact_name(contact, suffixed=True) == "Zoë Fernández (311)"
    with pytest.raises(RecordError, match="ContactNumber"):
        contact_payload({**contact, "source_id": "9" * 51}, "Too long")


def test_payment_reference_carries_the_source_payment_id() -> None:
    record = examples.payment()
    reference = payment_reference(record)
    assert reference == "Keap payment 5001 · Credit Card · Paid at the door"
    assert key_of_reference(reference) == payment_key(record) == "keap:5001"
    assert key_of_reference("Direct Debit") is None
    assert len(payment_reference(examples.payment(reference="x" * 400))) == 255
    body = payment_payload(record, "inv-1", "090")
    assert body == {
        "Invoice": {"InvoiceID": "inv-1"},
        "Account": {"Code": "090"},
        "Date": "2024-03-02",
        "Amount": 99.13,
        "Reference": reference,
    }


def test_the_body_sent_and_the_invoice_xero_echoes_have_the_same_content(
    config: MakeConfig,
) -> None:
    settings = read_settings(config())
    body = build_invoice(examples.invoice(), CONTACT_ID, settings.invoices, books()).body
    echoed = {
        **body,
        "InvoiceID": "d4956132-ed94-4dd7-9eaa-aa22dfdf06f2",
        "Date": format_ms_date("2024-03-01"),
        "DueDate": format_ms_date("2024-03-31"),
        "Contact": {"ContactID": CONTACT_ID, "Name": "Zoë Fernández"},
        "LineItems": [
            {
                **line,
                "LineItemID": f"line-{n}",
                "Quantity": float(line["Quantity"]),
                "TaxType": "NONE",
                "TaxAmount": 0.0,
            }
            for n, line in enumerate(body["LineItems"])
        ],
        "Total": 99.13,
    }
    assert content_digest(echoed) == content_digest(body)
    echoed["LineItems"][1]["UnitAmount"] = 7.51
    assert content_digest(echoed) != content_digest(body)
