"""The write loop for Xero (`RecordWriter` of the connector kit).

A flush resolves the contacts of its invoices and looks up every invoice number it touches, then
works in three steps, each in Xero batches of up to 50, up to five calls in flight: it deletes
the payments that go (refunded or voided at the source, and the old amount of those replaced),
so that an invoice they leave without payments is editable again; writes its invoices; creates
its payments, new ones and replacements, against the invoices as they now stand.

Flushing many records together is what keeps calls per record low: one contact look-up and one
invoice look-up serve up to 1,000 records, and a batch is only half-full at the end of a flush.
Before any call, each valid record is fitted to Xero's field limits (`mapping.fit`), each change
noted in a warning.

Two kinds of record wait (`RecordWriter.wait`: offered again with every later flush, their
stream's state held back meanwhile):

- a payment whose invoice is not in Xero, while its invoice may still come: it is given up,
  rejected with the reason, only when its invoice will not come by itself: it was refused (or
  not written) in this sync, or the source has sent all its invoices (it reported `invoices`
  complete, or the connection does not sync invoices) and that one was not among them. Still
  waiting when the input ends, it is left to the next sync, which sends it again;
- an invoice changed at the source that Xero holds with payments (Xero edits no invoice with
  payments), while the sync's payments may still remove them (a refund that re-opens it): it is
  updated in the flush that deletes them. Left alone, with a warning, once no payment can come,
  or when the input ends, unless the source reported `payments` cut short: then it comes again,
  with its payments' changes, in the next sync.

When Xero's daily limit stops the sync mid-flush, nothing more is sent, that flush's state is
not echoed, and the sync ends with a transient error saying when to resume; the platform replays
from the last echoed state, and the look-ups make the replay write nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Mapping, Set
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero.books import Books
from destination_xero.client import MAX_IN_FLIGHT, XeroClient
from destination_xero.config import Settings
from destination_xero.contacts import ContactDirectory
from destination_xero.invoices import Drafted, InvoiceWriter
from destination_xero.ledger import Ledger
from destination_xero.mapping import fit, invoice_number
from destination_xero.pacing import DailyLimitError
from destination_xero.payments import PaymentWriter
from invoice_model.connector.destination import (
    Notice,
    Outcome,
    RecordError,
    RecordWriter,
    Result,
    StopSync,
    Workers,
)
from invoice_model.connector.progress import calls_and_waits
from invoice_model.contract import INVOICES, PAYMENTS

# Invoices of this run that were not written, remembered for the payments that follow them.
MAX_UNWRITTEN = 20_000


class Writer(RecordWriter):
    """One run of `write`: its caches, its thread pool and its tally."""

    system = "Xero"
    source_written_here = "xero"

    def __init__(
        self,
        settings: Settings,
        client: XeroClient,
        books: Books,
        streams: Set[str] = frozenset((INVOICES.name, PAYMENTS.name)),
    ) -> None:
        super().__init__(fail_on_invalid_record=settings.fail_on_invalid_record, streams=streams)
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
        self.unwritten: OrderedDict[str, str] = OrderedDict()  # invoice number -> why

    def commit(
        self,
        invoices: list[Mapping[str, Any]],
        payments: list[Mapping[str, Any]],
        notices: list[Notice],
    ) -> None:
        """Deletions, invoices, creations (see the module docstring), one look-up for all."""
        try:
            by_id = {record["source_id"]: record for record in invoices}
            drafts = self._drafts(invoices, notices)
            numbered, results = self.payments.numbered(payments)
            numbers = [draft.number for _, draft in drafts] + [n for _, n in numbered]
            self.ledger.look_up(numbers)
            removed, pending, replaced = self.payments.remove(numbered)
            results.update(removed)
            for record_id, result in self.invoices.write(drafts).items():
                self._invoice_settled(by_id[record_id], result, notices)
            results.update(self.payments.create(pending, replaced))
        except DailyLimitError as stop:
            raise StopSync(daily_limit_error(stop)) from stop
        records = {record["source_id"]: record for record in payments}
        for record_id, result in results.items():
            self._payment_settled(records[record_id], result, notices)
        self.ledger.stow()

    def fit(self, stream: str, record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        return fit(stream, record, self.settings.invoices)

    def usage(self) -> str:
        return calls_and_waits(self.system, self.pacer.calls, self.pacer.waits.seconds)

    def close(self) -> None:
        self.workers.shutdown()
        self.ledger.close()

    def awaits(self, stream: str, record: Mapping[str, Any]) -> str:
        if stream == INVOICES.name:
            return "the removal of its payments in Xero"
        return f"its invoice {invoice_number(record, self.settings.invoices)}"

    def _drafts(self, records: list[Mapping[str, Any]], notices: list[Notice]) -> list[Drafted]:
        """The Xero invoices the records become; the contact of each resolved first."""
        contact_ids = self.contacts.resolve(record["contact"] for record in records)
        ready = []
        for record in records:
            contact_id = contact_ids[record["contact"]["source_id"]]
            if isinstance(contact_id, str):
                ready.append((record, contact_id))
            else:
                self._invoice_settled(record, Result(Outcome.REJECTED, str(contact_id)), notices)
        drafts, refused = self.invoices.drafts(ready, fresh_contacts=self.contacts.created)
        for record, _ in ready:
            if record["source_id"] in refused:
                self._invoice_settled(record, refused[record["source_id"]], notices)
        return drafts

    def _invoice_settled(
        self, record: Mapping[str, Any], result: Result, notices: list[Notice]
    ) -> None:
        """An invoice's result. One Xero holds with payments waits while the sync's payments
        may still remove them; why one is not in Xero is remembered for its payments."""
        if result.outcome is Outcome.WAITING:
            payments_to_come = self.may_come(PAYMENTS.name) and (
                not self.ended or self.cut_short(PAYMENTS.name)
            )
            if payments_to_come:
                self.wait(INVOICES.name, record)
                return
            result = Result(Outcome.LEFT_ALONE, f"{result.message}: left alone")
        self.settle(INVOICES.name, record["source_id"], result, notices)
        try:
            number = invoice_number(record, self.settings.invoices)
        except RecordError:
            return  # its payments have no number either: refused for the same reason
        if result.outcome in (Outcome.REJECTED, Outcome.SKIPPED):
            self.unwritten[number] = f"{result.outcome.value}: {result.message}"
            self.unwritten.move_to_end(number)
            while len(self.unwritten) > MAX_UNWRITTEN:
                self.unwritten.popitem(last=False)
        else:
            self.unwritten.pop(number, None)

    def _payment_settled(
        self, record: Mapping[str, Any], result: Result, notices: list[Notice]
    ) -> None:
        """A payment's result. One whose invoice is not in Xero waits while its invoice may
        come, and is given up, naming why, once it will not (see the module docstring)."""
        if result.outcome is Outcome.WAITING:
            number = invoice_number(record, self.settings.invoices)
            why = self.unwritten.get(number)
            if why is not None:
                result = Result(
                    Outcome.REJECTED,
                    f"its invoice {number} was not written in this sync ({why}); it lands with "
                    "its invoice once the source sends the invoice again",
                )
            elif not self.may_come(INVOICES.name):
                result = Result(
                    Outcome.REJECTED,
                    f"its invoice {number} is not in Xero and the source sent every invoice of "
                    "this sync without it (refused or left out in an earlier sync?); it lands "
                    "with its invoice once the source sends the invoice again",
                )
            else:
                self.wait(PAYMENTS.name, record)
                return
        self.settle(PAYMENTS.name, record["source_id"], result, notices)


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
