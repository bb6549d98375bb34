"""Payments: only against AUTHORISED invoices, never more than is due, into a bank account or
one that takes payments; the invoice turns PAID at zero due and back when a payment is deleted.
"""

from __future__ import annotations

import datetime as dt

import requests

ZERO = "00000000-0000-0000-0000-000000000000"


def element(answer) -> dict:
    assert answer.status_code == 200, answer.text
    return answer.json()["Payments"][0]


def messages(payment: dict) -> list[str]:
    return [e["Message"] for e in payment.get("ValidationErrors", [])]


def test_a_part_payment_shows_on_the_invoice_and_lowers_what_is_due(xero):
    invoice = xero.new_invoice(Reference="order 1")
    payment = element(xero.pay(invoice["InvoiceID"], 40, Reference="Keap payment 5001"))
    assert payment["HasValidationErrors"] is False
    assert payment["PaymentID"] != ZERO
    assert payment["Status"] == "AUTHORISED"
    assert payment["PaymentType"] == "ACCRECPAYMENT"
    assert payment["Invoice"]["InvoiceID"] == invoice["InvoiceID"]
    after = xero.invoice(invoice["InvoiceID"])
    assert after["Status"] == "AUTHORISED"
    assert after["AmountPaid"] == 40
    assert after["AmountDue"] == 60
    assert [(p["PaymentID"], p["Amount"], p["Reference"]) for p in after["Payments"]] == [
        (payment["PaymentID"], 40, "Keap payment 5001")
    ]


def test_paying_in_full_makes_the_invoice_paid_and_deleting_a_payment_reopens_it(xero):
    invoice = xero.new_invoice()
    first = element(xero.pay(invoice["InvoiceID"], 30, Date="2024-05-03"))
    element(xero.pay(invoice["InvoiceID"], 70, Date="2024-05-09"))
    paid = xero.invoice(invoice["InvoiceID"])
    assert paid["Status"] == "PAID"
    assert paid["AmountDue"] == 0
    assert paid["FullyPaidOnDate"] == "/Date(1715212800000+0000)/"
    deleted = xero.post(f"/Payments/{first['PaymentID']}", {"Payments": [{"Status": "DELETED"}]})
    assert deleted.status_code == 200
    assert deleted.json()["Payments"][0]["Status"] == "DELETED"
    reopened = xero.invoice(invoice["InvoiceID"])
    assert reopened["Status"] == "AUTHORISED"
    assert reopened["AmountDue"] == 30
    assert "FullyPaidOnDate" not in reopened
    assert [p["Amount"] for p in reopened["Payments"]] == [70]
    again = xero.post(f"/Payments/{first['PaymentID']}", {"Payments": [{"Status": "DELETED"}]})
    assert again.status_code == 400


def test_payments_need_an_authorised_invoice(xero):
    contact = xero.new_contact()["ContactID"]
    draft = xero.new_invoice(contact, Status="DRAFT")
    submitted = xero.new_invoice(contact, Status="SUBMITTED")
    voided = xero.new_invoice(contact)
    xero.post(f"/Invoices/{voided['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    for invoice in (draft, submitted, voided):
        refused = element(xero.pay(invoice["InvoiceID"], 10))
        assert refused["HasValidationErrors"] is True
        assert refused["PaymentID"] == ZERO
        assert messages(refused) == ["Payments can only be made against Authorised documents"]


def test_a_paid_invoice_takes_no_more(xero):
    invoice = xero.new_invoice()
    element(xero.pay(invoice["InvoiceID"], 100))
    refused = element(xero.pay(invoice["InvoiceID"], 1))
    assert messages(refused) == ["Payments can only be made against Authorised documents"]


def test_a_payment_may_not_exceed_what_is_due(xero):
    invoice = xero.new_invoice()
    refused = element(xero.pay(invoice["InvoiceID"], 100.01))
    assert messages(refused) == ["Payment amount exceeds the amount outstanding on this document"]
    assert xero.invoice(invoice["InvoiceID"])["AmountPaid"] == 0


def test_payments_go_to_bank_accounts_or_accounts_that_take_payments(xero):
    invoice = xero.new_invoice()
    into_sales = element(xero.pay(invoice["InvoiceID"], 10, Account={"Code": "200"}))
    assert messages(into_sales) == ["Account type is invalid for making a payment to/from"]
    unknown = element(xero.pay(invoice["InvoiceID"], 10, Account={"Code": "777"}))
    assert unknown["HasValidationErrors"] is True
    clearing = element(xero.pay(invoice["InvoiceID"], 10, Account={"Code": "130"}))
    assert clearing["HasValidationErrors"] is False
    accounts = xero.get("/Accounts", params={"where": 'Code=="091"'}).json()["Accounts"]
    by_id = element(
        xero.pay(invoice["InvoiceID"], 10, Account={"AccountID": accounts[0]["AccountID"]})
    )
    assert by_id["Account"]["Code"] == "091"


def test_summarized_payment_errors_are_a_400_but_the_valid_ones_are_made(xero):
    invoice = xero.new_invoice()
    body = {
        "Payments": [
            {
                "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                "Account": {"Code": "090"},
                "Date": "2024-05-05",
                "Amount": 20,
            },
            {
                "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                "Account": {"Code": "090"},
                "Date": "2024-05-05",
                "Amount": 500,
            },
        ]
    }
    answer = xero.put("/Payments", body)
    assert answer.status_code == 400
    assert answer.json()["Type"] == "ValidationException"
    assert len(answer.json()["Elements"]) == 1
    assert xero.invoice(invoice["InvoiceID"])["AmountPaid"] == 20


def test_post_creates_one_payment_found_by_invoice_number(xero):
    invoice = xero.new_invoice(InvoiceNumber="K-77")
    answer = xero.post(
        "/Payments",
        {
            "Invoice": {"InvoiceNumber": "K-77"},
            "Account": {"Code": "090"},
            "Date": "2024-05-05",
            "Amount": 25,
        },
    )
    payment = element(answer)
    assert payment["Invoice"]["InvoiceID"] == invoice["InvoiceID"]
    refused = xero.post(
        "/Payments",
        {"Invoice": {"InvoiceNumber": "NOPE"}, "Account": {"Code": "090"}, "Amount": 25},
    )
    assert refused.status_code == 400
    assert refused.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Invoice could not be found"}
    ]


def test_payments_are_listed_with_filters_and_paging_and_read_one_by_one(xero, sandbox):
    sandbox.clock.freeze()
    contact = xero.new_contact()["ContactID"]
    first = xero.new_invoice(contact, InvoiceNumber="K-1")
    second = xero.new_invoice(contact, InvoiceNumber="K-2")
    made = []
    for invoice, amount in ((first, 10), (second, 20), (first, 30)):
        sandbox.clock.advance(2)
        made.append(element(xero.pay(invoice["InvoiceID"], amount)))
    listed = xero.get("/Payments").json()["Payments"]
    assert [p["Amount"] for p in listed] == [10, 20, 30]
    where = f'Invoice.InvoiceID==guid("{first["InvoiceID"]}") AND Amount>15'
    assert [
        p["Amount"] for p in xero.get("/Payments", params={"where": where}).json()["Payments"]
    ] == [30]
    paged = xero.get("/Payments", params={"page": 2, "pageSize": 2}).json()
    assert paged["pagination"]["itemCount"] == 3
    assert [p["Amount"] for p in paged["Payments"]] == [30]
    since = dt_of(made[1]["UpdatedDateUTC"])
    recent = xero.get("/Payments", headers={"If-Modified-Since": since}).json()["Payments"]
    assert [p["Amount"] for p in recent] == [20, 30]
    one = xero.only(xero.get(f"/Payments/{made[0]['PaymentID']}"), "Payments")
    assert one["Amount"] == 10
    assert xero.get("/Payments/0d0d0d0d-0000-4000-8000-000000000000").status_code == 404


def dt_of(ms_date: str) -> str:
    """`/Date(ms+0000)/` as the `If-Modified-Since` of that second."""
    moment = dt.datetime.fromtimestamp(int(ms_date[6:-7]) / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def test_deleting_needs_status_deleted_and_an_existing_payment(xero):
    invoice = xero.new_invoice()
    payment = element(xero.pay(invoice["InvoiceID"], 5))
    wrong = xero.post(f"/Payments/{payment['PaymentID']}", {"Payments": [{"Status": "AUTHORISED"}]})
    assert wrong.status_code == 400
    missing = xero.post(
        "/Payments/0e0e0e0e-0000-4000-8000-000000000000", {"Payments": [{"Status": "DELETED"}]}
    )
    assert missing.status_code == 404


def test_payments_dated_in_a_locked_period_are_refused(xero, sandbox):
    invoice = xero.new_invoice(Date="2024-05-01")
    payment = element(xero.pay(invoice["InvoiceID"], 5, Date="2024-05-02"))
    requests.post(
        f"{sandbox.url}/_sandbox/xero/tenants/{xero.demo}/lock-dates",
        json={"period_lock_date": "2024-05-15"},
        timeout=30,
    )
    locked = element(xero.pay(invoice["InvoiceID"], 5, Date="2024-05-15"))
    assert messages(locked) == [
        "The document date cannot be before the period lock date, 15 May 2024."
    ]
    assert (
        element(xero.pay(invoice["InvoiceID"], 5, Date="2024-05-16"))["HasValidationErrors"]
        is False
    )
    delete = xero.post(f"/Payments/{payment['PaymentID']}", {"Payments": [{"Status": "DELETED"}]})
    assert delete.status_code == 400


def test_a_payment_by_number_for_a_draft_says_it_is_not_authorised(xero):
    xero.new_invoice(InvoiceNumber="K-88", Status="DRAFT")
    refused = xero.post(
        "/Payments",
        {"Invoice": {"InvoiceNumber": "K-88"}, "Account": {"Code": "090"}, "Amount": 5},
    )
    assert refused.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Payments can only be made against Authorised documents"}
    ]
