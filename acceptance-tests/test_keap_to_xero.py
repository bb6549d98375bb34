"""Keap sales into Xero's books, end to end: `source-keap read` piped into `destination-xero write`.

Both connectors run as the console scripts Airbyte would run, joined by an OS pipe, against the
sandbox's Keap and Xero on loopback. What lands in Xero is compared with what Keap holds: every
invoice exactly once with its total to the cent, every payment received exactly once, refunded
and voided ones nowhere; a second sync from the echoed state writes nothing new, and a payment
made in Keap between syncs lands once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from invoice_model import STREAMS, Money, problems
from invoice_model.dates import parse_date
from keap_xero_sandbox.sandbox import Sandbox

from .books import assert_exact, keap_kept, keap_total, live_xero_payments, money, paid_in_full
from .pipeline import Pipeline, Sync

STREAM_NAMES = ("invoices", "payments")


@pytest.fixture
def seeded(sandbox: Sandbox) -> dict[str, Any]:
    """A realistic Keap account: paid, partly paid, refunded and voided orders, payment plans,
    subscriptions, discounts, shipping, fees, tax, and orders in USD, EUR, GBP and JPY."""
    return sandbox.seed(
        keap={
            "orders": 150,
            "contacts": 40,
            "currencies": {"USD": 0.7, "EUR": 0.1, "GBP": 0.1, "JPY": 0.1},
        }
    )["keap"]


def assert_books_match_keap(pipeline: Pipeline, *syncs: Sync) -> None:
    """Xero holds every Keap invoice once, with its currency, total and amount paid (net of
    refunds) to the cent, and every payment received once (refunded and voided ones nowhere),
    each invoice's amount paid being the sum of them. Payments are judged by the latest record
    the source emitted of each."""
    orders = {o["invoice_id"]: o for o in pipeline.sandbox.dump("keap")["orders"]}
    books = pipeline.xero()
    numbers = Counter(invoice["InvoiceNumber"] for invoice in books["invoices"])
    assert set(numbers) == set(orders), "every Keap invoice, and nothing else, is in Xero"
    assert max(numbers.values()) == 1, "no invoice twice"
    for invoice in books["invoices"]:
        order = orders[invoice["InvoiceNumber"]]
        assert invoice["CurrencyCode"] == order["total"]["currency_code"]
        assert money(invoice["Total"]) == keap_total(order), invoice["InvoiceNumber"]
        assert money(invoice["AmountPaid"]) == keap_kept(order), invoice["InvoiceNumber"]

    payments = {
        r["data"]["source_id"]: r["data"]
        for sync in syncs
        for r in sync.records
        if r["stream"] == "payments"
    }
    received = {i: p for i, p in payments.items() if p["status"] == "completed"}
    in_xero = live_xero_payments(books)
    assert set(in_xero) == set(received), "payments received land; refunded, voided ones do not"
    for payment_id, amounts in in_xero.items():
        assert amounts == [money(received[payment_id]["amount"])], f"payment {payment_id}"
    for invoice in books["invoices"]:
        paid = sum(
            (
                money(p["amount"])
                for p in received.values()
                if p["invoice_source_invoice_id"] == invoice["InvoiceNumber"]
            ),
            Decimal(0),
        )
        assert money(invoice["AmountPaid"]) == paid, invoice["InvoiceNumber"]


def test_every_keap_invoice_and_payment_lands_in_xero_once_to_the_cent(pipeline, seeded):
    sync = pipeline.sync()

    assert (sync.source_exit, sync.destination_exit) == (0, 0), "\n".join(sync.logs[-20:])
    assert_books_match_keap(pipeline, sync)
    books = pipeline.xero()
    assert {i["CurrencyCode"] for i in books["invoices"]} == {"USD", "EUR", "GBP", "JPY"}
    assert {"refunded", "voided"} <= {
        r["data"]["status"] for r in sync.records if r["stream"] == "payments"
    }


def test_a_sync_cut_short_by_xeros_daily_limit_resumes_without_duplicates(pipeline, seeded):
    pipeline.sandbox.xero.limits.configure("day", 8)
    cut = pipeline.sync()

    assert cut.destination_exit != 0
    assert [e["failure_type"] for e in cut.errors] == ["transient_error"]
    assert "daily call limit" in cut.errors[0]["message"]
    assert 0 < len(pipeline.xero()["invoices"]) < seeded["invoices"]

    pipeline.sandbox.xero.limits.configure("day", 5_000)
    resumed = pipeline.sync(cut.last_states() or None)

    assert (resumed.source_exit, resumed.destination_exit) == (0, 0)
    assert_books_match_keap(pipeline, cut, resumed)


def test_the_destination_echoes_the_sources_last_state_of_each_stream(pipeline, seeded):
    sync = pipeline.sync()

    assert (sync.source_exit, sync.destination_exit) == (0, 0)
    last_read = {s["stream"]["stream_descriptor"]["name"]: s for s in sync.source_states}
    last_echoed = {s["stream"]["stream_descriptor"]["name"]: s for s in sync.echoed}
    assert set(last_echoed) == set(STREAM_NAMES)
    for name in STREAM_NAMES:
        assert last_echoed[name]["stream"] == last_read[name]["stream"]
    for record in sync.records:
        data = STREAMS[record["stream"]].with_nulls(record["data"])
        assert not problems(record["stream"], data), data["source_id"]


def test_a_second_sync_writes_nothing_and_a_new_payment_lands_once(pipeline, seeded):
    first = pipeline.sync()
    assert (first.source_exit, first.destination_exit) == (0, 0)
    invoices_before = len(pipeline.xero()["invoices"])

    pipeline.sandbox.stats.reset()
    again = pipeline.sync(first.last_states())
    assert (again.source_exit, again.destination_exit) == (0, 0)
    stats, tenant = pipeline.sandbox.stats, pipeline.tenant_id
    writes = sum(stats.count("xero", method=verb, tenant=tenant) for verb in ("PUT", "POST"))
    assert writes == 0, "a sync with nothing new writes nothing to Xero"
    assert len(pipeline.xero()["invoices"]) == invoices_before

    order_id = seeded["samples"]["unpaid_order_id"]
    order = next(o for o in pipeline.sandbox.dump("keap")["orders"] if o["id"] == str(order_id))
    part = keap_total(order) / 2
    with pipeline.sandbox.keap.account.lock:
        pipeline.sandbox.keap.account.record_payment(
            int(order_id),
            {"payment_amount": part, "payment_method_type": "Check", "apply_to_commissions": False},
        )
    third = pipeline.sync(again.last_states())

    assert (third.source_exit, third.destination_exit) == (0, 0)
    books = pipeline.xero()
    assert len(books["invoices"]) == invoices_before
    assert_books_match_keap(pipeline, first, third)
    invoice = next(i for i in books["invoices"] if i["InvoiceNumber"] == order["invoice_id"])
    assert money(invoice["AmountPaid"]) == part
    assert money(invoice["AmountDue"]) == keap_total(order) - part


def test_a_payment_partly_refunded_after_it_landed_is_replaced_by_what_was_kept(pipeline, seeded):
    first = pipeline.sync()
    assert (first.source_exit, first.destination_exit) == (0, 0)
    order_id = str(seeded["samples"]["paid_order_id"])
    payment = next(
        r["data"]
        for r in first.records
        if r["stream"] == "payments" and r["data"]["invoice_source_id"] == order_id
    )
    paid = Money.of(money(payment["amount"]), payment["currency"])
    with pipeline.sandbox.keap.account.lock:
        pipeline.sandbox.keap.account.refund_payment(int(payment["source_id"]), paid.minor // 2)

    second = pipeline.sync(first.last_states())

    assert (second.source_exit, second.destination_exit) == (0, 0)
    kept = paid.amount - Money.from_minor(paid.minor // 2, paid.currency).amount
    assert live_xero_payments(pipeline.xero())[payment["source_id"]] == [kept]
    assert_books_match_keap(pipeline, first, second)


def test_on_paid_at_only_paid_invoices_land_and_a_later_refund_removes_the_payment(
    pipeline, seeded
):
    pipeline.on_cursor("paid_at")
    first = pipeline.sync()

    assert (first.source_exit, first.destination_exit) == (0, 0)
    orders = pipeline.sandbox.dump("keap")["orders"]
    books = pipeline.xero()
    assert {i["InvoiceNumber"] for i in books["invoices"]} == {
        o["invoice_id"] for o in orders if paid_in_full(o)
    }
    assert all(i["Status"] == "PAID" for i in books["invoices"])
    in_xero = live_xero_payments(books)
    payment = next(
        r["data"]
        for r in first.records
        if r["stream"] == "payments" and r["data"]["source_id"] in in_xero
    )
    payment_id, order_id = payment["source_id"], payment["invoice_source_id"]

    with pipeline.sandbox.keap.account.lock:
        pipeline.sandbox.keap.account.refund_payment(int(payment_id))
    second = pipeline.sync(first.last_states())

    assert (second.source_exit, second.destination_exit) == (0, 0)
    books = pipeline.xero()
    assert payment_id not in live_xero_payments(books)
    refunded = next(o for o in pipeline.sandbox.dump("keap")["orders"] if o["id"] == order_id)
    invoice = next(i for i in books["invoices"] if i["InvoiceNumber"] == refunded["invoice_id"])
    assert money(invoice["AmountPaid"]) == keap_kept(refunded)
    assert invoice["Status"] == "AUTHORISED"


def test_on_paid_at_an_invoice_refunded_before_its_first_sync_never_blocks_a_sync_on_fail(
    pipeline, seeded
):
    """Paid in full, then refunded in part, before the first sync: sync mode 3 never writes the
    invoice, so it never sends its payment either; with on_invalid_record 'fail', no sync is
    stopped by it, however it changes later."""
    pipeline.on_cursor("paid_at")
    pipeline.configure_destination(on_invalid_record="fail")
    order, payment = pipeline.keap_sale()
    pipeline.keap_refund(payment, 2500)
    first = pipeline.run()
    pipeline.sandbox.clock.advance(60)
    pipeline.keap_refund(payment, 1000)  # it changes again: read again
    second = pipeline.run()

    assert first.completed
    assert second.completed, second.errors
    assert str(payment.id) not in [r["data"]["source_id"] for r in second.records]
    assert str(order.invoice_id) not in {i["InvoiceNumber"] for i in pipeline.xero()["invoices"]}


def test_a_refund_reopening_an_invoice_paid_on_its_issue_day_gives_it_its_due_date_back(
    pipeline, seeded
):
    """Paid the day it was raised (with no due date of its own), the invoice is due that day;
    refunded, it is due 30 days after, like any open invoice: updated in the sync that removes
    its payment, nothing left alone."""
    order, payment = pipeline.keap_sale()
    first = pipeline.run()
    number = str(order.invoice_id)
    invoice = next(i for i in pipeline.xero()["invoices"] if i["InvoiceNumber"] == number)
    assert first.completed
    assert invoice["DueDate"] == invoice["Date"]

    pipeline.sandbox.clock.advance(60)
    pipeline.keap_refund(payment)
    second = pipeline.run()

    invoice = next(i for i in pipeline.xero()["invoices"] if i["InvoiceNumber"] == number)
    issued = parse_date(invoice["Date"])
    assert parse_date(invoice["DueDate"]) == issued + dt.timedelta(days=30)
    assert (invoice["Status"], money(invoice["AmountPaid"])) == ("AUTHORISED", 0)
    assert not [log for log in second.logs if "left alone:" in log]
    assert_exact(pipeline.sandbox, pipeline.xero())
