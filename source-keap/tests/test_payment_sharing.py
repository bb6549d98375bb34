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
