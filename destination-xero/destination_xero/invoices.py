"""Invoice records into Xero: created, updated, voided, or left as they are.

What Xero holds under the record's invoice number decides:

- nothing: the invoice is created (`PUT /Invoices`, 50 a call), unless the record is void;
- an invoice this destination did not write (another `Url`): the record is rejected;
- the same content, at the same or a later status: nothing to do, no call;
- changed, and still editable (draft, submitted, or authorised without payments, dated after
  the lock date): updated (`POST /Invoices`, 50 a call, every line sent); a void record
  deletes a draft and voids an authorised invoice;
- changed, but voided, deleted or locked: left alone, with a warning;
- changed, but with payments in Xero: `WAITING`, for the writer to decide (Xero edits no
  invoice with payments; the source may be removing them in this sync, and the invoice is then
  updated once they are gone; if not, it is left alone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from destination_xero.books import Books
from destination_xero.client import Element, XeroClient
from destination_xero.config import InvoiceSettings
from destination_xero.contacts import chunks
from destination_xero.ledger import Ledger, XeroInvoice, content_digest
from destination_xero.mapping import InvoiceDraft, build_invoice, source_link
from invoice_model.connector.destination import Outcome, RecordError, Result, Runner
from invoice_model.money import to_decimal

BATCH_SIZE = 50
# Xero's status order; an invoice is never moved backwards (an approved one back to draft).
STATUS_RANK = {"DRAFT": 0, "SUBMITTED": 1, "AUTHORISED": 2, "PAID": 3}
WRITE_PARAMS = {"unitdp": 4}


@dataclass(frozen=True)
class _Write:
    record: Mapping[str, Any]
    body: dict[str, Any]
    outcome: Outcome  # CREATED or UPDATED
    total: Any = None


Drafted = tuple[Mapping[str, Any], InvoiceDraft]  # a record and the Xero invoice it becomes


class InvoiceWriter:
    def __init__(
        self,
        client: XeroClient,
        ledger: Ledger,
        books: Books,
        settings: InvoiceSettings,
        run: Runner,
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.books = books
        self.settings = settings
        self.run = run

    def drafts(
        self, records: Sequence[tuple[Mapping[str, Any], str]], fresh_contacts: Set[str]
    ) -> tuple[list[Drafted], dict[str, Result]]:
        """The Xero invoice of each (record, ContactID) pair, and the result of each record
        that cannot become one. Invoices of `fresh_contacts` (created by this run) cannot be in
        Xero yet: the ledger knows them absent, without a look-up.
        """
        results: dict[str, Result] = {}
        drafts: list[Drafted] = []
        for record, contact_id in records:
            try:
                drafts.append(
                    (record, build_invoice(record, contact_id, self.settings, self.books))
                )
            except RecordError as problem:
                results[record["source_id"]] = Result(Outcome.REJECTED, str(problem))
        self.ledger.absent(
            draft.number
            for _, draft in drafts
            if draft.body["Contact"]["ContactID"] in fresh_contacts
        )
        return drafts, results

    def write(self, drafts: Sequence[Drafted]) -> dict[str, Result]:
        """Write the drafts as the ledger says Xero holds them; the result of each by source
        ID."""
        results: dict[str, Result] = {}
        self.ledger.look_up(draft.number for _, draft in drafts)
        creates: list[_Write] = []
        updates: list[_Write] = []
        for record, draft in drafts:
            planned = self._plan(record, draft, self.ledger.get(draft.number))
            if isinstance(planned, Result):
                results[record["source_id"]] = planned
            elif planned.outcome is Outcome.CREATED:
                creates.append(planned)
            else:
                updates.append(planned)
        batches = [("PUT", batch) for batch in chunks(creates, BATCH_SIZE)]
        batches += [("POST", batch) for batch in chunks(updates, BATCH_SIZE)]
        for (_, batch), elements in zip(batches, self.run(self._send, batches), strict=True):
            for write, element in zip(batch, elements, strict=True):
                results[write.record["source_id"]] = self._written(write, element)
        return results

    def _plan(
        self, record: Mapping[str, Any], draft: InvoiceDraft, held: XeroInvoice | None
    ) -> _Write | Result:
        if held is None:
            if record["status"] == "void":
                return Result(Outcome.SKIPPED, "void at the source and not in Xero: not created")
            return _Write(record, draft.body, Outcome.CREATED, draft.total)
        if held.url != source_link(record):
            return Result(
                Outcome.REJECTED,
                f"invoice number {draft.number} belongs to a Xero invoice this destination did "
                "not write; change invoices.invoice_number_template or renumber that invoice",
            )
        if record["status"] == "void":
            return self._void(record, held)
        return self._update(record, draft, held)

    def _update(
        self, record: Mapping[str, Any], draft: InvoiceDraft, held: XeroInvoice
    ) -> _Write | Result:
        same = held.content == content_digest(draft.body)
        upgrade = STATUS_RANK.get(draft.status, 0) > STATUS_RANK.get(held.status, 99)
        if same and not upgrade:
            return Result(Outcome.UNCHANGED)
        blocked = self._not_editable(held, "changed at the source")
        if blocked:
            return blocked
        body = {"InvoiceID": held.invoice_id, **draft.body}
        if not upgrade and held.status in STATUS_RANK:
            # Never backwards: one approved stays approved (Xero refuses a return to draft, as
            # when a voided payment leaves a source draft that was paid towards).
            body["Status"] = max(draft.status, held.status, key=lambda s: STATUS_RANK.get(s, 0))
        return _Write(record, body, Outcome.UPDATED, draft.total)

    def _void(self, record: Mapping[str, Any], held: XeroInvoice) -> _Write | Result:
        if held.status in ("VOIDED", "DELETED"):
            return Result(Outcome.UNCHANGED)
        blocked = self._not_editable(held, "void at the source")
        if blocked:
            return blocked
        status = "VOIDED" if held.status == "AUTHORISED" else "DELETED"
        body = {"InvoiceID": held.invoice_id, "InvoiceNumber": held.number, "Status": status}
        return _Write(record, body, Outcome.UPDATED)

    def _not_editable(self, held: XeroInvoice, change: str) -> Result | None:
        """Why Xero will not take a change to `held`: left alone, or, while payments Xero holds
        on it are all that is in the way, `WAITING` for them to go (the writer decides)."""
        lock = self.books.lock_date
        if held.status in ("VOIDED", "DELETED"):
            why = f"it is {held.status.lower()} in Xero"
        elif lock is not None and held.date and held.date <= lock.isoformat():
            why = f"it is dated on or before the lock date {lock.isoformat()}"
        elif held.amount_paid:
            status = "paid" if held.status == "PAID" else "partly paid"
            paid = f"it is {status} in Xero ({held.amount_paid} {held.currency})"
            return Result(Outcome.WAITING, f"{change}, but {paid}")
        elif held.status == "PAID":
            why = "it is paid in Xero"
        else:
            return None
        return Result(Outcome.LEFT_ALONE, f"{change}, but {why}: left alone")

    def _send(self, batch: tuple[str, list[_Write]]) -> list[Element]:
        method, writes = batch
        return self.client.write(
            method, "/Invoices", "Invoices", [write.body for write in writes], WRITE_PARAMS
        )

    def _written(self, write: _Write, element: Element) -> Result:
        if not element.ok:
            return Result(Outcome.REJECTED, f"Xero refused it: {'; '.join(element.errors)}")
        held = XeroInvoice.of(element.data)
        self.ledger.put(held)
        if write.total is not None and to_decimal(element.data.get("Total", 0)) != write.total:
            return Result(
                write.outcome,
                f"Xero's total {element.data.get('Total')} differs from the source's {write.total}",
            )
        return Result(write.outcome)
