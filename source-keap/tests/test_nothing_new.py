"""A sync with nothing new in Keap: at most one Keap call per selected stream (the listing of
what changed), however many orders the last sync ended on, and still every change it must see.

Calls are counted as Keap's API sees them (`/crm/rest/v2/...`). With OAuth, a refresh of the
access token is a call to Keap's token endpoint, not to the API: once a day at most (an access
token lasts 24 hours), and not counted here.
"""

from collections import Counter

import pytest

API = "/crm/rest/v2/"
CATALOGS = {
    "invoices only (mode 1)": {"invoices": "created_at"},
    "invoices and payments (mode 2)": {"invoices": "updated_at", "payments": True},
    "all four streams": {
        "invoices": "updated_at",
        "payments": True,
        "plain": ("contacts", "products"),
    },
}


def _quiet_sync(keap, config, catalog, *, syncs_before: int = 1) -> Counter:
    """After `syncs_before` syncs, one more with nothing new in Keap: the calls Keap's API saw
    it make, by endpoint."""
    states = None
    for _ in range(syncs_before):
        run = keap.read(config, catalog, states)
        assert run.ids("invoices") or states, "the first sync read invoices"
        states = keap.last_states(run)
    keap.sandbox.stats.reset()
    quiet = keap.read(config, catalog, states)
    assert quiet.ids("invoices") == quiet.ids("payments") == []
    return Counter(
        f"{c.method} {c.endpoint}"
        for c in keap.sandbox.stats.calls("keap")
        if c.endpoint.startswith(API)
    )


@pytest.mark.parametrize("selection", CATALOGS)
def test_a_sync_with_nothing_new_makes_at_most_one_keap_call_per_stream(keap, selection):
    keap.seed(orders=300, contacts=30, synced_orders=5)
    catalog = keap.catalog(**CATALOGS[selection])

    calls = _quiet_sync(keap, keap.config(), catalog)

    assert sum(calls.values()) <= len(catalog.streams), dict(calls)


def _start_points(keap) -> dict[str, dict]:
    orders = sorted(keap.orders(), key=lambda o: int(o["id"]))
    middle = orders[len(orders) // 2]
    return {
        "an invoice ID": {"start_type": "invoice_id", "invoice_id": middle["invoice_id"]},
        "an invoice date": {
            "start_type": "invoice_date",
            "invoice_date": middle["order_time"][:10],
        },
    }


@pytest.mark.parametrize("selection", list(CATALOGS)[:2])
@pytest.mark.parametrize("start", ["an invoice ID", "an invoice date"])
def test_from_any_start_point_a_sync_with_nothing_new_makes_one_call_per_stream(
    keap, start, selection
):
    """The start point is resolved against the account (the start invoice's order, or the
    account's time zone) by the first sync only: the later ones take it from their state."""
    keap.seed(orders=300, contacts=30)
    config = keap.config(start_from=_start_points(keap)[start])
    catalog = keap.catalog(**CATALOGS[selection])

    calls = _quiet_sync(keap, config, catalog)

    assert sum(calls.values()) <= len(catalog.streams), dict(calls)


def test_paid_invoices_mode_is_as_quiet_once_it_has_read_every_order_changed(keap):
    """Sync mode 3's first sync lists only the orders Keap calls paid, the later ones every order
    changed: the second meets once the unpaid orders of the first one's last second (and looks
    up their payments, to tell whether they were paid in full since). From then on a sync with
    nothing new makes one call per stream at most."""
    keap.seed(orders=300, contacts=30)
    catalog = keap.catalog("paid_at", payments=True)

    calls = _quiet_sync(keap, keap.config(), catalog, syncs_before=2)

    assert sum(calls.values()) <= len(catalog.streams), dict(calls)


def test_a_change_in_the_millisecond_a_quiet_sync_ended_on_is_read_with_what_it_needs(frozen):
    """The lookback brings the last order read again; what leaves it out without a look-up is
    that the order is as it was, not that its time is: a payment recorded in the very
    millisecond the last sync ended on (Keap's clock stopped) is read, with the order's contact
    and the payment."""
    keap = frozen
    keap.sandbox.keap.limits.enabled = False  # its clock stopped, no rate window would pass
    keap.seed(orders=30, contacts=5)
    order = keap.new_order()
    config, catalog = keap.config(), keap.catalog("updated_at", payments=True)
    first = keap.read(config, catalog)
    quiet = keap.read(config, catalog, keap.last_states(first))
    assert quiet.ids("invoices") == []

    payment = keap.pay(str(order.id), "100.00")
    paid = keap.read(config, catalog, keap.last_states(quiet))

    assert paid.ids("invoices") == [str(order.id)]
    (invoice,) = paid.records("invoices")
    assert invoice["amount_paid"] == 100
    (unpaid,) = (r for r in first.records("invoices") if r["source_id"] == str(order.id))
    assert invoice["contact"] == unpaid["contact"]
    assert paid.ids("payments") == [str(payment.id)]
