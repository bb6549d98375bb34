"""The write loop for Xero (`RecordWriter` of the connector kit): a flush resolves the contacts
of its invoices, writes its invoices, then its payments, each in Xero batches of up to 50, up to
five calls in flight.

Flushing many records together is what keeps calls per record low: one contact look-up and one
invoice look-up serve up to 1,000 records, and a batch is only half-full at the end of a flush.
Before any call, each valid record is fitted to Xero's field limits (`mapping.fit`), each change
noted in a warning.
When Xero's daily limit stops the sync mid-flush, nothing more is sent, that flush's state is
not echoed, and the sync ends with a transient error saying when to resume; the platform replays
from the last echoed state, and the look-ups make the replay write nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero.books import Books
from destination_xero.client import MAX_IN_FLIGHT, XeroClient
from destination_xero.config import Settings
from destination_xero.contacts import ContactDirectory
from destination_xero.invoices import InvoiceWriter
from destination_xero.ledger import Ledger
from destination_xero.mapping import fit
from destination_xero.pacing import DailyLimitError
from destination_xero.payments import PaymentWriter
from invoice_model.connector.destination import (
    Notice,
    Outcome,
    RecordWriter,
    Result,
    StopSync,
    Workers,
)
from invoice_model.connector.progress import calls_and_waits
from invoice_model.contract import INVOICES, PAYMENTS


class Writer(RecordWriter):
    """One run of `write`: its caches, its thread pool and its tally."""

    system = "Xero"
    source_written_here = "xero"

    def __init__(self, settings: Settings, client: XeroClient, books: Books) -> None:
        super().__init__(fail_on_invalid_record=settings.fail_on_invalid_record)
        self.settings = settings
        self.pacer = client.pacer
        self.waits = client.pacer.waits
        self.workers = Workers(MAX_IN_FLIGHT, "xero")
        self.run = self.workers.run
        self.contacts = ContactDirectory(client, settings.contacts, self.run)
        self.ledger = Ledger(client, self.run)
        self.invoices = InvoiceWriter(client, self.ledger, books, settings.invoices, self.run)
        self.payments = PaymentWriter(
            client, self.ledger, settings.invoices, settings.payment_account_code or "", self.run
        )

    def commit(
        self,
        invoices: list[Mapping[str, Any]],
        payments: list[Mapping[str, Any]],
        notices: list[Notice],
    ) -> None:
        try:
            self._write_invoices(invoices, notices)
            for record_id, result in self.payments.write(payments).items():
                self.settle(PAYMENTS.name, record_id, result, notices)
        except DailyLimitError as stop:
            raise StopSync(daily_limit_error(stop)) from stop
        self.ledger.trim()

    def fit(self, stream: str, record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        return fit(stream, record, self.settings.invoices)

    def usage(self) -> str:
        return calls_and_waits(self.system, self.pacer.calls, self.pacer.waits.seconds)

    def close(self) -> None:
        self.workers.shutdown()

    def _write_invoices(self, records: list[Mapping[str, Any]], notices: list[Notice]) -> None:
        contact_ids = self.contacts.resolve(record["contact"] for record in records)
        ready = []
        for record in records:
            contact_id = contact_ids[record["contact"]["source_id"]]
            if isinstance(contact_id, str):
                ready.append((record, contact_id))
            else:
                result = Result(Outcome.REJECTED, str(contact_id))
                self.settle(INVOICES.name, record["source_id"], result, notices)
        results = self.invoices.write(ready, fresh_contacts=self.contacts.created)
        for record_id, result in results.items():
            self.settle(INVOICES.name, record_id, result, notices)


def daily_limit_error(stop: DailyLimitError) -> AirbyteTracedException:
    if stop.retry_after:
        resume = dt.datetime.fromtimestamp(stop.at + stop.retry_after, dt.UTC)
        when = f"after {resume:%Y-%m-%d %H:%M} UTC (in {stop.retry_after / 3600:.1f} h)"
    else:
        when = "when Xero's daily window resets"
    return AirbyteTracedException(
        message=(
            "Xero's daily call limit for this organisation is reached. Every record up to the "
            f"last state message is committed; run the sync again {when}."
        ),
        internal_message=str(stop),
        failure_type=FailureType.transient_error,
    )
