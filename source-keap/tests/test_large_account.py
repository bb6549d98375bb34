"""A 10,000-order account read in full: every record valid, a handful of calls per page."""

import pytest


@pytest.mark.slow
def test_ten_thousand_orders_with_their_payments(keap):
    summary = keap.seed(orders=10_000, contacts=1_000)
    run = keap.read(keap.config("oauth2.0"), keap.catalog("updated_at", payments=True))

    orders = keap.orders()
    assert len(orders) >= 10_000
    assert sorted(run.ids("invoices"), key=int) == sorted((o["id"] for o in orders), key=int)
    payments = keap.payments(o["id"] for o in orders)
    assert sorted(run.ids("payments"), key=int) == sorted((p["id"] for p in payments), key=int)
    # Per stream and page of 1,000 orders: the page, its contacts and its payments, in
    # batches; never a call per order. Once per sync: the token, the business profile and the
    # order custom fields.
    pages = -(-len(orders) // 1000)
    assert keap.calls() <= 2 * pages * 3 + 5, summary
    assert keap.calls() / len(orders) <= 0.01
