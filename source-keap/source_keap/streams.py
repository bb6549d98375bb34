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
from dataclasses import dataclass, field
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
from invoice_model.connector.keap.sync_marker import marker_value
from invoice_model.connector.read_position import ReadPosition, fingerprint
from invoice_model.dates import format_datetime
from source_keap import keap, records
from source_keap.account import Account
from source_keap.start import StartPoint

# What the streams do with Keap, for a refusal (403) to name the access a credential lacks.
USES = "reads orders, payments, contacts and products"
# The CDK asks for a stream's schema for every record it emits: build each once.
_INVOICES_SCHEMA = airbyte_schema(INVOICES.json_schema)
_PAYMENTS_SCHEMA = airbyte_schema(PAYMENTS.json_schema)


@dataclass
class SyncContext:
    """What the streams of one sync share: the account, the credential, the calls left."""

    account: Account
    credential: Credential
    usage: KeapUsage = field(default_factory=KeapUsage)
    # From the configured catalog: with `invoices` on `paid_at`, payments follow paid orders.
    paid_invoices_only: bool = False
    # With both `invoices` and `payments` selected, the one read first keeps the payments it
    # looked up for the other (see `keap.PaymentBook`).
    payments_kept_by: str | None = None
    budget: SpikeArrestBudget = field(init=False)
    backoff: KeapBackoff = field(init=False)

    def __post_init__(self) -> None:
        self.budget = SpikeArrestBudget(self.credential.is_oauth, self.usage)
        self.backoff = KeapBackoff(self.usage)


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
            _, response = self._http_client.send_request("GET", url, request_kwargs={})
        return json_object(response, items)


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
        body = self.get(self.path(), self.request_params(next_page_token=token), "orders")
        self._next_token = body.get("next_page_token") or None
        self._done = self._next_token is None
        orders = self._wanted([*earlier, *(body.get("orders") or [])])
        if orders:
            yield from self._records(orders, position)
        self._page_state = position.as_state()

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
        self._start = start = self.context.account.start_point(self.get)
        if start.note and self.name == Invoices.name:
            self.logger.warning(start.note)
        self._position = ReadPosition.resume(saved, state_cursor, position_field, start.read_from)
        self._from_start = start.read_from is not None and self._position.position == (
            format_datetime(start.read_from)
        )
        # Fixed for the whole read: Keap's page tokens continue the query they came from.
        self._read_from = self._position.read_from
        self._page_state = self._position.as_state()
        self._next_token = None
        self._done = False

    def _earlier_orders(self) -> list[Mapping[str, Any]]:
        """When the read starts where the start point does: the orders it admits that the read
        does not meet (see `start`), read before the first page; their positions all come
        before it."""
        if not (self._from_start and self._read_from):
            return []
        return self._start.earlier_orders(
            self.get,
            self._read_from,
            until_filter=self._query.until_filter,
            conditions={"paid": self._query.paid_only or None},
        )

    def _wanted(self, orders: list[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], bool]]:
        """The page's orders to read, each with whether destination-keap wrote it: never one
        before the start point, nor one written by destination-keap unless asked."""
        include = self.context.account.config.include_written_by_sync
        wanted = []
        for order in orders:
            if not self._start.admits(order):
                continue
            written = self._written_by_sync(order)
            if include or not written:
                wanted.append((order, written))
        return wanted

    def _written_by_sync(self, order: Mapping[str, Any]) -> bool:
        marker = self.context.account.sync_marker_field_id(self.get)
        return marker is not None and marker_value(order, marker) is not None

    @property
    def _keeps_payments(self) -> bool:
        return self.context.payments_kept_by == self.name

    def _position_of(self, order: Mapping[str, Any]) -> str:
        return format_datetime(order.get(self._query.keap_field) or order["creation_time"])

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
        return OrderQuery.for_cursor(cursor)

    def _state_fields(self, cursor: str) -> tuple[str, str]:
        return cursor, OrderQuery.for_cursor(cursor).position_field

    def _records(
        self, orders: list[tuple[Mapping[str, Any], bool]], position: ReadPosition
    ) -> Iterable[Mapping[str, Any]]:
        account = self.context.account
        profile = account.profile(self.get)
        contacts = account.contacts.fetch(self.get, (_contact_id(o) for o, _ in orders))
        paid = [o for o, _ in orders if records.paid_in_full(o, profile.currency)]
        payments = account.payments.fetch(self.get, paid, keep=self._keeps_payments)
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
            if self._query.paid_only and record["paid_at"] is None:
                continue
            if self._admit(position, record, record[self._query.position_field]):
                yield record

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
    and a void each change their order): those that changed since the last sync.

    With `invoices` on `paid_at` only paid invoices reach the destination, so: all the payments
    of each order paid in full, once it is; and, from the second sync on, what undoes a payment
    the destination may hold, among those that changed since the last sync: a payment refunded
    in full or voided, whatever its order (a destination skips one it never wrote), and a
    payment refunded in part, of an order paid in full before the refunds (it was written when
    the order was paid; its amount is now smaller). Never a completed payment of an order that
    has not been paid in full.
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

    def _records(
        self, orders: list[tuple[Mapping[str, Any], bool]], position: ReadPosition
    ) -> Iterable[Mapping[str, Any]]:
        profile = self.context.account.profile(self.get)
        paid_invoices_only = self.context.paid_invoices_only
        if paid_invoices_only and not self._resumed:
            orders = [(o, w) for o, w in orders if records.paid_in_full(o, profile.currency)]
        if not orders:
            return
        # `invoices` reads after: it asks only for the payments of orders paid in full.
        keep = self._keeps_payments and functools.partial(
            records.paid_in_full, default_currency=profile.currency
        )
        payments = self.context.account.payments.fetch(self.get, (o for o, _ in orders), keep=keep)
        for order, written in orders:
            at = self._position_of(order)
            found = records.payment_records(
                payments.get(str(order["id"]), []),
                order,
                time_zone=profile.time_zone,
                default_currency=profile.currency,
                written_by_sync=written,
            )
            for record in self._wanted_payments(order, found, profile.currency):
                if self._admit(position, record, at):
                    yield record

    def _wanted_payments(
        self, order: Mapping[str, Any], found: list[dict[str, Any]], currency: str | None
    ) -> list[dict[str, Any]]:
        """The payments of an order to emit (see the class). A payment that changed changed
        its order at the same moment: in an incremental read, those older than the read were
        emitted by an earlier sync. A first read, or one from the start point, emits them all:
        an order it admits may have been paid before the read starts."""
        since = self._read_from if self._resumed and not self._from_start else None
        changed = [r for r in found if r["updated_at"] >= (since or "")]
        if not self.context.paid_invoices_only:
            return changed
        if records.paid_in_full(order, currency):
            return found
        was_paid = records.paid_in_full(order, currency, net_of_refunds=False)
        return [r for r in changed if r["status"] != "completed" or was_paid]


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


@functools.cache
def _keap_list_schema(name: str) -> Mapping[str, Any]:
    schema = resources.files("source_keap").joinpath("schemas", f"{name}.json")
    return json.loads(schema.read_text("utf-8"))


def _contact_id(order: Mapping[str, Any]) -> str:
    return str((order.get("contact") or {}).get("id") or "")
