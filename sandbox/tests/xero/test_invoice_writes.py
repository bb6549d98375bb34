"""Writing invoices: create and create-or-update, per-element results, totals as Xero works them
out, validation of codes, status rules, lock dates.
"""

from __future__ import annotations

import requests

ZERO = "00000000-0000-0000-0000-000000000000"


def lock(sandbox, tenant: str, period: str | None, end_of_year: str | None = None) -> None:
    answer = requests.post(
        f"{sandbox.url}/_sandbox/xero/tenants/{tenant}/lock-dates",
        json={"period_lock_date": period, "end_of_year_lock_date": end_of_year},
        timeout=30,
    )
    assert answer.status_code == 200


def errors(element: dict) -> list[str]:
    return [e["Message"] for e in element.get("ValidationErrors", [])]


# totals


def test_exclusive_tax_is_worked_out_per_line_and_rounded_half_up(xero):
    contact = xero.new_contact()["ContactID"]
    lines = [
        xero.line(Quantity=3, UnitAmount=0.65, TaxType="TAX001"),  # 1.95 x 8.875% = 0.1730625
        xero.line(Quantity=1, UnitAmount=2.00, TaxType="TAX001"),  # 0.1775 -> 0.18
        xero.line(Quantity=1, UnitAmount=10, TaxType="NONE"),
    ]
    invoice = xero.new_invoice(contact, LineItems=lines)
    assert [li["TaxAmount"] for li in invoice["LineItems"]] == [0.17, 0.18, 0.0]
    assert [li["LineAmount"] for li in invoice["LineItems"]] == [1.95, 2.0, 10.0]
    assert invoice["SubTotal"] == 13.95
    assert invoice["TotalTax"] == 0.35
    assert invoice["Total"] == 14.3
    assert invoice["AmountDue"] == 14.3


def test_inclusive_tax_is_taken_out_of_the_line_amount(xero):
    invoice = xero.new_invoice(
        LineAmountTypes="Inclusive",
        LineItems=[xero.line(Quantity=1, UnitAmount=108.88, TaxType="TAX001")],
    )
    # 108.88 x 8.875 / 108.875 = 8.8755... -> 8.88
    assert invoice["LineItems"][0]["TaxAmount"] == 8.88
    assert invoice["SubTotal"] == 100.0
    assert invoice["TotalTax"] == 8.88
    assert invoice["Total"] == 108.88


def test_no_tax_invoices_have_no_tax(xero):
    invoice = xero.new_invoice(
        LineAmountTypes="NoTax", LineItems=[xero.line(UnitAmount=50, TaxType="TAX001")]
    )
    assert invoice["TotalTax"] == 0
    assert invoice["Total"] == 50


def test_discount_rate_and_discount_amount_reduce_the_line(xero):
    invoice = xero.new_invoice(
        LineItems=[
            xero.line(Quantity=3, UnitAmount=10, DiscountRate=15),
            xero.line(Quantity=2, UnitAmount=20, DiscountAmount=5),
        ]
    )
    assert [li["LineAmount"] for li in invoice["LineItems"]] == [25.5, 35.0]
    assert invoice["TotalDiscount"] == 9.5
    assert invoice["IsDiscounted"] is True
    assert invoice["Total"] == 60.5


def test_line_amount_alone_gives_the_unit_amount(xero):
    invoice = xero.new_invoice(
        LineItems=[{"Description": "Fee", "LineAmount": 42.5, "AccountCode": "230"}]
    )
    line = invoice["LineItems"][0]
    assert line["Quantity"] == 1
    assert line["UnitAmount"] == 42.5
    assert invoice["Total"] == 42.5


def test_unit_amounts_keep_2_places_or_4_with_unitdp(xero):
    contact = xero.new_contact()["ContactID"]
    body = {"Invoices": [xero.invoice_body(contact, LineItems=[xero.line(UnitAmount=1.23456)])]}
    two = xero.only(xero.put("/Invoices", body), "Invoices")
    assert two["LineItems"][0]["UnitAmount"] == 1.23
    body["Invoices"][0]["InvoiceNumber"] = "UNITDP-4"
    four = xero.only(xero.put("/Invoices?unitdp=4", body), "Invoices")
    assert four["LineItems"][0]["UnitAmount"] == 1.2346
    assert four["LineItems"][0]["LineAmount"] == 1.23


def test_item_codes_fill_in_price_account_and_tax(xero):
    invoice = xero.new_invoice(
        LineItems=[{"ItemCode": "WIDGET-S", "Quantity": 2}, {"ItemCode": "SHIPPING"}]
    )
    widget, shipping = invoice["LineItems"]
    assert widget["UnitAmount"] == 25.0
    assert widget["AccountCode"] == "200"
    assert widget["TaxType"] == "TAX001"
    assert widget["Description"] == "Small Widget"
    assert shipping["AccountCode"] == "210"
    assert invoice["Total"] == 50 + 4.44 + 9.95


def test_an_accounts_tax_type_is_the_lines_default(xero):
    invoice = xero.new_invoice(
        LineItems=[{"Description": "x", "UnitAmount": 10, "AccountCode": "200"}]
    )
    assert invoice["LineItems"][0]["TaxType"] == "TAX001"
    assert invoice["TotalTax"] == 0.89


# validation


def test_unknown_codes_and_currencies_are_refused_per_element_with_zero_ids(xero):
    contact = xero.new_contact()["ContactID"]
    bodies = [
        xero.invoice_body(contact, LineItems=[xero.line(AccountCode="999")]),
        xero.invoice_body(contact, LineItems=[xero.line(TaxType="BOGUS")]),
        xero.invoice_body(contact, LineItems=[xero.line(ItemCode="NOPE")]),
        xero.invoice_body(contact, CurrencyCode="CHF"),
        xero.invoice_body(contact, LineItems=[xero.line(AccountCode="270")]),
        xero.invoice_body(contact, LineItems=[xero.line(TaxType="INPUT")]),
        xero.invoice_body(contact, LineItems=[xero.line(TaxType="TAX003")]),
        xero.invoice_body(contact),
    ]
    answer = xero.put("/Invoices?summarizeErrors=false", {"Invoices": bodies})
    assert answer.status_code == 200
    results = answer.json()["Invoices"]
    assert [r["HasErrors"] for r in results] == [True] * 7 + [False]
    assert all(r["InvoiceID"] == ZERO for r in results[:7])
    assert all(r["StatusAttributeString"] == "ERROR" for r in results[:7])
    assert errors(results[0]) == ["Account code '999' is not a valid code for this document."]
    assert "BOGUS" in errors(results[1])[0]
    assert errors(results[2]) == ["Item code 'NOPE' is not valid."]
    assert errors(results[3]) == ["Organisation is not subscribed to currency CHF"]
    assert "has been archived" in errors(results[4])[0]
    assert errors(results[5]) == [
        "The TaxType code 'INPUT' cannot be used with account code '200'."
    ]
    assert "TAX003" in errors(results[6])[0]
    assert results[7]["InvoiceID"] != ZERO
    assert len(xero.get("/Invoices").json()["Invoices"]) == 1


def test_summarized_errors_give_400_but_valid_invoices_are_still_created(xero):
    contact = xero.new_contact()["ContactID"]
    bodies = [
        xero.invoice_body(contact, InvoiceNumber="GOOD-1"),
        xero.invoice_body(contact, InvoiceNumber="BAD-1", LineItems=[xero.line(AccountCode="999")]),
    ]
    answer = xero.put("/Invoices", {"Invoices": bodies})
    assert answer.status_code == 400
    body = answer.json()
    assert body["Type"] == "ValidationException"
    assert body["Message"] == "A validation exception occurred"
    assert [e["InvoiceNumber"] for e in body["Elements"]] == ["BAD-1"]
    kept = xero.get("/Invoices").json()["Invoices"]
    assert [i["InvoiceNumber"] for i in kept] == ["GOOD-1"]


def test_accrec_invoice_numbers_are_unique_and_generated_when_absent(xero):
    contact = xero.new_contact()["ContactID"]
    first = xero.new_invoice(contact)
    assert first["InvoiceNumber"] == "INV-0001"
    xero.new_invoice(contact, InvoiceNumber="K-7")
    answer = xero.put(
        "/Invoices?summarizeErrors=false",
        {"Invoices": [xero.invoice_body(contact, InvoiceNumber="k-7")]},
    )
    assert errors(answer.json()["Invoices"][0]) == ["Invoice # must be unique."]


def test_accpay_bills_may_repeat_a_number_and_take_no_discount(xero):
    contact = xero.new_contact()["ContactID"]
    bill = {"Type": "ACCPAY", "InvoiceNumber": "SUP-1", "LineItems": [xero.line(AccountCode="429")]}
    xero.new_invoice(contact, **bill)
    again = xero.new_invoice(contact, **bill)
    assert again["InvoiceNumber"] == "SUP-1"
    discounted = {**bill, "LineItems": [xero.line(AccountCode="429", DiscountRate=10)]}
    answer = xero.put(
        "/Invoices?summarizeErrors=false", {"Invoices": [xero.invoice_body(contact, **discounted)]}
    )
    assert answer.json()["Invoices"][0]["HasErrors"] is True


def test_a_contact_named_by_name_is_found_or_created(xero):
    ada = xero.new_contact("Ada Lovelace")
    found = xero.only(
        xero.put(
            "/Invoices",
            {"Invoices": [{**xero.invoice_body(""), "Contact": {"Name": "ada lovelace"}}]},
        ),
        "Invoices",
    )
    assert found["Contact"]["ContactID"] == ada["ContactID"]
    created = xero.only(
        xero.put(
            "/Invoices",
            {"Invoices": [{**xero.invoice_body(""), "Contact": {"Name": "Brand New Ltd"}}]},
        ),
        "Invoices",
    )
    assert created["Contact"]["ContactID"] not in (ZERO, ada["ContactID"])
    names = {c["Name"] for c in xero.get("/Contacts").json()["Contacts"]}
    assert names == {"Ada Lovelace", "Brand New Ltd"}


def test_an_invoice_needs_a_contact_and_an_approved_one_a_due_date(xero):
    contact = xero.new_contact()["ContactID"]
    no_contact = {k: v for k, v in xero.invoice_body(contact).items() if k != "Contact"}
    no_due = {k: v for k, v in xero.invoice_body(contact).items() if k != "DueDate"}
    draft_no_due = {**no_due, "Status": "DRAFT"}
    answer = xero.put(
        "/Invoices?summarizeErrors=false", {"Invoices": [no_contact, no_due, draft_no_due]}
    )
    refused_contact, refused_due, draft = answer.json()["Invoices"]
    assert errors(refused_contact) == ["A Contact must be specified for this type of transaction"]
    assert errors(refused_due) == ["Due Date is required."]
    assert draft["HasErrors"] is False
    assert draft["Status"] == "DRAFT"


def test_an_archived_or_unknown_contact_cannot_be_invoiced(xero):
    ada = xero.new_contact("Ada")
    xero.post(
        "/Contacts", {"Contacts": [{"ContactID": ada["ContactID"], "ContactStatus": "ARCHIVED"}]}
    )
    answer = xero.put(
        "/Invoices?summarizeErrors=false",
        {
            "Invoices": [
                xero.invoice_body(ada["ContactID"]),
                xero.invoice_body("0b0b0b0b-0000-4000-8000-000000000000"),
            ]
        },
    )
    archived, unknown = answer.json()["Invoices"]
    assert errors(archived) == ["The contact is archived and cannot be used."]
    assert unknown["HasErrors"] is True


# create or update


def test_post_updates_an_accrec_invoice_found_by_number_and_keeps_its_id(xero):
    contact = xero.new_contact()["ContactID"]
    first = xero.new_invoice(contact, InvoiceNumber="K-1", Status="DRAFT")
    answer = xero.post(
        "/Invoices?summarizeErrors=false",
        {
            "Invoices": [
                xero.invoice_body(
                    contact, InvoiceNumber="K-1", LineItems=[xero.line(UnitAmount=7)]
                ),
                xero.invoice_body(contact, InvoiceNumber="K-2"),
            ]
        },
    )
    updated, created = answer.json()["Invoices"]
    assert updated["InvoiceID"] == first["InvoiceID"]
    assert updated["Total"] == 7
    assert updated["Status"] == "AUTHORISED"
    assert created["InvoiceID"] not in (ZERO, first["InvoiceID"])


def test_put_never_updates(xero):
    first = xero.new_invoice(InvoiceNumber="K-1", Status="DRAFT")
    answer = xero.put(
        "/Invoices?summarizeErrors=false",
        {"Invoices": [{"InvoiceID": first["InvoiceID"], "Reference": "changed"}]},
    )
    assert answer.json()["Invoices"][0]["HasErrors"] is True
    assert "Reference" not in xero.invoice(first["InvoiceID"])


def test_lines_sent_on_update_replace_the_invoices_lines(xero):
    invoice = xero.new_invoice(
        Status="DRAFT", LineItems=[xero.line(Description="a"), xero.line(Description="b")]
    )
    kept = invoice["LineItems"][1]
    answer = xero.post(
        f"/Invoices/{invoice['InvoiceID']}",
        {
            "Invoices": [
                {
                    "LineItems": [
                        {"LineItemID": kept["LineItemID"], "Quantity": 2},
                        xero.line(Description="c"),
                    ]
                }
            ]
        },
    )
    lines = xero.only(answer, "Invoices")["LineItems"]
    assert [li["Description"] for li in lines] == ["b", "c"]
    assert lines[0]["LineItemID"] == kept["LineItemID"]
    assert lines[0]["LineAmount"] == 200
    assert lines[1]["LineItemID"] not in (kept["LineItemID"], invoice["LineItems"][0]["LineItemID"])


def test_post_to_an_unknown_invoice_is_404(xero):
    answer = xero.post(
        "/Invoices/0c0c0c0c-0000-4000-8000-000000000000", {"Invoices": [{"Reference": "x"}]}
    )
    assert answer.status_code == 404


# status rules


def test_the_status_path_draft_submitted_authorised(xero):
    invoice = xero.new_invoice(Status="DRAFT")
    for status in ("SUBMITTED", "AUTHORISED"):
        answer = xero.post(f"/Invoices/{invoice['InvoiceID']}", {"Invoices": [{"Status": status}]})
        assert xero.only(answer, "Invoices")["Status"] == status
    back = xero.post(f"/Invoices/{invoice['InvoiceID']}", {"Invoices": [{"Status": "DRAFT"}]})
    assert back.status_code == 400
    messages = back.json()["Elements"][0]["ValidationErrors"]
    assert messages == [{"Message": "Invoice not of valid status for modification"}]


def test_a_new_invoice_cannot_start_paid_voided_or_deleted(xero):
    contact = xero.new_contact()["ContactID"]
    bodies = [xero.invoice_body(contact, Status=s) for s in ("PAID", "VOIDED", "DELETED")]
    answer = xero.put("/Invoices?summarizeErrors=false", {"Invoices": bodies})
    assert [r["HasErrors"] for r in answer.json()["Invoices"]] == [True, True, True]


def test_deleting_is_for_drafts_and_submitted_voiding_for_authorised(xero):
    contact = xero.new_contact()["ContactID"]
    draft = xero.new_invoice(contact, Status="DRAFT")
    approved = xero.new_invoice(contact)

    def move(invoice: dict, status: str):
        return xero.post(
            "/Invoices?summarizeErrors=false",
            {"Invoices": [{"InvoiceID": invoice["InvoiceID"], "Status": status}]},
        ).json()["Invoices"][0]

    assert errors(move(draft, "VOIDED")) == ["Invoice not of valid status for modification"]
    assert errors(move(approved, "DELETED")) == ["Invoice not of valid status for modification"]
    deleted = move(draft, "DELETED")
    assert deleted["Status"] == "DELETED"
    voided = move(approved, "VOIDED")
    assert voided["Status"] == "VOIDED"
    assert voided["AmountDue"] == 0
    assert errors(move(voided, "AUTHORISED")) == ["Invoice not of valid status for modification"]
    edit = xero.post(
        "/Invoices?summarizeErrors=false",
        {"Invoices": [{"InvoiceID": voided["InvoiceID"], "Reference": "late edit"}]},
    )
    assert errors(edit.json()["Invoices"][0]) == ["Invoice not of valid status for modification"]


def test_a_deleted_invoice_frees_its_number(xero):
    contact = xero.new_contact()["ContactID"]
    draft = xero.new_invoice(contact, InvoiceNumber="K-9", Status="DRAFT")
    xero.post(f"/Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]})
    again = xero.new_invoice(contact, InvoiceNumber="K-9")
    assert again["InvoiceID"] != draft["InvoiceID"]


def test_an_approved_invoice_without_payments_may_be_edited(xero):
    invoice = xero.new_invoice()
    answer = xero.post(
        f"/Invoices/{invoice['InvoiceID']}",
        {"Invoices": [{"LineItems": [xero.line(UnitAmount=250)], "Reference": "edited"}]},
    )
    edited = xero.only(answer, "Invoices")
    assert edited["Total"] == 250
    assert edited["Reference"] == "edited"


def test_an_invoice_with_payments_cannot_be_edited_or_voided(xero):
    invoice = xero.new_invoice()
    assert xero.pay(invoice["InvoiceID"], 40).status_code == 200
    answer = xero.post(
        "/Invoices?summarizeErrors=false",
        {
            "Invoices": [
                {"InvoiceID": invoice["InvoiceID"], "LineItems": [xero.line(UnitAmount=5)]},
                {"InvoiceID": invoice["InvoiceID"], "Status": "VOIDED"},
            ]
        },
    )
    edit, void = answer.json()["Invoices"]
    assert errors(edit) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]
    assert errors(void) == ["Invoice not of valid status for modification"]


def test_a_paid_invoice_cannot_be_edited(xero):
    invoice = xero.new_invoice()
    xero.pay(invoice["InvoiceID"], 100)
    answer = xero.post(
        "/Invoices?summarizeErrors=false",
        {"Invoices": [{"InvoiceID": invoice["InvoiceID"], "LineItems": [xero.line()]}]},
    )
    assert errors(answer.json()["Invoices"][0]) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]


# lock dates


def test_lock_dates_freeze_approved_documents_dated_on_or_before_them(xero, sandbox):
    contact = xero.new_contact()["ContactID"]
    earlier = xero.new_invoice(contact, Date="2024-03-15")
    lock(sandbox, xero.demo, "2024-03-31")
    answer = xero.put(
        "/Invoices?summarizeErrors=false",
        {
            "Invoices": [
                xero.invoice_body(contact, Date="2024-03-31"),
                xero.invoice_body(contact, Date="2024-04-01"),
                xero.invoice_body(contact, Date="2024-03-01", Status="DRAFT"),
            ]
        },
    )
    locked, open_, draft = answer.json()["Invoices"]
    assert errors(locked) == [
        "The document date cannot be before the period lock date, 31 Mar 2024."
    ]
    assert open_["HasErrors"] is False
    assert draft["HasErrors"] is False
    void = xero.post(
        "/Invoices?summarizeErrors=false",
        {"Invoices": [{"InvoiceID": earlier["InvoiceID"], "Status": "VOIDED"}]},
    )
    assert void.json()["Invoices"][0]["HasErrors"] is True
    approve = xero.post(
        "/Invoices?summarizeErrors=false",
        {"Invoices": [{"InvoiceID": draft["InvoiceID"], "Status": "AUTHORISED"}]},
    )
    assert approve.json()["Invoices"][0]["HasErrors"] is True


def test_the_end_of_year_lock_date_is_named_when_it_is_the_later(xero, sandbox):
    contact = xero.new_contact()["ContactID"]
    lock(sandbox, xero.demo, "2023-06-30", "2023-12-31")
    answer = xero.put(
        "/Invoices?summarizeErrors=false",
        {"Invoices": [xero.invoice_body(contact, Date="2023-12-01")]},
    )
    assert errors(answer.json()["Invoices"][0]) == [
        "The document date cannot be before the end of year lock date, 31 Dec 2023."
    ]


def test_a_zero_value_invoice_is_paid_as_soon_as_it_is_approved(xero):
    contact = xero.new_contact()["ContactID"]
    invoice = xero.new_invoice(contact, LineItems=[xero.line(UnitAmount=0)])
    assert invoice["Status"] == "PAID"
    assert invoice["AmountDue"] == 0
    draft = xero.new_invoice(contact, Status="DRAFT", LineItems=[xero.line(UnitAmount=0)])
    assert draft["Status"] == "DRAFT"


def test_contact_details_sent_with_an_invoice_update_the_contact(xero):
    ada = xero.new_contact("Ada")
    body = xero.invoice_body(
        "", Contact={"ContactID": ada["ContactID"], "EmailAddress": "ada@example.com"}
    )
    xero.only(xero.put("/Invoices", {"Invoices": [body]}), "Invoices")
    contact = xero.only(xero.get(f"/Contacts/{ada['ContactID']}"), "Contacts")
    assert contact["EmailAddress"] == "ada@example.com"
    assert contact["IsCustomer"] is True
