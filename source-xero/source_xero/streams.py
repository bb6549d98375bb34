"""The streams: `invoices` and `payments` in the shared record contract, `contacts` as Xero has
them, each read in order of change, one page of up to 1,000 per stream slice (see `paging`), so
the CDK saves the state after every page and a killed sync re-reads at most that page.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import AirbyteMessage, FailureType, SyncMode
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.requests_native_auth.abstract_oauth import (
    AbstractOauth2Authenticator,
)
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model import INVOICES, PAYMENTS
from invoice_model.connector.catalog import airbyte_schema
from invoice_model.connector.config import config_error
from invoice_model.connector.http import RetryAfterBackoff, retry_after_seconds
from invoice_model.connector.network import Network
from invoice_model.connector.progress import log_page, row_estimate
from invoice_model.connector.read_position import ReadPosition, fingerprint
from invoice_model.connector.source import DailyLimitReached
from invoice_model.connector.xero.access import READ_SCOPES, TENANT_HEADER
from invoice_model.connector.xero.limits import is_daily_limit
from invoice_model.dates import format_datetime, utc_now
from source_xero import records
from source_xero.config import Settings
from source_xero.contacts import ContactBook
from source_xero.errors import XeroErrorHandler
from source_xero.paging import PAGE_SIZE, ChangedPages, PageRequest

BACKOFF = RetryAfterBackoff(base_seconds=1.0, cap_seconds=60.0)
# The CDK asks for a stream's schema for every record it emits: build each once.
_INVOICES_SCHEMA = airbyte_schema(INVOICES.json_schema)
_PAYMENTS_SCHEMA = airbyte_schema(PAYMENTS.json_schema)


@dataclass
class SyncContext:
    """What the streams of one sync share: the settings, the sign-in, the contacts looked up,
    and whether Xero's daily limit has ended the sync."""

    settings: Settings
    network: Network
    authenticator: AbstractOauth2Authenticator
    contacts: ContactBook
    daily_limit: DailyLimitReached | None = None
    base_currency: str | None = None


class XeroStream(HttpStream, ABC):
    """Calls to one organisation's Accounting API, every answer resolved by `XeroErrorHandler`
    and the stream (`answers`)."""

    page_size = PAGE_SIZE

    def __init__(self, context: SyncContext) -> None:
        self.context = context
        super().__init__(authenticator=context.authenticator)

    @property
    def url_base(self) -> str:
        return self.context.settings.api_url + "/"

    def get_error_handler(self) -> XeroErrorHandler:
        return XeroErrorHandler(self.context.network)

    def get_backoff_strategy(self) -> RetryAfterBackoff:
        return BACKOFF

    def get_error_display_message(self, exception: BaseException) -> str | None:
        """An invoice or payment the mapping cannot state ends the sync, named with what is
        wrong: skipping it would leave it out of the books with nothing to show for it."""
        if isinstance(exception, records.XeroRecordError):
            return (
                f"{exception}. The sync stopped there, after its last saved state: correct it in "
                "Xero (the change brings it into the next sync), then sync again."
            )
        return super().get_error_display_message(exception)

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Mapping[str, Any]:
        """One GET to the Accounting API: its JSON object, or an error the user can act on."""
        request_headers = {"Accept": "application/json", **(headers or {})}
        if self.context.settings.tenant_id:
            request_headers[TENANT_HEADER] = self.context.settings.tenant_id
        with self._sign_in_errors():
            _, response = self._http_client.send_request(
                "GET",
                self.url_base + path,
                request_kwargs={"timeout": self.context.network.timeouts},
                headers=request_headers,
                params=dict(params or {}),
            )
        return self.answers(response)

    def verify_tenant(self) -> None:
        """An OAuth2 app's organisation is one it is connected to (see `XeroAccess`)."""
        with self._sign_in_errors():
            self.context.settings.verify_tenant(self._http_client, self.context.network)

    def answers(self, response: requests.Response) -> Mapping[str, Any]:
        """Xero's answer, if it is one to go on with; else the error it means for the user."""
        call = f"{response.request.method} {urlsplit(response.request.url).path}"
        if is_daily_limit(response):
            raise self._daily_limit(response)
        if response.status_code == 401:  # refused again after a refresh
            raise self.context.settings.rejected()
        if response.status_code == 403:
            settings = self.context.settings
            where = f"'{settings.tenant_field}' and " if settings.tenant_field else ""
            raise config_error(
                settings.tenant_field or settings.credential_field,
                f"Xero refused {call} (403 Not Permitted): check {where}that the app has the "
                f"scopes {READ_SCOPES}",
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not response.ok or not isinstance(body, dict):
            said = _xero_message(body) or (response.text or response.reason or "")[:300]
            raise AirbyteTracedException(
                message=f"Xero answered {call} with {response.status_code}: {said}",
                internal_message=f"{call} -> {response.status_code}: {response.text[:500]!r}",
                failure_type=FailureType.system_error,
            )
        return body

    def _daily_limit(self, response: requests.Response) -> DailyLimitReached:
        wait = retry_after_seconds(response)
        resumes_at = None if wait is None else utc_now() + dt.timedelta(seconds=wait)
        reached = DailyLimitReached("Xero's daily call limit for this organisation", resumes_at)
        self.context.daily_limit = reached
        return reached

    @contextmanager
    def _sign_in_errors(self) -> Iterator[None]:
        """Xero (or its token endpoint) refusing the credentials, reported as a config error
        saying what to do; other config errors pass as they are."""
        try:
            yield
        except AirbyteTracedException as error:
            message = error.message or ""
            if error.failure_type != FailureType.config_error or message.startswith(
                "Config field "
            ):
                raise
            raise self.context.settings.rejected() from error


class ChangedRecords(XeroStream, ABC):
    """A Xero list read in order of change, one page per slice; the read position is the state.

    Records destination-xero wrote are read like every other (the position passes them) and
    emitted only when the config asks for them.
    """

    cursor_field = "updated_at"
    resource: str  # Xero's name of the list: its path and the key of its records
    id_field: str

    def __init__(self, context: SyncContext) -> None:
        super().__init__(context)
        self._saved_state: Mapping[str, Any] = {}
        self._position: ReadPosition | None = None
        self._pages: ChangedPages | None = None
        self._page_state: dict[str, Any] = {}
        self._emitted = 0
        self._page_number = 0

    @property
    def state(self) -> MutableMapping[str, Any]:
        """Where the read stood at the end of the last page read in full (the CDK asks after
        every record, and saves it after every page)."""
        return self._page_state if self._position else dict(self._saved_state)

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        self._saved_state = dict(value or {})

    def path(self, **kwargs: Any) -> str:
        return self.resource

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """Pages are not followed by token but asked for anew each time (`paging`)."""
        return None

    def parse_response(self, response: requests.Response, **kwargs: Any) -> Iterable[Mapping]:
        yield from self.answers(response).get(self.resource) or []

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamSlice]:
        """One slice per page: the slices are counted, the pages found as the read goes."""
        self._begin(sync_mode)
        page = 0
        while self._pages is not None and not self._pages.done:
            page += 1
            yield StreamSlice(partition={}, cursor_slice={"page": page})

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any] | AirbyteMessage]:
        pages, position = self._pages, self._position
        if pages is None or position is None or pages.done:
            return
        request = pages.next()
        body = self.get(
            self.resource,
            {**request.params(self.page_size), **self.filters(request)},
            request.headers(),
        )
        items = body.get(self.resource)
        if not isinstance(items, list):
            raise AirbyteTracedException(
                message=f"Xero's answer to GET /{self.resource} has no list of {self.resource}.",
                failure_type=FailureType.system_error,
            )
        self._page_number += 1
        if self._page_number == 1 and request.before is None:
            # How many records changed since the read started, as Xero's first page counts them.
            yield row_estimate(self.name, int((body.get("pagination") or {}).get("itemCount") or 0))
        for record in self.records(self._new(items, position)):
            self._emitted += 1
            yield record
        pages.answered(request, len(items), body.get("pagination") or {}, body["DateTimeUTC"])
        self._page_state = position.as_state()
        log_page(
            self.logger,
            self.name,
            page=self._page_number,
            asked=request.describe(),
            read=len(items),
            records=self._emitted,
            cursor=position.position,
        )

    def filters(self, request: PageRequest) -> dict[str, Any]:
        """The query parameters that choose the list's records (besides paging)."""
        where = request.where()
        return {"where": where} if where else {}

    def _begin(self, sync_mode: SyncMode) -> None:
        saved = self._saved_state if sync_mode == SyncMode.incremental else None
        floor = self.context.settings.start
        self._position = ReadPosition.resume(saved, self.cursor_field, self.cursor_field, floor)
        self._pages = ChangedPages(self._position, self.page_size)
        self._page_state = self._position.as_state()
        self._emitted = self._page_number = 0

    def _new(
        self, items: list[Mapping[str, Any]], position: ReadPosition
    ) -> list[Mapping[str, Any]]:
        """The page's items not read before as they are now; the position moves past all."""
        return [
            item
            for item in items
            if position.admit(
                str(item[self.id_field]),
                format_datetime(item["UpdatedDateUTC"]),
                fingerprint(item),
            )
        ]

    @abstractmethod
    def records(self, items: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        """The records of a page's new or changed items (those the config wants)."""


class Invoices(ChangedRecords):
    """One record per sales invoice (ACCREC) of the chosen statuses, with its contact, lines and
    exact money."""

    name = "invoices"
    primary_key = list(INVOICES.primary_key)
    resource = "Invoices"
    id_field = "InvoiceID"

    def get_json_schema(self) -> Mapping[str, Any]:
        return _INVOICES_SCHEMA

    def filters(self, request: PageRequest) -> dict[str, Any]:
        return {
            "where": request.where('Type=="ACCREC"'),
            "Statuses": ",".join(self.context.settings.statuses),
            "unitdp": 4,
        }

    def records(self, items: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        include = self.context.settings.include_written_by_sync
        marked = [(invoice, records.is_written_by_sync(invoice)) for invoice in items]
        wanted = [(invoice, written) for invoice, written in marked if include or not written]
        contacts = self.context.contacts.fetch(self.get, (_contact_id(i) for i, _ in wanted))
        for invoice, written in wanted:
            yield records.invoice_record(
                invoice, contacts.get(_contact_id(invoice)), written_by_sync=written
            )


class Payments(ChangedRecords):
    """One record per payment received on a sales invoice; a deleted payment as `voided`."""

    name = "payments"
    primary_key = list(PAYMENTS.primary_key)
    resource = "Payments"
    id_field = "PaymentID"

    def get_json_schema(self) -> Mapping[str, Any]:
        return _PAYMENTS_SCHEMA

    def filters(self, request: PageRequest) -> dict[str, Any]:
        return {"where": request.where('PaymentType=="ACCRECPAYMENT"')}

    def records(self, items: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        include = self.context.settings.include_written_by_sync
        for payment in items:
            written = records.is_payment_written_by_sync(payment)
            if include or not written:
                yield records.payment_record(
                    payment, self._currency(payment), written_by_sync=written
                )

    def _currency(self, payment: Mapping[str, Any]) -> str:
        """The paid invoice's currency; the organisation's own when Xero does not say."""
        stated = (payment.get("Invoice") or {}).get("CurrencyCode")
        if stated:
            return str(stated)
        if self.context.base_currency is None:
            organisation = (self.get("Organisation").get("Organisations") or [{}])[0]
            self.context.base_currency = str(organisation.get("BaseCurrency") or "")
        return self.context.base_currency


class Contacts(ChangedRecords):
    """Xero's contacts, archived ones included, as Xero has them (timestamps in ISO form). Each
    goes into the sync's contact book too, for the invoices read after."""

    name = "contacts"
    primary_key = "ContactID"
    cursor_field = "UpdatedDateUTC"
    resource = "Contacts"
    id_field = "ContactID"

    def get_json_schema(self) -> Mapping[str, Any]:
        return _schema("contacts")

    def filters(self, request: PageRequest) -> dict[str, Any]:
        return {**super().filters(request), "includeArchived": "true"}

    def records(self, items: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for contact in items:
            self.context.contacts.keep(contact)
            yield records.contact_record(contact)


def _contact_id(invoice: Mapping[str, Any]) -> str:
    return str((invoice.get("Contact") or {}).get("ContactID") or "").lower()


@functools.cache
def _schema(name: str) -> Mapping[str, Any]:
    schema = resources.files("source_xero").joinpath("schemas", f"{name}.json")
    return json.loads(schema.read_text("utf-8"))


def _xero_message(body: Any) -> str:
    """Xero's own words: a validation message, `Message`, or a problem's `Detail`/`Title`."""
    if not isinstance(body, dict):
        return ""
    for element in body.get("Elements") or []:
        for error in element.get("ValidationErrors") or []:
            if error.get("Message"):
                return str(error["Message"])
    for key in ("Message", "Detail", "Title"):
        if body.get(key):
            return str(body[key])
    return ""
