"""The sales invoices of the organisation this run has seen, by invoice number.

Durable de-duplication comes from here, not from Idempotency-Keys (which Xero forgets after
minutes): before an invoice is created, its number is looked up, many numbers per call; the
answer also carries each invoice's payments, whose references say which source payments are
already in Xero, and with which amount. An invoice whose contact this run created cannot exist
yet, so it needs no look-up; neither does one the run has already seen.

The run forgets nothing it has seen, so a payment finds its invoice without a look-up however
many invoices came before it (source-keap sends every invoice of a sync before its payments).
A flush works on `XeroInvoice` objects; between flushes they are stowed out of memory (a line
of about 300 bytes an invoice, see `invoice_model.connector.stowage`), so the destination's
memory does not grow with the number of invoices a sync writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from destination_xero.client import XeroClient, query_chunks
from destination_xero.mapping import key_of_reference
from invoice_model.connector.destination import Runner
from invoice_model.connector.stowage import Stowage
from invoice_model.dates import parse_date
from invoice_model.money import to_decimal

LINE_FIELDS = ("Description", "Quantity", "UnitAmount", "AccountCode", "ItemCode", "TaxType")
LINE_AMOUNTS = ("Quantity", "UnitAmount", "DiscountAmount")


@dataclass
class HeldPayment:
    """A payment this destination wrote, as Xero holds it on its invoice."""

    payment_id: str  # empty while its creation is in flight ("claimed")
    amount: Decimal


@dataclass
class XeroInvoice:
    """What the run knows of one Xero sales invoice, while a flush works on it (stowed between
    flushes as a line of JSON, see `Ledger`)."""

    invoice_id: str
    number: str
    status: str
    url: str
    date: str
    currency: str
    amount_paid: Decimal
    amount_due: Decimal
    content: str  # digest of what the destination writes, see `content_digest`
    payments: dict[str, HeldPayment] = field(default_factory=dict)  # by payment key

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> XeroInvoice:
        payments = {}
        for payment in data.get("Payments") or []:
            key = key_of_reference(payment.get("Reference"))
            if key and payment.get("Status", "AUTHORISED") != "DELETED":
                payments[key] = HeldPayment(
                    str(payment.get("PaymentID")), to_decimal(payment.get("Amount") or 0)
                )
        return cls(
            invoice_id=str(data["InvoiceID"]),
            number=str(data.get("InvoiceNumber") or ""),
            status=str(data.get("Status") or ""),
            url=str(data.get("Url") or ""),
            date=parse_date(data["Date"]).isoformat() if data.get("Date") else "",
            currency=str(data.get("CurrencyCode") or ""),
            amount_paid=to_decimal(data.get("AmountPaid") or 0),
            amount_due=to_decimal(data.get("AmountDue") or 0),
            content=content_digest(data),
            payments=payments,
        )

    def packed(self) -> str:
        """The invoice as a line of JSON, for the run's store (`unpacked` reads it back)."""
        payments = {key: [p.payment_id, str(p.amount)] for key, p in self.payments.items()}
        fields = [self.invoice_id, self.status, self.url, self.date, self.currency]
        fields += [str(self.amount_paid), str(self.amount_due), self.content, payments]
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def unpacked(cls, number: str, packed: str) -> XeroInvoice:
        invoice_id, status, url, date, currency, paid, due, content, payments = json.loads(packed)
        return cls(
            invoice_id=invoice_id,
            number=number,
            status=status,
            url=url,
            date=date,
            currency=currency,
            amount_paid=Decimal(paid),
            amount_due=Decimal(due),
            content=content,
            payments={
                key: HeldPayment(pid, Decimal(amount)) for key, (pid, amount) in payments.items()
            },
        )


def content_digest(invoice: Mapping[str, Any]) -> str:
    """A digest of the fields this destination writes, the same for the body it sends and for
    the invoice Xero holds when they agree: dates as dates, amounts as numbers, absent as empty.
    """
    tax_types = invoice.get("LineAmountTypes") != "NoTax"
    parts: list[Any] = [
        (invoice.get("Contact") or {}).get("ContactID"),
        *(invoice.get(key) or "" for key in ("InvoiceNumber", "Reference", "Url", "CurrencyCode")),
        invoice.get("LineAmountTypes") or "",
        *(
            parse_date(invoice[key]).isoformat() if invoice.get(key) else ""
            for key in ("Date", "DueDate")
        ),
    ]
    for line in invoice.get("LineItems") or []:
        for key in LINE_FIELDS:
            if key == "TaxType" and not tax_types:
                continue
            value = line.get(key)
            if key in LINE_AMOUNTS:
                parts.append(_number(value))
            else:
                parts.append(value or "")
        parts.append(_number(line.get("DiscountAmount")))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _number(value: Any) -> str:
    return format(to_decimal(value or 0).normalize(), "f")


class Ledger:
    """Invoices by number: known in Xero, known absent, or not looked up yet."""

    def __init__(self, client: XeroClient, run: Runner) -> None:
        self.client = client
        self.run = run
        # What the flush being committed works on (None: known absent), then the run's store.
        self._flush: dict[str, XeroInvoice | None] = {}
        self._store = Stowage()

    def get(self, number: str) -> XeroInvoice | None:
        self._load([number])
        return self._flush.get(number)

    def put(self, invoice: XeroInvoice) -> None:
        self._flush[invoice.number] = invoice

    def absent(self, numbers: Iterable[str]) -> None:
        """Numbers known not to be in Xero (their contact is new), so never looked up; unless
        this run has written one of them already.
        """
        listed = list(numbers)
        self._load(listed)
        for number in listed:
            self._flush.setdefault(number, None)

    def stow(self) -> None:
        """Move what the flush worked on into the store; called between flushes only, so that
        the objects a flush works on (payments claim their place on them) stay its own.
        """
        self._store.update((n, None if i is None else i.packed()) for n, i in self._flush.items())
        self._flush.clear()

    def close(self) -> None:
        self._store.close()

    def look_up(self, numbers: Iterable[str]) -> None:
        """Learn which of `numbers` are in Xero, as few numbers per call as the URL allows."""
        asked = set(numbers)
        self._load(asked)
        wanted = sorted(asked - self._flush.keys())
        if not wanted:
            return
        found: list[list[dict[str, Any]]] = self.run(
            self._fetch, list(query_chunks("InvoiceNumbers", wanted))
        )
        for number in wanted:
            self._flush[number] = None
        for invoices in found:
            for data in invoices:
                if data.get("Type") != "ACCREC" or data.get("InvoiceNumber") not in self._flush:
                    continue
                current = self._flush[data["InvoiceNumber"]]
                # A number may survive on a deleted invoice; the live one is what counts.
                if current is None or current.status in ("DELETED", "VOIDED"):
                    self._flush[data["InvoiceNumber"]] = XeroInvoice.of(data)

    def _load(self, numbers: Iterable[str]) -> None:
        """Bring the stowed invoices among `numbers` back for the flush."""
        stowed = self._store.get_many(n for n in numbers if n not in self._flush)
        for number, packed in stowed.items():
            self._flush[number] = None if packed is None else XeroInvoice.unpacked(number, packed)

    def _fetch(self, numbers: list[str]) -> list[dict[str, Any]]:
        params = {"InvoiceNumbers": ",".join(numbers), "unitdp": 4}
        return [
            invoice
            for page in self.client.pages("/Invoices", "Invoices", params)
            for invoice in page
        ]
