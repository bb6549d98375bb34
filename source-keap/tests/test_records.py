"""Keap objects -> contract records, on payloads shaped as Keap's REST v2 spec."""

import json
from decimal import Decimal

import pytest

from invoice_model import problems
from invoice_model.connector.read_position import fingerprint as digest
from source_keap.records import (
    KeapRecordError,
    invoice_record,
    line_item,
    local_date,
    paid_in_full_since,
    payment_record,
    payment_records,
)


def invoice(order, contact=None, payments=(), time_zone="UTC", written=False):
    record = invoice_record(
        order,
        contact=contact or {},
        payments=list(payments),
        time_zone=time_zone,
        default_currency=None,
        written_by_sync=written,
    )
    assert problems("invoices", record) == []
    return record


def test_an_order_is_an_invoice_with_both_keap_ids(payloads):
    record = invoice(payloads.order(), payloads.contact())
    assert (record["source"], record["source_id"], record["source_invoice_id"]) == (
        "keap",
        "1042",
        "2087",
    )
    assert record["reference"] == "Spring workshop order"
    assert (record["created_at"], record["updated_at"]) == (
        "2024-03-01T15:04:05.000Z",
        "2024-03-01T15:04:05.000Z",
    )
    assert (record["issue_date"], record["due_date"]) == ("2024-03-01", "2024-03-31")


def test_lines_keep_keap_order_and_kinds_with_exact_money(payloads):
    record = invoice(payloads.order())
    kinds = [
        (li["kind"], li["quantity"], li["unit_amount"], li["line_amount"])
        for li in record["line_items"]
    ]
    assert kinds == [
        ("product", 2, 49.99, 99.98),
        ("shipping", 1, 7.5, 7.5),
        ("discount", 1, -10, -10),
        ("tax", 1, 6.65, 6.65),
    ]
    product = record["line_items"][0]
    assert (product["sku"], product["taxable"], product["description"]) == (
        "WS-1",
        True,
        "Workshop ticket",
    )
    assert (record["subtotal"], record["tax"], record["total"]) == (97.48, 6.65, 104.13)
    assert (record["amount_paid"], record["amount_due"], record["status"]) == (0, 104.13, "open")
    assert record["paid_at"] is None


def test_a_discount_given_as_a_positive_amount_is_a_negative_line(payloads):
    line = line_item(
        payloads.item("DISCOUNT", "Loyalty", 1, 0, discount=payloads.cents(1250)), "USD"
    )
    assert (line["kind"], line["unit_amount"], line["discount"], line["line_amount"]) == (
        "discount",
        -12.5,
        0,
        -12.5,
    )


def test_a_line_discount_is_taken_off_its_line(payloads):
    line = line_item(payloads.item("PRODUCT", "Mug", 3, 1000, discount=payloads.cents(150)), "USD")
    assert (line["discount"], line["line_amount"]) == (1.5, 28.5)


def test_currencies_keep_their_own_minor_units(payloads):
    order = payloads.order(
        order_items=[payloads.item("PRODUCT", "Tea set", 3, 1500, currency="JPY")],
        total=payloads.cents(4500, "JPY"),
        total_paid=payloads.cents(0, "JPY"),
        refund_total=payloads.cents(0, "JPY"),
    )
    record = invoice(order)
    assert (record["currency"], record["total"], record["line_items"][0]["unit_amount"]) == (
        "JPY",
        4500,
        1500,
    )


def test_a_paid_order_is_paid_when_its_last_payment_completed_it(payloads):
    order = payloads.order(
        status="PAID",
        total_paid=payloads.cents(10413),
        total_due=payloads.cents(0),
        modification_time="2024-03-09T10:00:00Z",
    )
    payments = [
        payloads.payment(id="5001", amount=50, payment_time="2024-03-02T09:00:00Z"),
        payloads.payment(id="5002", amount=54.13, payment_time="2024-03-08T17:30:00Z"),
        payloads.payment(
            id="5003", amount=1, status="PENDING", payment_time="2024-03-09T00:00:00Z"
        ),
    ]
    record = invoice(order, payments=payments)
    assert (record["status"], record["amount_paid"], record["amount_due"]) == ("paid", 104.13, 0)
    assert record["paid_at"] == "2024-03-08T17:30:00.000Z"


def test_a_partly_paid_order_is_open(payloads):
    order = payloads.order(total_paid=payloads.cents(5000))
    record = invoice(order, payments=[payloads.payment(amount=50)])
    assert (record["status"], record["amount_paid"], record["amount_due"]) == ("open", 50, 54.13)
    assert record["paid_at"] is None


def test_a_draft_stays_a_draft(payloads):
    assert invoice(payloads.order(status="DRAFT"))["status"] == "draft"


def test_a_draft_with_money_received_is_open(payloads):
    order = payloads.order(status="DRAFT", total_paid=payloads.cents(5000))
    record = invoice(order, payments=[payloads.payment(amount=50)])
    assert record["status"] == "open"


def test_the_contact_comes_from_the_full_keap_contact(payloads):
    record = invoice(payloads.order(), payloads.contact())
    assert record["contact"] == {
        "source_id": "311",
        "name": "Zoë Fernández",
        "first_name": "Zoë",
        "last_name": "Fernández",
        "company": None,
        "email": "zoe@example.com",
        "phone": "+1 555 0100",
        "billing_address": {
            "line1": "1 Main St",
            "line2": None,
            "city": "Springfield",
            "region": "US-IL",
            "postal_code": "62701",
            "country_code": "USA",
        },
    }


def test_a_company_contact_is_named_after_the_company(payloads):
    contact = payloads.contact(company={"id": "9", "company_name": "Acme Corp"})
    assert invoice(payloads.order(), contact)["contact"]["name"] == "Acme Corp"


def test_without_the_full_contact_the_orders_basic_contact_is_used(payloads):
    contact = invoice(payloads.order())["contact"]
    assert (contact["source_id"], contact["email"], contact["billing_address"]) == (
        "311",
        "zoe@example.com",
        None,
    )


def test_calendar_dates_are_days_in_the_accounts_time_zone(payloads):
    order = payloads.order(order_time="2024-03-01T02:00:00Z", due_time="2024-04-01T03:59:00Z")
    record = invoice(order, time_zone="America/New_York")
    assert (record["issue_date"], record["due_date"]) == ("2024-02-29", "2024-03-31")
    assert local_date("2024-03-01T05:00:00Z", "America/New_York") == "2024-03-01"


def test_written_by_sync_is_carried(payloads):
    assert invoice(payloads.order(), written=True)["written_by_sync"] is True


def test_an_order_without_id_or_contact_is_reported(payloads):
    with pytest.raises(KeapRecordError, match="order without an id"):
        invoice_record(
            payloads.order(id=None),
            contact={},
            payments=[],
            time_zone="UTC",
            default_currency=None,
            written_by_sync=False,
        )
    with pytest.raises(KeapRecordError, match="order 1042"):
        invoice_record(
            payloads.order(contact=None),
            contact={},
            payments=[],
            time_zone="UTC",
            default_currency=None,
            written_by_sync=False,
        )


def payment(payloads, **overrides):
    return payment_record(
        payloads.payment(**overrides),
        payloads.order(),
        time_zone="UTC",
        default_currency=None,
        written_by_sync=False,
    )


def test_a_payment_is_linked_to_its_order_and_invoice(payloads):
    record = payment(payloads)
    assert problems("payments", record) == []
    assert record == {
        "source": "keap",
        "source_id": "5001",
        "invoice_source_id": "1042",
        "invoice_source_invoice_id": "2087",
        "invoice_number": None,
        "amount": 104.13,
        "currency": "USD",
        "date": "2024-03-02",
        "method": "Credit Card",
        "reference": "Paid at the door",
        "status": "completed",
        "updated_at": "2024-03-02T09:00:05.000Z",
        "written_by_sync": False,
    }


def test_payment_amounts_stay_exact(payloads):
    amount = json.loads("0.29")  # 0.29 * 100 == 28.999999999999996 in binary floats
    assert Decimal(repr(payment(payloads, amount=amount)["amount"])) == Decimal("0.29")


def test_pending_charges_and_refund_entries_are_not_money_received(payloads):
    assert payment(payloads, status="PENDING") is None
    assert payment(payloads, amount=-104.13) is None


def refunded(payloads, *refunds, refund_total=None, named="5009"):
    """The records of payment 5001 ($104.13, refunded last by `named`) and `refunds`, as
    `/sales/payments` lists them for order 1042."""
    given = sum(round(-r["amount"] * 100) for r in refunds)
    order = payloads.order(
        status="PAID",
        total_paid=payloads.cents(10413),
        refund_total=payloads.cents(given if refund_total is None else refund_total),
    )
    found = payment_records(
        [payloads.payment(refund_payment_id=named), *refunds],
        order,
        time_zone="UTC",
        default_currency=None,
        written_by_sync=False,
    )
    for record in found:
        assert problems("payments", record) == []
    return {r["source_id"]: r for r in found}


def refund(payloads, refund_id, amount, when):
    return payloads.payment(
        id=refund_id, type="Refund", amount=-amount, payment_time=when, update_time=when
    )


def test_a_payment_refunded_in_part_is_completed_with_what_was_kept(payloads):
    found = refunded(payloads, refund(payloads, "5009", 4.13, "2024-03-05T10:00:00Z"))
    assert list(found) == ["5001"]
    assert found["5001"]["status"] == "completed"
    assert found["5001"]["amount"] == 100
    # The refund changes the payment, whether or not Keap moves its update_time.
    assert found["5001"]["updated_at"] == "2024-03-05T10:00:00.000Z"


def test_a_payment_refunded_in_full_is_refunded_with_its_amount(payloads):
    found = refunded(payloads, refund(payloads, "5009", 104.13, "2024-03-05T10:00:00Z"))
    assert (found["5001"]["status"], found["5001"]["amount"]) == ("refunded", 104.13)


def test_every_refund_of_a_payment_refunded_twice_is_taken_off_it(payloads):
    # Keap's payment names only its latest refund; the earlier one is named by no payment.
    found = refunded(
        payloads,
        refund(payloads, "5007", 1.00, "2024-03-04T10:00:00Z"),
        refund(payloads, "5009", 3.13, "2024-03-05T10:00:00Z"),
    )
    assert (found["5001"]["status"], found["5001"]["amount"]) == ("completed", 100)
    found = refunded(
        payloads,
        refund(payloads, "5007", 100.00, "2024-03-04T10:00:00Z"),
        refund(payloads, "5009", 4.13, "2024-03-05T10:00:00Z"),
    )
    assert found["5001"]["status"] == "refunded"


def test_a_refund_keap_does_not_list_is_read_from_the_orders_refund_total(payloads):
    found = refunded(payloads, refund_total=413)
    assert (found["5001"]["status"], found["5001"]["amount"]) == ("completed", 100)
    assert refunded(payloads, refund_total=10413)["5001"]["status"] == "refunded"


def test_the_digest_tells_changes_apart(payloads):
    first = invoice(payloads.order())
    assert digest(first) == digest(invoice(payloads.order()))
    assert digest(first) != digest(invoice(payloads.order(title="Renamed")))


def test_a_refund_is_taken_off_what_was_paid(payloads):
    # Keap keeps total_paid and the PAID status when it refunds; the contract nets refunds.
    order = payloads.order(
        status="PAID", total_paid=payloads.cents(10413), refund_total=payloads.cents(4000)
    )
    record = invoice(order, payments=[payloads.payment(refund_payment_id="5009")])
    assert (record["status"], record["amount_paid"], record["amount_due"]) == ("open", 64.13, 40)
    assert record["paid_at"] is None


def test_a_voided_payment_is_reported_voided(payloads):
    # A voided payment keeps its amount and is left with status NONE.
    assert payment(payloads, status="NONE")["status"] == "voided"


def test_a_refund_no_payment_names_goes_to_the_payment_refunded_again_after_it(payloads):
    # 5001 was refunded once (5007, named); 5002 twice (5008, unnamed, then 5009, named).
    order = payloads.order(
        status="PAID", total_paid=payloads.cents(10413), refund_total=payloads.cents(800)
    )
    listed = [
        payloads.payment(id="5001", amount=50.00, refund_payment_id="5007"),
        payloads.payment(
            id="5002", amount=54.13, payment_time="2024-03-02T10:00:00Z", refund_payment_id="5009"
        ),
        refund(payloads, "5007", 1.00, "2024-03-03T10:00:00Z"),
        refund(payloads, "5008", 3.00, "2024-03-04T10:00:00Z"),
        refund(payloads, "5009", 4.00, "2024-03-05T10:00:00Z"),
    ]
    found = payment_records(
        listed, order, time_zone="UTC", default_currency=None, written_by_sync=False
    )
    assert {r["source_id"]: r["amount"] for r in found} == {"5001": 49, "5002": 47.13}


def _paid_then(payloads, *moves):
    """Order 1042 ($104.13) and its payments: (time, dollars) received, negative a refund."""
    order = payloads.order(total_paid=payloads.cents(10413))
    payments = [
        payloads.payment(id=str(5000 + n), amount=amount, payment_time=when)
        for n, (when, amount) in enumerate(moves)
    ]
    return order, payments


def test_paid_in_full_since_replays_payments_and_refunds_in_time_order(payloads):
    order, payments = _paid_then(
        payloads, ("2024-03-02T09:00:00Z", 104.13), ("2024-03-05T09:00:00Z", -20.00)
    )
    # Paid in full from the 2nd to the 5th, owing since.
    assert paid_in_full_since(order, payments, "2024-03-01T00:00:00.000Z", "USD")
    assert paid_in_full_since(order, payments, "2024-03-04T00:00:00.000Z", "USD")
    assert not paid_in_full_since(order, payments, "2024-03-06T00:00:00.000Z", "USD")
    assert paid_in_full_since(order, payments, "", "USD")


def test_paid_in_full_since_leaves_out_a_voided_payment(payloads):
    order, payments = _paid_then(payloads, ("2024-03-02T09:00:00Z", 104.13))
    payments[0]["status"] = "NONE"  # voided: recorded by mistake
    assert not paid_in_full_since(order, payments, "", "USD")
