"""`invoices` and `payments` in one sync look each order's payments up once between them, and a
listing of orders once when it is a single page; a payment that changes between the two streams
is read with its invoice, in this sync or the next."""

import logging
from collections import Counter
from urllib.parse import parse_qs

from airbyte_cdk.models import AirbyteStreamStatus, Type

from source_keap import SourceKeap
from source_keap.keap import PAYMENT_FIELDS, PaymentBook

STARTED = AirbyteStreamStatus.STARTED


def _orders_asked_for(keap) -> Counter:
    """How many times each order's payments were asked of `/sales/payments` and answered (a
    call refused by the spike arrest, on a busy machine, is asked again)."""
    asked: Counter = Counter()
    for call in keap.sandbox.stats.calls("keap"):
        if call.endpoint.endswith("/sales/payments") and call.status == 200:
            condition = parse_qs(call.query)["filter"][0]
            asked.update(condition.removeprefix("order_ids==").split(","))
    return asked


def test_each_orders_payments_are_asked_for_once_in_a_sync_of_both_streams(keap):
    keap.seed(orders=200, contacts=40)
    keap.sandbox.stats.reset()

    run = keap.read(keap.config(), keap.catalog("updated_at", payments=True))

    asked = _orders_asked_for(keap)
    assert asked, "payments were looked up"
    assert max(asked.values()) == 1
    assert sorted(run.ids("payments"), key=int) == sorted(
        (p["id"] for p in keap.payments()), key=int
    )


def test_a_payment_voided_between_the_two_streams_waits_for_its_invoice_to_be_read_again(frozen):
    """Orders listed in pages: `payments` lists them again, and the void changed the order after
    `invoices` read it, so `payments` leaves that order (and its state stays short of it) for
    the next sync, which reads the invoice first, then the void."""
    keap = frozen
    keap.sandbox.keap.limits.enabled = False  # its clock stopped, no rate window would pass
    keap.sandbox.keap.largest_page = 10
    seeded = keap.seed(orders=40, contacts=10)
    order_id = str(seeded["samples"]["paid_order_id"])
    payment_id = keap.payments([order_id])[0]["id"]
    config, catalog = keap.config(), keap.catalog("updated_at", payments=True)
    messages = list(_read_voiding_between_streams(keap, config, catalog, int(payment_id)))

    emitted = [m.record for m in messages if m.type == Type.RECORD]
    assert order_id in {r.data["source_id"] for r in emitted if r.stream == "invoices"}
    assert payment_id not in {r.data["source_id"] for r in emitted if r.stream == "payments"}
    states = [m.state for m in messages if m.type == Type.STATE]

    resumed = keap.read(config, catalog, _last_states(states))

    invoice = next(r for r in resumed.records("invoices") if r["source_id"] == order_id)
    payment = next(r for r in resumed.records("payments") if r["source_id"] == payment_id)
    assert invoice["amount_paid"] < invoice["total"]
    assert payment["status"] == "voided"


def test_payments_of_a_single_page_are_read_as_invoices_read_them_and_changes_in_the_next(frozen):
    """Orders listed in one page: `payments` takes the listing `invoices` was given, so it
    emits the payment as it was when its invoice was read, and the void, which changed the
    order since, comes with the invoice in the next sync."""
    keap = frozen
    seeded = keap.seed(orders=40, contacts=10)
    order_id = str(seeded["samples"]["paid_order_id"])
    payment_id = keap.payments([order_id])[0]["id"]
    config, catalog = keap.config(), keap.catalog("updated_at", payments=True)
    keap.sandbox.stats.reset()
    messages = list(_read_voiding_between_streams(keap, config, catalog, int(payment_id)))

    assert keap.calls(endpoint="/crm/rest/v2/orders") == 1
    emitted = {
        (m.record.stream, m.record.data["source_id"]): m.record.data
        for m in messages
        if m.type == Type.RECORD
    }
    assert emitted["invoices", order_id]["amount_paid"] == emitted["invoices", order_id]["total"]
    assert emitted["payments", payment_id]["status"] == "completed"
    states = [m.state for m in messages if m.type == Type.STATE]

    resumed = keap.read(config, catalog, _last_states(states))

    assert resumed.ids("invoices") == [order_id]
    invoice = resumed.records("invoices")[0]
    assert invoice["amount_paid"] < invoice["total"]
    assert resumed.records("payments")[0]["status"] == "voided"
    assert payment_id in resumed.ids("payments")


def _read_voiding_between_streams(keap, config, catalog, payment_id):
    for message in SourceKeap().read(logging.getLogger("test"), config, catalog, None):
        status = message.trace.stream_status if message.type == Type.TRACE else None
        if status and (status.stream_descriptor.name, status.status) == ("payments", STARTED):
            keap.sandbox.clock.advance(1)
            with keap.account.lock:
                keap.account.void_payment(payment_id)
        yield message


def _last_states(states):
    last = {state.stream.stream_descriptor.name: state for state in states}
    return list(last.values())


def _book_sizes(keap, catalog) -> tuple[list[str], int, int, dict]:
    """The order the streams started in, how many orders' payments the sync keeps when its
    second stream starts and once it ends, and the records it emitted."""
    source = SourceKeap()
    started, at_second_start = [], None
    emitted: dict = {"invoices": [], "payments": []}
    for message in source.read(logging.getLogger("test"), keap.config(), catalog, None):
        status = message.trace.stream_status if message.type == Type.TRACE else None
        if status and status.status == STARTED:
            started.append(status.stream_descriptor.name)
            if len(started) == 2:
                at_second_start = len(source._context.account.payments)
        if message.type == Type.RECORD:
            emitted[message.record.stream].append(message.record.data)
    return started, at_second_start, len(source._context.account.payments), emitted


def test_only_the_payments_the_second_stream_takes_are_kept_and_none_outlive_it(keap):
    """The payments kept between the streams are the sync's only per-order memory: no more
    orders than the second stream asks for, and none left once it has read."""
    keap.seed(orders=1200, contacts=100)

    _, kept, left, emitted = _book_sizes(keap, keap.catalog("updated_at", payments=True))

    assert kept == len(emitted["invoices"])
    assert left == 0


def test_invoices_are_read_first_whatever_the_catalogs_order(keap):
    keap.seed(orders=1200, contacts=100)
    catalog = keap.catalog("updated_at", payments=True)
    catalog.streams.reverse()
    keap.sandbox.stats.reset()

    started, kept, left, emitted = _book_sizes(keap, catalog)

    assert started == ["invoices", "payments"]
    assert (kept, left) == (len(emitted["invoices"]), 0)
    assert max(_orders_asked_for(keap).values()) == 1
    assert sorted(r["source_id"] for r in emitted["payments"]) == sorted(
        p["id"] for p in keap.payments()
    )


def test_a_kept_payment_reads_back_exactly_as_keap_gave_it(payloads):
    """The book keeps payments out of memory, as JSON: a field Keap left out stays out, a null
    stays null, a note in another script stays as it was, and the second stream asks no more."""
    given = payloads.payment(note="支払い済み — merci", refund_payment_id=None)
    del given["update_time"]
    order = {"id": "1042", "modification_time": "2024-03-02T09:00:05Z"}
    calls = []

    def get(path, params, items):
        calls.append(path)
        return {"payments": [given], "next_page_token": ""}

    book = PaymentBook()
    book.fetch(get, [order], keep=True)
    taken = book.fetch(get, [order], keep=False)

    assert taken == {"1042": [{k: v for k, v in given.items() if k in PAYMENT_FIELDS}]}
    assert (calls, len(book)) == (["sales/payments"], 0)


def test_a_kept_payment_serves_only_the_version_of_its_order_it_was_kept_for(payloads):
    order = {"id": "1042", "modification_time": "2024-03-02T09:00:05Z"}
    calls = []

    def get(path, params, items):
        calls.append(path)
        return {"payments": [payloads.payment()], "next_page_token": ""}

    book = PaymentBook()
    book.fetch(get, [order], keep=True)
    book.fetch(get, [{**order, "modification_time": "2024-03-03T10:00:00Z"}], keep=False)

    assert (calls, len(book)) == (["sales/payments", "sales/payments"], 0)
