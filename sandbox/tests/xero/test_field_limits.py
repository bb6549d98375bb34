"""Xero's field limits: lengths (counted in UTF-16 code units), the characters of an invoice
number, email addresses and line amounts refuse one element; a character no XML document may
carry refuses the whole request.
"""

from __future__ import annotations

import pytest


def errors(element: dict) -> list[str]:
    return [e["Message"] for e in element.get("ValidationErrors", [])]


@pytest.mark.parametrize(
    ("field", "limit", "message"),
    [
        ("Name", 255, "The contact name must not be more than 255 characters long."),
        ("ContactNumber", 50, "Contact Number must not be more than 50 characters long."),
        ("AccountNumber", 50, "Account Number must not be more than 50 characters long."),
        ("FirstName", 255, "First Name must not be more than 255 characters long."),
        ("LastName", 255, "Last Name must not be more than 255 characters long."),
    ],
)
def test_contact_fields_longer_than_xero_keeps_refuse_that_contact_only(
    xero, field, limit, message
):
    long = {"Name": "Long", field: "k" * (limit + 1)}
    fine = {"Name": "Fine", field: "k" * limit}
    answer = xero.put("/Contacts?summarizeErrors=false", {"Contacts": [long, fine]})
    refused, written = answer.json()["Contacts"]
    assert errors(refused) == [message]
    assert written["HasValidationErrors"] is False
    assert written["ContactID"] != "00000000-0000-0000-0000-000000000000"


def test_lengths_count_utf16_code_units_as_net_does(xero):
    emoji = "\U0001f600"  # one code point, two UTF-16 code units
    answer = xero.put(
        "/Contacts?summarizeErrors=false",
        {"Contacts": [{"Name": "a" * 254 + emoji}, {"Name": "b" * 253 + emoji}]},
    )
    refused, written = answer.json()["Contacts"]
    assert errors(refused) == ["The contact name must not be more than 255 characters long."]
    assert errors(written) == []


def test_address_and_phone_fields_have_their_lengths(xero):
    contact = {
        "Name": "Addressed",
        "Addresses": [{"AddressType": "POBOX", "AddressLine1": "x" * 501, "PostalCode": "9" * 51}],
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "5" * 51}],
    }
    answer = xero.put("/Contacts?summarizeErrors=false", {"Contacts": [contact]})
    assert errors(answer.json()["Contacts"][0]) == [
        "Address Line 1 must not be more than 500 characters long.",
        "Postal Code must not be more than 50 characters long.",
        "Phone Number must not be more than 50 characters long.",
    ]


@pytest.mark.parametrize(
    "email", ["not-an-address", "jürgen@example.com", "a b@example.com", "a@b", "a@@b.com"]
)
def test_an_email_address_xero_does_not_take_refuses_the_contact(xero, email):
    answer = xero.put(
        "/Contacts?summarizeErrors=false", {"Contacts": [{"Name": "Mail", "EmailAddress": email}]}
    )
    assert errors(answer.json()["Contacts"][0]) == ["Email address must be valid."]


def test_invoice_fields_longer_than_xero_keeps_refuse_that_invoice(xero):
    contact = xero.new_contact()["ContactID"]
    body = {
        "Invoices": [
            xero.invoice_body(contact, Reference="r" * 256),
            xero.invoice_body(contact, InvoiceNumber="n" * 256),
            xero.invoice_body(contact, LineItems=[xero.line(Description="d" * 4001)]),
            xero.invoice_body(
                contact,
                InvoiceNumber="OK-1",
                Reference="r" * 255,
                LineItems=[xero.line(Description="d" * 4000)],
            ),
        ]
    }
    answer = xero.put("/Invoices?summarizeErrors=false", body)
    elements = answer.json()["Invoices"]
    assert [errors(e) for e in elements] == [
        ["Reference must not be more than 255 characters long."],
        ["Invoice Number must not be more than 255 characters long."],
        ["Description must not be more than 4000 characters long."],
        [],
    ]
    assert len(elements[3]["Reference"]) == 255


def test_a_sales_invoice_number_is_printable_ascii(xero):
    contact = xero.new_contact()["ContactID"]
    body = {
        "Invoices": [
            xero.invoice_body(contact, InvoiceNumber="Nº 7"),
            xero.invoice_body(contact, InvoiceNumber="Nº 7", Type="ACCPAY"),
        ]
    }
    sales, bill = xero.put("/Invoices?summarizeErrors=false", body).json()["Invoices"]
    assert errors(sales) == ["Invoice Number must contain printable ASCII characters only."]
    assert errors(bill) == []


@pytest.mark.parametrize(
    "line",
    [
        {"Quantity": 1, "UnitAmount": 10_000_000_000},
        {"Quantity": 2, "UnitAmount": 5_000_000_000},
        {"LineAmount": 1e20, "Quantity": None, "UnitAmount": None},
    ],
)
def test_a_line_amount_beyond_xeros_bound_refuses_the_invoice(xero, line):
    contact = xero.new_contact()["ContactID"]
    body = {"Invoices": [xero.invoice_body(contact, LineItems=[xero.line(**line)])]}
    element = xero.put("/Invoices?summarizeErrors=false", body).json()["Invoices"][0]
    assert errors(element) == ["Line item amounts can't exceed 9,999,999,999.99."]


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x0c", "\ufffe"])
def test_a_character_no_xml_document_may_carry_refuses_the_whole_request(xero, sandbox, character):
    contact = xero.new_contact()["ContactID"]
    body = {
        "Invoices": [
            xero.invoice_body(contact),
            xero.invoice_body(contact, LineItems=[xero.line(Description=f"a{character}b")]),
        ]
    }
    answer = xero.put("/Invoices?summarizeErrors=false", body)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["Type"] == "PostDataInvalidException"
    assert (
        f"hexadecimal value 0x{ord(character):02X}, is an invalid character" in problem["Message"]
    )
    assert "Invoices[1].LineItems[0].Description" in problem["Message"]
    assert sandbox.xero.dump()["tenants"][xero.tenant]["invoices"] == []


def test_tab_line_feed_and_carriage_return_are_kept(xero):
    invoice = xero.new_invoice(LineItems=[xero.line(Description="one\ttwo\r\nthree")])
    assert invoice["LineItems"][0]["Description"] == "one\ttwo\r\nthree"
