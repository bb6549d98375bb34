"""`Idempotency-Key`: a repeated write within 6 minutes gets the first answer and writes nothing;
the same key with a different request is a 400.
"""

from __future__ import annotations

import pytest
import requests


def batch(xero, contact_id: str, number: str) -> dict:
    return {"Invoices": [xero.invoice_body(contact_id, InvoiceNumber=number)]}


def test_the_same_request_with_the_same_key_replays_the_first_answer(xero):
    contact = xero.new_contact()["ContactID"]
    key = {"Idempotency-Key": "batch-1"}
    first = xero.put("/Invoices?summarizeErrors=false", batch(xero, contact, "K-1"), headers=key)
    again = xero.put("/Invoices?summarizeErrors=false", batch(xero, contact, "K-1"), headers=key)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.json()["Invoices"][0]["HasErrors"] is False, "not refused as a duplicate number"
    assert len(xero.get("/Invoices").json()["Invoices"]) == 1


def test_replays_still_count_against_the_rate_limits(xero):
    contact = xero.new_contact()["ContactID"]
    key = {"Idempotency-Key": "batch-1"}
    first = xero.put("/Invoices", batch(xero, contact, "K-1"), headers=key)
    again = xero.put("/Invoices", batch(xero, contact, "K-1"), headers=key)
    assert (
        int(again.headers["X-MinLimit-Remaining"]) == int(first.headers["X-MinLimit-Remaining"]) - 1
    )


def test_errors_are_replayed_too(xero):
    contact = xero.new_contact()["ContactID"]
    bad = {"Invoices": [xero.invoice_body(contact, LineItems=[xero.line(AccountCode="999")])]}
    key = {"Idempotency-Key": "bad-batch"}
    first = xero.put("/Invoices", bad, headers=key)
    again = xero.put("/Invoices", bad, headers=key)
    assert first.status_code == again.status_code == 400
    assert again.content == first.content


def test_the_same_key_with_a_different_request_is_refused(xero):
    contact = xero.new_contact()["ContactID"]
    key = {"Idempotency-Key": "batch-1"}
    xero.put("/Invoices", batch(xero, contact, "K-1"), headers=key)
    other = xero.put("/Invoices", batch(xero, contact, "K-2"), headers=key)
    assert other.status_code == 400
    assert other.json()["Message"] == "Idempotency Key: batch-1 is used with a different request."
    elsewhere = xero.post("/Invoices", batch(xero, contact, "K-1"), headers=key)
    assert elsewhere.status_code == 400
    assert [i["InvoiceNumber"] for i in xero.get("/Invoices").json()["Invoices"]] == ["K-1"]


def test_a_key_is_forgotten_after_6_minutes(xero, sandbox):
    contact = xero.new_contact()["ContactID"]
    key = {"Idempotency-Key": "batch-1"}
    xero.put("/Invoices?summarizeErrors=false", batch(xero, contact, "K-1"), headers=key)
    sandbox.clock.advance(6 * 60 + 1)
    later = xero.put("/Invoices?summarizeErrors=false", batch(xero, contact, "K-1"), headers=key)
    assert later.json()["Invoices"][0]["ValidationErrors"] == [
        {"Message": "Invoice # must be unique."}
    ]


def test_keys_are_kept_apart_per_organisation(xero):
    key = {"Idempotency-Key": "shared"}
    body = {"Contacts": [{"Name": "Same Name"}]}
    first = xero.put("/Contacts", body, headers=key)
    other = xero.for_tenant(xero.second).put("/Contacts", body, headers=key)
    assert other.status_code == 200
    assert other.json()["Contacts"][0]["ContactID"] != first.json()["Contacts"][0]["ContactID"]


def test_keys_longer_than_128_characters_are_refused(xero):
    answer = xero.put(
        "/Contacts", {"Contacts": [{"Name": "A"}]}, headers={"Idempotency-Key": "k" * 129}
    )
    assert answer.status_code == 400
    assert xero.get("/Contacts").json()["Contacts"] == []


def test_payments_and_deletes_are_idempotent_too(xero):
    invoice = xero.new_invoice()
    key = {"Idempotency-Key": "pay-1"}
    body = {
        "Payments": [
            {
                "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                "Account": {"Code": "090"},
                "Date": "2024-05-05",
                "Amount": 60,
            }
        ]
    }
    first = xero.put("/Payments?summarizeErrors=false", body, headers=key)
    xero.put("/Payments?summarizeErrors=false", body, headers=key)
    assert xero.invoice(invoice["InvoiceID"])["AmountPaid"] == 60
    payment_id = first.json()["Payments"][0]["PaymentID"]
    delete = {"Payments": [{"Status": "DELETED"}]}
    gone = xero.post(f"/Payments/{payment_id}", delete, headers={"Idempotency-Key": "del-1"})
    replay = xero.post(f"/Payments/{payment_id}", delete, headers={"Idempotency-Key": "del-1"})
    assert gone.status_code == replay.status_code == 200


def test_a_retry_of_a_write_whose_answer_was_lost_gets_that_answer(xero, sandbox):
    contact = xero.new_contact()["ContactID"]
    path = "/Invoices?summarizeErrors=false"
    invoices = {"api": "xero", "method": "PUT", "path": "/api.xro/2.0/Invoices", "after": True}
    sandbox.faults.add(kind="drop", **invoices)
    key = {"Idempotency-Key": "batch-1"}
    with pytest.raises(requests.ConnectionError):
        xero.put(path, batch(xero, contact, "K-1"), headers=key)
    [written] = xero.get("/Invoices").json()["Invoices"]  # Xero wrote it all the same
    retried = xero.put(path, batch(xero, contact, "K-1"), headers=key)
    assert xero.only(retried, "Invoices")["InvoiceID"] == written["InvoiceID"]
    assert len(xero.get("/Invoices").json()["Invoices"]) == 1
    # Without the key, the retry is a second request, which Xero refuses as a duplicate.
    sandbox.faults.add(status=503, **invoices)
    assert xero.put(path, batch(xero, contact, "K-2")).status_code == 503
    again = xero.put(path, batch(xero, contact, "K-2")).json()["Invoices"][0]
    assert again["ValidationErrors"] == [{"Message": "Invoice # must be unique."}]
    assert sorted(i["InvoiceNumber"] for i in xero.get("/Invoices").json()["Invoices"]) == [
        "K-1",
        "K-2",
    ]
