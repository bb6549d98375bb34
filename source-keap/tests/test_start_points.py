"""The three start points: where the first sync starts, and a floor for every later one."""

import datetime as dt
import logging

from airbyte_cdk.models import Status

from source_keap import SourceKeap

UTC = dt.UTC


def created(order):
    return order["creation_time"]


def test_from_the_beginning_every_order(keap):
    keap.seed(orders=40)
    run = keap.read(keap.config(), keap.catalog("created_at"))
    assert len(run.ids("invoices")) == len(keap.orders())


def test_from_an_invoice_id_its_order_and_those_created_after_it_with_their_payments(keap):
    keap.seed(orders=80)
    orders = sorted(keap.orders(), key=created)
    start = orders[len(orders) // 2]
    assert start["invoice_id"] != start["id"]
    config = keap.config(start_from={"start_type": "invoice_id", "invoice_id": start["invoice_id"]})

    for cursor in ("created_at", "updated_at"):
        run = keap.read(config, keap.catalog(cursor, payments=True))
        expected = {o["id"] for o in orders if created(o) >= created(start)}
        assert set(run.ids("invoices")) == expected
        assert start["id"] in expected
        assert orders[0]["id"] not in expected
        assert set(run.ids("payments")) == {p["id"] for p in keap.payments(expected)}


def test_the_start_point_stays_a_floor_for_later_syncs(keap):
    keap.seed(orders=40)
    orders = sorted(keap.orders(), key=created)
    start = orders[20]
    config = keap.config(start_from={"start_type": "invoice_id", "invoice_id": start["invoice_id"]})
    streams = keap.catalog("updated_at", payments=True)
    first = keap.read(config, streams)

    before = next(o for o in orders[:20] if o["status"] != "PAID")
    keap.pay(before["id"], "1.00")
    second = keap.read(config, streams, keap.last_states(first))
    assert second.ids("invoices") == []
    assert second.ids("payments") == []


def test_an_unknown_invoice_id_fails_the_check_and_the_read_saying_so(keap):
    keap.seed(orders=10)
    order_id = keap.orders()[-1]["id"]  # an order ID, not an invoice ID
    config = keap.config(start_from={"start_type": "invoice_id", "invoice_id": order_id})

    status = SourceKeap().check(logging.getLogger("test"), config)
    assert status.status == Status.FAILED
    assert "start_from.invoice_id" in status.message
    assert f"no invoice with ID {order_id}" in status.message

    run = keap.read(config, keap.catalog("updated_at"), fails=True)
    error = run.errors[0].trace.error
    assert error.failure_type.value == "config_error"
    assert "start_from.invoice_id" in error.message


def test_an_invoice_date_begins_at_midnight_in_the_accounts_time_zone(frozen):
    keap = frozen
    assert keap.account.profile.time_zone == "America/New_York"
    keap.seed(contacts=3, orders=0, subscriptions=0)
    late_evening = keap.new_order(at=dt.datetime(2024, 3, 1, 4, 59, 59, tzinfo=UTC))  # Feb 29 NY
    midnight = keap.new_order(at=dt.datetime(2024, 3, 1, 5, 0, 0, tzinfo=UTC))  # Mar 1 NY

    by_account = {"start_type": "invoice_date", "invoice_date": "2024-03-01"}
    run = keap.read(keap.config(start_from=by_account), keap.catalog("created_at"))
    assert run.ids("invoices") == [str(midnight.id)]

    in_utc = {**by_account, "time_zone": "UTC"}
    run = keap.read(keap.config(start_from=in_utc), keap.catalog("created_at"))
    assert run.ids("invoices") == [str(late_evening.id), str(midnight.id)]


def test_the_check_signs_in_and_resolves_the_start_point(keap):
    keap.seed(orders=5)
    start = keap.orders()[0]
    config = keap.config(start_from={"start_type": "invoice_id", "invoice_id": start["invoice_id"]})
    assert SourceKeap().check(logging.getLogger("test"), config).status == Status.SUCCEEDED
    assert keap.calls(endpoint="/crm/rest/v2/orders") == 2  # the start point, one order
