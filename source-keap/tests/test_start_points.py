"""The three start points, against the Keap sandbox over HTTP: where the first sync starts, and a
floor for every later one.

- An invoice date selects on the invoice's date (Keap's `order_time`, the day in the account's
  time zone), however the order was back- or post-dated, in a few calls whatever the account's
  size.
- An invoice ID starts at that invoice and those created after it, ties in the same second
  broken on the invoice ID; a subscription's invoice starts at the next invoice with an order.
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from airbyte_cdk.models import Status

from invoice_model.dates import parse_datetime
from source_keap import SourceKeap

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")  # the sandbox account's time zone
DAY = "2024-03-01"  # begins at 2024-03-01T05:00:00Z in New York
BY_DATE = {"start_type": "invoice_date", "invoice_date": DAY}


def created(order):
    return order["creation_time"]


def ny(text):
    """A wall-clock time in New York, as a UTC instant."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=NEW_YORK).astimezone(UTC)


def from_invoice(invoice_id):
    return {"start_type": "invoice_id", "invoice_id": str(invoice_id)}


def test_from_the_beginning_every_order(keap):
    keap.seed(orders=40)
    run = keap.read(keap.config(), keap.catalog("created_at"))
    assert len(run.ids("invoices")) == len(keap.orders())


# --- an invoice date -------------------------------------------------------------------------


def test_an_invoice_date_selects_on_the_invoice_date_however_the_order_was_back_or_post_dated(
    keap,
):
    keap.seed(contacts=3, orders=0, subscriptions=0)

    def order(created_at, dated):
        return str(keap.new_order(at=ny(created_at), order_time=ny(dated)).id)

    taken = {
        order("2024-02-20 10:00", "2024-03-05 09:00"),  # post-dated, created before the day
        order("2024-03-01 00:00", "2024-03-01 00:00"),  # at midnight
        order("2024-01-10 12:00", "2024-03-01 00:00"),  # created long before, dated midnight
    }
    left = {
        order("2024-03-03 10:00", "2024-02-25 09:00"),  # back-dated, created after the day
        order("2024-02-29 23:59:59", "2024-02-29 23:59:59"),  # the evening before
        order("2024-03-01 08:00", "2024-02-29 23:59:59.999"),  # a millisecond before it
    }
    # A post-dated order paid before the day, and one paid in part before it and in full now.
    paid_before = order("2024-02-21 10:00", "2024-03-08 10:00")
    keap.pay(paid_before, "100.00", at=ny("2024-02-22 10:00"))
    paid_twice = order("2024-02-21 11:00", "2024-03-09 10:00")
    early = keap.pay(paid_twice, "40.00", at=ny("2024-02-23 10:00"))
    late = keap.pay(paid_twice, "60.00")
    keap.pay(sorted(left)[0], "100.00")
    taken |= {paid_before, paid_twice}

    config = keap.config(start_from=BY_DATE)
    expected = {"created_at": taken, "updated_at": taken, "paid_at": {paid_before, paid_twice}}
    for cursor, invoices in expected.items():
        run = keap.read(config, keap.catalog(cursor, payments=cursor != "created_at"))
        assert set(run.ids("invoices")) == invoices, cursor
        assert all(r["issue_date"] >= DAY for r in run.records("invoices"))
        if cursor != "created_at":
            paid = {p["id"] for p in keap.payments([paid_before, paid_twice])}
            assert set(run.ids("payments")) == paid, cursor
            assert {str(early.id), str(late.id)} <= paid


def test_an_invoice_date_stays_the_floor_of_every_later_sync(keap):
    keap.seed(contacts=3, orders=0, subscriptions=0)
    before = keap.new_order(at=ny("2024-02-28 10:00"))
    redated = keap.new_order(at=ny("2024-02-28 11:00"))
    on_the_day = keap.new_order(at=ny("2024-03-02 10:00"))
    config, streams = keap.config(start_from=BY_DATE), keap.catalog("updated_at", payments=True)
    first = keap.read(config, streams)
    assert first.ids("invoices") == [str(on_the_day.id)]

    keap.pay(before.id, "100.00")
    # New orders, created now: one dated before the day, one after it.
    backdated = keap.new_order(order_time=ny("2024-02-27 10:00"))
    dated_after = keap.new_order(order_time=ny("2024-03-20 10:00"))
    with keap.account.lock:
        keap.account.update_order(redated.id, {"order_time": ny("2024-03-01 09:00")})
    payment = keap.pay(on_the_day.id, "25.00")
    second = keap.read(config, streams, keap.last_states(first))

    assert str(backdated.id) not in second.ids("invoices")
    assert set(second.ids("invoices")) == {str(o.id) for o in (on_the_day, redated, dated_after)}
    assert second.ids("payments") == [str(payment.id)]


def test_an_invoice_date_begins_at_midnight_in_the_accounts_time_zone(keap):
    assert keap.account.profile.time_zone == "America/New_York"
    keap.seed(contacts=3, orders=0, subscriptions=0)
    late_evening = keap.new_order(at=dt.datetime(2024, 3, 1, 4, 59, 59, tzinfo=UTC))  # Feb 29 NY
    midnight = keap.new_order(at=dt.datetime(2024, 3, 1, 5, 0, 0, tzinfo=UTC))  # Mar 1 NY

    run = keap.read(keap.config(start_from=BY_DATE), keap.catalog("created_at"))
    assert run.ids("invoices") == [str(midnight.id)]

    in_utc = {**BY_DATE, "time_zone": "UTC"}
    run = keap.read(keap.config(start_from=in_utc), keap.catalog("created_at"))
    assert run.ids("invoices") == [str(late_evening.id), str(midnight.id)]


def test_a_first_sync_from_an_invoice_date_reads_only_the_pages_of_the_orders_it_takes(keap):
    """The calls of a first sync grow with the pages of orders dated on or after the day, not
    with the account's orders: 5,000 orders, some back- or post-dated by days or weeks, and the
    last ten days' few hundred read in one page per stream plus one call for the orders created
    before the day and dated on or after it."""
    end = dt.datetime(2024, 7, 1, tzinfo=UTC)
    keap.seed(orders=5000, contacts=500, backdated=0.05, postdated=0.05, end=end.isoformat())
    day = (end - dt.timedelta(days=10)).astimezone(NEW_YORK).date()
    first_instant = dt.datetime.combine(day, dt.time(), NEW_YORK)
    orders = keap.orders()
    dated = {o["id"] for o in orders if parse_datetime(o["order_time"]) >= first_instant}
    postdated = [
        o for o in orders if o["id"] in dated and parse_datetime(created(o)) < first_instant
    ]
    assert postdated, "orders created before the day and dated on or after it"

    start = {"start_type": "invoice_date", "invoice_date": day.isoformat()}
    run = keap.read(keap.config(start_from=start), keap.catalog("updated_at", payments=True))

    assert set(run.ids("invoices")) == dated
    assert set(run.ids("payments")) == {p["id"] for p in keap.payments(dated)}
    # The post-dated orders created before the day, then one page of 1,000 of the orders
    # changed since, both taken by `payments` as `invoices` was given them; then the contacts
    # and payments of those taken, and the business profile.
    assert keap.calls(endpoint="/crm/rest/v2/orders") == 2
    assert keap.calls() <= 10
    assert keap.calls() / len(dated) < 0.05


# --- an invoice ID ---------------------------------------------------------------------------


def test_from_an_invoice_id_its_order_and_those_created_after_it_with_their_payments(keap):
    keap.seed(orders=80)
    orders = sorted(keap.orders(), key=created)
    start = orders[len(orders) // 2]
    assert start["invoice_id"] != start["id"]
    config = keap.config(start_from=from_invoice(start["invoice_id"]))

    for cursor in ("created_at", "updated_at"):
        run = keap.read(config, keap.catalog(cursor, payments=True))
        expected = {o["id"] for o in orders if created(o) >= created(start)}
        assert set(run.ids("invoices")) == expected
        assert start["id"] in expected
        assert orders[0]["id"] not in expected
        assert set(run.ids("payments")) == {p["id"] for p in keap.payments(expected)}


def test_from_an_invoice_id_an_order_created_in_the_same_second_before_it_is_not_taken(keap):
    keap.seed(contacts=3, orders=0, subscriptions=0)
    moment = dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
    keap.new_order(at=moment - dt.timedelta(seconds=1))
    same_second_before = keap.new_order(at=moment)
    start = keap.new_order(at=moment)
    same_second_after = keap.new_order(at=moment)
    later = keap.new_order(at=moment + dt.timedelta(seconds=1))
    assert same_second_before.invoice_id < start.invoice_id < same_second_after.invoice_id
    for order in (same_second_before, start, same_second_after):
        keap.pay(order.id, "100.00")
    config = keap.config(start_from=from_invoice(start.invoice_id))

    taken = {str(o.id) for o in (start, same_second_after, later)}
    paid = {str(o.id) for o in (start, same_second_after)}
    for cursor, invoices in {"created_at": taken, "updated_at": taken, "paid_at": paid}.items():
        run = keap.read(config, keap.catalog(cursor, payments=cursor != "created_at"))
        assert set(run.ids("invoices")) == invoices, cursor
        if cursor != "created_at":
            assert set(run.ids("payments")) == {p["id"] for p in keap.payments(paid)}, cursor


def test_a_subscriptions_invoice_starts_from_the_next_invoice_that_has_an_order(keap):
    keap.seed(orders=60, subscriptions=3)
    state = keap.sandbox.dump("keap")
    orders = sorted(state["orders"], key=lambda o: int(o["invoice_id"]))
    invoices = [int(o["invoice_id"]) for o in orders]
    subscription = next(
        int(s["invoice_id"])
        for s in state["subscriptions"]
        if invoices[0] < int(s["invoice_id"]) < invoices[-1]
    )
    following = next(o for o in orders if int(o["invoice_id"]) > subscription)
    config = keap.config(start_from=from_invoice(subscription))

    status = SourceKeap().check(logging.getLogger("test"), config)
    assert status.status == Status.SUCCEEDED
    assert f"invoice {subscription} has no order of its own" in status.message
    assert "subscription's invoice" in status.message
    assert f"invoice {following['invoice_id']} (order {following['id']})" in status.message
    # The start point: its invoice, the latest order, the orders after the invoice; then the
    # check's one order.
    assert keap.calls(endpoint="/crm/rest/v2/orders") <= 4

    run = keap.read(config, keap.catalog("updated_at", payments=True))
    expected = {o["id"] for o in orders if int(o["invoice_id"]) > subscription}
    assert set(run.ids("invoices")) == expected
    assert set(run.ids("payments")) == {p["id"] for p in keap.payments(expected)}
    warnings = [m.log.message for m in run.output.logs if m.log.level.value == "WARN"]
    assert sum(f"invoice {subscription} has no order" in w for w in warnings) == 1


def test_an_unknown_invoice_id_fails_the_check_and_the_read_saying_so(keap):
    keap.seed(orders=10)
    orders = keap.orders()
    order_id = orders[-1]["id"]  # an order ID, not an invoice ID: below the first invoice
    beyond = max(int(o["invoice_id"]) for o in orders) + 5
    for invoice_id in (order_id, beyond):
        config = keap.config(start_from=from_invoice(invoice_id))

        status = SourceKeap().check(logging.getLogger("test"), config)
        assert status.status == Status.FAILED
        assert "start_from.invoice_id" in status.message
        assert f"no invoice with ID {invoice_id}" in status.message

        run = keap.read(config, keap.catalog("updated_at"), fails=True)
        error = run.errors[0].trace.error
        assert error.failure_type.value == "config_error"
        assert "start_from.invoice_id" in error.message


def test_the_start_point_stays_a_floor_for_later_syncs(keap):
    keap.seed(orders=40)
    orders = sorted(keap.orders(), key=created)
    start = orders[20]
    config = keap.config(start_from=from_invoice(start["invoice_id"]))
    streams = keap.catalog("updated_at", payments=True)
    first = keap.read(config, streams)

    before = next(o for o in orders[:20] if o["status"] != "PAID")
    keap.pay(before["id"], "1.00")
    second = keap.read(config, streams, keap.last_states(first))
    assert second.ids("invoices") == []
    assert second.ids("payments") == []


def test_the_check_signs_in_and_resolves_the_start_point(keap):
    keap.seed(orders=5)
    start = keap.orders()[0]
    config = keap.config(start_from=from_invoice(start["invoice_id"]))
    status = SourceKeap().check(logging.getLogger("test"), config)
    assert (status.status, status.message) == (Status.SUCCEEDED, None)
    assert keap.calls(endpoint="/crm/rest/v2/orders") == 2  # the start point, one order


# --- the start point as the first sync resolved it -------------------------------------------


def test_the_floor_stays_where_the_first_sync_put_it_when_its_invoice_is_deleted(keap):
    """Later syncs take the start point from their state: a start invoice deleted since neither
    moves the floor nor fails the sync."""
    keap.seed(orders=40)
    orders = sorted(keap.orders(), key=lambda o: int(o["invoice_id"]))
    unpaid = [o for o in orders[10:] if not keap.payments([o["id"]])]
    start, following = unpaid[0], unpaid[1]  # Keap deletes only an order without payments
    config = keap.config(start_from=from_invoice(start["invoice_id"]))
    streams = keap.catalog("updated_at", payments=True)
    first = keap.read(config, streams)
    assert str(start["id"]) in first.ids("invoices")

    with keap.account.lock:
        keap.account.delete_order(int(start["id"]))
    payment = keap.pay(following["id"], "1.00")
    keap.sandbox.stats.reset()
    second = keap.read(config, streams, keap.last_states(first))

    assert second.ids("invoices") == [str(following["id"])]
    assert second.ids("payments") == [str(payment.id)]
    assert {s["start"]["created_at"] for s in second.states("invoices")} == {
        s["start"]["created_at"] for s in first.states("invoices")
    }
    assert keap.calls(endpoint="/crm/rest/v2/orders") == 1  # the listing: nothing resolved


def test_the_day_stays_where_the_first_sync_put_it_when_the_accounts_time_zone_changes(keap):
    keap.seed(contacts=3, orders=0, subscriptions=0)
    on_the_day = keap.new_order(at=ny("2024-03-01 02:00"))  # Mar 1 in New York, Feb 29 in LA
    config, streams = keap.config(start_from=BY_DATE), keap.catalog("updated_at")
    first = keap.read(config, streams)
    assert first.ids("invoices") == [str(on_the_day.id)]

    with keap.account.lock:
        keap.account.configure({"time_zone": "America/Los_Angeles"})
    keap.pay(on_the_day.id, "1.00")
    second = keap.read(config, streams, keap.last_states(first))

    assert second.ids("invoices") == [str(on_the_day.id)]


def test_another_start_point_configured_is_resolved_anew_and_becomes_the_floor(keap):
    keap.seed(orders=40)
    orders = sorted(keap.orders(), key=lambda o: int(o["invoice_id"]))
    streams = keap.catalog("updated_at", payments=True)
    first = keap.read(keap.config(start_from=from_invoice(orders[10]["invoice_id"])), streams)

    between = next(o for o in orders[10:30] if o["status"] != "PAID")
    keap.pay(between["id"], "1.00")
    later = keap.config(start_from=from_invoice(orders[30]["invoice_id"]))
    second = keap.read(later, streams, keap.last_states(first))

    assert second.ids("invoices") == second.ids("payments") == []
    third = keap.read(later, streams, keap.last_states(second))
    assert third.ids("invoices") == []
    assert {s["start"]["for"]["invoice_id"] for s in second.states("invoices")} == {
        str(orders[30]["invoice_id"])
    }


def test_orders_dated_on_the_day_but_created_before_it_are_read_once(keap):
    """Orders created before the day and post-dated to it are read by the first sync; the later
    ones do not read them again, also while no order has been created since the day began."""
    keap.seed(contacts=3, orders=0, subscriptions=0)
    post_dated = keap.new_order(order_time=ny("2030-01-05 10:00"))  # created now
    config = keap.config(start_from={**BY_DATE, "invoice_date": "2030-01-01"})
    streams = keap.catalog("created_at")
    first = keap.read(config, streams)
    assert first.ids("invoices") == [str(post_dated.id)]

    keap.pay(post_dated.id, "10.00")  # an edit, which sync mode 1 does not send
    keap.sandbox.stats.reset()
    second = keap.read(config, streams, keap.last_states(first))

    assert second.ids("invoices") == []
    assert keap.calls() == 1  # the listing of orders created since the day began
