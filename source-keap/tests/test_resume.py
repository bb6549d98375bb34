"""Checkpoints and resuming: state after every page, a killed sync resumes without losing or
repeating records, and the one-second lookback with its de-duplication."""

import datetime as dt

from invoice_model.connector.read_position import fingerprint
from invoice_model.dates import format_datetime

UTC = dt.UTC
PAGE = 1000


def test_state_is_saved_after_every_page_and_a_read_resumes_from_it(keap):
    keap.seed(orders=2100, contacts=200)
    streams = keap.catalog("updated_at")
    full = keap.read(keap.config(), streams)
    everything = full.ids("invoices")
    assert len(everything) == len(keap.orders()) > 2 * PAGE
    assert len(full.states("invoices")) >= 3  # one per page of 1,000

    after_first_page = full.state_messages("invoices")[0]
    resumed = keap.read(keap.config(), streams, [after_first_page])
    assert resumed.ids("invoices") == everything[PAGE:]


def test_a_sync_killed_mid_stream_resumes_where_its_last_page_ended(keap):
    keap.seed(orders=2100, contacts=200)
    config, streams = keap.config(), keap.catalog("updated_at")
    # The third page of orders fails: the sync dies after two pages.
    keap.sandbox.faults.add(
        api="keap", method="GET", path="/crm/rest/v2/orders", kind="latency", count=2
    )
    keap.sandbox.faults.add(
        api="keap", method="GET", path="/crm/rest/v2/orders", status=400, count=1
    )
    killed = keap.read(config, streams, fails=True)
    assert len(killed.ids("invoices")) == 2 * PAGE
    assert "GET /crm/rest/v2/orders" in killed.errors[0].trace.error.message

    resumed = keap.read(config, streams, keap.last_states(killed, "invoices"))
    together = killed.ids("invoices") + resumed.ids("invoices")
    assert len(together) == len(set(together))
    assert set(together) == {o["id"] for o in keap.orders()}


def test_same_second_changes_are_read_once_and_changes_within_the_second_again(frozen):
    keap = frozen
    keap.seed(contacts=3, orders=0, subscriptions=0)
    first_order, second_order = keap.new_order(), keap.new_order()
    config, streams = keap.config(), keap.catalog("updated_at")
    first = keap.read(config, streams)
    assert first.ids("invoices") == [str(first_order.id), str(second_order.id)]

    # Still the same second: the first order is sent, a third order is created.
    with keap.account.lock:
        keap.account.mark_sent(first_order.id)
    third_order = keap.new_order()
    second = keap.read(config, streams, keap.last_states(first))
    assert second.ids("invoices") == [str(first_order.id), str(third_order.id)]

    keap.sandbox.clock.advance(5)
    assert keap.read(config, streams, keap.last_states(second)).ids("invoices") == []


def test_by_creation_time_an_order_read_in_the_lookback_is_not_emitted_again_once_edited(frozen):
    """Sync mode 1 (`created_at`) writes each invoice once, as it was created. The lookback meets
    again the orders of the position's second: those emitted are known by their order ID, so an
    edit since sends none again, while one created in that second after the read still comes."""
    keap = frozen
    keap.seed(contacts=3, orders=0, subscriptions=0)
    first_order, second_order = keap.new_order(), keap.new_order()
    config, invoices = keap.config(), keap.catalog("created_at")
    first = keap.read(config, invoices)
    assert first.ids("invoices") == [str(first_order.id), str(second_order.id)]
    # The state keeps the second's records by fingerprint, as earlier versions wrote it (beside
    # the marks of the orders listed in it, which earlier versions ignore).
    at = format_datetime(second_order.creation_time)
    emitted = {r["source_id"]: fingerprint(r) for r in first.records("invoices")}
    state = first.states("invoices")[-1]
    assert state["created_at"] == at
    assert list(state["seen"]) == [at]
    assert emitted.items() <= state["seen"][at].items()

    third_order = keap.new_order()  # still the same second
    keap.sandbox.clock.advance(600)
    with keap.account.lock:
        keap.account.update_order(second_order.id, {"order_title": "Counter sale, re-priced"})
    keap.pay(str(second_order.id), "40.00")
    second = keap.read(config, invoices, keap.last_states(first))
    assert second.ids("invoices") == [str(third_order.id)]

    keap.sandbox.clock.advance(5)
    assert keap.read(config, invoices, keap.last_states(second)).ids("invoices") == []


def test_a_created_at_state_saved_by_earlier_versions_resumes_exactly(frozen):
    """Earlier versions kept the fingerprints of the records emitted in the last second: the
    orders they name are not emitted again, however they changed since, and nothing else is
    skipped."""
    keap = frozen
    keap.seed(contacts=3, orders=0, subscriptions=0)
    read_before = [keap.new_order(), keap.new_order()]
    unread = keap.new_order()
    at = format_datetime(unread.creation_time)
    # Fingerprints of the records as they were then, which no record matches now.
    saved = {"created_at": at, "seen": {at: {str(o.id): "9f2c41d07a3b5e68" for o in read_before}}}

    resumed = keap.read(keap.config(), keap.catalog("created_at"), keap.saved("invoices", saved))

    assert resumed.ids("invoices") == [str(unread.id)]
    seen = resumed.states("invoices")[-1]["seen"][at]
    assert {key for key in seen if not key.startswith("order ")} == {
        *saved["seen"][at],
        str(unread.id),
    }


def test_an_empty_account_reads_nothing_and_completes(keap):
    streams = keap.catalog("updated_at", payments=True, plain=("contacts", "products"))
    run = keap.read(keap.config(), streams)
    for stream in ("invoices", "payments", "contacts", "products"):
        assert run.ids(stream) == []
        assert run.statuses(stream)[-1] == "COMPLETE"
    assert run.states("invoices") == [{}]


def test_orders_written_by_destination_keap_are_left_out_unless_asked_for(keap):
    keap.seed(orders=40, synced_orders=6)
    synced = {o["id"] for o in keap.orders(synced=True)}
    assert len(synced) == 6
    streams = keap.catalog("updated_at", payments=True)

    default = keap.read(keap.config(), streams)
    assert not synced & set(default.ids("invoices"))
    assert not synced & {p["invoice_source_id"] for p in default.records("payments")}

    included = keap.read(keap.config(include_written_by_sync=True), streams)
    written = {r["source_id"] for r in included.records("invoices") if r["written_by_sync"]}
    assert written == synced
