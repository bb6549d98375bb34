"""The cursor fields of `invoices` (the product's sync modes), against the Keap sandbox over HTTP.

Expected records are taken from the account as Keap's API shows it (`sandbox.dump`), never from
the connector.
"""

from invoice_model.dates import format_datetime


def test_updated_at_reads_every_order_and_every_payment_received(keap):
    keap.seed(orders=120, contacts=30, synced_orders=4)
    run = keap.read(keap.config(), keap.catalog("updated_at", payments=True))

    orders = keap.orders()
    assert sorted(run.ids("invoices"), key=int) == sorted((o["id"] for o in orders), key=int)
    expected_payments = keap.payments(o["id"] for o in orders)
    assert sorted(run.ids("payments"), key=int) == sorted(
        (p["id"] for p in expected_payments), key=int
    )
    newest = max(format_datetime(o["modification_time"]) for o in orders)
    assert run.states("invoices")[-1]["updated_at"] == newest
    for stream in ("invoices", "payments"):
        assert run.statuses(stream) == ["STARTED", "RUNNING", "COMPLETE"]


def test_invoice_ids_differ_from_order_ids_and_both_are_kept(keap):
    keap.seed(orders=30)
    run = keap.read(keap.config(), keap.catalog("updated_at"))
    keap_invoice_ids = {o["id"]: o["invoice_id"] for o in keap.orders()}
    for record in run.records("invoices"):
        assert record["source_invoice_id"] == keap_invoice_ids[record["source_id"]]
        assert record["source_invoice_id"] != record["source_id"]


def test_created_at_reads_new_orders_only(keap):
    keap.seed(orders=60)
    config, invoices = keap.config(), keap.catalog("created_at")
    first = keap.read(config, invoices)
    assert sorted(first.ids("invoices"), key=int) == sorted(
        (o["id"] for o in keap.orders()), key=int
    )
    newest = max(format_datetime(o["creation_time"]) for o in keap.orders())
    assert first.states("invoices")[-1]["created_at"] == newest

    unpaid = next(o for o in keap.orders() if o["status"] != "PAID")
    keap.pay(unpaid["id"], "1.00")
    created = keap.new_order()
    second = keap.read(config, invoices, keap.last_states(first))
    assert second.ids("invoices") == [str(created.id)]


def test_updated_at_reads_what_changed_since_the_last_sync(keap):
    keap.seed(orders=60)
    config, streams = keap.config(), keap.catalog("updated_at", payments=True)
    first = keap.read(config, streams)

    unpaid = next(o for o in keap.orders() if o["status"] != "PAID")
    payment = keap.pay(unpaid["id"], "1.00")
    second = keap.read(config, streams, keap.last_states(first))
    assert second.ids("invoices") == [unpaid["id"]]
    # Every payment of the order that changed, the new one among them: one older than the last
    # read may not have been emitted, had that read stopped before its order.
    assert set(second.ids("payments")) == {p["id"] for p in keap.payments([unpaid["id"]])}
    assert str(payment.id) in second.ids("payments")
    assert second.records("invoices")[0]["amount_paid"] > 0


def test_paid_at_reads_paid_orders_once_paid_with_their_payments(keap):
    keap.seed(orders=120, contacts=30)
    config, streams = keap.config(), keap.catalog("paid_at", payments=True)
    first = keap.read(config, streams)

    paid = [
        o
        for o in keap.orders()
        if o["status"] == "PAID" and o["total"]["amount"] > 0 and o["refund_total"]["amount"] == 0
    ]
    assert sorted(first.ids("invoices"), key=int) == sorted((o["id"] for o in paid), key=int)
    payments = keap.payments(o["id"] for o in paid)
    assert sorted(first.ids("payments"), key=int) == sorted((p["id"] for p in payments), key=int)
    for record in first.records("invoices"):
        counted = [
            p["payment_time"]
            for p in payments
            if p["order_ids"] == [record["source_id"]] and p["status"] == "COMPLETED"
        ]
        assert record["status"] == "paid"
        assert record["paid_at"] == format_datetime(max(counted))

    # An order paid in full since: it and all its payments, the earlier ones included.
    partly = next(
        o for o in keap.orders() if o["status"] != "PAID" and o["total_paid"]["amount"] > 0
    )
    earlier = {p["id"] for p in keap.payments([partly["id"]])}
    due = partly["total_due"]
    last = keap.pay(partly["id"], f"{due['amount'] / 100:.2f}")
    second = keap.read(config, streams, keap.last_states(first))
    assert second.ids("invoices") == [partly["id"]]
    assert set(second.ids("payments")) == {*earlier, str(last.id)}
    assert second.records("invoices")[0]["paid_at"] == format_datetime(last.payment_time)


def test_an_unknown_cursor_field_is_a_config_error(keap):
    keap.seed(orders=3)
    run = keap.read(keap.config(), keap.catalog("due_date"), fails=True)
    error = run.errors[0].trace.error
    assert error.failure_type.value == "config_error"
    assert "due_date" in error.message
