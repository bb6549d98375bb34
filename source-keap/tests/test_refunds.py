"""Refunds and voids after a sync, against the Keap sandbox over HTTP: a payment refunded in part
comes again `completed` with what was kept, one refunded in full comes `refunded`, and the
payments of an invoice add up to its `amount_paid`. With `invoices` on `paid_at` (sync mode 3),
what undoes a payment already written still reaches the destination."""

from decimal import Decimal

MINUTE = 60
STREAMS = ("invoices", "payments")


def paid_order(keap, amount="100.00"):
    """A $100 order paid `amount` now; the order and its payment."""
    order = keap.new_order()
    return order, keap.pay(str(order.id), amount)


def refund(keap, payment, cents=None):
    keap.sandbox.clock.advance(MINUTE)
    with keap.account.lock:
        keap.account.refund_payment(payment.id, cents)
    keap.sandbox.clock.advance(MINUTE)


def by_id(run, stream):
    return {r["source_id"]: r for r in run.records(stream)}


def completed_total(records, order_id):
    return sum(
        (
            Decimal(repr(r["amount"]))
            for r in records
            if r["invoice_source_id"] == order_id and r["status"] == "completed"
        ),
        Decimal(0),
    )


def test_a_partial_refund_brings_the_payment_again_with_what_was_kept(frozen):
    keap = frozen
    keap.seed(orders=0, contacts=3, subscriptions=0)
    order, payment = paid_order(keap)
    config, streams = keap.config(), keap.catalog("updated_at", payments=True)
    first = keap.read(config, streams)
    assert by_id(first, "payments")[str(payment.id)]["amount"] == 100
    keap.sandbox.clock.advance(MINUTE)

    refund(keap, payment, 100)
    second = keap.read(config, streams, keap.last_states(first))

    paid = by_id(second, "payments")[str(payment.id)]
    assert (paid["status"], paid["amount"]) == ("completed", 99)
    invoice = by_id(second, "invoices")[str(order.id)]
    assert invoice["amount_paid"] == 99
    assert completed_total([paid], str(order.id)) == Decimal("99")

    refund(keap, payment)  # the rest
    third = keap.read(config, streams, keap.last_states(second))
    gone = by_id(third, "payments")[str(payment.id)]
    assert (gone["status"], gone["amount"]) == ("refunded", 100)
    assert by_id(third, "invoices")[str(order.id)]["amount_paid"] == 0


def test_the_payments_of_each_invoice_add_up_to_what_it_says_was_paid(keap):
    # A seeded history: part payments, refunds in part and in full, voids.
    seeded = keap.seed(orders=150, contacts=30, paid=0.4, refunded=0.2, voided=0.1)
    assert seeded["refunds"] > 0
    run = keap.read(keap.config(), keap.catalog("updated_at", payments=True))
    payments = run.records("payments")
    for invoice in run.records("invoices"):
        paid = completed_total(payments, invoice["source_id"])
        assert paid == Decimal(repr(invoice["amount_paid"])), invoice["source_id"]


def test_paid_invoices_mode_sends_refunds_and_voids_of_what_it_wrote(frozen):
    keap = frozen
    keap.seed(orders=0, contacts=3, subscriptions=0)
    refunded_order, refunded = paid_order(keap)
    partly_order, partly = paid_order(keap)
    voided_order, voided = paid_order(keap)
    _, never_paid_in_full = paid_order(keap, "40.00")
    config, streams = keap.config(), keap.catalog("paid_at", payments=True)
    first = keap.read(config, streams)
    assert set(by_id(first, "invoices")) == {
        str(o.id) for o in (refunded_order, partly_order, voided_order)
    }
    assert set(by_id(first, "payments")) == {str(p.id) for p in (refunded, partly, voided)}
    keap.sandbox.clock.advance(MINUTE)

    refund(keap, refunded)
    refund(keap, partly, 2500)
    refund(keap, never_paid_in_full, 1000)
    with keap.account.lock:
        keap.account.void_payment(voided.id)
    keap.sandbox.clock.advance(MINUTE)
    second = keap.read(config, streams, keap.last_states(first))

    payments = by_id(second, "payments")
    assert (payments[str(refunded.id)]["status"], payments[str(refunded.id)]["amount"]) == (
        "refunded",
        100,
    )
    assert (payments[str(partly.id)]["status"], payments[str(partly.id)]["amount"]) == (
        "completed",
        75,
    )
    assert payments[str(voided.id)]["status"] == "voided"
    # Its invoice never reached the destination: its payment, smaller now, does not either.
    assert str(never_paid_in_full.id) not in payments
    # The invoices re-opened by a refund follow, so the destination can update them (their due
    # date, their status); the one paid by mistake (voided) is no longer one mode 3 writes.
    invoices = by_id(second, "invoices")
    assert set(invoices) == {str(refunded_order.id), str(partly_order.id)}
    assert invoices[str(partly_order.id)]["amount_paid"] == 75
    assert invoices[str(partly_order.id)]["status"] == "open"

    # Nothing changed since: nothing comes again.
    keap.sandbox.clock.advance(MINUTE)
    third = keap.read(config, streams, keap.last_states(second))
    assert third.records("payments") == []


def test_paid_invoices_mode_never_sends_an_invoice_paid_and_refunded_before_its_first_sync(frozen):
    """Paid in full and refunded in part before the first sync: the invoice is not paid, so never
    written, and no later sync sends its payment (the destination would have nowhere to put
    it). Paid and refunded in part between two later syncs, it is written with what was kept:
    books are the same whenever the syncs happened to run."""
    keap = frozen
    keap.seed(orders=0, contacts=3, subscriptions=0)
    before_order, before = paid_order(keap)
    refund(keap, before, 2500)
    config, streams = keap.config(), keap.catalog("paid_at", payments=True)
    first = keap.read(config, streams)
    assert (first.ids("invoices"), first.ids("payments")) == ([], [])
    # The first sync's cut-over, in the state of both streams, whatever comes after.
    cut_over = first.states("invoices")[-1]["cut_over"]
    assert first.states("payments")[-1]["cut_over"] == cut_over

    refund(keap, before, 1000)  # changes the order again: it is read again
    between_order, between = paid_order(keap)
    refund(keap, between, 4000)
    second = keap.read(config, streams, keap.last_states(first))

    assert second.ids("invoices") == [str(between_order.id)]
    assert second.records("invoices")[0]["amount_paid"] == 60
    assert [(r["source_id"], r["status"], r["amount"]) for r in second.records("payments")] == [
        (str(between.id), "completed", 60)
    ]
    assert str(before_order.id) not in second.ids("invoices")
    assert {s["cut_over"] for name in STREAMS for s in second.states(name)} == {cut_over}
