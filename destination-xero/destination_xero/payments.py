"""Payment records into Xero: applied once, removed when the source refunds or voids them.

A Xero payment written by this destination carries the source payment ID at the start of its
reference (`Keap payment 5001 · ...`), and the invoice look-up returns each invoice's payments:
so a payment already in Xero is recognised without any call of its own. New payments are
created 50 a call (`PUT /Payments`); a refunded or voided one is deleted (`POST
/Payments/{PaymentID}`, one call each: Xero has no batch delete).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from destination_xero.client import Element, XeroClient
from destination_xero.config import InvoiceSettings
from destination_xero.contacts import Runner, chunks
from destination_xero.invoices import Result
from destination_xero.ledger import Ledger, XeroInvoice
from destination_xero.mapping import invoice_number, payment_key, payment_payload
from destination_xero.outcomes import Outcome, RecordError
from invoice_model.money import to_decimal

BATCH_SIZE = 50


@dataclass(frozen=True)
class _Payment:
    record: Mapping[str, Any]
    invoice: XeroInvoice


class PaymentWriter:
    def __init__(
        self,
        client: XeroClient,
        ledger: Ledger,
        invoices: InvoiceSettings,
        account_code: str,
        run: Runner,
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.invoices = invoices
        self.account_code = account_code
        self.run = run

    def write(self, records: Sequence[Mapping[str, Any]]) -> dict[str, Result]:
        """Write payment records; the result of each by source ID."""
        results: dict[str, Result] = {}
        numbered: list[tuple[Mapping[str, Any], str]] = []
        for record in records:
            try:
                numbered.append((record, invoice_number(record, self.invoices)))
            except RecordError as problem:
                results[record["source_id"]] = Result(Outcome.REJECTED, str(problem))
        self.ledger.look_up(number for _, number in numbered)
        creates: list[_Payment] = []
        deletes: list[_Payment] = []
        for record, number in numbered:
            planned = self._plan(record, number)
            if isinstance(planned, Result):
                results[record["source_id"]] = planned
            elif record["status"] == "completed":
                creates.append(planned)
            else:
                deletes.append(planned)
        batches = list(chunks(creates, BATCH_SIZE))
        for batch, elements in zip(batches, self.run(self._create, batches), strict=True):
            for payment, element in zip(batch, elements, strict=True):
                results[payment.record["source_id"]] = self._created(payment, element)
        for payment, element in zip(deletes, self.run(self._delete, deletes), strict=True):
            results[payment.record["source_id"]] = self._deleted(payment, element)
        return results

    def _plan(self, record: Mapping[str, Any], number: str) -> _Payment | Result:
        """A payment to create or delete, or what became of the record without a call."""
        invoice = self.ledger.get(number)
        key = payment_key(record)
        if invoice is None:
            if record["status"] != "completed":
                return Result(Outcome.SKIPPED)  # never written, so nothing to remove
            return Result(Outcome.REJECTED, f"its invoice {number} is not in Xero")
        if record["status"] != "completed":
            return (
                _Payment(record, invoice) if invoice.payments.get(key) else Result(Outcome.SKIPPED)
            )
        if key in invoice.payments:
            return Result(Outcome.UNCHANGED)
        if record["currency"] != invoice.currency:
            return Result(
                Outcome.REJECTED,
                f"it is in {record['currency']}, its invoice {number} in {invoice.currency}",
            )
        invoice.payments[key] = ""  # claimed: a later copy in this flush is unchanged
        return _Payment(record, invoice)

    def _create(self, batch: list[_Payment]) -> list[Element]:
        bodies = [payment_payload(p.record, p.invoice.invoice_id, self.account_code) for p in batch]
        return self.client.write("PUT", "/Payments", "Payments", bodies)

    def _created(self, payment: _Payment, element: Element) -> Result:
        key = payment_key(payment.record)
        if not element.ok:
            payment.invoice.payments.pop(key, None)
            return Result(Outcome.REJECTED, f"Xero refused it: {'; '.join(element.errors)}")
        payment.invoice.payments[key] = str(element.data.get("PaymentID"))
        amount = to_decimal(payment.record["amount"])
        payment.invoice.amount_paid += amount
        payment.invoice.amount_due -= amount
        return Result(Outcome.CREATED)

    def _delete(self, payment: _Payment) -> Element:
        payment_id = payment.invoice.payments[payment_key(payment.record)]
        body = [{"Status": "DELETED"}]
        return self.client.write(
            "POST", f"/Payments/{payment_id}", "Payments", body, per_element=False
        )[0]

    def _deleted(self, payment: _Payment, element: Element) -> Result:
        if not element.ok:
            return Result(
                Outcome.REJECTED, f"Xero refused to delete it: {'; '.join(element.errors)}"
            )
        del payment.invoice.payments[payment_key(payment.record)]
        amount = to_decimal(payment.record["amount"])
        payment.invoice.amount_paid -= amount
        payment.invoice.amount_due += amount
        return Result(Outcome.REMOVED)
