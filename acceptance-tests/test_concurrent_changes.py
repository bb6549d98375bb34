"""Keap changing while a sync pages through it: orders and payments created, paid, refunded,
voided or edited between two pages of a stream's read, behind the read (in pages already read)
and ahead of it. Whatever the sync made of them, the next sync lands each exactly once: every
invoice once with its total and amount paid to the cent, every payment received once.

The changes are made by sandbox hooks at exact moments: after the answer to the second page of
orders that each stream reads (`invoices` reads first, then `payments`), so nothing depends on
timing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import request

from invoice_model import Money

from .books import assert_exact

PAGE = 20
ORDER_PAGES = "/crm/rest/v2/orders"


@pytest.fixture
def account(sandbox) -> dict[str, Any]:
    """About 100 orders over 20 contacts, read 20 to a page."""
    sandbox.keap.largest_page = PAGE
    return sandbox.seed(keap={"orders": 100, "contacts": 20})["keap"]


class Keap:
    """A Keap user working in the account while the sync reads it."""

    def __init__(self, sandbox) -> None:
        self.account = sandbox.keap.account
        self.changed: dict[str, int] = {}  # what was done, to which order

    def read_so_far(self, pages: int) -> list[Any]:
        """The orders a read by modification time has passed after `pages` pages."""
        by_change = sorted(self.account.orders, key=lambda o: (o.modification_time, o.id))
        return by_change[: pages * PAGE]

    def pay_half(self, order: Any, what: str) -> None:
        part = Money.from_minor(order.total_due // 2, order.currency).amount
        self.account.record_payment(
            order.id,
            {"payment_amount": part, "payment_method_type": "Check", "apply_to_commissions": False},
        )
        self.changed[what] = order.id

    def new_order(self, what: str, pay: Callable[[Any], Decimal]) -> None:
        contact = next(iter(self.account.contacts)).id
        order = self.account.create_order(
            {
                "contact_id": contact,
                "order_title": f"Sold mid-sync: {what}",
                "order_type": "OFFLINE",
                "order_time": self.account.now(),
                "order_items": [
                    {
                        "item_type": "OTHER",
                        "name": "Consulting",
                        "quantity": 1,
                        "price_per_unit": Decimal(120),
                    },
                ],
            }
        )
        amount = pay(order)
        self.account.record_payment(
            order.id,
            {
                "payment_amount": amount,
                "payment_method_type": "Cash",
                "apply_to_commissions": False,
            },
        )
        self.changed[what] = order.id

    def unpaid(self, orders: list[Any]) -> list[Any]:
        taken = set(self.changed.values())
        return [
            o for o in orders if o.total_due > 0 and o.payment_plan is None and o.id not in taken
        ]

    def received(self, orders: list[Any]) -> list[Any]:
        """Payments received and kept, of `orders`."""
        ids = {o.id for o in orders} - set(self.changed.values())
        return [
            p
            for p in self.account.payments
            if p.order_id in ids and p.counts and p.status == "COMPLETED" and p.refunded_amount == 0
        ]

    def while_invoices_reads(self) -> None:
        read = self.read_so_far(2)
        behind = self.unpaid(read)
        self.pay_half(behind[0], "paid behind the read")
        self.account.update_order(behind[1].id, {"order_title": "Renamed mid-sync"})
        self.changed["renamed behind the read"] = behind[1].id
        refunded = self.received(read)[0]
        self.account.refund_payment(refunded.id, refunded.amount // 2)
        self.changed["refunded in part behind the read"] = refunded.order_id
        ahead = self.unpaid(sorted(self.account.orders, key=lambda o: o.modification_time))[-1]
        self.pay_half(ahead, "paid ahead of the read")
        self.new_order("created and paid in part", lambda o: Decimal(50))

    def while_payments_reads(self) -> None:
        read = self.read_so_far(2)
        self.pay_half(self.unpaid(read)[0], "paid behind the payments read")
        voided = self.received(read)[0]
        self.account.void_payment(voided.id)
        self.changed["voided behind the payments read"] = voided.order_id
        self.new_order("created and paid in full", lambda o: Decimal(120))


def on_second_pages(sandbox, keap: Keap) -> None:
    """Runs `keap`'s changes once the second page of each stream's read has been answered."""
    first_pages = 0
    pages = 0

    def after_a_page() -> None:
        nonlocal first_pages, pages
        if not request.args.get("page_token"):  # a stream's read begins
            first_pages, pages = first_pages + 1, 0
        pages += 1
        if pages == 2:
            with keap.account.lock:
                (keap.while_invoices_reads if first_pages == 1 else keap.while_payments_reads)()

    sandbox.faults.add(
        kind="hook",
        api="keap",
        method="GET",
        path=ORDER_PAGES,
        after=True,
        count=None,
        run=after_a_page,
    )


def test_orders_and_payments_changed_while_a_sync_pages_land_exactly_once_by_the_next(
    pipeline, sandbox, account
):
    keap = Keap(sandbox)
    on_second_pages(sandbox, keap)

    during = pipeline.run()

    assert during.completed, during.logs[-10:]
    assert set(keap.changed) == {
        "paid behind the read",
        "renamed behind the read",
        "refunded in part behind the read",
        "paid ahead of the read",
        "created and paid in part",
        "paid behind the payments read",
        "voided behind the payments read",
        "created and paid in full",
    }, "every change was made, at the second page of each stream"

    sandbox.faults.clear()
    after = pipeline.run()

    assert after.completed, after.logs[-10:]
    assert_exact(pipeline.sandbox, pipeline.xero())
    renamed = sandbox.keap.account.order(keap.changed["renamed behind the read"])
    invoice = next(
        i for i in pipeline.xero()["invoices"] if i["InvoiceNumber"] == str(renamed.invoice_id)
    )
    assert invoice["Reference"] == "Renamed mid-sync"

    # Exactly once: a further sync finds nothing to write.
    sandbox.stats.reset()
    assert pipeline.run().completed
    writes = [
        call
        for call in sandbox.stats.snapshot()["by_endpoint"]
        if call.startswith(("xero PUT /api.xro", "xero POST /api.xro"))
    ]
    assert writes == []
