"""`invoices` and `payments` in one sync look each order's payments up once between them, and a
payment that changes between the two streams is read as it is when `payments` reads it."""

import logging
from collections import Counter
from urllib.parse import parse_qs

from airbyte_cdk.models import AirbyteStreamStatus, Type

from source_keap import SourceKeap

STARTED = AirbyteStreamStatus.STARTED


def _orders_asked_for(keap) -> Counter:
    """How many times each order's payments were asked of `/sales/payments`."""
    asked: Counter = Counter()
    for call in keap.sandbox.stats.calls("keap"):
        if call.endpoint.endswith("/sales/payments"):
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


def test_a_payment_voided_between_the_two_streams_is_read_voided(frozen):
    keap = frozen
    seeded = keap.seed(orders=40, contacts=10)
    order_id = seeded["samples"]["paid_order_id"]
    payment_id = keap.payments([order_id])[0]["id"]
    messages = SourceKeap().read(
        logging.getLogger("test"),
        keap.config(),
        keap.catalog("updated_at", payments=True),
        None,
    )

    payments = {}
    for message in messages:
        status = message.trace.stream_status if message.type == Type.TRACE else None
        if status and (status.stream_descriptor.name, status.status) == ("payments", STARTED):
            keap.sandbox.clock.advance(1)
            with keap.account.lock:
                keap.account.void_payment(int(payment_id))
        if message.type == Type.RECORD and message.record.stream == "payments":
            payments[message.record.data["source_id"]] = message.record.data

    assert payments[payment_id]["status"] == "voided"


def _book_sizes(keap, catalog) -> tuple[int, int, dict]:
    """How many orders' payments the sync keeps when its second stream starts and once it
    ends, and the records it emitted."""
    source = SourceKeap()
    at_second_start = None
    emitted: dict = {"invoices": [], "payments": []}
    first = catalog.streams[0].stream.name
    for message in source.read(logging.getLogger("test"), keap.config(), catalog, None):
        status = message.trace.stream_status if message.type == Type.TRACE else None
        if status and status.status == STARTED and status.stream_descriptor.name != first:
            at_second_start = len(source._context.account.payments)
        if message.type == Type.RECORD:
            emitted[message.record.stream].append(message.record.data)
    return at_second_start, len(source._context.account.payments), emitted


def test_only_the_payments_the_second_stream_takes_are_kept_and_none_outlive_it(keap):
    """The payments kept between the streams are the sync's only per-order memory: no more
    orders than the second stream asks for, and none left once it has read."""
    keap.seed(orders=1200, contacts=100)

    kept, left, emitted = _book_sizes(keap, keap.catalog("updated_at", payments=True))

    paid = sum(1 for r in emitted["invoices"] if r["paid_at"] is not None)
    assert 0 < kept <= paid
    assert left == 0


def test_read_payments_first_it_keeps_only_the_paid_orders_invoices_will_ask_for(keap):
    keap.seed(orders=1200, contacts=100)
    catalog = keap.catalog("updated_at", payments=True)
    catalog.streams.reverse()
    keap.sandbox.stats.reset()

    kept, left, emitted = _book_sizes(keap, catalog)

    orders = {r["source_id"]: r for r in emitted["invoices"]}
    paid = sum(1 for r in orders.values() if r["paid_at"] is not None)
    with_payments = {r["invoice_source_id"] for r in emitted["payments"]}
    assert kept == paid < len(with_payments)
    assert left == 0
    assert max(_orders_asked_for(keap).values()) == 1
