"""The sales invoices of the organisation this run has seen, by invoice number.

Durable de-duplication comes from here, not from Idempotency-Keys (which Xero forgets after
minutes): before an invoice is created, its number is looked up, many numbers per call; the
answer also carries each invoice's payments, whose references say which source payments are
already in Xero, and with which amount. An invoice whose contact this run created cannot exist
yet, so it needs no look-up; neither does one the run has already seen.

What the run has seen is kept compact (about 1.3 KB an invoice) and bounded: after each
flush, beyond `MAX_KNOWN` invoices the least recently used are forgotten, and looked up again
should a later record need them (from then on, invoices of new contacts are looked up too).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from destination_xero.client import XeroClient, query_chunks
from destination_xero.mapping import key_of_reference
from invoice_model.connector.destination import Runner
from invoice_model.dates import parse_date
from invoice_model.money import to_decimal

LINE_FIELDS = ("Description", "Quantity", "UnitAmount", "AccountCode", "ItemCode", "TaxType")
LINE_AMOUNTS = ("Quantity", "UnitAmount", "DiscountAmount")
# Invoices kept between flushes; far more than a flush touches (at most one per record), so a
# sync writing payments after their invoices finds them without a look-up up to this many.
MAX_KNOWN = 20_000


@dataclass
class HeldPayment:
    """A payment this destination wrote, as Xero holds it on its invoice."""

    payment_id: str  # empty while its creation is in flight ("claimed")
    amount: Decimal


@dataclass
class XeroInvoice:
    """What the run knows of one Xero sales invoice (compact: one per invoice of the sync)."""

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
        self.max_known = MAX_KNOWN
        self._known: OrderedDict[str, XeroInvoice | None] = OrderedDict()
        # Once anything is forgotten, an invoice of a contact created by this run may be in
        # Xero without the ledger knowing: from then on every number is looked up.
        self._forgot = False

    def __contains__(self, number: str) -> bool:
        return number in self._known

    def get(self, number: str) -> XeroInvoice | None:
        if number in self._known:
            self._known.move_to_end(number)
        return self._known.get(number)

    def put(self, invoice: XeroInvoice) -> None:
        self._known[invoice.number] = invoice
        self._known.move_to_end(invoice.number)

    def trim(self) -> None:
        """Forget the least recently used invoices beyond `max_known`; called between flushes
        only, so that nothing a flush is working on is forgotten under it.
        """
        while len(self._known) > self.max_known:
            self._known.popitem(last=False)
            self._forgot = True

    def absent(self, numbers: Iterable[str]) -> None:
        """Numbers known not to be in Xero (their contact is new), so never looked up; unless
        the ledger has forgotten invoices, one of which this run may have created.
        """
        if self._forgot:
            return
        for number in numbers:
            self._known.setdefault(number, None)

    def look_up(self, numbers: Iterable[str]) -> None:
        """Learn which of `numbers` are in Xero, as few numbers per call as the URL allows."""
        wanted = sorted({n for n in numbers if n not in self._known})
        if not wanted:
            return
        found: list[list[dict[str, Any]]] = self.run(
            self._fetch, list(query_chunks("InvoiceNumbers", wanted))
        )
        for number in wanted:
            self._known[number] = None
        for invoices in found:
            for data in invoices:
                if data.get("Type") != "ACCREC" or data.get("InvoiceNumber") not in self._known:
                    continue
                current = self._known[data["InvoiceNumber"]]
                # A number may survive on a deleted invoice; the live one is what counts.
                if current is None or current.status in ("DELETED", "VOIDED"):
                    self._known[data["InvoiceNumber"]] = XeroInvoice.of(data)

    def _fetch(self, numbers: list[str]) -> list[dict[str, Any]]:
        params = {"InvoiceNumbers": ",".join(numbers), "unitdp": 4}
        return [
            invoice
            for page in self.client.pages("/Invoices", "Invoices", params)
            for invoice in page
        ]
