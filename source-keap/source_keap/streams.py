"""The streams: `invoices` and `payments` in the shared record contract, `contacts` and `products`
as Keap has them.

`invoices` and `payments` read Keap's orders one page of 1,000 per stream slice, so the CDK saves
their state after every page and a killed sync re-reads at most the page it was on. Each page's
contacts and payments are looked up in batches (see `keap`): a few calls per page, never one per
order.
"""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import resources
from typing import Any

import requests
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.sources.streams.checkpoint import ResumableFullRefreshCursor
from airbyte_cdk.sources.streams.checkpoint.checkpoint_reader import FULL_REFRESH_COMPLETE_STATE
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model import INVOICES, PAYMENTS
from invoice_model.connector.catalog import airbyte_schema
from invoice_model.connector.keap.auth import Credential, credential_errors
from invoice_model.connector.keap.errors import KeapErrorHandler, KeapUsage
from invoice_model.connector.keap.http import (
    KeapBackoff,
    SpikeArrestBudget,
    json_object,
    query_string,
)
from invoice_model.connector.keap.lists import PAGE_SIZE, keap_filter
from invoice_model.connector.progress import log_page
from invoice_model.connector.read_position import ReadPosition, fingerprint
from invoice_model.dates import format_datetime
from source_keap import keap, records
from source_keap.account import Account
from source_keap.start import START, StartPoint, as_state

# What the streams do with Keap, for a refusal (403) to name the access a credential lacks.
USES = "reads orders, payments, contacts and products"
# Sync mode 3 keeps in the state of both streams the moment its first sync began (see
# `OrderPages._cut_over`): {"paid_at": ..., "updated_at": ..., "seen": ..., "cut_over": ...}.
CUT_OVER = "cut_over"
# The CDK asks for a stream's schema for every record it emits: build each once.
_INVOICES_SCHEMA = airbyte_schema(INVOICES.json_schema)
_PAYMENTS_SCHEMA = airbyte_schema(PAYMENTS.json_schema)


@dataclass
class SyncContext:
    """What the streams of one sync share: the account, the credential, the calls left, and
    how far `invoices` has read, which `payments` never passes."""

    account: Account
    credential: Credential
    usage: KeapUsage = field(default_factory=KeapUsage)
    # From the configured catalog: which of `invoices` and `payments` are selected, and the
    # cursor of `invoices`. With both, `invoices` is read first (see `SourceKeap.read`),
    # keeps the payments it looked up for `payments` (see `keap.PaymentBook`), and `payments`
    # emits a payment only once `invoices` has read its order (see `Coverage`).
    with_invoices: bool = False
    invoices_cursor: str | None = None
    with_payments: bool = False
    # The state each stream resumes from, as the sync was given it.
    saved: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    coverage: Coverage | None = None
    cut_over: str | None = None  # sync mode 3 (see `OrderPages._cut_over`)
    budget: SpikeArrestBudget = field(init=False)
    backoff: KeapBackoff = field(init=False)

    def __post_init__(self) -> None:
        self.budget = SpikeArrestBudget(self.credential.is_oauth, self.usage)
        self.backoff = KeapBackoff(self.usage)
        if self.shares_payments:
            query = OrderQuery.for_cursor(self.invoices_cursor or INVOICES.default_cursor)
            self.coverage = Coverage.saved(query, self.saved.get(Invoices.name))

    @property
    def paid_invoices_only(self) -> bool:
        """Sync mode 3: `invoices` on `paid_at`, and `payments` following it (see `Payments`)."""
        return self.invoices_cursor == "paid_at"

    @property
    def shares_payments(self) -> bool:
        return self.with_invoices and self.with_payments


class KeapStream(HttpStream, ABC):
    """A Keap REST v2 list; every call resolved by `KeapErrorHandler`."""

    page_size = PAGE_SIZE

    def __init__(self, context: SyncContext) -> None:
        self.context = context
        super().__init__(authenticator=context.credential.authenticator, api_budget=context.budget)

    @property
    def url_base(self) -> str:
        return self.context.account.config.rest_url + "/"

    def get_error_handler(self) -> KeapErrorHandler:
        credential = self.context.credential
        return KeapErrorHandler(
            self.logger,
            self.context.usage,
            is_oauth=credential.is_oauth,
            credential_field=credential.field,
            uses=USES,
            network=credential.network,
        )

    def get_backoff_strategy(self) -> KeapBackoff:
        return self.context.backoff

    def get_error_display_message(self, exception: BaseException) -> str | None:
        """An order the mapping cannot read ends the sync, named with what is wrong: skipping
        it would leave an invoice out of the books with nothing to show for it."""
        if isinstance(exception, records.KeapRecordError):
            return (
                f"Keap {exception}. The sync stopped there, after its last saved state: correct "
                "the order in Keap (the change brings it into the next sync), then sync again."
            )
        return super().get_error_display_message(exception)

    def get(
        self, path: str, params: Mapping[str, Any], items: str | None = None
    ) -> Mapping[str, Any]:
        """One GET to Keap: its JSON object (with a list under `items`, when named), or an
        error naming the endpoint."""
        url = self.url_base + path + (f"?{query_string(params)}" if params else "")
        with credential_errors(self.context.credential):
            _, response = self._http_client.send_request(
                "GET", url, request_kwargs={"timeout": self.context.credential.network.timeouts}
            )
        return json_object(response, items)

    def request_kwargs(self, *args: Any, **kwargs: Any) -> Mapping[str, Any]:
        return {"timeout": self.context.credential.network.timeouts}


@dataclass(frozen=True)
class OrderQuery:
    """How orders are listed for a cursor: sorted by the timestamp the read position follows."""

    position_field: str  # the record field of that timestamp
    keap_field: str  # Keap's name for it
    since_filter: str
    order_by: str
    paid_only: bool = False

    @property
    def until_filter(self) -> str:
        return self.since_filter.replace("_since_", "_until_")

    @classmethod
    def for_cursor(cls, cursor: str) -> OrderQuery:
        if cursor == "created_at":
            # Keap cannot sort by creation time; IDs are assigned in creation order.
            return cls("created_at", "creation_time", "created_since_time", "id asc")
        return cls(
            "updated_at",
            "modification_time",
            "modified_since_time",
            "modification_time asc",
            paid_only=cursor == "paid_at",
        )

    def position_of(self, order: Mapping[str, Any]) -> str:
        """The order's value of the timestamp the read follows, in the record form."""
        return format_datetime(order.get(self.keap_field) or order["creation_time"])

    def sort_key(self, order: Mapping[str, Any]) -> tuple[Any, ...]:
        """Where Keap lists the order: by the timestamp, ties by ID (creation time: by ID)."""
        order_id = str(order["id"])
        by_id = (len(order_id), order_id)  # IDs are numbers, sent as text
        return by_id if self.order_by.startswith("id") else (self.position_of(order), *by_id)


@dataclass
class Coverage:
    """How far `invoices` has read, in its own order: it has decided the invoice of every order
    Keap lists up to `last` in this sync, and, in earlier syncs, of every order whose timestamp
    is before `below` (its saved position less the lookback: orders of the position's last
    second may still be unread).

    `payments` emits the payments of an order only once `invoices` has read it; when it meets
    one `invoices` has not, it stops there, its state short of it, so no state of `payments`
    ever passes an invoice not yet emitted, whichever of the two fails, stops or is killed
    first. An order changed after `invoices` read it is listed again further on, past `last`:
    it waits for the next sync, which reads its invoice first.
    """

    query: OrderQuery
    below: str | None = None
    last: tuple[Any, ...] | None = None

    @classmethod
    def saved(cls, query: OrderQuery, state: Mapping[str, Any] | None) -> Coverage:
        position = ReadPosition.resume(state, query.position_field, query.position_field, None)
        return cls(query, below=position.read_from)

    def covers(self, order: Mapping[str, Any]) -> bool:
        if self.last is not None and self.query.sort_key(order) <= self.last:
            return True
        return self.below is not None and self.query.position_of(order) < self.below

    def read_through(self, order: Mapping[str, Any]) -> None:
        """`invoices` has read every order listed up to `order`."""
        key = self.query.sort_key(order)
        self.last = key if self.last is None else max(self.last, key)


class OrderPages(KeapStream, ABC):
    """Orders read one page per slice in the order of the read position, which is the state."""

    state_position_field = "updated_at"

    def __init__(self, context: SyncContext) -> None:
        super().__init__(context)
        self._saved_state: Mapping[str, Any] = {}
        self._position: ReadPosition | None = None
        self._page_state: dict[str, Any] = {}
        self._query = OrderQuery.for_cursor(INVOICES.default_cursor)
        self._read_from: str | None = None
        self._resumed = False  # an incremental read continuing from a saved state
        self._start = StartPoint()
        self._from_start = False  # the read starts where the start point does
        self._next_token: str | None = None
        self._done = False
        self._stopped = False  # ended short of the orders listed (see `Coverage`)
        self._emitted = 0

    @property
    def state(self) -> MutableMapping[str, Any]:
        """Where the read stood at the end of the last page read in full (the CDK asks after
        every record, and saves it after every page)."""
        return self._page_state if self._position else dict(self._saved_state)

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        self._saved_state = dict(value or {})

    def path(self, **kwargs: Any) -> str:
        return "orders"

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamSlice]:
        """One slice per page: the slices are counted, the pages found as the read goes."""
        self._begin(sync_mode, (cursor_field or [self.cursor_field])[0])
        page = 0
        while not self._done:
            page += 1
            yield StreamSlice(partition={}, cursor_slice={"page": page})

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        position = self._position
        if self._done or position is None:
            return
        token = {"page_token": self._next_token} if self._next_token else None
        earlier = self._earlier_orders() if token is None else []
        body = self._list(self.path(), self.request_params(next_page_token=token), "orders")
        self._next_token = body.get("next_page_token") or None
        self._done = self._next_token is None
        listed = body.get("orders") or []
        orders = self._wanted([*earlier, *listed], position)
        for record in self._records(orders, position) if orders else ():
            self._emitted += 1
            yield record
        if listed and not self._stopped:
            self._read_through(listed[-1], position)
        self._page_state = self._state_of(position)
        log_page(
            self.logger,
            self.name,
            page=(stream_slice or {}).get("page", 1),
            asked=self._asked(),
            read=len(earlier) + len(listed),
            records=self._emitted,
            cursor=position.position,
        )

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        query, since = self._query, self._read_from
        created = self._start.created_since
        floor = format_datetime(created) if created else None
        conditions: dict[str, Any] = {"created_since_time": floor, "paid": query.paid_only or None}
        if since and query.since_filter == "created_since_time":
            conditions["created_since_time"] = max(since, floor or since)
        elif since:
            conditions[query.since_filter] = since
        params: dict[str, Any] = {"order_by": query.order_by, "page_size": self.page_size}
        if any(value is not None for value in conditions.values()):
            params["filter"] = keap_filter(**conditions)
        return {**params, **(next_page_token or {})}

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        token = json_object(response).get("next_page_token")
        return {"page_token": token} if token else None

    def parse_response(self, response: requests.Response, **kwargs: Any) -> Iterable[Mapping]:
        yield from json_object(response, "orders").get("orders") or []

    def _begin(self, sync_mode: SyncMode, cursor: str) -> None:
        """Resolve the start point and, in an incremental sync, where the last one stopped."""
        saved = self._saved_state if sync_mode == SyncMode.incremental else None
        self._resumed = bool(saved)
        self._query = self._order_query(cursor)
        state_cursor, position_field = self._state_fields(cursor)
        self._start = start = self.context.account.start_point(self.get, saved)
        if start.note and self.name == Invoices.name:
            self.logger.warning(start.note)
        self._position = ReadPosition.resume(saved, state_cursor, position_field, start.read_from)
        # The orders before the floor that the start point admits are read once: by a read that
        # starts at the floor, no earlier one having reached it (see `_earlier_orders`).
        reached = ReadPosition.resume(saved, state_cursor, position_field, None).position
        floor = format_datetime(start.read_from) if start.read_from else None
        self._from_start = floor is not None and (reached is None or reached < floor)
        # Fixed for the whole read: Keap's page tokens continue the query they came from.
        self._read_from = self._position.read_from
        self._page_state = self._state_of(self._position)
        self._next_token = None
        self._done = self._stopped = False
        self._emitted = 0

    def _asked(self) -> str:
        """What the pages ask Keap for, for the progress of each."""
        since = f" from {self._read_from}" if self._read_from else ""
        return f"orders by {self._query.keap_field}{since}"

    def _earlier_orders(self) -> list[Mapping[str, Any]]:
        """When the read starts where the start point does: the orders it admits that the read
        does not meet (see `start`), read before the first page; their positions all come
        before it."""
        if not (self._from_start and self._read_from):
            return []
        return self._start.earlier_orders(
            self._list,
            self._read_from,
            until_filter=self._query.until_filter,
            conditions={"paid": self._query.paid_only or None},
        )

    def _list(
        self, path: str, params: Mapping[str, Any], items: str | None = None
    ) -> Mapping[str, Any]:
        """A listing of orders; with both streams, `payments` takes what `invoices` was given
        for the very same query (see `keap.ListingBook`)."""
        if not self.context.shares_payments:
            return self.get(path, params, items)
        keep = self.name == Invoices.name
        listings = self.context.account.listings
        return listings.fetch(self.get, path, params, items, keep=keep)

    def _wanted(
        self, orders: list[Mapping[str, Any]], position: ReadPosition
    ) -> list[tuple[Mapping[str, Any], bool]]:
        """The page's orders to read, each with whether destination-keap wrote it: never one
        before the start point, nor one this stream read before as it is now (see
        `_read_before`), nor one written by destination-keap unless asked. Nothing is looked up
        for an order left out."""
        include = self.context.account.config.include_written_by_sync
        wanted = []
        for order in orders:
            if not self._start.admits(order):
                continue
            if self._waits_for_invoice(order):
                self._done = self._stopped = True  # its invoice first, in the next sync
                break
            if self._read_before(order, position):
                continue
            written = self.context.account.written_by_sync(self.get, order)
            if include or not written:
                wanted.append((order, written))
        return wanted

    def _waits_for_invoice(self, order: Mapping[str, Any]) -> bool:
        """Whether the read stops at `order`, short of it (see `Payments`)."""
        return False

    def _read_before(self, order: Mapping[str, Any], position: ReadPosition) -> bool:
        """Whether this stream read the order before, exactly as Keap lists it now: the
        lookback brings the orders of the last second read again, and each is left out here,
        before its contact, payments or anything else is looked up for it. The state keeps
        a fingerprint of each order so read (beside those of the records emitted), as it
        keeps those of records: a change to the order (a payment, refund or void among them:
        each changes the order) is read, even within the same millisecond."""
        at = self._query.position_of(order)
        return not position.admit(f"order {order['id']}", at, fingerprint(order))

    def _read_through(self, order: Mapping[str, Any], position: ReadPosition) -> None:
        """The read has decided every order listed up to `order`, emitted or not: the next read
        starts past it (less the lookback)."""
        position.reach(self._query.position_of(order))

    def _state_of(self, position: ReadPosition) -> dict[str, Any]:
        """The stream's state: its read position, the start point as resolved, and in sync
        mode 3 the cut-over."""
        state = position.as_state()
        start = as_state(self.context.account.config.start_from, self._start)
        if start:
            state[START] = start
        if self.context.paid_invoices_only:
            state[CUT_OVER] = self._cut_over()
        return state

    def _cut_over(self) -> str:
        """Sync mode 3: the moment its first sync began, shared by both streams and kept in
        their states; an invoice paid in full since then is written (see `Payments`). Keap's
        own clock: the latest modification of any order when the first sync starts ("" for an
        account without orders, where every payment comes after it)."""
        context = self.context
        if context.cut_over is None:
            saved = [str(s[CUT_OVER]) for s in context.saved.values() if s.get(CUT_OVER)]
            if saved:
                context.cut_over = min(saved)
            else:
                params = {"order_by": "modification_time desc", "page_size": 1}
                latest = self.get("orders", params, "orders").get("orders") or []
                context.cut_over = self._query.position_of(latest[0]) if latest else ""
        return context.cut_over

    def _written_in_paid_mode(
        self,
        order: Mapping[str, Any],
        payments: list[Mapping[str, Any]],
        currency: str | None,
    ) -> bool:
        """Sync mode 3 writes an invoice once it is paid in full, net of refunds: paid now, or
        at some moment since the cut-over (a refund since re-opened it, and the invoice in the
        destination is to follow). One paid and refunded before the first sync never is, nor
        are its payments."""
        return records.paid_in_full(order, currency) or records.paid_in_full_since(
            order, payments, self._cut_over(), currency
        )

    def _admit(self, position: ReadPosition, record: Mapping[str, Any], at: str) -> bool:
        """Emit `record` unless it was emitted before unchanged; then it counts for the state."""
        if not position.admit(record["source_id"], at, fingerprint(record)):
            return False
        position.emitted(record.get(position.cursor_field))
        return True

    @abstractmethod
    def _order_query(self, cursor: str) -> OrderQuery:
        """How to list orders for the stream's configured cursor field."""

    @abstractmethod
    def _state_fields(self, cursor: str) -> tuple[str, str]:
        """The state's cursor key and position key."""

    @abstractmethod
    def _records(
        self, orders: list[tuple[Mapping[str, Any], bool]], position: ReadPosition
    ) -> Iterable[Mapping[str, Any]]:
        """The records of one page of orders, admitted by `position`."""


class Invoices(OrderPages):
    """One record per Keap order, with its invoice ID, contact, lines and exact money."""

    name = "invoices"
    primary_key = list(INVOICES.primary_key)
    source_defined_cursor = False
    cursor_field = INVOICES.default_cursor

    def get_json_schema(self) -> Mapping[str, Any]:
        return _INVOICES_SCHEMA

    def _order_query(self, cursor: str) -> OrderQuery:
        if cursor not in INVOICES.cursor_fields:
            raise AirbyteTracedException(
                message=(
                    f"The invoices stream cannot use {cursor!r} as its cursor; choose one of "
                    f"{', '.join(INVOICES.cursor_fields)} in the connection's stream settings."
                ),
                failure_type=FailureType.config_error,
            )
        query = OrderQuery.for_cursor(cursor)
        # Sync mode 3 past its first sync: a refund re-opens an invoice already written (see
        # `_written_in_paid_mode`), so every order changed is read, not only those Keap calls paid.
        return replace(query, paid_only=False) if self._resumed else query

    def _state_fields(self, cursor: str) -> tuple[str, str]:
        return cursor, OrderQuery.for_cursor(cursor).position_field

    def _records(
        self, orders: list[tuple[Mapping[str, Any], bool]], position: ReadPosition
    ) -> Iterable[Mapping[str, Any]]:
        account = self.context.account
        profile = account.profile(self.get)
        paid_mode = self.context.paid_invoices_only
        # A paid order's record needs its payments (`paid_at`); in sync mode 3, every order's,
        # to tell whether it is written at all; and with `payments` selected, every order's,
        # kept for it: in the same calls, most of the time, as the paid orders' alone.
        shared = self.context.shares_payments
        looked_up = [
            o for o, _ in orders if shared or paid_mode or records.paid_in_full(o, profile.currency)
        ]
        payments = account.payments.fetch(self.get, looked_up, keep=shared)
        if paid_mode:
            orders = [
                (o, w)
                for o, w in orders
                if self._written_in_paid_mode(o, payments[str(o["id"])], profile.currency)
            ]
        contacts = account.contacts.fetch(self.get, (_contact_id(o) for o, _ in orders))
        for order, written in orders:
            record = records.invoice_record(
                order,
                contact=contacts.get(_contact_id(order), {}),
                payments=payments.get(str(order["id"]), []),
                time_zone=profile.time_zone,
                default_currency=profile.currency,
                written_by_sync=written,
            )
            self._check_total(order, record)
            if self._admit(position, record, record[self._query.position_field]):
                yield record

    def _read_through(self, order: Mapping[str, Any], position: ReadPosition) -> None:
        super()._read_through(order, position)
        if self.context.coverage is not None:
            self.context.coverage.read_through(order)

    def _check_total(self, order: Mapping[str, Any], record: Mapping[str, Any]) -> None:
        stated = records.keap_total(order, record["currency"])
        if stated is not None and stated != Decimal(repr(record["total"])):
            self.logger.warning(
                "Keap order %s: its lines add up to %s %s, but Keap states a total of %s",
                record["source_id"],
                record["total"],
                record["currency"],
                stated,
            )


class Payments(OrderPages):
    """One record per payment received, linked to its order and invoice IDs.

    Payments are read with their orders, in the orders' modification order (a payment, a refund
    and a void each change their order): every payment of each order changed since the last
    sync, whether or not the payment itself changed. (A payment older than the read may belong
    to an order the last sync never reached, if it stopped on the way: only re-reading all of
    an order's payments is sure to emit each once.) With `invoices` selected too, only the
    orders `invoices` has read (see `Coverage`): no payment is emitted before its invoice.

    With `invoices` on `paid_at` (sync mode 3) the payments follow exactly the invoices it
    writes (see `OrderPages._written_in_paid_mode`): all the payments of those, and none of any
    other order, but for one a void took back below paid in full: it may have been written
    before the void, so what undoes its payments (refunded in full, voided) is emitted, which a
    destination skips where it wrote nothing. Never a completed payment of an invoice mode 3
    does not write.
    """

    name = "payments"
    primary_key = list(PAYMENTS.primary_key)
    cursor_field = PAYMENTS.default_cursor

    def get_json_schema(self) -> Mapping[str, Any]:
        return _PAYMENTS_SCHEMA

    def _order_query(self, cursor: str) -> OrderQuery:
        # A first sync has written nothing to undo: only orders Keap says are paid are read.
        first_paid_only = self.context.paid_invoices_only and not self._resumed
        return OrderQuery.for_cursor("paid_at" if first_paid_only else "updated_at")

    def _state_fields(self, cursor: str) -> tuple[str, str]:
        return PAYMENTS.default_cursor, "orders_updated_at"

    def _waits_for_invoice(self, order: Mapping[str, Any]) -> bool:
        coverage = self.context.coverage
        return coverage is not None and not coverage.covers(order)

    def _records(
        self, orders: list[tuple[Mapping[str, Any], bool]], position: ReadPosition
    ) -> Iterable[Mapping[str, Any]]:
        profile = self.context.account.profile(self.get)
        payments = self.context.account.payments.fetch(self.get, (o for o, _ in orders), keep=False)
        for order, written in orders:
            at = self._query.position_of(order)
            listed = payments.get(str(order["id"]), [])
            found = records.payment_records(
                listed,
                order,
                time_zone=profile.time_zone,
                default_currency=profile.currency,
                written_by_sync=written,
            )
            if self.context.paid_invoices_only and not self._written_in_paid_mode(
                order, listed, profile.currency
            ):
                found = _undoing(found)
            for record in found:
                if self._admit(position, record, at):
                    yield record
            position.reach(at)


class EverySyncInFullCursor(ResumableFullRefreshCursor):
    """Resumable by page within a sync, read in full by every new one.

    The CDK ends a full refresh with the state `{"__ab_full_refresh_sync_complete": true}` and,
    handed that state back, reads nothing: the platform clears it between syncs, but PyAirbyte
    and a user passing `--state` hand it back. A finished read is no reason to skip the next
    one, so that state starts over from the first page; a page token still resumes.
    """

    def set_initial_state(self, stream_state: Mapping[str, Any]) -> None:
        finished = stream_state == FULL_REFRESH_COMPLETE_STATE
        super().set_initial_state({} if finished else stream_state)


class KeapList(KeapStream, ABC):
    """A Keap list as Keap returns it, for warehouse users: full refresh, resumable by page."""

    primary_key = "id"
    order_by: str | None = None
    fields: str | None = None

    def __init__(self, context: SyncContext) -> None:
        super().__init__(context)
        self.cursor = EverySyncInFullCursor()

    def path(self, **kwargs: Any) -> str:
        return self.name

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        params = {"page_size": self.page_size, "order_by": self.order_by, "fields": self.fields}
        return {k: v for k, v in {**params, **(next_page_token or {})}.items() if v is not None}

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        token = json_object(response).get("next_page_token")
        return {"page_token": token} if token else None

    def parse_response(self, response: requests.Response, **kwargs: Any) -> Iterable[Mapping]:
        yield from json_object(response, self.name).get(self.name) or []

    def read_records(self, *args: Any, **kwargs: Any) -> Iterable[Mapping[str, Any]]:
        with credential_errors(self.context.credential):
            yield from super().read_records(*args, **kwargs)

    def get_json_schema(self) -> Mapping[str, Any]:
        return _keap_list_schema(self.name)


class Contacts(KeapList):
    name = "contacts"
    order_by = "id asc"
    fields = keap.CONTACT_STREAM_FIELDS


class Products(KeapList):
    name = "products"


def _undoing(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of an order sync mode 3 does not write, the records that undo a payment a destination
    may hold: only if one of its payments was voided (without the void it was paid in full, and
    may have been written then)."""
    if not any(r["status"] == "voided" for r in found):
        return []
    return [r for r in found if r["status"] != "completed"]


@functools.cache
def _keap_list_schema(name: str) -> Mapping[str, Any]:
    schema = resources.files("source_keap").joinpath("schemas", f"{name}.json")
    return json.loads(schema.read_text("utf-8"))


def _contact_id(order: Mapping[str, Any]) -> str:
    return str((order.get("contact") or {}).get("id") or "")
