"""The orders this destination wrote, found by the Xero InvoiceID they hold.

Every order written here carries the Xero InvoiceID in the order custom field `Xero Invoice ID`
(the marker): that is how an invoice is found again, by the next sync and by a replay after a
crash (even one between an order's creation and the state message after it), and how source-keap
leaves these orders out (loop prevention).

Look-ups: while a flush brings few InvoiceIDs the run does not know yet (up to `EXACT_LIMIT`),
each is looked up on its own (`XeroInvoiceID==<id>`); beyond that, every order carrying the marker
is listed once (`XeroInvoiceID==*`, 1,000 a page) and kept for the rest of the run together with
the orders it writes: on a fresh account that is one call for the whole run, and a replay of
5,000 invoices costs five. What the run keeps of an order is compact (its ID, contact, amounts
and a digest of its content: a few hundred bytes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from destination_keap.account import MarkerField
from destination_keap.client import KeapClient
from destination_keap.mapping import Content, held_content
from invoice_model.connector.destination import Runner
from invoice_model.connector.keap.lists import keap_filter
from invoice_model.connector.keap.sync_marker import marker_value

EXACT_LIMIT = 25
# Xero InvoiceIDs are UUIDs; anything else is found by the listing, never put into a filter.
FILTER_SAFE_ID = re.compile(r"^[0-9A-Za-z._-]+$")


@dataclass
class HeldOrder:
    """What the run knows of one order this destination wrote."""

    order_id: str
    xero_id: str
    currency: str
    contact: dict[str, str]  # the order's `BasicContact`: id, email, given_name, family_name
    content: Content
    total: int  # minor units
    total_due: int
    has_payments: bool  # Keap then refuses to replace its lines, or to delete it

    @classmethod
    def of(cls, order: Mapping[str, Any], marker: MarkerField) -> HeldOrder:
        total = order.get("total") or {}
        paid = int((order.get("total_paid") or {}).get("amount") or 0)
        refunded = int((order.get("refund_total") or {}).get("amount") or 0)
        contact = order.get("contact") or {}
        return cls(
            order_id=str(order["id"]),
            xero_id=marker_value(order, marker.id) or "",
            currency=str(total.get("currency_code") or ""),
            contact={
                k: str(contact.get(k) or "") for k in ("id", "email", "given_name", "family_name")
            },
            content=held_content(order),
            total=int(total.get("amount") or 0),
            total_due=int((order.get("total_due") or {}).get("amount") or 0),
            has_payments=bool(paid or refunded),
        )


class OrderIndex:
    """Orders this destination wrote, by Xero InvoiceID: known, known absent, or not looked up."""

    def __init__(self, client: KeapClient, marker: MarkerField, run: Runner) -> None:
        self.client = client
        self.marker = marker
        self.run = run
        self._known: dict[str, HeldOrder | None] = {}
        self.complete = False  # True once every order carrying the marker is known

    def get(self, xero_id: str) -> HeldOrder | None:
        return self._known.get(xero_id)

    def put(self, order: Mapping[str, Any]) -> HeldOrder:
        held = HeldOrder.of(order, self.marker)
        self._known[held.xero_id] = held
        return held

    def forget(self, xero_id: str) -> None:
        self._known[xero_id] = None

    def look_up(self, xero_ids: Iterable[str]) -> None:
        """Learn which of `xero_ids` have an order, in as few calls as the number allows."""
        if self.complete:
            return
        wanted = sorted({x for x in xero_ids if x not in self._known})
        if not wanted:
            return
        if len(wanted) > EXACT_LIMIT or not all(FILTER_SAFE_ID.match(x) for x in wanted):
            self._list_all()
            return
        for xero_id, order in zip(wanted, self.run(self.find, wanted), strict=True):
            if order is None:
                self._known[xero_id] = None
            else:
                self.put(order)

    def find(self, xero_id: str) -> Mapping[str, Any] | None:
        """The order holding `xero_id` (the oldest, should there be several), or None."""
        params = {"filter": keap_filter(**{self.marker.field_name: xero_id}), "order_by": "id asc"}
        found = self.client.get("orders", {**params, "page_size": 1}, "orders")
        orders = [
            o for o in found.get("orders") or [] if marker_value(o, self.marker.id) == xero_id
        ]
        return orders[0] if orders else None

    def _list_all(self) -> None:
        params = {"filter": f"{self.marker.field_name}==*", "order_by": "id asc"}
        for page in self.client.pages("orders", params, "orders"):
            for order in page:
                xero_id = marker_value(order, self.marker.id)
                if xero_id and self._known.get(xero_id) is None:
                    self.put(order)
        self.complete = True
        # Every order carrying the marker is known: any other InvoiceID has none.
        self._known = {k: v for k, v in self._known.items() if v is not None}

    def __contains__(self, xero_id: str) -> bool:
        return self.complete or xero_id in self._known
