"""Start points: where the first sync of `invoices` and `payments` starts, and the floor under
every later one.

The configured start point (`config.StartFrom`) is resolved against the account by the first
sync into a `StartPoint`, which the order streams keep in their state (`as_state`) and ask:

- `admits(order)`: whether the order is at or after the start point. One that is not is never
  emitted, whatever the cursor, and neither are its payments.
- `read_from`: the instant a first read starts from (a creation or modification time, which no
  admitted order is below unless `earlier_orders` brings it), and `created_since`, a bound on
  creation time Keap can filter on.
- `earlier_orders(...)`: admitted orders a read from `read_from` does not meet.

The three start points:

- **The first invoice**: every order.
- **A Keap invoice ID**: that invoice's order and every order created after it. Keap numbers
  orders and invoices in the order it creates them, so an order created in the same second as
  the start's order (Keap's times may carry no milliseconds) was created after it only when its
  invoice ID is higher. A subscription's invoice has no order of its own (Keap gives every
  subscription an invoice ID, and keeps each billed cycle as an order with its own invoice): the
  sync then starts from the next invoice that has an order, the order with the lowest invoice ID
  above it, which is the first order Keap created after that invoice — a one-time order or a
  subscription's billed cycle — and says so.
- **An invoice date**: every order whose invoice date is that day or later: Keap's `order_time`
  on the calendar of the configured time zone (else the account's), which is the invoice's issue
  date. However the order was back- or post-dated: Keap can sort orders by `order_time` but not
  filter on it, so a first read takes the orders created (or, by modification time, changed)
  since the day began, and `earlier_orders` the few created before it and dated on or after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from invoice_model.connector.config import config_error
from invoice_model.connector.keap.lists import Get, keap_filter, pages
from invoice_model.dates import format_datetime, parse_datetime
from source_keap.config import Beginning, FromInvoiceDate, FromInvoiceId, StartFrom

MILLISECOND = dt.timedelta(milliseconds=1)
# The key of an order stream's state that keeps the start point as resolved (see `as_state`).
START = "start"


@dataclass(frozen=True)
class StartPoint:
    """The first invoice: every order."""

    # What the user should know about how the start point was resolved (check and read say it).
    note: str | None = field(default=None, kw_only=True)

    @property
    def read_from(self) -> dt.datetime | None:
        return None

    @property
    def created_since(self) -> dt.datetime | None:
        return None

    def admits(self, order: Mapping[str, Any]) -> bool:
        return True

    def earlier_orders(
        self, get: Get, before: str, *, until_filter: str, conditions: Mapping[str, Any]
    ) -> list[Mapping[str, Any]]:
        """The admitted orders (meeting `conditions`) whose time under `until_filter` is before
        `before`, where the read starts: those it does not meet."""
        return []


@dataclass(frozen=True)
class FromInvoice(StartPoint):
    """The order of invoice `invoice_id`, created at `created_at`, and those created after it."""

    created_at: dt.datetime
    invoice_id: int

    @property
    def read_from(self) -> dt.datetime:
        return self.created_at

    @property
    def created_since(self) -> dt.datetime:
        return self.created_at

    def admits(self, order: Mapping[str, Any]) -> bool:
        created = parse_datetime(order["creation_time"])
        return (created, _invoice_number(order)) >= (self.created_at, self.invoice_id)


@dataclass(frozen=True)
class FromDay(StartPoint):
    """The orders dated on or after the day that begins at `first_instant` (UTC)."""

    first_instant: dt.datetime

    @property
    def read_from(self) -> dt.datetime:
        return self.first_instant

    def admits(self, order: Mapping[str, Any]) -> bool:
        return parse_datetime(_invoice_time(order)) >= self.first_instant

    def earlier_orders(
        self, get: Get, before: str, *, until_filter: str, conditions: Mapping[str, Any]
    ) -> list[Mapping[str, Any]]:
        """Orders latest-dated first, among those created (or changed) before the read starts,
        until one is dated before the day: one call unless a thousand or more such orders were
        created before the day and post-dated to it or later."""
        until = format_datetime(parse_datetime(before) - MILLISECOND)
        params = {
            "filter": keap_filter(**{until_filter: until}, **conditions),
            "order_by": "order_time desc",
        }
        found: list[Mapping[str, Any]] = []
        for page in pages(get, "orders", params, "orders"):
            dated = [order for order in page if self.admits(order)]
            found.extend(dated)
            if len(dated) < len(page):
                break
        return found


def _invoice_time(order: Mapping[str, Any]) -> str:
    """The instant an order's invoice is dated at (its issue date is that day): Keap's
    `order_time`, or its creation time when it has none."""
    return order.get("order_time") or order["creation_time"]


def as_state(start_from: StartFrom, start: StartPoint) -> dict[str, Any] | None:
    """What a stream's state keeps of the start point as resolved (None for the first invoice,
    which needs nothing resolved), so that later syncs take it from there (`from_state`).

    Resolving takes a call to Keap (the start invoice's order, or the account's time zone), which
    a sync with nothing new should not spend; and the floor it gives should not move under a
    connection: a start invoice deleted later, or the account's time zone changed, would move
    it. Kept with the configuration it was resolved for: another start point is resolved anew.
    """
    match start:
        case FromInvoice():
            resolved: dict[str, Any] = {"created_at": format_datetime(start.created_at)}
            resolved["invoice_id"] = start.invoice_id
        case FromDay():
            resolved = {"first_instant": format_datetime(start.first_instant)}
        case _:
            return None
    return {"for": _configured(start_from), **resolved}


def from_state(start_from: StartFrom, state: Mapping[str, Any] | None) -> StartPoint | None:
    """The start point a stream's state keeps (see `as_state`) when it was resolved for the same
    configuration; None otherwise, or when what it keeps is unreadable (then it is resolved)."""
    kept = (state or {}).get(START)
    if not isinstance(kept, Mapping) or kept.get("for") != _configured(start_from):
        return None
    try:
        if isinstance(start_from, FromInvoiceId):
            return FromInvoice(parse_datetime(kept["created_at"]), int(kept["invoice_id"]))
        if isinstance(start_from, FromInvoiceDate):
            return FromDay(parse_datetime(kept["first_instant"]))
    except (KeyError, TypeError, ValueError):
        return None
    return None


def _configured(start_from: StartFrom) -> dict[str, Any]:
    """The configured start point as a state keeps it beside what it resolved to."""
    match start_from:
        case FromInvoiceId() as start:
            return {"invoice_id": start.invoice_id}
        case FromInvoiceDate() as start:
            return {"invoice_date": start.day.isoformat(), "time_zone": start.time_zone}
    return {}


def resolve(start_from: StartFrom, get: Get, account_time_zone: Callable[[], str]) -> StartPoint:
    """The configured start point against the account: a config error when Keap has nothing
    that matches it."""
    match start_from:
        case Beginning():
            return StartPoint()
        case FromInvoiceDate() as start:
            return FromDay(start.first_instant(None if start.time_zone else account_time_zone()))
        case FromInvoiceId() as start:
            return _from_invoice(get, int(start.invoice_id))


def _from_invoice(get: Get, invoice_id: int) -> FromInvoice:
    own = _first_order(get, {"filter": keap_filter(invoice_id=invoice_id)})
    if own is not None:
        return FromInvoice(parse_datetime(own["creation_time"]), invoice_id)
    following = _order_after_invoice(get, invoice_id)
    if following is None:
        raise config_error(
            "start_from.invoice_id",
            f"Keap has no invoice with ID {invoice_id} (invoice IDs are a different sequence "
            "from order IDs: is it an order ID?)",
        )
    return FromInvoice(
        parse_datetime(following["creation_time"]),
        _invoice_number(following),
        note=(
            f"Keap invoice {invoice_id} has no order of its own: it is a subscription's invoice "
            "(or the invoice of an order since deleted). The sync starts from the next invoice "
            f"that has an order: invoice {following['invoice_id']} (order {following['id']}), "
            "and takes every order created after it."
        ),
    )


def _order_after_invoice(get: Get, invoice_id: int) -> Mapping[str, Any] | None:
    """The order with the lowest invoice ID above `invoice_id`; None when there is none, or no
    order has an invoice ID below it (then it is not an invoice of this account).

    Orders listed by ID have rising invoice IDs, and an order's invoice ID less its own ID only
    grows (subscriptions take invoice IDs, never order IDs). So with that difference as the
    latest order has it, no order below ID `invoice_id + 1 - difference` can have a higher
    invoice ID: the walk starts there, and passes only orders of invoices raised between the
    invoice asked for and the next order (a page of 1,000 unless as many subscriptions began).
    """
    latest = _first_order(get, {"order_by": "id desc"})
    if latest is None or _invoice_number(latest) < invoice_id:
        return None
    lowest = max(0, invoice_id + 1 - (_invoice_number(latest) - int(latest["id"])))
    params = {"filter": keap_filter(id__gte=lowest), "order_by": "id asc"}
    passed = False  # an order of an earlier invoice
    for page in pages(get, "orders", params, "orders"):
        for order in page:
            if _invoice_number(order) < invoice_id:
                passed = True
            elif passed or _first_order(get, _before(order)) is not None:
                return order
            else:
                return None
    return None


def _before(order: Mapping[str, Any]) -> dict[str, Any]:
    return {"filter": keap_filter(id__lt=order["id"]), "order_by": "id desc"}


def _first_order(get: Get, params: Mapping[str, Any]) -> Mapping[str, Any] | None:
    orders = get("orders", {**params, "page_size": 1}, "orders").get("orders") or []
    return orders[0] if orders else None


def _invoice_number(order: Mapping[str, Any]) -> int:
    """An order's invoice ID as a number (Keap's are int64 sent as strings); -1 when it has none,
    so it sorts before any."""
    text = str(order.get("invoice_id") or "")
    return int(text) if text.isdigit() else -1
