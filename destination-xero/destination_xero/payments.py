"""Payment records into Xero: applied once, replaced when their amount changes at the source,
removed when the source refunds or voids them.

A Xero payment written by this destination carries the source payment ID at the start of its
reference (`Keap payment 5001 · ...`), and the invoice look-up returns each invoice's payments
with their amounts: so a payment already in Xero is recognised without any call of its own.
New payments are created 50 a call (`PUT /Payments`); a refunded or voided one is deleted
(`POST /Payments/{PaymentID}`, one call each: Xero has no batch delete, and no edit of a
payment's amount); one whose amount changed (partly refunded at the source) is deleted and
created again with the new amount, its creation joining the batch.

A flush works in two steps around its invoices (see `writer`): `remove` first deletes what goes
(refunded and voided payments, and the old amount of those replaced), so that an invoice they
leave without payments can be updated, and a smaller replacement never meets a fully paid
invoice; `create`, once the flush's invoices are written, creates the new payments and the
replacements, each against its invoice as it stands then.

Payments are only ever applied to invoices this destination wrote (their `Url` is the source's
address of the invoice): an invoice number that belongs to another Xero invoice is not ours to
pay. A payment whose invoice is not in Xero comes back `WAITING`: the writer decides whether it
waits for its invoice or is given up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from destination_xero.client import Element, XeroClient
from destination_xero.config import InvoiceSettings
from destination_xero.contacts import chunks
from destination_xero.ledger import HeldPayment, Ledger, XeroInvoice
from destination_xero.mapping import (
    invoice_number,
    paid_invoice_link,
    payment_key,
    payment_payload,
)
from invoice_model.connector.destination import Outcome, RecordError, Result, Runner
from invoice_model.money import to_decimal

BATCH_SIZE = 50


@dataclass(frozen=True)
class _Payment:
    """A payment to create (`replaces`: the one deleted for it) or, for a record refunded or
    voided, or replaced, to delete.
    """

    record: Mapping[str, Any]
    invoice: XeroInvoice
    replaces: HeldPayment | None = None


Numbered = tuple[Mapping[str, Any], str]  # a payment record and its invoice's number


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

    def numbered(
        self, records: Sequence[Mapping[str, Any]]
    ) -> tuple[list[Numbered], dict[str, Result]]:
        """Each record with its invoice's number; those without one are rejected."""
        numbered: list[Numbered] = []
        results: dict[str, Result] = {}
        for record in records:
            try:
                numbered.append((record, invoice_number(record, self.invoices)))
            except RecordError as problem:
                results[record["source_id"]] = Result(Outcome.REJECTED, str(problem))
        return numbered, results

    def remove(
        self, numbered: Sequence[Numbered]
    ) -> tuple[dict[str, Result], list[Numbered], dict[str, HeldPayment]]:
        """Deletes the payments Xero holds that refunded and voided records remove, and the old
        amount of those whose amount changed. Returns the results decided, the completed records
        still to `create`, and, by source ID, the payments deleted to be replaced."""
        results: dict[str, Result] = {}
        pending: list[Numbered] = []
        deletes: list[_Payment] = []
        self.ledger.look_up(number for _, number in numbered)
        for record, number in numbered:
            planned = self._plan_removal(record, number)
            if isinstance(planned, Result):
                results[record["source_id"]] = planned
            elif planned is None:
                pending.append((record, number))
            else:
                deletes.append(planned)
        replaced: dict[str, HeldPayment] = {}
        for payment, element in zip(deletes, self.run(self._delete, deletes), strict=True):
            result = self._deleted(payment, element)
            record = payment.record
            if result is not None:
                results[record["source_id"]] = result
            elif payment.replaces is not None:  # the old amount is gone: the new one goes in
                replaced[record["source_id"]] = payment.replaces
                pending.append((record, payment.invoice.number))
        return results, pending, replaced

    def create(
        self, pending: Sequence[Numbered], replaced: Mapping[str, HeldPayment]
    ) -> dict[str, Result]:
        """Creates the completed payments not in Xero, against their invoices as they stand now
        (the flush's invoices written); `replaced` by source ID are the payments deleted for
        them. A payment whose invoice is not in Xero is `WAITING`."""
        results: dict[str, Result] = {}
        creates: list[_Payment] = []
        self.ledger.look_up(number for _, number in pending)
        for record, number in pending:
            planned = self._plan_receipt(record, number, replaced.get(record["source_id"]))
            if isinstance(planned, Result):
                results[record["source_id"]] = planned
            else:
                creates.append(planned)
        batches = list(chunks(creates, BATCH_SIZE))
        for batch, elements in zip(batches, self.run(self._create, batches), strict=True):
            for payment, element in zip(batch, elements, strict=True):
                results[payment.record["source_id"]] = self._created(payment, element)
        return results

    def _plan_removal(self, record: Mapping[str, Any], number: str) -> _Payment | Result | None:
        """A payment to delete, what became of a record without a call, or None: a completed
        record for `create`."""
        invoice = self.ledger.get(number)
        held = invoice.payments.get(payment_key(record)) if invoice is not None else None
        if record["status"] != "completed":
            if invoice is None or held is None or not held.payment_id:
                return Result(Outcome.SKIPPED)  # not in Xero, so nothing to remove
            return _not_ours(invoice, record) or _Payment(record, invoice)
        if invoice is None or held is None or not held.payment_id:
            return None
        amount = to_decimal(record["amount"])
        if held.amount == amount:
            return Result(Outcome.UNCHANGED)
        return (
            _not_ours(invoice, record)
            or self._mismatch(record, invoice)
            or (_Payment(record, invoice, replaces=held))
        )

    def _plan_receipt(
        self, record: Mapping[str, Any], number: str, replaces: HeldPayment | None
    ) -> _Payment | Result:
        """A completed payment: unchanged, created (or created again for the one it replaces),
        refused, or waiting for its invoice."""
        invoice = self.ledger.get(number)
        if invoice is None:
            return Result(Outcome.WAITING, f"its invoice {number} is not in Xero")
        refused = _not_ours(invoice, record) or self._mismatch(record, invoice)
        if refused is not None:
            return refused
        amount = to_decimal(record["amount"])
        held = invoice.payments.get(payment_key(record))
        if held is not None:
            return Result(Outcome.UNCHANGED)  # in Xero, or being written by this flush
        # Claimed: a later copy in this flush is unchanged.
        invoice.payments[payment_key(record)] = HeldPayment("", amount)
        return _Payment(record, invoice, replaces=replaces)

    @staticmethod
    def _mismatch(record: Mapping[str, Any], invoice: XeroInvoice) -> Result | None:
        if record["currency"] == invoice.currency:
            return None
        return Result(
            Outcome.REJECTED,
            f"it is in {record['currency']}, its invoice {invoice.number} in {invoice.currency}",
        )

    def _create(self, batch: list[_Payment]) -> list[Element]:
        bodies = [payment_payload(p.record, p.invoice.invoice_id, self.account_code) for p in batch]
        # A replacement may repeat a request of minutes ago (an amount changed back): the
        # payments it replaces make its Idempotency-Key its own, the same for each retry.
        replaced = [p.replaces.payment_id for p in batch if p.replaces is not None]
        occasion = "replacing " + ",".join(replaced) if replaced else ""
        return self.client.write("PUT", "/Payments", "Payments", bodies, occasion=occasion)

    def _created(self, payment: _Payment, element: Element) -> Result:
        key = payment_key(payment.record)
        if not element.ok:
            payment.invoice.payments.pop(key, None)
            replaced = (
                f" (the payment of {payment.replaces.amount} it was to replace is deleted)"
                if payment.replaces is not None
                else ""
            )
            return Result(
                Outcome.REJECTED, f"Xero refused it: {'; '.join(element.errors)}{replaced}"
            )
        amount = to_decimal(payment.record["amount"])
        payment.invoice.payments[key] = HeldPayment(str(element.data.get("PaymentID")), amount)
        _settle(payment.invoice, amount)
        return Result(Outcome.CREATED if payment.replaces is None else Outcome.UPDATED)

    def _delete(self, payment: _Payment) -> Element:
        held = payment.replaces or payment.invoice.payments[payment_key(payment.record)]
        body = [{"Status": "DELETED"}]
        return self.client.write(
            "POST", f"/Payments/{held.payment_id}", "Payments", body, per_element=False
        )[0]

    def _deleted(self, payment: _Payment, element: Element) -> Result | None:
        """The result of a removal; None when a replaced payment is gone and its successor is
        to be created.
        """
        if not element.ok:
            what = "the payment it replaces" if payment.replaces is not None else "it"
            return Result(
                Outcome.REJECTED,
                f"Xero refused to delete {what}: {'; '.join(element.errors)}",
            )
        held = payment.invoice.payments.pop(payment_key(payment.record))
        _settle(payment.invoice, -held.amount)
        if payment.replaces is not None:
            return None
        return Result(Outcome.REMOVED)


def _not_ours(invoice: XeroInvoice, record: Mapping[str, Any]) -> Result | None:
    """Why a payment cannot touch `invoice`, when this destination did not write it."""
    if invoice.url == paid_invoice_link(record):
        return None
    return Result(
        Outcome.REJECTED,
        f"invoice number {invoice.number} belongs to a Xero invoice this destination did not "
        "write; change invoices.invoice_number_template or renumber that invoice",
    )


def _settle(invoice: XeroInvoice, paid: Decimal) -> None:
    """What a payment of `paid` (negative: one deleted) does to the invoice as Xero has it."""
    invoice.amount_paid += paid
    invoice.amount_due -= paid
    if invoice.status == "PAID" and invoice.amount_due > 0:
        invoice.status = "AUTHORISED"
    elif invoice.status == "AUTHORISED" and invoice.amount_due <= 0:
        invoice.status = "PAID"
